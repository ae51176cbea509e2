//! upssched: timers for upsmon's notifications, compatible with NUT 2.8.0.
//!
//! upsmon runs upssched as its NOTIFYCMD (`UPSNAME`, `NOTIFYTYPE` in the
//! environment, the message as argument). upssched looks up the matching
//! `AT` rules of upssched.conf and, for each:
//! - `EXECUTE <cmd>` runs CMDSCRIPT with `<cmd>` at once;
//! - `START-TIMER <name> <secs>` / `CANCEL-TIMER <name> [<cmd>]` are sent to
//!   the timer process over the PIPEFN socket, starting that process first
//!   if needed (LOCKFN serialises concurrent starts). The timer process runs
//!   CMDSCRIPT `<name>` when a timer elapses, runs `<cmd>` on a cancel that
//!   found no timer, and exits once it has had no timers for 15 s.
//!
//! The socket protocol is NUT's: `START "<name>" "<secs>"`, `CANCEL
//! "<name>" ["<cmd>"]`, each answered `OK` (or `ERR UNKNOWN`), so NUT's
//! upssched and ours can share a timer process. Newest NUT's
//! `START-TIMER-SHARED` (one timer per name, later starts join it) and
//! `CANCEL-TIMER-MATCHED` (cancel every timer of that name) are accepted
//! as `START-SHARED` / `CANCEL-MATCHED`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::config::upsmon::NotifyType;
use crate::config::upssched::{AtCommand, UpsschedConf};
use crate::proto::words::{quote_always, split};

/// The hidden argument that turns upssched into its timer process.
pub const DAEMON_ARG: &str = "--timer-process";

/// The timer process exits after this long without timers (NUT: 15 passes).
pub const IDLE_EXIT: Duration = Duration::from_secs(15);

/// How CMDSCRIPT is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdScript {
    /// One word: `<script> <arg>` through the shell, as NUT 2.8.0 does
    /// (`system("%s %s")`).
    Shell(String),
    /// Several words: program, arguments, then the timer/command name.
    Argv(Vec<String>),
}

impl CmdScript {
    /// From the CMDSCRIPT words.
    pub fn from_words(w: &[String]) -> Option<CmdScript> {
        match w {
            [] => None,
            [one] => Some(CmdScript::Shell(one.clone())),
            many => Some(CmdScript::Argv(many.to_vec())),
        }
    }

    fn command(&self, arg: &str) -> std::process::Command {
        match self {
            CmdScript::Shell(s) => {
                let mut c = std::process::Command::new("/bin/sh");
                c.arg("-c").arg(format!("{s} {arg}"));
                c
            }
            CmdScript::Argv(w) => {
                let mut c = std::process::Command::new(&w[0]);
                c.args(&w[1..]).arg(arg);
                c
            }
        }
    }

    /// Runs it and waits (NUT's `exec_cmd`), logging a failure.
    pub fn run(&self, arg: &str) {
        match self.command(arg).stdin(Stdio::null()).status() {
            Ok(st) if st.success() => {}
            Ok(st) => tracing::info!("exec_cmd({arg}) returned {st}"),
            Err(e) => tracing::error!("Execute command failure: {arg}: {e}"),
        }
    }
}

/// One request to the timer process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `START <name> <secs>`.
    Start {
        /// Timer name.
        name: String,
        /// Delay in seconds.
        secs: u64,
        /// Newest `START-SHARED`: no second timer of the same name.
        shared: bool,
    },
    /// `CANCEL <name> [<cmd>]`.
    Cancel {
        /// Timer name.
        name: String,
        /// Run this if no timer was found.
        cmd: Option<String>,
        /// Newest `CANCEL-MATCHED`: every timer of that name.
        matched: bool,
    },
}

impl Request {
    /// The wire line (with its newline).
    pub fn encode(&self) -> String {
        match self {
            Request::Start { name, secs, shared } => {
                let verb = if *shared { "START-SHARED" } else { "START" };
                format!("{verb} {} {}\n", quote_always(name), quote_always(&secs.to_string()))
            }
            Request::Cancel { name, cmd, matched } => {
                let verb = if *matched { "CANCEL-MATCHED" } else { "CANCEL" };
                match cmd {
                    Some(c) => format!("{verb} {} {}\n", quote_always(name), quote_always(c)),
                    None => format!("{verb} {}\n", quote_always(name)),
                }
            }
        }
    }

