//! The upsd daemon around [`Server::serve`]: command line, signals,
//! privileges, PID file, systemd notifications.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use super::cli::{Args, Command};
use super::listen::{self, Family};
use super::settings::Settings;
use super::{Event, Server};
use crate::config::paths;
use crate::logging::{self, LogConfig};
use crate::systemd;

/// The PID file path.
pub fn pidfile() -> PathBuf {
    paths::altpidpath().join("upsd.pid")
}

fn send_command(cmd: Command, pid: Option<i32>) -> Result<()> {
    use nix::sys::signal::{kill, Signal};
    let pid = match pid {
        Some(p) => p,
        None => {
            let f = pidfile();
            let text = std::fs::read_to_string(&f).with_context(|| format!("can't read PID file {}", f.display()))?;
            text.trim().parse().with_context(|| format!("{}: not a PID", f.display()))?
        }
    };
    let sig = match cmd {
        Command::Reload => Signal::SIGHUP,
        Command::Stop => Signal::SIGTERM,
    };
    kill(nix::unistd::Pid::from_raw(pid), sig).with_context(|| format!("can't signal PID {pid}"))?;
    Ok(())
}

/// Switches to `user` (and its groups) when running as root.
pub fn drop_privileges(user: Option<&str>) -> Result<()> {
    use nix::unistd::{geteuid, initgroups, setgid, setuid, User};
    if !geteuid().is_root() {
        if let Some(u) = user {
            tracing::debug!("not root: -u {u} ignored");
        }
        return Ok(());
    }
    let name = user.unwrap_or("nut");
    if name == "root" {
        return Ok(());
    }
    let u = User::from_name(name)?.with_context(|| format!("user {name} not found"))?;
    let cname = std::ffi::CString::new(name)?;
    initgroups(&cname, u.gid).context("initgroups")?;
    setgid(u.gid).context("setgid")?;
    setuid(u.uid).context("setuid")?;
    tracing::debug!("running as {name} (uid {}, gid {})", u.uid, u.gid);
    Ok(())
}

fn write_pidfile(path: &Path) {
    if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
        tracing::warn!("can't write PID file {}: {e}", path.display());
    }
}

/// Runs upsd with parsed arguments; the exit code for `main`.
pub fn main(args: Args) -> ExitCode {
    if args.old_listen.is_some() || args.old_port.is_some() {
        eprintln!("Error: -i and -p are obsolete; use LISTEN in upsd.conf");
        return ExitCode::FAILURE;
    }
    if let Some(cmd) = args.command {
        return match send_command(cmd, args.pid) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("upsd: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    logging::init(LogConfig::new("upsd").debug(args.debug));
    tracing::info!("Network UPS Tools upsd {}", crate::VERSION);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<()> {
    let confpath = paths::confpath();
    let settings = Settings::load(&confpath)?;
    listen::raise_fd_limit();
    if !args.stays_foreground() {
        nix::unistd::daemon(true, true).context("can't go to the background")?;
    }
    // A single thread: see the module documentation of `server`.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(run_async(args, confpath, settings))
}

async fn run_async(args: &Args, confpath: PathBuf, settings: Settings) -> Result<()> {
    let family = match (args.ipv4, args.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    listen::check_family(&settings.upsd.listen, family)?;
    let mut listeners = listen::from_systemd()?;
    if listeners.is_empty() {
        listeners = listen::bind_all(&settings.upsd.listeners(), family, settings.upsd.allow_not_all_listeners_env())?;
    } else {
        // Socket activation: LISTEN lines the passed sockets do not cover are
        // bound too (nut-server.socket normally covers them all).
        listeners.extend(listen::bind_uncovered(&listeners, &settings.upsd.listeners(), family));
    }
    if settings.statepath.metadata().is_err() {
        tracing::warn!("Can't chdir to {}: no such directory", settings.statepath.display());
    }
    if let Some(dir) = &args.chroot {
        nix::unistd::chroot(dir).with_context(|| format!("can't chroot to {}", dir.display()))?;
        std::env::set_current_dir("/")?;
    }
    drop_privileges(args.user.as_deref())?;
    let pid = args.writes_pidfile().then(pidfile);
    if let Some(p) = &pid {
        write_pidfile(p);
    }
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let (reload_tx, reload_rx) = mpsc::channel(4);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading configuration");
                    match Settings::load(&confpath) {
                        Ok(s) => { let _ = reload_tx.send(s).await; }
                        Err(e) => tracing::error!("reload failed, keeping the running configuration: {e:#}"),
                    }
                }
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = quit.recv() => break,
            }
        }
        tracing::info!("Signal received, exiting");
        let _ = stop_tx.send(());
    });
    if let Some(mut w) = systemd::Watchdog::from_env() {
        // On the same thread as everything else: a stuck runtime stops it.
        tokio::spawn(async move {
            let mut t = tokio::time::interval(w.period());
            loop {
                t.tick().await;
                w.ping();
            }
        });
    }
    let mut first = true;
    let notify = move |ev: Event| match ev {
        Event::Ready(status) => {
            if first {
                systemd::ready_with_status(&status);
                first = false;
            } else {
                systemd::ready();
                systemd::status(&status);
            }
        }
        Event::Reloading => systemd::reloading(),
        Event::Status(s) => systemd::status(&s),
        Event::Tick => {}
        Event::Stopping => systemd::stopping(),
    };
    let server = Server::new(settings);
    server
        .serve(
            listeners,
            reload_rx,
            async move {
                let _ = stop_rx.await;
            },
            notify,
        )
        .await;
    if let Some(p) = &pid {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

/// Checks the settings in `confpath` the way a reload would (for tests and tools).
pub fn check(confpath: &Path) -> Result<()> {
    let s = Settings::load(confpath)?;
    if s.upses.is_empty() && !s.upsd.allow_no_device_env() {
        bail!("no UPS");
    }
    Ok(())
}
