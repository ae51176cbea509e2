//! The driver socket: a Unix stream socket at `<statepath>/<driver>-<ups>`
//! serving upsd (and tools) — several connections at once, each with its
//! own parser and its own queue of outgoing lines.
//!
//! The store and the list of connections live together in [`Shared`]
//! behind one mutex: a change to the store and its broadcast to every
//! queue happen under the same lock, so a `DUMPALL` reply and the
//! broadcasts around it never interleave wrongly. Queues are bounded; a
//! connection that does not keep up is dropped (NUT drops a client whose
//! write fails) and the device thread is never blocked by a slow reader.
//!
//! SET and INSTCMD go to the device thread through [`DeviceHandle`]; the
//! connection waits for the result (as NUT, which handles them in line) and
//! then sends `TRACKING <id> <code>` to that connection only.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, watch};

use crate::driver::store::Store;
use crate::proto::driver::{DriverMsg, HandlerStatus, LineReader, ServerMsg};

/// Lines a connection may have queued before it is dropped.
pub const QUEUE_LINES: usize = 16384;

struct Client {
    id: u64,
    tx: mpsc::Sender<Arc<str>>,
    broadcast: bool,
}

/// The store and the connections.
pub struct State {
    /// The variable store.
    pub store: Store,
    clients: Vec<Client>,
    next_id: u64,
}

impl State {
    fn flush(&mut self) {
        if !self.store.has_broadcasts() {
            return;
        }
        for m in self.store.take_broadcasts() {
            let line: Arc<str> = Arc::from(m.encode_line());
            self.clients.retain(|c| {
                if !c.broadcast {
                    return true;
                }
                match c.tx.try_send(line.clone()) {
                    Ok(()) => true,
                    Err(_) => {
                        tracing::warn!("driver socket: client {} is not keeping up, disconnecting", c.id);
                        false
                    }
                }
            });
        }
    }

    fn send_to(&mut self, id: u64, msgs: &[DriverMsg]) {
        let Some(i) = self.clients.iter().position(|c| c.id == id) else { return };
        for m in msgs {
            if self.clients[i].tx.try_send(Arc::from(m.encode_line())).is_err() {
                tracing::warn!("driver socket: client {id} is not keeping up, disconnecting");
                self.clients.remove(i);
                return;
            }
        }
    }
}

/// The state shared by the device thread and the socket server.
pub struct Shared {
    state: Mutex<State>,
}

/// A locked view of the store; broadcasts go out when it is dropped.
pub struct StoreGuard<'a>(MutexGuard<'a, State>);

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.0.store
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.0.store
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        self.0.flush();
    }
}

impl Shared {
    /// Shared state around a store.
    pub fn new(store: Store) -> Arc<Shared> {
        Arc::new(Shared { state: Mutex::new(State { store, clients: Vec::new(), next_id: 1 }) })
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the store; changes are broadcast when the guard drops.
    pub fn store(&self) -> StoreGuard<'_> {
        StoreGuard(self.lock_state())
    }

    /// How many connections are open.
    pub fn clients(&self) -> usize {
        self.lock_state().clients.len()
    }
}

/// A request for the device thread.
#[derive(Debug)]
pub enum DeviceRequest {
    /// `SET <var> <value>`.
    Set {
        /// Variable.
        var: String,
        /// Value.
        value: String,
        /// Where the result goes.
        reply: oneshot::Sender<HandlerStatus>,
    },
    /// `INSTCMD <cmd> [<param>]`.
    InstCmd {
        /// Command.
        cmd: String,
        /// Parameter.
        param: Option<String>,
        /// Where the result goes.
        reply: oneshot::Sender<HandlerStatus>,
    },
    /// Stop the device thread.
    Exit,
    /// Re-read the configuration.
    Reload(ReloadKind),
}

/// What to do when a reload finds changes that need a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReloadKind {
    /// Apply what can be applied, log the rest (SIGHUP, `-c reload`).
    Reload,
    /// Exit (status 128 + SIGUSR1) so the service manager restarts us
    /// (SIGUSR1, `-c reload-or-exit`).
    OrExit,
    /// Answer "failed" (`-c reload-or-error`, over the socket only).
    OrError,
}

/// Sends requests to the device thread.
#[derive(Clone, Debug)]
pub struct DeviceHandle(pub std::sync::mpsc::Sender<DeviceRequest>);

impl DeviceHandle {
    async fn ask(&self, make: impl FnOnce(oneshot::Sender<HandlerStatus>) -> DeviceRequest) -> HandlerStatus {
        let (tx, rx) = oneshot::channel();
        if self.0.send(make(tx)).is_err() {
            return HandlerStatus::Failed;
        }
        rx.await.unwrap_or(HandlerStatus::Failed)
    }
}