    /// Parses the words of a line, as NUT's timer process does (extra
    /// words ignored; a START needs its length; an offset that does not
    /// parse counts as 0, a negative one is refused).
    pub fn decode(words: &[String]) -> Option<Request> {
        let verb = words.first()?.as_str();
        match verb {
            "CANCEL" | "CANCEL-MATCHED" => Some(Request::Cancel {
                name: words.get(1)?.clone(),
                cmd: words.get(2).cloned(),
                matched: verb == "CANCEL-MATCHED",
            }),
            "START" | "START-SHARED" if words.len() >= 3 => {
                let secs = crate::model::atoi(&words[2]);
                if secs < 0 {
                    tracing::info!("bogus offset for timer, ignoring");
                }
                Some(Request::Start {
                    name: words[1].clone(),
                    secs: secs.max(0) as u64,
                    shared: verb == "START-SHARED",
                })
            }
            _ => None,
        }
    }
}

struct Timer {
    name: String,
    at: Instant,
}

/// The timers of the timer process (pure: tested with tokio's clock).
#[derive(Default)]
pub struct Timers {
    queue: VecDeque<Timer>,
}

impl Timers {
    /// Applies a request at `now`; returns a command to run (a cancel that
    /// found nothing, with a command).
    pub fn apply(&mut self, req: Request, now: Instant) -> Option<String> {
        match req {
            Request::Start { name, secs, shared } => {
                if shared && self.queue.iter().any(|t| t.name == name) {
                    return None;
                }
                tracing::info!("New timer: {name} ({secs} seconds)");
                self.queue.push_back(Timer { name, at: now + Duration::from_secs(secs) });
                None
            }
            Request::Cancel { name, cmd, matched } => {
                let before = self.queue.len();
                if matched {
                    self.queue.retain(|t| t.name != name);
                } else if let Some(i) = self.queue.iter().position(|t| t.name == name) {
                    self.queue.remove(i);
                }
                if self.queue.len() < before {
                    tracing::info!("Cancelling timer: {name}");
                    None
                } else {
                    let cmd = cmd.filter(|c| !c.is_empty())?;
                    tracing::info!("Cancel {name}, event: {cmd}");
                    Some(cmd)
                }
            }
        }
    }

    /// Removes and returns the timers due at `now`, in start order.
    pub fn due(&mut self, now: Instant) -> Vec<String> {
        let mut out = Vec::new();
        self.queue.retain(|t| {
            if t.at <= now {
                out.push(t.name.clone());
                false
            } else {
                true
            }
        });
        out
    }

    /// When the next timer is due.
    pub fn next(&self) -> Option<Instant> {
        self.queue.iter().map(|t| t.at).min()
    }

    /// Whether no timer runs.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

fn load() -> anyhow::Result<UpsschedConf> {
    let path = crate::config::paths::confpath().join("upssched.conf");
    let (conf, diags) = UpsschedConf::load(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut fatal = false;
    for d in &diags {
        if d.is_error() {
            println!("{d}");
            tracing::error!("{d}");
            fatal = true;
        } else {
            tracing::warn!("{d}");
        }
    }
    if fatal {
        anyhow::bail!("{}: unusable configuration", path.display());
    }
    Ok(conf)
}

/// Runs upssched; returns the exit status.
pub fn main(argv: Vec<OsString>) -> i32 {
    crate::logging::init(crate::logging::LogConfig::new("upssched"));
    if argv.get(1).is_some_and(|a| a == DAEMON_ARG) {
        return match timer_process() {
            Ok(()) => 0,
            Err(e) => {
                tracing::error!("{e:#}");
                1
            }
        };
    }
    let (Ok(ups), Ok(ntype)) = (std::env::var("UPSNAME"), std::env::var("NOTIFYTYPE")) else {
        println!("Error: UPSNAME and NOTIFYTYPE must be set.");
        println!("This program should only be run from upsmon.");
        return 1;
    };
    match client(&ups, &ntype) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e:#}");
            1
        }
    }
}

struct Paths {
    script: CmdScript,
    pipe: PathBuf,
    lock: PathBuf,
}

fn paths(conf: &UpsschedConf) -> anyhow::Result<Paths> {
    let script = conf.cmdscript.as_deref().and_then(CmdScript::from_words);
    match (script, &conf.pipefn, &conf.lockfn) {
        (Some(script), Some(pipe), Some(lock)) => Ok(Paths { script, pipe: pipe.clone(), lock: lock.clone() }),
        (None, ..) => anyhow::bail!("CMDSCRIPT must be set before any ATs in the config file!"),
        (_, None, _) => anyhow::bail!("PIPEFN must be set before any ATs in the config file!"),
        (_, _, None) => anyhow::bail!("LOCKFN must be set before any ATs in the config file!"),
    }
}

