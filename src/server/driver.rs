//! The driver side: one task per ups.conf section, connected to the
//! driver's socket `<STATEPATH>/<driver>-<ups>` (driver-protocol.md §6).
//!
//! State machine per UPS: *disconnected* (retry every second, log a
//! failure at most every 300 s) → *connected* (send `DUMPALL`, tree =
//! `ups.status WAIT`, apply every driver line, forward SET/INSTCMD from
//! clients, PING after MAXAGE/3 s of silence) → on EOF, error or a failed
//! write back to *disconnected*, dropping the tree. Staleness is a pure
//! function of the link's timestamps ([`Ups::is_stale`]), so clients see
//! it at once; the once-a-second tick only logs transitions and pings.
//!
//! [`Ups::is_stale`]: super::state::Ups::is_stale

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, watch};

use super::state::{Link, Shared, Tree};
use crate::proto::driver::{DriverMsg, LineReader, ServerMsg};

/// How often a disconnected driver is retried.
pub const RETRY: Duration = Duration::from_secs(1);
/// Connection failures are logged at most this often per UPS.
pub const LOG_EVERY: Duration = Duration::from_secs(300);
/// Pending SET/INSTCMD lines per driver before clients get `SET-FAILED`.
pub const QUEUE: usize = 256;

/// What a driver task needs to know.
#[derive(Clone, Debug)]
pub struct DriverTarget {
    /// Canonical UPS name.
    pub ups: String,
    /// Socket name `<driver>-<ups>`.
    pub socket: String,
    /// Full socket path.
    pub path: PathBuf,
}

/// Runs until `stop` becomes true (or its sender is dropped).
pub async fn run(shared: Arc<Shared>, target: DriverTarget, mut stop: watch::Receiver<bool>) {
    static OWNERS: AtomicU64 = AtomicU64::new(1);
    let owner = OWNERS.fetch_add(1, Ordering::Relaxed);
    let mut last_log: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let stream = tokio::select! {
            r = UnixStream::connect(&target.path) => r,
            _ = stop.changed() => return,
        };
        match stream {
            Err(e) => {
                if last_log.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
                    tracing::warn!(nut_ups = %target.ups, "Can't connect to UPS [{}] ({}): {}", target.ups, target.socket, os_msg(&e));
                    last_log = Some(Instant::now());
                }
            }
            Ok(stream) => {
                tracing::info!(nut_ups = %target.ups, "Connected to UPS [{}]: {}", target.ups, target.socket);
                let why = connected(&shared, &target, owner, stream, &mut stop).await;
                if let Some(u) = shared.lock().ups_mut(&target.ups) {
                    if u.link.as_ref().is_some_and(|l| l.owner == owner) {
                        u.link = None;
                    }
                }
                match why {
                    End::Stopped => return,
                    End::Lost(msg) => {
                        tracing::warn!(nut_ups = %target.ups, "Driver connection for UPS [{}] lost: {}", target.ups, msg);
                        last_log = Some(Instant::now());
                    }
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = stop.changed() => return,
        }
    }
}

fn os_msg(e: &std::io::Error) -> String {
    let s = e.to_string();
    // "No such file or directory (os error 2)" -> NUT's strerror text
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

enum End {
    Stopped,
    Lost(String),
}

async fn connected(
    shared: &Arc<Shared>,
    target: &DriverTarget,
    owner: u64,
    mut stream: UnixStream,
    stop: &mut watch::Receiver<bool>,
) -> End {
    if let Err(e) = stream.write_all(ServerMsg::DumpAll.encode_line().as_bytes()).await {
        return End::Lost(format!("write failed: {e}"));
    }
    let (tx, mut rx) = mpsc::channel::<ServerMsg>(QUEUE);
    let maxage;
    {
        let mut st = shared.lock();
        maxage = st.maxage;
        match st.ups_mut(&target.ups) {
            Some(u) => {
                u.link = Some(Link { tx, tree: Tree::waiting(), dumpdone: false, last_heard: Instant::now(), owner });
            }
            None => return End::Stopped,
        }
    }
    let third = Duration::from_secs(maxage / 3);
    let mut last_ping = Instant::now();
    let mut reader = LineReader::new();
    let mut buf = vec![0u8; 4096];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            r = stream.read(&mut buf) => {
                let n = match r {
                    Ok(0) => return End::Lost("EOF".into()),
                    Ok(n) => n,
                    Err(e) => return End::Lost(format!("read failed: {e}")),
                };
                let lines = reader.feed(&buf[..n]);
                let mut st = shared.lock();
                let now = Instant::now();
                let mut trackings = Vec::new();
                if let Some(u) = st.ups_mut(&target.ups).filter(|u| u.link.as_ref().is_some_and(|l| l.owner == owner)) {
                    for line in &lines {
                        let Ok(msg) = DriverMsg::decode_line(line) else {
                            tracing::debug!(nut_ups = %target.ups, "UPS [{}]: ignoring driver line {:?}", target.ups, line.texts());
                            continue;
                        };
                        let Some(link) = u.link.as_mut() else { break };
                        link.last_heard = now;
                        match &msg {
                            DriverMsg::DataOk => u.data_ok = true,
                            DriverMsg::DataStale => u.data_ok = false,
                            DriverMsg::DumpDone => link.dumpdone = true,
                            DriverMsg::Tracking { id, status } => trackings.push((id.clone(), status.code())),
                            m => {
                                link.tree.apply(m);
                            }
                        }
                    }
                }
                for (id, code) in trackings {
                    if let Some(t) = st.tracking.get_mut(&id.to_ascii_uppercase()) {
                        t.result = Some(code);
                    }
                }
            }
            m = rx.recv() => {
                let Some(m) = m else { return End::Stopped };
                if let Err(e) = stream.write_all(m.encode_line().as_bytes()).await {
                    return End::Lost(format!("write failed: {e}"));
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                let ping = {
                    let mut st = shared.lock();
                    let Some(u) = st.ups_mut(&target.ups) else { return End::Stopped };
                    let stale = u.is_stale(now, maxage);
                    if stale && !u.stale_logged {
                        tracing::warn!(nut_ups = %u.name, "Data for UPS [{}] is stale - check driver", u.name);
                    } else if !stale && u.stale_logged {
                        tracing::info!(nut_ups = %u.name, "UPS [{}] data is no longer stale", u.name);
                    }
                    u.stale_logged = stale;
                    let heard = u.link.as_ref().map_or(now, |l| l.last_heard);
                    now.saturating_duration_since(heard).as_secs() > third.as_secs()
                        && now.saturating_duration_since(last_ping).as_secs() > third.as_secs()
                };
                if ping {
                    last_ping = now;
                    if let Err(e) = stream.write_all(ServerMsg::Ping.encode_line().as_bytes()).await {
                        return End::Lost(format!("write failed: {e}"));
                    }
                }
            }
            _ = stop.changed() => return End::Stopped,
        }
    }
}
