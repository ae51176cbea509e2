//! The process around a [`Driver`]: the device thread with its poll loop
//! and device-loss handling, the driver socket on a tokio current-thread
//! runtime, signals, PID file, and systemd integration.
//!
//! Start-up follows NUT's order: configuration → `device.type` → open the
//! device → `driver.version*`/`driver.name` → initial data and first poll →
//! socket → `driver.parameter.pollinterval`/`synchronous` and the
//! `device.*` mirrors of `ups.mfr`/`ups.model`/`ups.serial`.
//!
//! Device loss: a failed poll marks the data stale (`DATASTALE`), then the
//! device thread reconnects with a doubling back-off (1 s up to 30 s, or
//! the poll interval if longer); the first good poll after that sends
//! `DATAOK`.
//!
//! systemd: `READY=1` once the first poll succeeded, or once the driver's
//! connect timeout has passed (data then stale), with `EXTEND_TIMEOUT_USEC`
//! while waiting; `STATUS=` a one-line summary refreshed at every poll and
//! watchdog period; `WATCHDOG=1` from the device thread, only while the
//! device answers, so a wedged driver gets restarted.

use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::driver::params::{Params, StoreOp};
use crate::driver::server::{self, DeviceHandle, DeviceRequest, ReloadKind, Shared, StoreGuard};
use crate::driver::store::Store;
use crate::driver::{DeviceError, Driver};
use crate::proto::driver::HandlerStatus;
use crate::systemd;

/// What a driver sees of the core: its parameters, paths and the store.
pub struct Ctx {
    /// The store shared with the socket server.
    pub shared: Arc<Shared>,
    /// The processed configuration.
    pub params: Params,
    /// The configuration directory (data files are relative to it).
    pub confpath: PathBuf,
    /// Set by the core before each [`Driver::update_info`]: true when this
    /// poll should read everything (the first one, then every `pollfreq`),
    /// false when the status alone will do (NUT's pollinterval/pollfreq
    /// split).
    pub full_poll: bool,
}

impl Ctx {
    /// A context over a fresh store (the state a driver starts in).
    pub fn new(params: Params, confpath: PathBuf) -> Ctx {
        Ctx { shared: Shared::new(Store::new()), params, confpath, full_poll: true }
    }

    /// Locks the store; changes are broadcast when the guard drops.
    pub fn store(&self) -> StoreGuard<'_> {
        self.shared.store()
    }

    /// A variable's value.
    pub fn get(&self, var: &str) -> Option<String> {
        self.store().get(var).map(str::to_string)
    }

    /// Sets a variable.
    pub fn set_info(&self, var: &str, value: &str) -> bool {
        self.store().set_info(var, value)
    }
}

/// Where the process puts its files.
#[derive(Clone, Debug)]
pub struct Paths {
    /// ups.conf's directory.
    pub confpath: PathBuf,
    /// Socket directory.
    pub statepath: PathBuf,
    /// PID file directory.
    pub altpidpath: PathBuf,
}

/// Re-reads the configuration (ups.conf and the command line) for a reload.
#[derive(Clone)]
pub struct Reloader(pub Arc<dyn Fn() -> Result<Params, String> + Send + Sync>);

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reloader")
    }
}

/// The exit status of `reload-or-exit` when a restart is needed.
pub const EXIT_FOR_RESTART: i32 = 128 + 10;

/// How to run (from the command line).
#[derive(Clone, Debug, Default)]
pub struct RunOpts {
    /// Re-reads the configuration on reload.
    pub reload: Option<Reloader>,
    /// `-D` count.
    pub debug: u8,
    /// `-d <n>`: dump after n updates and exit.
    pub dump: Option<u32>,
    /// `-k`: tell the UPS to cut power.
    pub killpower: bool,
    /// Write a PID file (`-FF`, or backgrounded).
    pub pidfile: bool,
}