/// The upsmon-facing side: fire every matching rule.
fn client(ups: &str, ntype: &str) -> anyhow::Result<()> {
    let conf = load()?;
    let Ok(t) = ntype.parse::<NotifyType>() else {
        return Ok(());
    };
    let rules: Vec<_> = conf.matching(t, ups).cloned().collect();
    if rules.is_empty() {
        return Ok(());
    }
    let p = paths(&conf)?;
    for r in rules {
        match r.command {
            AtCommand::Execute { cmd } => {
                if cmd.is_empty() {
                    tracing::error!("Empty EXECUTE command argument");
                    continue;
                }
                tracing::info!("Executing command: {cmd}");
                p.script.run(&cmd);
            }
            AtCommand::StartTimer { name, seconds } => {
                send(&p, &Request::Start { name, secs: seconds.into(), shared: false })?
            }
            AtCommand::StartTimerShared { name, seconds } => {
                send(&p, &Request::Start { name, secs: seconds.into(), shared: true })?
            }
            AtCommand::CancelTimer { name, cmd } => send(&p, &Request::Cancel { name, cmd, matched: false })?,
            AtCommand::CancelTimerMatched { name, cmd } => send(&p, &Request::Cancel { name, cmd, matched: true })?,
        }
    }
    Ok(())
}

const MAX_TRIES: usize = 30;

/// Sends one request, starting the timer process if needed (NUT's
/// `sendcmd` + `check_parent`).
fn send(p: &Paths, req: &Request) -> anyhow::Result<()> {
    let line = req.encode();
    for _ in 0..MAX_TRIES {
        let mut s = match UnixStream::connect(&p.pipe) {
            Ok(s) => s,
            Err(_) => {
                // Nothing to cancel and nothing to run: no process needed.
                if matches!(req, Request::Cancel { cmd: None, .. }) {
                    return Ok(());
                }
                start_timer_process(p)?;
                continue;
            }
        };
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        if s.write_all(line.as_bytes()).is_err() {
            tracing::error!("write failed, trying again");
            continue;
        }
        let mut answer = String::new();
        if BufReader::new(&s).read_line(&mut answer).is_err() || answer.len() < 2 {
            tracing::error!("read confirmation failed, trying again");
            continue;
        }
        if answer.starts_with("OK") {
            return Ok(());
        }
        tracing::error!("read confirmation got [{}]", answer.trim_end());
    }
    anyhow::bail!("Unable to connect to daemon and unable to start daemon")
}

/// Starts the timer process unless another upssched is doing it: LOCKFN
/// is created exclusively; the process removes it once it listens.
fn start_timer_process(p: &Paths) -> anyhow::Result<()> {
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&p.lock) {
        Ok(_) => {
            let exe = std::env::current_exe()?;
            let mut c = std::process::Command::new(exe);
            c.arg(DAEMON_ARG).stdin(Stdio::null()).stdout(Stdio::null()).process_group(0);
            if crate::logging::Sink::detect() != crate::logging::Sink::Journal {
                c.stderr(Stdio::null());
            }
            c.spawn()?;
            // Wait for it to listen (it removes the lock file then).
            for _ in 0..(4 * MAX_TRIES) {
                if !p.lock.exists() && UnixStream::connect(&p.pipe).is_ok() {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = std::fs::remove_file(&p.lock);
            Ok(())
        }
        Err(_) => {
            // Someone else is starting it, or a stale lock from a crash.
            std::thread::sleep(Duration::from_millis(250));
            if UnixStream::connect(&p.pipe).is_err() {
                let _ = std::fs::remove_file(&p.lock);
            }
            Ok(())
        }
    }
}

/// The timer process.
fn timer_process() -> anyhow::Result<()> {
    let conf = load()?;
    let p = paths(&conf)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(serve_timers(p))
}

fn bind(path: &Path) -> anyhow::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_file(path);
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o007));
    let l = tokio::net::UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let l = l.map_err(|e| anyhow::anyhow!("bind {} failed: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(l)
}

async fn serve_timers(p: Paths) -> anyhow::Result<()> {
    let listener = bind(&p.pipe)?;
    let _ = std::fs::remove_file(&p.lock);
    tracing::info!("Timer daemon started");
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Request, tokio::sync::oneshot::Sender<()>)>(16);
    let mut timers = Timers::default();
    let mut idle_since = Some(Instant::now());
    let script = p.script.clone();
    let run = move |arg: String| {
        let s = script.clone();
        tokio::task::spawn_blocking(move || s.run(&arg));
    };
    loop {
        let wake = match (timers.next(), idle_since) {
            (Some(t), _) => t,
            (None, Some(s)) => s + IDLE_EXIT,
            (None, None) => Instant::now() + IDLE_EXIT,
        };
        tokio::select! {
            acc = listener.accept() => {
                if let Ok((stream, _)) = acc {
                    tokio::spawn(connection(stream, tx.clone()));
                }
            }
            Some((req, done)) = rx.recv() => {
                if let Some(cmd) = timers.apply(req, Instant::now()) {
                    run(cmd);
                }
                let _ = done.send(());
            }
            _ = tokio::time::sleep_until(wake) => {}
        }
        for name in timers.due(Instant::now()) {
            tracing::info!("Event: {name}");
            run(name);
        }
        if timers.is_empty() {
            let since = *idle_since.get_or_insert_with(Instant::now);
            if Instant::now() - since >= IDLE_EXIT {
                // Stop being found before going: a later upssched starts a new one.
                let _ = std::fs::remove_file(&p.pipe);
                drop(listener);
                while let Ok((req, done)) = rx.try_recv() {
                    if let Some(cmd) = timers.apply(req, Instant::now()) {
                        run(cmd);
                    }
                    let _ = done.send(());
                }
                if timers.is_empty() {
                    tracing::info!("Timer queue empty, exiting");
                    // Let running CMDSCRIPTs finish.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    return Ok(());
                }
                return drain(timers, rx, run).await;
            }
        } else {
            idle_since = None;
        }
    }
}

