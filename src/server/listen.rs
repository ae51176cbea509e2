//! Listening sockets: taken from systemd (socket activation, any number of
//! TCP sockets, `LISTEN_PID` checked) or bound from upsd.conf's `LISTEN`
//! lines (default `127.0.0.1` and `::1`, port 3493; IPv6 with
//! `IPV6_V6ONLY`). The accept loop enforces MAXCONN and, when the process
//! runs out of file descriptors, backs off instead of spinning.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use super::state::Shared;
use crate::config::upsd::Listen;

/// How long the accept loop pauses after EMFILE/ENFILE/ENOBUFS/ENOMEM.
pub const BACKOFF: Duration = Duration::from_millis(250);

/// Which address families `-4` / `-6` allow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Family {
    /// Both.
    #[default]
    Any,
    /// `-4`.
    V4,
    /// `-6`.
    V6,
}

impl Family {
    fn allows(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// Resolves one LISTEN line to socket addresses (`*` = both "any").
pub fn resolve(l: &Listen, family: Family) -> Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = if l.addr == "*" {
        vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), l.port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), l.port),
        ]
    } else if let Ok(ip) = l.addr.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, l.port)]
    } else {
        let first = (l.addr.as_str(), l.port)
            .to_socket_addrs()
            .with_context(|| format!("can't resolve {}", l.addr))?
            .find(|a| family.allows(&a.ip()));
        first.into_iter().collect()
    };
    Ok(addrs.into_iter().filter(|a| family.allows(&a.ip())).collect())
}

/// With `-4` or `-6`, every explicit LISTEN line must have an address of
/// that family: NUT 2.8.0 resolves the lines with the family as a hint and
/// exits when one does not resolve ("getaddrinfo: Address family for
/// hostname not supported"). The default listeners are simply filtered.
pub fn check_family(listen: &[Listen], family: Family) -> Result<()> {
    if family == Family::Any {
        return Ok(());
    }
    for l in listen {
        if resolve(l, family).map_or(true, |a| a.is_empty()) {
            bail!(
                "getaddrinfo: Address family for hostname not supported (LISTEN {} {} with -{})",
                l.addr,
                l.port,
                if family == Family::V4 { 4 } else { 6 }
            );
        }
    }
    Ok(())
}

/// Binds one address (IPv6 sockets with `IPV6_V6ONLY`).
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let sock = if addr.is_ipv6() { TcpSocket::new_v6()? } else { TcpSocket::new_v4()? };
    if addr.is_ipv6() {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: setsockopt on a socket we own, with a c_int option value.
        let r = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                &on as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    sock.set_reuseaddr(true)?;
    sock.bind(addr)?;
    sock.listen(1024)
}

/// Binds every LISTEN line. A failure is fatal unless
/// `allow_not_all` or at least one listener works and the failures are
/// all localhost addresses (NUT's rule).
pub fn bind_all(listen: &[Listen], family: Family, allow_not_all: bool) -> Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    let mut fatal = Vec::new();
    for l in listen {
        let addrs = match resolve(l, family) {
            Ok(a) => a,
            Err(e) => {
                fatal.push(format!("{e:#}"));
                continue;
            }
        };
        for a in addrs {
            match bind(a) {
                Ok(t) => {
                    tracing::info!("listening on {} port {}", a.ip(), a.port());
                    out.push(t);
                }
                Err(e) => {
                    let msg = format!("not listening on {} port {}: {e}", a.ip(), a.port());
                    tracing::warn!("{msg}");
                    if !a.ip().is_loopback() {
                        fatal.push(msg);
                    }
                }
            }
        }
    }
    if out.is_empty() {
        bail!("no listening interface available");
    }
    if !fatal.is_empty() && !allow_not_all {
        bail!("{} (set ALLOW_NOT_ALL_LISTENERS to start anyway)", fatal.join("; "));
    }
    Ok(out)
}

/// Binds the LISTEN addresses that none of `have` (sockets from systemd)
/// listens on; failures are only warnings, since systemd's sockets serve.
pub fn bind_uncovered(have: &[TcpListener], listen: &[Listen], family: Family) -> Vec<TcpListener> {
    let covered: Vec<SocketAddr> = have.iter().filter_map(|l| l.local_addr().ok()).collect();
    let mut out = Vec::new();
    for l in listen {
        for a in resolve(l, family).unwrap_or_default() {
            if covered.contains(&a) {
                continue;
            }
            match bind(a) {
                Ok(t) => {
                    tracing::info!("listening on {} port {}", a.ip(), a.port());
                    out.push(t);
                }
                Err(e) => tracing::warn!("not listening on {} port {}: {e}", a.ip(), a.port()),
            }
        }
    }
    out
}

/// Listeners handed over by systemd (empty without socket activation).
pub fn from_systemd() -> Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    for fd in crate::systemd::listen_fds().context("LISTEN_FDS")? {
        let std = std::net::TcpListener::from(fd);
        std.set_nonblocking(true)?;
        let l = TcpListener::from_std(std).context("socket from systemd is not a TCP listener")?;
        if let Ok(a) = l.local_addr() {
            tracing::info!("listening on {} port {} (socket activation)", a.ip(), a.port());
        }
        out.push(l);
    }
    Ok(out)
}

/// The current soft limit on open files.
pub fn fd_limit() -> u64 {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0 {
        r.rlim_cur
    } else {
        1024
    }
}

/// Raises the soft open-file limit to the hard limit (more clients fit).
pub fn raise_fd_limit() {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 && r.rlim_cur < r.rlim_max {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

/// MAXCONN, defaulting to the open-file limit.
pub fn maxconn(conf: Option<u32>) -> usize {
    conf.map(|n| n as usize).unwrap_or_else(|| fd_limit() as usize)
}

fn out_of_resources(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}

/// Accepts clients until `stop`. `maxconn` counts every descriptor NUT
/// counts (listeners and drivers are `reserved`); a client beyond it is
/// closed at once.
pub async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    ids: Arc<AtomicU64>,
    maxconn: usize,
    reserved: usize,
    mut stop: watch::Receiver<bool>,
) {
    let mut last_warn: Option<Instant> = None;
    loop {
        let r = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => return,
        };
        match r {
            Ok((stream, peer)) => {
                let full = {
                    let mut st = shared.lock();
                    let full = st.clients + reserved >= maxconn;
                    if !full {
                        st.clients += 1;
                    }
                    full
                };
                if full {
                    if last_warn.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                        tracing::warn!("Maximum number of connections ({maxconn}) reached, refusing {}", peer.ip());
                        last_warn = Some(Instant::now());
                    }
                    drop(stream);
                    continue;
                }
                let id = ids.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(super::conn::serve(shared.clone(), stream, peer, id));
            }
            Err(e) if out_of_resources(&e) => {
                if last_warn.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!("accept: {e}; pausing new connections");
                    last_warn = Some(Instant::now());
                }
                tokio::select! {
                    _ = tokio::time::sleep(BACKOFF) => {}
                    _ = stop.changed() => return,
                }
            }
            Err(e) => {
                tracing::debug!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