/// Runs `driver` until a signal, `driver.exit` or a fatal error; returns
/// the exit status.
pub fn run(mut driver: Box<dyn Driver>, params: Params, opts: RunOpts, paths: Paths) -> i32 {
    let mut ctx = Ctx::new(params, paths.confpath.clone());
    apply_ops(&ctx);
    ctx.set_info("device.type", "ups");
    if let Some(root) = ctx.params.chroot.clone() {
        if let Err(e) = nix::unistd::chroot(root.as_str()).and_then(|_| nix::unistd::chdir("/")) {
            tracing::error!("chroot {root}: {e}");
            return 1;
        }
    }
    if let Err(e) = become_user(ctx.params.user.as_deref()) {
        tracing::error!("{e}");
        return 1;
    }

    if opts.killpower {
        return killpower(driver.as_mut(), &mut ctx);
    }
    if let Some(n) = opts.dump {
        return dump(driver.as_mut(), &mut ctx, n);
    }

    let sock_path = paths.statepath.join(format!("{}-{}", ctx.params.driver, ctx.params.upsname));
    let pid_path = paths.altpidpath.join(format!("{}-{}.pid", ctx.params.driver, ctx.params.upsname));
    if let Err(e) = std::env::set_current_dir(&paths.statepath) {
        tracing::error!("Can't chdir to {}: {e}", paths.statepath.display());
        return 1;
    }
    let _pid_guard = if opts.pidfile { write_pid(&pid_path) } else { None };

    let group = gid_of(ctx.params.group.clone());
    let connect_timeout = driver.connect_timeout();
    let pollinterval = ctx.params.pollinterval;
    let shared = ctx.shared.clone();
    let reloader = opts.reload.clone();
    let (req_tx, req_rx) = std::sync::mpsc::channel::<DeviceRequest>();
    let (first_tx, first_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<i32>();
    let device = std::thread::Builder::new()
        .name("device".into())
        .spawn(move || {
            let code = device_loop(driver.as_mut(), &mut ctx, req_rx, first_tx, reloader);
            driver.cleanup(&mut ctx);
            let _ = done_tx.send(code);
        })
        .expect("spawn device thread");

    // wait for the first poll, or the connect timeout
    let started = Instant::now();
    loop {
        let left = connect_timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            tracing::warn!("device did not answer within {} s; data marked stale", connect_timeout.as_secs());
            break;
        }
        systemd::extend_timeout(Duration::from_secs(5) + left.min(Duration::from_secs(5)));
        match first_rx.recv_timeout(left.min(Duration::from_secs(2))) {
            Ok(Ok(())) => break,
            Ok(Err(msg)) => {
                tracing::error!("{msg}");
                let _ = req_tx.send(DeviceRequest::Exit);
                let _ = device.join();
                return 1;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => {
                let _ = device.join();
                return 1;
            }
        }
    }

    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("tokio runtime: {e}");
            return 1;
        }
    };
    let code = rt.block_on(async {
        let listener = match server::bind(&sock_path, group) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(
                    "Fatal error: unable to create listener socket: bind {} failed: {e}",
                    sock_path.display()
                );
                return 1;
            }
        };
        let _sock = server::SocketFile(sock_path.clone());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let serve = tokio::spawn(server::serve(listener, shared.clone(), DeviceHandle(req_tx.clone()), stop_rx));
        {
            let st = shared.store();
            let line = summary(&st, None, pollinterval);
            drop(st);
            systemd::ready_with_status(&line);
        }
        let code = wait_for_end(done_rx, &req_tx).await;
        systemd::stopping();
        let _ = stop_tx.send(true);
        let _ = serve.await;
        code
    });
    let _ = req_tx.send(DeviceRequest::Exit);
    let _ = device.join();
    code
}

/// Drops root for `user` (default `nut`, as Debian's build), keeping root
/// when asked to (`-u root`) or when the default account does not exist.
fn become_user(user: Option<&str>) -> Result<(), String> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let (name, explicit) = match user {
        Some(u) => (u, true),
        None => ("nut", false),
    };
    let pw = match nix::unistd::User::from_name(name) {
        Ok(Some(pw)) => pw,
        _ if !explicit => return Ok(()),
        _ => return Err(format!("user {name} not found")),
    };
    if pw.uid.is_root() {
        return Ok(());
    }
    nix::unistd::setgroups(&[pw.gid]).map_err(|e| format!("setgroups: {e}"))?;
    nix::unistd::setgid(pw.gid).map_err(|e| format!("setgid: {e}"))?;
    nix::unistd::setuid(pw.uid).map_err(|e| format!("setuid: {e}"))?;
    Ok(())
}

fn gid_of(group: Option<String>) -> Option<nix::unistd::Gid> {
    let g = group?;
    match nix::unistd::Group::from_name(&g) {
        Ok(Some(gr)) => Some(gr.gid),
        _ => {
            tracing::warn!("could not resolve group name '{g}'");
            None
        }
    }
}