/// A request raced the exit: finish its timers without a socket.
async fn drain(
    mut timers: Timers,
    _rx: tokio::sync::mpsc::Receiver<(Request, tokio::sync::oneshot::Sender<()>)>,
    run: impl Fn(String),
) -> anyhow::Result<()> {
    while let Some(t) = timers.next() {
        tokio::time::sleep_until(t).await;
        for name in timers.due(Instant::now()) {
            run(name);
        }
    }
    Ok(())
}

async fn connection(
    stream: tokio::net::UnixStream,
    tx: tokio::sync::mpsc::Sender<(Request, tokio::sync::oneshot::Sender<()>)>,
) {
    let (r, mut w) = stream.into_split();
    let mut lines = tokio::io::BufReader::new(r).lines();
    while let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await {
        let words = split(&line).unwrap_or_default();
        if words.is_empty() {
            continue;
        }
        let reply = match Request::decode(&words) {
            Some(req) => {
                let (done, wait) = tokio::sync::oneshot::channel();
                if tx.send((req, done)).await.is_err() {
                    return;
                }
                let _ = wait.await;
                "OK\n"
            }
            None => {
                tracing::info!("Unknown command on socket: {line}");
                "ERR UNKNOWN\n"
            }
        };
        if w.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split(s).unwrap()
    }

    #[test]
    fn requests_round_trip_on_nut_wire() {
        let r = Request::Start { name: "on batt".into(), secs: 30, shared: false };
        assert_eq!(r.encode(), "START \"on batt\" \"30\"\n");
        assert_eq!(Request::decode(&words(r.encode().trim_end())), Some(r));
        let c = Request::Cancel { name: "t".into(), cmd: Some("back".into()), matched: false };
        assert_eq!(c.encode(), "CANCEL \"t\" \"back\"\n");
        assert_eq!(Request::decode(&words(c.encode().trim_end())), Some(c));
        assert_eq!(Request::decode(&words("START t")), None);
        assert_eq!(Request::decode(&words("BOGUS")), None);
    }

    #[tokio::test(start_paused = true)]
    async fn timers_fire_in_order_and_cancel() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        assert_eq!(t.apply(Request::Start { name: "a".into(), secs: 5, shared: false }, t0), None);
        assert_eq!(t.apply(Request::Start { name: "b".into(), secs: 3, shared: false }, t0), None);
        assert_eq!(t.apply(Request::Start { name: "a".into(), secs: 9, shared: true }, t0), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(3)));
        assert!(t.due(t0 + Duration::from_secs(2)).is_empty());
        assert_eq!(t.due(t0 + Duration::from_secs(3)), ["b"]);
        // Cancel of a running timer: nothing to run; of a missing one: its command.
        assert_eq!(t.apply(Request::Cancel { name: "a".into(), cmd: Some("x".into()), matched: false }, t0), None);
        assert_eq!(
            t.apply(Request::Cancel { name: "a".into(), cmd: Some("x".into()), matched: false }, t0),
            Some("x".into())
        );
        assert_eq!(t.apply(Request::Cancel { name: "a".into(), cmd: None, matched: false }, t0), None);
        assert!(t.is_empty());
    }
}
