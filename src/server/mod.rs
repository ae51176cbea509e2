//! upsd, the data server: the network protocol on TCP 3493 towards
//! clients, one driver-socket connection per UPS towards the drivers.
//!
//! - [`settings`]: the configuration files, loaded and validated as one.
//! - [`state`]: the served state behind one `std::sync::Mutex`, never held
//!   across an `.await`.
//! - [`session`]: one client's protocol state and the dispatch of requests
//!   in NUT's order of checks — pure, no I/O.
//! - [`conn`]: a client connection (framing, one write per batch of
//!   replies, idle timeout, STARTTLS, bounded buffers).
//! - [`driver`]: the per-UPS driver connection task (DUMPALL, PING,
//!   staleness, reconnect, forwarding SET/INSTCMD).
//! - [`listen`]: binding listeners or taking them from systemd, and the
//!   accept loop that backs off on EMFILE instead of spinning.
//! - [`desc`], [`tls`], [`cli`], [`run`]: cmdvartab, rustls, the command
//!   line and the daemon around [`serve`].
//!
//! ## Runtime
//!
//! upsd runs on a tokio `current_thread` runtime: every request is a few
//! microseconds of work under an uncontended lock, so a second thread would
//! mostly add cross-thread wake-ups (latency) and per-thread allocator
//! arenas (RSS); the time is spent in the kernel's TCP stack either way.

pub mod cli;
pub mod conn;
pub mod desc;
pub mod driver;
pub mod listen;
pub mod run;
pub mod session;
pub mod settings;
pub mod state;
pub mod tls;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use self::driver::DriverTarget;
use self::settings::Settings;
use self::state::{Shared, State, Ups};

/// A running driver task.
struct DriverTask {
    stop: watch::Sender<bool>,
}

/// The server: shared state plus the driver tasks, which a reload
/// reconciles with the new ups.conf.
pub struct Server {
    shared: Arc<Shared>,
    drivers: HashMap<String, DriverTask>,
    settings: Settings,
}

impl Server {
    /// A server for these settings (no task runs yet).
    pub fn new(settings: Settings) -> Server {
        let upses = settings.upses.iter().map(|e| Ups::new(e.name.clone(), e.desc.clone(), e.socket())).collect();
        let state = State {
            upses,
            users: settings.users.clone(),
            descs: settings.descs.clone(),
            maxage: u64::from(settings.upsd.maxage),
            trackingdelay: u64::from(settings.upsd.trackingdelay),
            tls: settings.tls.clone(),
            tracking: HashMap::new(),
            logins: Default::default(),
            clients: 0,
            conns: HashMap::new(),
        };
        Server { shared: Shared::new(state), drivers: HashMap::new(), settings }
    }

    /// The shared state (for tests and the status line).
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    fn spawn_driver(&mut self, name: &str, socket: String) {
        let (tx, rx) = watch::channel(false);
        let path = self.settings.statepath.join(&socket);
        let target = DriverTarget { ups: name.to_string(), socket, path };
        tokio::spawn(driver::run(self.shared.clone(), target, rx));
        self.drivers.insert(name.to_ascii_lowercase(), DriverTask { stop: tx });
    }

    fn start_drivers(&mut self) {
        for e in self.settings.upses.clone() {
            self.spawn_driver(&e.name, e.socket());
        }
    }