async fn wait_for_end(
    done_rx: tokio::sync::oneshot::Receiver<i32>,
    req_tx: &std::sync::mpsc::Sender<DeviceRequest>,
) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut quit), Ok(mut hup), Ok(mut usr1)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::quit()),
        signal(SignalKind::hangup()),
        signal(SignalKind::user_defined1()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return 1;
    };
    tokio::pin!(done_rx);
    loop {
        tokio::select! {
            c = &mut done_rx => return c.unwrap_or(1),
            _ = term.recv() => { tracing::info!("Signal 15: exiting"); return 0; }
            _ = int.recv() => { tracing::info!("Signal 2: exiting"); return 0; }
            _ = quit.recv() => { tracing::info!("Signal 3: exiting"); return 0; }
            _ = hup.recv() => { let _ = req_tx.send(DeviceRequest::Reload(ReloadKind::Reload)); }
            _ = usr1.recv() => { let _ = req_tx.send(DeviceRequest::Reload(ReloadKind::OrExit)); }
        }
    }
}

fn apply_ops(ctx: &Ctx) {
    let mut st = ctx.store();
    for op in &ctx.params.ops {
        match op {
            StoreOp::Set(var, val) => {
                st.set_info(var, val);
            }
            StoreOp::Immutable(var) => st.set_immutable(var),
        }
    }
}

/// Publishes the core's variables that follow the first poll.
fn publish_after_first_poll(ctx: &Ctx) {
    let mut st = ctx.store();
    st.set_info("driver.parameter.pollinterval", &ctx.params.pollinterval.as_secs().to_string());
    st.set_info("driver.parameter.synchronous", ctx.params.synchronous.as_str());
    for (from, to) in [("ups.mfr", "device.mfr"), ("ups.model", "device.model"), ("ups.serial", "device.serial")] {
        if let Some(v) = st.get(from).map(str::to_string) {
            st.set_info(to, &v);
        }
    }
}

fn publish_identity(driver: &dyn Driver, ctx: &Ctx) {
    let mut st = ctx.store();
    st.set_info("driver.version", crate::VERSION);
    st.set_info("driver.version.internal", driver.version());
    st.set_info("driver.name", driver.name());
}

fn killpower(driver: &mut dyn Driver, ctx: &mut Ctx) -> i32 {
    if let Err(e) = driver.init_ups(ctx) {
        tracing::error!("{e}");
        return 1;
    }
    tracing::info!("Initiating UPS shutdown");
    match driver.shutdown(ctx) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e}");
            1
        }
    }
}

fn dump(driver: &mut dyn Driver, ctx: &mut Ctx, n: u32) -> i32 {
    let r = driver
        .init_ups(ctx)
        .and_then(|_| {
            publish_identity(driver, ctx);
            driver.init_info(ctx)
        })
        .and_then(|_| driver.update_info(ctx));
    if let Err(e) = r {
        tracing::error!("{e}");
        return 1;
    }
    publish_after_first_poll(ctx);
    for _ in 0..n {
        if let Err(e) = driver.update_info(ctx) {
            tracing::error!("{e}");
            return 1;
        }
    }
    print!("{}", ctx.store().text_dump());
    driver.cleanup(ctx);
    0
}

fn write_pid(path: &std::path::Path) -> Option<PidFile> {
    // another instance? ask it to go away, as NUT does
    for _ in 0..3 {
        let Ok(s) = std::fs::read_to_string(path) else { break };
        let Ok(pid) = s.trim().parse::<i32>() else { break };
        if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM).is_err() {
            break;
        }
        tracing::warn!(
            "Duplicate driver instance detected (PID file {} exists)! Terminating other driver!",
            path.display()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    match std::fs::write(path, format!("{}\n", std::process::id())) {
        Ok(()) => Some(PidFile(path.to_path_buf())),
        Err(e) => {
            tracing::warn!("can't write PID file {}: {e}", path.display());
            None
        }
    }
}

struct PidFile(PathBuf);

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The device has never been opened.
    Connecting,
    /// Polling normally.
    Running,
    /// Lost after a good start: reconnecting.
    Lost,
}

/// The one-line STATUS= summary.
fn summary(st: &Store, last_ok: Option<Instant>, _poll: Duration) -> String {
    let mut parts = Vec::new();
    if st.is_stale() {
        parts.push("data stale".to_string());
    }
    if let Some(s) = st.get("ups.status") {
        parts.push(s.to_string());
    }
    if let Some(c) = st.get("battery.charge") {
        parts.push(format!("battery {c}%"));
    }
    if let Some(t) = last_ok {
        parts.push(format!("last poll {:.1} s ago", t.elapsed().as_secs_f64()));
    }
    parts.join(", ")
}

