//! The watcher: when a file in the config directory changes, bring systemd in
//! step — daemon-reload (which re-runs the generator), then stop the removed
//! instances, restart the changed ones, start the added ones and reload upsd.
//! Bursts of writes are coalesced; after each pass the generator's snapshot
//! (what systemd now has) is compared with the files again, so systemd never
//! stays behind the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use crate::conf::{self, Mode, UpsFile};
use crate::generator::SNAPSHOT_DIR;
use crate::plan::{plan, Plan, UnitState};
use crate::systemd::ManagerProxy;

/// The files whose changes matter.
pub const WATCHED: &[&str] = &["ups.conf", "nut.conf", "upsd.conf"];

/// The config the running units were started with (or systemd last loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Raw content of each watched file (`None`: missing).
    pub raw: Vec<(String, Option<Vec<u8>>)>,
}

impl Applied {
    /// Reads the watched files from `dir`.
    pub fn read(dir: &Path) -> Applied {
        Applied { raw: WATCHED.iter().map(|n| (n.to_string(), std::fs::read(dir.join(n)).ok())).collect() }
    }

    fn file(&self, name: &str) -> Option<&[u8]> {
        self.raw.iter().find(|(n, _)| n == name).and_then(|(_, b)| b.as_deref())
    }

    /// The `ListenStream=` values upsd.conf gives nut-server.socket.
    pub fn listen(&self) -> Option<Vec<String>> {
        self.file("upsd.conf").and_then(|b| conf::listen_addrs(Path::new("upsd.conf"), b).0)
    }

    /// MODE and ups.conf as parsed.
    pub fn parsed(&self) -> (Mode, UpsFile) {
        let mode = self.file("nut.conf").map(|b| conf::parse_mode(Path::new("nut.conf"), b).0).unwrap_or(Mode::None);
        let ups = self.file("ups.conf").map(|b| UpsFile::parse(Path::new("ups.conf"), b).0).unwrap_or_default();
        (mode, ups)
    }
}

/// Keeps the state between passes.
pub struct Reconciler {
    /// The config directory (`/etc/nut`).
    pub confdir: PathBuf,
    /// The generator's output directory (`/run/systemd/generator`).
    pub gendir: PathBuf,
    /// What systemd's units were last brought in step with.
    pub applied: Applied,
}

/// The outcome of one pass.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The plan carried out.
    pub plan: Plan,
    /// Per-unit failures (the other units were still handled).
    pub errors: Vec<String>,
}

impl Reconciler {
    /// Starts from the generator's snapshot: the config systemd's units (and
    /// so the running drivers) were made from.
    pub fn new(confdir: PathBuf, gendir: PathBuf) -> Reconciler {
        let applied = Applied::read(&gendir.join(SNAPSHOT_DIR));
        Reconciler { confdir, gendir, applied }
    }

    /// Whether the files differ from what systemd has.
    pub fn out_of_step(&self) -> bool {
        Applied::read(&self.confdir) != self.applied
    }

    /// What a pass would do if the generator saw the files as they are now
    /// (`upsdrvsvcctl -t resync`): no reload, no jobs.
    pub async fn preview(&self, manager: &ManagerProxy<'_>) -> Result<Outcome> {
        let now = Applied::read(&self.confdir);
        let (old_mode, old_ups) = self.applied.parsed();
        let (new_mode, new_ups) = now.parsed();
        let rows = manager.list_units_by_patterns(&[], &["nut-driver@*.service"]).await.context("listing units")?;
        let units: Vec<UnitState> = rows.into_iter().map(|r| UnitState { name: r.0, active: r.3 }).collect();
        Ok(Outcome { plan: plan((old_mode, &old_ups), (new_mode, &new_ups), &units), errors: Vec::new() })
    }

    /// One pass: daemon-reload, compare, act. The new state is the one the
    /// generator saw during the reload, not a second read of the files.
    pub async fn pass(&mut self, manager: &ManagerProxy<'_>) -> Result<Outcome> {
        manager.reload().await.context("daemon-reload")?;
        let now = Applied::read(&self.gendir.join(SNAPSHOT_DIR));
        let (old_mode, old_ups) = self.applied.parsed();
        let (new_mode, new_ups) = now.parsed();
        let rows = manager.list_units_by_patterns(&[], &["nut-driver@*.service"]).await.context("listing units")?;
        let units: Vec<UnitState> = rows.into_iter().map(|r| UnitState { name: r.0, active: r.3 }).collect();
        let mut plan = plan((old_mode, &old_ups), (new_mode, &new_ups), &units);
        if new_mode.runs_server() && self.applied.file("upsd.conf") != now.file("upsd.conf") {
            plan.diff.push("upsd.conf changed".to_string());
            if self.applied.listen() != now.listen() {
                plan.diff.push(format!("upsd.conf: LISTEN {:?} -> {:?}", self.applied.listen(), now.listen()));
                plan.restart_socket = true;
            } else {
                plan.reload_upsd = true;
            }
        }
        let mut errors = Vec::new();
        for u in &plan.stop {
            if let Err(e) = manager.stop_unit(u, "replace").await {
                errors.push(format!("stop {u}: {e}"));
            }
        }
        for u in &plan.restart {
            if let Err(e) = manager.restart_unit(u, "replace").await {
                errors.push(format!("restart {u}: {e}"));
            }
        }
        for u in &plan.start {
            if let Err(e) = manager.start_unit(u, "replace").await {
                errors.push(format!("start {u}: {e}"));
            }
        }
        for u in &plan.stop_services {
            if let Err(e) = manager.stop_unit(u, "replace").await {
                errors.push(format!("stop {u}: {e}"));
            }
        }
        if plan.start_target {
            if let Err(e) = manager.start_unit("nut.target", "replace").await {
                errors.push(format!("start nut.target: {e}"));
            }
        }
        if plan.restart_socket {
            let upsd_was_running = matches!(
                manager.list_units_by_patterns(&[], &["nut-server.service"]).await.ok().as_deref(),
                Some([row, ..]) if row.3 == "active"
            );
            if let Err(e) = manager.restart_unit("nut-server.socket", "replace").await {
                errors.push(format!("restart nut-server.socket: {e}"));
            } else if upsd_was_running {
                if let Err(e) = manager.start_unit("nut-server.service", "replace").await {
                    errors.push(format!("start nut-server.service: {e}"));
                }
            }
        } else if plan.reload_upsd {
            if let Err(e) = manager.reload_or_try_restart_unit("nut-server.service", "replace").await {
                errors.push(format!("reload nut-server.service: {e}"));
            }
        }
        self.applied = now;
        Ok(Outcome { plan, errors })
    }
}