/// Creates the listening socket as NUT does: unlink a stale one, bind with
/// umask 0007, chmod 0660, and chown to `group` when given.
pub fn bind(path: &Path, group: Option<nix::unistd::Gid>) -> io::Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o007));
    let l = std::os::unix::net::UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let l = l?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(g) = group {
        if let Err(e) = nix::unistd::chown(path, None, Some(g)) {
            tracing::warn!("chown {} failed: {e}", path.display());
        }
    }
    l.set_nonblocking(true)?;
    UnixListener::from_std(l)
}

/// Removes the socket file when dropped.
pub struct SocketFile(pub PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Accepts connections until `stop` turns true.
pub async fn serve(listener: UnixListener, shared: Arc<Shared>, dev: DeviceHandle, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    let (shared, dev, stop) = (shared.clone(), dev.clone(), stop.clone());
                    tokio::spawn(async move { connection(stream, shared, dev, stop).await });
                }
                Err(e) => {
                    tracing::error!("accept on driver socket failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            _ = stop.changed() => return,
        }
    }
}

async fn connection(stream: UnixStream, shared: Arc<Shared>, dev: DeviceHandle, mut stop: watch::Receiver<bool>) {
    let (tx, mut rx) = mpsc::channel::<Arc<str>>(QUEUE_LINES);
    let id = {
        let mut st = shared.lock_state();
        let id = st.next_id;
        st.next_id += 1;
        st.clients.push(Client { id, tx, broadcast: true });
        id
    };
    tracing::debug!("driver socket: new connection {id}");
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            if wr.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut reader = LineReader::new();
    let mut buf = [0u8; 512];
    let mut stopping = false;
    'outer: loop {
        let n = tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = stop.changed() => {
                stopping = true;
                break;
            }
        };
        for line in reader.feed(&buf[..n]) {
            let msg = match ServerMsg::decode_line(&line) {
                Ok(m) => m,
                Err(e) => {
                    tracing::info!("driver socket: ignoring {:?}: {e}", line.texts());
                    continue;
                }
            };
            if handle(&shared, &dev, id, msg).await {
                break 'outer; // LOGOUT
            }
            if !shared.lock_state().clients.iter().any(|c| c.id == id) {
                break 'outer; // dropped for not keeping up
            }
        }
    }
    // dropping our queue's sender lets the writer finish what is queued (a
    // dump asked for just before the peer half-closed, `OK Goodbye`)
    shared.lock_state().clients.retain(|c| c.id != id);
    if stopping {
        writer.abort();
    } else {
        let abort = writer.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(1), writer).await.is_err() {
            abort.abort();
        }
    }
    tracing::debug!("driver socket: connection {id} closed");
}

/// Handles one message; true means close the connection (LOGOUT).
async fn handle(shared: &Shared, dev: &DeviceHandle, id: u64, msg: ServerMsg) -> bool {
    match msg {
        ServerMsg::DumpAll => {
            let mut st = shared.lock_state();
            st.flush();
            let dump = st.store.dump();
            st.send_to(id, &dump);
        }
        ServerMsg::Ping => shared.lock_state().send_to(id, &[DriverMsg::Pong]),
        ServerMsg::Set { var, value, tracking } => {
            let status = dev.ask(|reply| DeviceRequest::Set { var: var.into_string(), value, reply }).await;
            if let Some(id_) = tracking {
                shared.lock_state().send_to(id, &[DriverMsg::Tracking { id: id_, status }]);
            }
        }
        ServerMsg::InstCmd { cmd, param, tracking } => {
            let status = dev.ask(|reply| DeviceRequest::InstCmd { cmd: cmd.into_string(), param, reply }).await;
            if let Some(id_) = tracking {
                shared.lock_state().send_to(id, &[DriverMsg::Tracking { id: id_, status }]);
            }
        }
        ServerMsg::NoBroadcast => set_broadcast(shared, id, false),
        ServerMsg::Broadcast(n) => set_broadcast(shared, id, n.is_none_or(|n| n > 0)),
        ServerMsg::GetPid => shared.lock_state().send_to(id, &[DriverMsg::Pid(i64::from(std::process::id()))]),
        ServerMsg::DumpValue { var } => {
            let mut st = shared.lock_state();
            st.flush();
            let d = st.store.dump_value(var.as_str());
            st.send_to(id, &d);
        }
        ServerMsg::DumpStatus => {
            let mut st = shared.lock_state();
            st.flush();
            let d = st.store.dump_value("ups.status");
            st.send_to(id, &d);
        }
        ServerMsg::Logout => {
            shared.lock_state().send_to(id, &[DriverMsg::Goodbye]);
            return true;
        }
    }
    false
}

fn set_broadcast(shared: &Shared, id: u64, on: bool) {
    let mut st = shared.lock_state();
    if let Some(c) = st.clients.iter_mut().find(|c| c.id == id) {
        c.broadcast = on;
    }
}
