//! Reaching a running upsmon: `upsmon -c fsd|stop|reload`.
//!
//! Under systemd the commands travel over a local stream socket handed
//! over by socket activation (`nut-monitor.socket`, root-only mode), so no
//! PID file is needed: one line per connection, `FSD`, `STOP` or `RELOAD`
//! (NUT's word grammar), answered `OK` or `ERR <reason>`. Without systemd,
//! NUT's way still works: the PID file and signals (SIGUSR1 = fsd,
//! SIGTERM = stop, SIGHUP = reload), which the daemon always handles.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio::sync::mpsc;

use super::engine::Command;

/// The command names of `-c` (NUT accepts any prefix, e.g. `-c st`).
pub fn parse_command(s: &str) -> Option<Command> {
    if s.is_empty() {
        return None;
    }
    for (name, c) in [("fsd", Command::Fsd), ("stop", Command::Stop), ("reload", Command::Reload)] {
        if name.starts_with(&s.to_ascii_lowercase()) {
            return Some(c);
        }
    }
    None
}

fn wire_word(c: Command) -> &'static str {
    match c {
        Command::Fsd => "FSD",
        Command::Stop => "STOP",
        Command::Reload => "RELOAD",
    }
}

fn signal_of(c: Command) -> nix::sys::signal::Signal {
    use nix::sys::signal::Signal;
    match c {
        Command::Fsd => Signal::SIGUSR1,
        Command::Stop => Signal::SIGTERM,
        Command::Reload => Signal::SIGHUP,
    }
}

/// The directory for upsmon's PID file and control socket:
/// `NUT_ALTPIDPATH`, else `NUT_STATEPATH`, else `/run/nut`.
pub fn run_dir() -> PathBuf {
    for v in ["NUT_ALTPIDPATH", "NUT_STATEPATH"] {
        if let Some(p) = std::env::var_os(v).filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
    }
    PathBuf::from("/run/nut")
}

/// `upsmon.pid` in [`run_dir`].
pub fn pid_file() -> PathBuf {
    run_dir().join("upsmon.pid")
}

/// The control socket path (`nut-monitor.socket` listens here).
pub fn socket_path() -> PathBuf {
    run_dir().join("upsmon.sock")
}

/// Sends `c` over the control socket at `path`.
pub fn send_over_socket(path: &Path, c: Command) -> std::io::Result<()> {
    let mut s = UnixStream::connect(path)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(format!("{}\n", wire_word(c)).as_bytes())?;
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line)?;
    if line.trim_end() == "OK" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("upsmon answered: {}", line.trim_end())))
    }
}

/// Signals the process `pid`.
pub fn send_signal(pid: i32, c: Command) -> anyhow::Result<()> {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal_of(c))
        .map_err(|e| anyhow::anyhow!("Signal to PID {pid} failed: {e}"))
}

/// Reads a PID file.
pub fn read_pid(path: &Path) -> anyhow::Result<i32> {
    let s =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("Can't open PID file {}: {e}", path.display()))?;
    s.trim().parse().map_err(|_| anyhow::anyhow!("Can't parse PID file {}", path.display()))
}

/// `upsmon -c <cmd> [-P pid]`: the socket first (unless a PID was given),
/// then the PID file and a signal.
pub fn send(c: Command, pid: Option<i32>) -> anyhow::Result<()> {
    if let Some(pid) = pid {
        return send_signal(pid, c);
    }
    let sock = socket_path();
    match send_over_socket(&sock, c) {
        Ok(()) => return Ok(()),
        Err(e) => tracing::debug!("control socket {}: {e}; trying the PID file", sock.display()),
    }
    let pid = read_pid(&pid_file())?;
    send_signal(pid, c)
}

/// Writes the PID file; removed when the guard drops.
pub struct PidFile(PathBuf);

impl PidFile {
    /// Writes our PID to `path`.
    pub fn create(path: PathBuf) -> std::io::Result<PidFile> {
        std::fs::write(&path, format!("{}\n", std::process::id()))?;
        Ok(PidFile(path))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether an upsmon already runs per the PID file (NUT refuses to start
/// a second one).
pub fn already_running() -> Option<i32> {
    let pid = read_pid(&pid_file()).ok()?;
    if pid as u32 == std::process::id() {
        return None;
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).ok().map(|_| pid)
}

/// Serves the control socket: each request becomes a [`Command`].
pub async fn serve(listener: UnixListener, tx: mpsc::Sender<Command>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let tx = tx.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut line = String::new();
            let mut r = tokio::io::BufReader::new(r);
            let read = tokio::time::timeout(Duration::from_secs(10), r.read_line(&mut line)).await;
            if !matches!(read, Ok(Ok(n)) if n > 0) {
                return;
            }
            let words = crate::proto::words::split(line.trim_end_matches(['\r', '\n'])).unwrap_or_default();
            let cmd = match words.as_slice() {
                [w] if w == "FSD" => Some(Command::Fsd),
                [w] if w == "STOP" => Some(Command::Stop),
                [w] if w == "RELOAD" => Some(Command::Reload),
                _ => None,
            };
            let reply = match cmd {
                Some(c) => {
                    tracing::info!("Control socket: {}", wire_word(c));
                    if tx.send(c).await.is_ok() {
                        "OK\n"
                    } else {
                        "ERR NOT-RUNNING\n"
                    }
                }
                None => "ERR UNKNOWN-COMMAND\n",
            };
            let _ = w.write_all(reply.as_bytes()).await;
        });
    }
}

/// Turns the signals NUT uses into commands.
pub async fn signals(tx: mpsc::Sender<Command>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    loop {
        let c = tokio::select! {
            _ = term.recv() => Command::Stop,
            _ = int.recv() => Command::Stop,
            _ = quit.recv() => Command::Stop,
            _ = hup.recv() => Command::Reload,
            _ = usr1.recv() => { tracing::info!("Signal 10: User requested FSD"); Command::Fsd }
        };
        if tx.send(c).await.is_err() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_accept_prefixes_like_nut() {
        assert_eq!(parse_command("fsd"), Some(Command::Fsd));
        assert_eq!(parse_command("st"), Some(Command::Stop));
        assert_eq!(parse_command("rel"), Some(Command::Reload));
        assert_eq!(parse_command("restart"), None);
        assert_eq!(parse_command(""), None);
    }

    #[tokio::test]
    async fn socket_round_trip() {
        let dir = std::env::temp_dir().join(format!("nut-ctl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("upsmon.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let (tx, mut rx) = mpsc::channel(4);
        let server = tokio::spawn(serve(listener, tx));
        let p = path.clone();
        tokio::task::spawn_blocking(move || send_over_socket(&p, Command::Reload)).await.unwrap().unwrap();
        assert_eq!(rx.recv().await, Some(Command::Reload));
        let p = path.clone();
        let bad = tokio::task::spawn_blocking(move || {
            let mut s = UnixStream::connect(&p).unwrap();
            s.write_all(b"REBOOT\n").unwrap();
            let mut l = String::new();
            BufReader::new(&s).read_line(&mut l).unwrap();
            l
        })
        .await
        .unwrap();
        assert_eq!(bad, "ERR UNKNOWN-COMMAND\n");
        server.abort();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