/// Logs a pass the way an administrator wants to read it.
pub fn log_outcome(o: &Outcome) {
    for d in &o.plan.diff {
        eprintln!("{d}");
    }
    let list = |v: &std::collections::BTreeSet<String>| v.iter().cloned().collect::<Vec<_>>().join(" ");
    if !o.plan.stop.is_empty() {
        eprintln!("stopping: {}", list(&o.plan.stop));
    }
    if !o.plan.restart.is_empty() {
        eprintln!("restarting: {}", list(&o.plan.restart));
    }
    if !o.plan.start.is_empty() {
        eprintln!("starting: {}", list(&o.plan.start));
    }
    if !o.plan.stop_services.is_empty() {
        eprintln!("stopping (not run in this MODE): {}", o.plan.stop_services.join(" "));
    }
    if o.plan.start_target {
        eprintln!("starting nut.target (this MODE runs more)");
    }
    if o.plan.restart_socket {
        eprintln!("restarting nut-server.socket (new listen addresses)");
    } else if o.plan.reload_upsd {
        eprintln!("reloading nut-server.service");
    }
    for e in &o.errors {
        eprintln!("<3>{e}");
    }
}

/// Quiet time after the last write before acting, and the longest a burst
/// may delay a pass.
pub const QUIET: Duration = Duration::from_millis(200);
/// See [`QUIET`].
pub const MAX_DELAY: Duration = Duration::from_millis(1000);

/// Watches `dir` on a thread of its own (inotify reads block) and sends one
/// message per batch of events that touch a watched file.
fn spawn_inotify(dir: &Path) -> Result<tokio::sync::mpsc::UnboundedReceiver<()>> {
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC).context("inotify_init")?;
    let mask = AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_ATTRIB;
    inotify.add_watch(dir, mask).with_context(|| format!("watching {}", dir.display()))?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("inotify".into())
        .spawn(move || loop {
            let events = match inotify.read_events() {
                Ok(ev) => ev,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    eprintln!("<3>reading inotify events: {e}");
                    return;
                }
            };
            let hit =
                events.iter().any(|e| e.name.as_ref().is_none_or(|n| WATCHED.iter().any(|w| n.to_str() == Some(w))));
            if hit && tx.send(()).is_err() {
                return;
            }
        })
        .context("starting the inotify thread")?;
    Ok(rx)
}

/// The long-running watcher (`nut-driver-enumerator watch`).
pub async fn watch(confdir: PathBuf, gendir: PathBuf, manager: ManagerProxy<'_>) -> Result<()> {
    let mut events = spawn_inotify(&confdir)?;
    let mut rec = Reconciler::new(confdir.clone(), gendir);
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready, sd_notify::NotifyState::Status("watching")]);
    eprintln!("watching {} ({})", confdir.display(), WATCHED.join(", "));
    let mut pending = rec.out_of_step();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut failures = 0u32;
    loop {
        if pending {
            // coalesce: wait until QUIET passes without events, at most MAX_DELAY
            let start = tokio::time::Instant::now();
            loop {
                let left = MAX_DELAY.saturating_sub(start.elapsed()).min(QUIET);
                if left.is_zero() {
                    break;
                }
                match tokio::time::timeout(left, events.recv()).await {
                    Err(_) => break,
                    Ok(Some(())) => {}
                    Ok(None) => anyhow::bail!("the inotify thread stopped"),
                }
            }
            if rec.out_of_step() {
                match rec.pass(&manager).await {
                    Ok(o) => {
                        failures = 0;
                        log_outcome(&o);
                        let status = format!(
                            "in step: {} started, {} stopped, {} restarted",
                            o.plan.start.len(),
                            o.plan.stop.len(),
                            o.plan.restart.len()
                        );
                        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Status(&status)]);
                    }
                    Err(e) => {
                        failures += 1;
                        if failures >= 3 {
                            // the connection to PID 1 may be gone: let systemd
                            // restart us with a fresh one (Restart=on-failure)
                            return Err(e.context("reconcile failed 3 times in a row"));
                        }
                        eprintln!("<3>reconcile failed, retrying in 2 s: {e:#}");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        continue;
                    }
                }
            }
            pending = rec.out_of_step();
            continue;
        }
        tokio::select! {
            ev = events.recv() => {
                if ev.is_none() {
                    anyhow::bail!("the inotify thread stopped");
                }
                pending = true;
            }
            _ = term.recv() => {
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
                return Ok(());
            }
        }
    }
}