    /// Applies reloaded settings without dropping client connections:
    /// new UPSes are prepended and connected, removed ones deleted (their
    /// logged-in clients kicked), changed sockets reconnected, descriptions,
    /// users, MAXAGE and the rest replaced. LISTEN changes need a restart.
    pub fn reload(&mut self, new: Settings) {
        if new.upsd.listeners() != self.settings.upsd.listeners() {
            tracing::warn!("LISTEN changes take effect only after a restart");
        }
        let mut st = self.shared.lock();
        // removed sections
        let keep = |name: &str| new.upses.iter().any(|e| e.name.eq_ignore_ascii_case(name));
        let removed: Vec<String> = st.upses.iter().filter(|u| !keep(&u.name)).map(|u| u.name.clone()).collect();
        for name in &removed {
            tracing::info!(nut_ups = %name, "Deleting UPS [{name}]");
            if let Some(t) = self.drivers.remove(&name.to_ascii_lowercase()) {
                let _ = t.stop.send(true);
            }
            for l in st.logins.values().filter(|l| l.ups == *name) {
                tracing::info!(nut_ups = %name, "Kicking client {} (was on UPS [{name}])", l.addr);
                l.conn.kick.notify_one();
            }
            st.upses.retain(|u| u.name != *name);
        }
        let mut restart = Vec::new();
        for e in &new.upses {
            let socket = e.socket();
            match st.ups_mut(&e.name) {
                Some(u) => {
                    u.desc = e.desc.clone();
                    if u.socket != socket {
                        u.socket = socket.clone();
                        u.link = None;
                        restart.push((u.name.clone(), socket));
                    }
                }
                None => {
                    tracing::info!(nut_ups = %e.name, "New UPS [{}]", e.name);
                    st.upses.insert(0, Ups::new(e.name.clone(), e.desc.clone(), socket.clone()));
                    restart.push((e.name.clone(), socket));
                }
            }
        }
        st.users = new.users.clone();
        st.descs = new.descs.clone();
        st.maxage = u64::from(new.upsd.maxage);
        st.trackingdelay = u64::from(new.upsd.trackingdelay);
        st.tls = new.tls.clone();
        drop(st);
        self.settings = new;
        for (name, socket) in restart {
            if let Some(t) = self.drivers.remove(&name.to_ascii_lowercase()) {
                let _ = t.stop.send(true);
            }
            self.spawn_driver(&name, socket);
        }
    }

    /// Serves clients on `listeners` until `shutdown` completes, applying
    /// settings received on `reloads`. Calls `notify` with the systemd
    /// events (ready, status, reloading) so the daemon can forward them.
    pub async fn serve(
        mut self,
        listeners: Vec<TcpListener>,
        mut reloads: mpsc::Receiver<Settings>,
        shutdown: impl Future<Output = ()>,
        mut notify: impl FnMut(Event),
    ) {
        let (stop_tx, stop_rx) = watch::channel(false);
        self.start_drivers();
        let ids = Arc::new(AtomicU64::new(1));
        let maxconn = listen::maxconn(self.settings.upsd.maxconn);
        let reserved = listeners.len() + self.settings.upses.len();
        for l in listeners {
            tokio::spawn(listen::accept_loop(l, self.shared.clone(), ids.clone(), maxconn, reserved, stop_rx.clone()));
        }
        notify(Event::Ready(self.shared.lock().status_line()));
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last_status = String::new();
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                s = reloads.recv() => match s {
                    Some(s) => {
                        notify(Event::Reloading);
                        self.reload(s);
                        notify(Event::Ready(self.shared.lock().status_line()));
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    let status = {
                        let mut st = self.shared.lock();
                        st.expire_tracking(Instant::now());
                        st.sweep_idle(conn::IDLE);
                        st.status_line()
                    };
                    if status != last_status {
                        notify(Event::Status(status.clone()));
                        last_status = status;
                    }
                    notify(Event::Tick);
                }
            }
        }
        notify(Event::Stopping);
        let _ = stop_tx.send(true);
        for t in self.drivers.values() {
            let _ = t.stop.send(true);
        }
        // Give tasks a moment to see the stop and close their sockets.
        tokio::task::yield_now().await;
    }
}

/// What [`Server::serve`] reports to its caller (systemd notifications).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Listeners are serving and drivers are being connected; the status line.
    Ready(String),
    /// A reload starts.
    Reloading,
    /// The status line changed.
    Status(String),
    /// Once a second (watchdog).
    Tick,
    /// Shutting down.
    Stopping,
}
