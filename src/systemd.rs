//! The service manager, seen from a daemon: readiness and status
//! notifications (`sd_notify`), the watchdog, and socket activation.
//!
//! Every function is a no-op outside systemd (no `NOTIFY_SOCKET`, no
//! `LISTEN_FDS`), so daemons call them unconditionally. Notification errors
//! are logged once at debug level and otherwise ignored: a daemon must never
//! fail because the manager went away.
//!
//! Conventions used by all our daemons:
//! - `READY=1` only once the configuration is valid and every listener or
//!   device is set up ([`ready`]);
//! - `STATUS=` one line saying what the daemon is doing ([`status`]);
//! - `RELOADING=1` … `READY=1` around a reload ([`reloading`], [`ready`]);
//! - `WATCHDOG=1` at half the interval systemd asked for, and only while the
//!   daemon is healthy — the caller decides ([`Watchdog`]);
//! - `STOPPING=1` when shutting down ([`stopping`]).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use sd_notify::NotifyState;

fn send(states: &[NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::debug!("sd_notify failed: {e}");
    }
}

/// Whether a service manager listens for our notifications.
pub fn under_systemd() -> bool {
    std::env::var_os("NOTIFY_SOCKET").is_some()
}

/// `READY=1` (also ends a reload).
pub fn ready() {
    send(&[NotifyState::Ready]);
}

/// `READY=1` together with a status line.
pub fn ready_with_status(line: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(line)]);
}

/// `STATUS=<line>`; newlines are replaced so the status stays one line.
pub fn status(line: &str) {
    if line.contains('\n') {
        send(&[NotifyState::Status(&line.replace('\n', " "))]);
    } else {
        send(&[NotifyState::Status(line)]);
    }
}

/// `RELOADING=1` (with `MONOTONIC_USEC`, which newer managers require).
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(_) => send(&[NotifyState::Reloading]),
    }
}

/// `STOPPING=1`.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// `EXTEND_TIMEOUT_USEC=`: asks for more time during a slow start or stop.
pub fn extend_timeout(by: Duration) {
    let usec = u32::try_from(by.as_micros()).unwrap_or(u32::MAX);
    send(&[NotifyState::ExtendTimeoutUsec(usec)]);
}

/// `MAINPID=`: tells the manager which process is the service.
pub fn main_pid(pid: u32) {
    send(&[NotifyState::MainPid(pid)]);
}

/// The watchdog systemd asked for (`WATCHDOG_USEC`, checked against
/// `WATCHDOG_PID`), pinged at half its interval.
#[derive(Debug)]
pub struct Watchdog {
    interval: Duration,
    last: Option<Instant>,
}

impl Watchdog {
    /// The watchdog if systemd enabled one for this process.
    pub fn from_env() -> Option<Watchdog> {
        let mut usec = 0u64;
        if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
            Some(Watchdog { interval: Duration::from_micros(usec), last: None })
        } else {
            None
        }
    }

    /// The full interval systemd enforces.
    pub fn timeout(&self) -> Duration {
        self.interval
    }

    /// How often to ping: half the timeout.
    pub fn period(&self) -> Duration {
        self.interval / 2
    }

    /// Sends `WATCHDOG=1` now.
    pub fn ping(&mut self) {
        self.last = Some(Instant::now());
        send(&[NotifyState::Watchdog]);
    }

    /// Sends `WATCHDOG=1` if at least a period has passed since the last
    /// ping. Call it from a healthy main loop.
    pub fn ping_if_due(&mut self) {
        let due = match self.last {
            None => true,
            Some(t) => t.elapsed() >= self.period(),
        };
        if due {
            self.ping();
        }
    }
}

/// Sockets handed over by socket activation: `LISTEN_FDS` descriptors from
/// fd 3 on, only if `LISTEN_PID` is this process. The variables are removed
/// so children do not inherit them. Returns an empty list without
/// activation.
pub fn listen_fds() -> io::Result<Vec<OwnedFd>> {
    let fds: Vec<RawFd> = sd_notify::listen_fds()?.collect();
    // SAFETY: systemd passed these descriptors to this process (LISTEN_PID
    // matched) and nothing else in the process owns them yet.
    Ok(fds.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_reach_the_socket() {
        use std::os::unix::net::UnixDatagram;
        let dir = std::env::temp_dir().join(format!("nut-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        // Without a manager every call is a harmless no-op.
        std::env::remove_var("NOTIFY_SOCKET");
        status("line one\nline two");
        reloading();
        stopping();
        extend_timeout(Duration::from_secs(5));
        // Tests share the environment; this is the only test setting it.
        std::env::set_var("NOTIFY_SOCKET", &path);
        ready_with_status("OL, battery 100%");
        std::env::remove_var("NOTIFY_SOCKET");
        let mut buf = [0u8; 256];
        let n = sock.recv(&mut buf).unwrap();
        let msg = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(msg.contains("READY=1"), "{msg}");
        assert!(msg.contains("STATUS=OL, battery 100%"), "{msg}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