fn device_loop(
    driver: &mut dyn Driver,
    ctx: &mut Ctx,
    rx: std::sync::mpsc::Receiver<DeviceRequest>,
    first: std::sync::mpsc::Sender<Result<(), String>>,
    reloader: Option<Reloader>,
) -> i32 {
    let mut pollinterval = ctx.params.pollinterval;
    let pollfreq = ctx
        .params
        .get("pollfreq")
        .map(|v| Duration::from_secs(crate::model::atoi(v).max(1) as u64))
        .or(driver.default_pollfreq());
    let mut last_full: Option<Instant> = None;
    let max_backoff = Duration::from_secs(30).max(pollinterval);
    let tick = driver.tick_interval();
    let mut watchdog = systemd::Watchdog::from_env();
    let mut phase = Phase::Connecting;
    let mut info_done = false;
    let mut first = Some(first);
    let mut backoff = Duration::from_secs(1);
    let mut attempts = 0u32;
    let mut next_poll = Instant::now();
    let mut next_tick = Instant::now();
    let mut last_ok: Option<Instant> = None;
    let mut last_status = Instant::now();
    let ready_ok = |first: &mut Option<std::sync::mpsc::Sender<Result<(), String>>>| {
        if let Some(f) = first.take() {
            let _ = f.send(Ok(()));
        }
    };
    loop {
        let now = Instant::now();
        if now >= next_poll {
            ctx.full_poll = match (pollfreq, last_full) {
                (Some(f), Some(t)) => now.duration_since(t) >= f,
                _ => true,
            };
            let full = ctx.full_poll;
            let result = match phase {
                Phase::Running => driver.update_info(ctx),
                Phase::Connecting | Phase::Lost => {
                    attempts += 1;
                    let r = if phase == Phase::Connecting { driver.init_ups(ctx) } else { driver.reconnect(ctx) };
                    r.and_then(|_| {
                        if !info_done {
                            publish_identity(driver, ctx);
                            driver.init_info(ctx)?;
                            info_done = true;
                        }
                        driver.update_info(ctx)
                    })
                }
            };
            match result {
                Ok(()) => {
                    if phase != Phase::Running {
                        if phase == Phase::Lost {
                            tracing::info!("device reconnected after {attempts} attempt(s)");
                        }
                        if last_ok.is_none() {
                            publish_after_first_poll(ctx);
                        }
                        phase = Phase::Running;
                        attempts = 0;
                        backoff = Duration::from_secs(1);
                    }
                    ctx.store().data_ok();
                    last_ok = Some(Instant::now());
                    if full {
                        last_full = Some(now);
                    }
                    ready_ok(&mut first);
                    next_poll = now + pollinterval;
                }
                Err(DeviceError::Fatal(msg)) => {
                    if let Some(f) = first.take() {
                        let _ = f.send(Err(msg));
                    } else {
                        tracing::error!("{msg}");
                    }
                    return 1;
                }
                Err(DeviceError::Lost(msg)) => {
                    last_full = None;
                    if phase == Phase::Running {
                        tracing::warn!("device lost: {msg}; data stale, reconnecting");
                        phase = Phase::Lost;
                        attempts = 0;
                    } else if attempts == 1 || attempts.is_power_of_two() {
                        tracing::warn!("device not answering (attempt {attempts}): {msg}");
                    }
                    ctx.store().data_stale();
                    next_poll = now + backoff;
                    backoff = (backoff * 2).min(max_backoff);
                }
            }
            let line = summary(&ctx.store(), last_ok, pollinterval);
            systemd::status(&line);
            last_status = Instant::now();
        }
        if let Some(t) = tick {
            if phase == Phase::Running && Instant::now() >= next_tick {
                match driver.tick(ctx) {
                    Ok(()) => {}
                    Err(DeviceError::Fatal(msg)) => {
                        tracing::error!("{msg}");
                        return 1;
                    }
                    Err(DeviceError::Lost(msg)) => {
                        tracing::warn!("device lost: {msg}; data stale, reconnecting");
                        ctx.store().data_stale();
                        phase = Phase::Lost;
                        next_poll = Instant::now() + backoff;
                    }
                }
                next_tick = Instant::now() + t;
            }
        }
        if let Some(w) = watchdog.as_mut() {
            if phase == Phase::Running {
                w.ping_if_due();
            }
            if last_status.elapsed() >= w.period() {
                let line = summary(&ctx.store(), last_ok, pollinterval);
                systemd::status(&line);
                last_status = Instant::now();
            }
        }
        // sleep until the next thing to do, serving requests meanwhile
        let now = Instant::now();
        let mut wake = next_poll;
        if let (Some(t), Phase::Running) = (tick, phase) {
            wake = wake.min(next_tick.max(now + t.min(Duration::from_millis(1))));
        }
        if let Some(w) = &watchdog {
            wake = wake.min(now + w.period());
        }
        match rx.recv_timeout(wake.saturating_duration_since(now)) {
            Ok(DeviceRequest::Exit) | Err(RecvTimeoutError::Disconnected) => return 0,
            Ok(DeviceRequest::Set { var, value, reply }) => {
                let st =
                    if phase == Phase::Running { driver.set_var(ctx, &var, &value) } else { HandlerStatus::Failed };
                let _ = reply.send(st);
            }
            Ok(DeviceRequest::InstCmd { cmd, param, reply }) => {
                let kind = match cmd.to_ascii_lowercase().as_str() {
                    "driver.reload" => Some(ReloadKind::Reload),
                    "driver.reload-or-exit" => Some(ReloadKind::OrExit),
                    "driver.reload-or-error" => Some(ReloadKind::OrError),
                    _ => None,
                };
                if let Some(kind) = kind {
                    let (status, exit) = reload(ctx, reloader.as_ref(), kind, &mut pollinterval);
                    let _ = reply.send(status);
                    if let Some(code) = exit {
                        return code;
                    }
                    continue;
                }
                let st = core_instcmd(&cmd).unwrap_or_else(|| {
                    if phase == Phase::Running {
                        driver.instcmd(ctx, &cmd, param.as_deref())
                    } else {
                        HandlerStatus::Failed
                    }
                });
                let _ = reply.send(st);
                if cmd.eq_ignore_ascii_case("driver.exit") {
                    tracing::info!("driver.exit requested: exiting");
                    return 0;
                }
            }
            Ok(DeviceRequest::Reload(kind)) => {
                let (_, exit) = reload(ctx, reloader.as_ref(), kind, &mut pollinterval);
                if let Some(code) = exit {
                    return code;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Re-reads the configuration: a new poll interval applies at once; any
/// other change needs a restart, which `kind` decides about. Returns the
/// result code and, for `reload-or-exit` with changes, the exit status.
fn reload(
    ctx: &mut Ctx,
    reloader: Option<&Reloader>,
    kind: ReloadKind,
    poll: &mut Duration,
) -> (HandlerStatus, Option<i32>) {
    systemd::reloading();
    let result = match reloader {
        None => Err("this instance cannot re-read its configuration".to_string()),
        Some(r) => (r.0)(),
    };
    let new = match result {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("reload failed: {e}");
            systemd::ready();
            return (HandlerStatus::Failed, None);
        }
    };
    if new.pollinterval != ctx.params.pollinterval {
        tracing::info!("reload: pollinterval {} s", new.pollinterval.as_secs());
        ctx.params.pollinterval = new.pollinterval;
        *poll = new.pollinterval;
        ctx.set_info("driver.parameter.pollinterval", &new.pollinterval.as_secs().to_string());
    }
    let old = &ctx.params;
    let restart = new.port != old.port
        || new.values != old.values
        || new.ops != old.ops
        || new.user != old.user
        || new.group != old.group
        || new.synchronous != old.synchronous;
    systemd::ready();
    if !restart {
        tracing::info!("reload: configuration re-read");
        return (HandlerStatus::Handled, None);
    }
    match kind {
        ReloadKind::Reload => {
            tracing::warn!("reload: some changes need a driver restart to take effect");
            (HandlerStatus::Handled, None)
        }
        ReloadKind::OrError => (HandlerStatus::Failed, None),
        ReloadKind::OrExit => {
            tracing::warn!("reload: changes need a restart; exiting so that the service manager restarts the driver");
            systemd::stopping();
            (HandlerStatus::Handled, Some(EXIT_FOR_RESTART))
        }
    }
}

/// Commands the core handles for every driver (not advertised, so the
/// command list stays NUT 2.8.0's): `driver.exit`.
fn core_instcmd(cmd: &str) -> Option<HandlerStatus> {
    if cmd.eq_ignore_ascii_case("driver.exit") {
        return Some(HandlerStatus::Handled);
    }
    None
}
