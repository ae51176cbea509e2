//! The upsmon program: command line, start-up checks, the privilege
//! split, the runtime, and the control channels around the loop.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser};
use tokio::sync::mpsc;

use super::control;
use super::effects::{NotifyCmd, RealEffects};
use super::engine::{Monitor, Outcome};
use super::net::NetConnector;
use super::privileged::{self, ShutdownAction, ShutdownRequest, Split};
use super::settings::Settings;
use crate::config::upsmon::UpsmonConf;

/// upsmon's command line (NUT's options).
#[derive(Debug, Parser)]
#[command(
    name = "upsmon",
    about = "Monitors UPS servers and may initiate shutdown if necessary.",
    disable_version_flag = true
)]
pub struct Args {
    /// Send a command to the running upsmon: fsd (shut down all primary-mode
    /// UPSes, use with caution), reload (reread the configuration), stop.
    #[arg(short = 'c', value_name = "cmd")]
    pub command: Option<String>,
    /// Send the command to this PID (bypassing the socket and PID file).
    #[arg(short = 'P', value_name = "pid")]
    pub pid: Option<i32>,
    /// Raise the debugging level (and stay in the foreground by default).
    #[arg(short = 'D', action = ArgAction::Count)]
    pub debug: u8,
    /// Stay in the foreground even if no debugging is enabled.
    #[arg(short = 'F')]
    pub foreground: bool,
    /// Stay in the background even if debugging is bumped.
    #[arg(short = 'B')]
    pub background: bool,
    /// Check POWERDOWNFLAG: exit status 0 if it is set.
    #[arg(short = 'K')]
    pub check_flag: bool,
    /// Always run privileged (no privileged parent / unprivileged child).
    #[arg(short = 'p')]
    pub privileged: bool,
    /// Run the monitoring child as this user (ignored with -p).
    #[arg(short = 'u', value_name = "user")]
    pub user: Option<String>,
    /// IPv4 only (accepted; the client library picks the address family).
    #[arg(short = '4')]
    pub ipv4: bool,
    /// IPv6 only (accepted; the client library picks the address family).
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Connect timeout in seconds (newest NUT).
    #[arg(short = 'W', value_name = "secs")]
    pub connect_timeout: Option<u64>,
    /// Use this configuration file instead of `<confpath>/upsmon.conf`.
    #[arg(short = 'f', value_name = "file", hide = true)]
    pub file: Option<PathBuf>,
    /// Show the version and exit.
    #[arg(short = 'V')]
    pub version: bool,
}

/// The build default for the unprivileged child.
pub const DEFAULT_USER: &str = "nut";

fn load(path: &std::path::Path) -> anyhow::Result<Settings> {
    let (conf, diags) = UpsmonConf::load(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    report(&conf, &diags)?;
    Ok(Settings::from_conf(&conf))
}

/// Logs the diagnostics of a parsed file; an error makes it unusable.
fn report(conf: &UpsmonConf, diags: &[crate::config::diag::Diagnostic]) -> anyhow::Result<()> {
    let path = &conf.path;
    let mut fatal = false;
    for d in diags.iter().chain(conf.startup_diagnostics().iter()) {
        if d.is_error() {
            fatal = true;
            tracing::error!("{d}");
        } else {
            tracing::warn!("{d}");
        }
    }
    if fatal {
        anyhow::bail!("{}: unusable configuration", path.display());
    }
    Ok(())
}

/// Runs upsmon; returns the exit status.
pub fn main(argv: Vec<OsString>) -> i32 {
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    println!("Network UPS Tools upsmon {}", crate::VERSION);
    if args.version {
        return 0;
    }
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            1
        }
    }
}

fn run(args: Args) -> anyhow::Result<i32> {
    let init_logging = |extra: u8| {
        crate::logging::init(crate::logging::LogConfig::new("upsmon").debug(args.debug.max(extra)));
    };
    if let Some(c) = &args.command {
        init_logging(0);
        let Some(cmd) = control::parse_command(c) else {
            anyhow::bail!("unknown command '{c}': use fsd, reload or stop");
        };
        control::send(cmd, args.pid)?;
        return Ok(0);
    }
    let path = args.file.clone().unwrap_or_else(|| crate::config::paths::confpath().join("upsmon.conf"));
    // Parsed before logging starts, so DEBUG_MIN can raise the level.
    let parsed = UpsmonConf::load(&path);
    let debug_min = parsed.as_ref().ok().and_then(|(c, _)| c.debug_min).unwrap_or(0).min(255) as u8;
    init_logging(debug_min);
    let (conf, diags) = parsed.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    report(&conf, &diags)?;
    let settings = Settings::from_conf(&conf);
    if args.check_flag {
        return Ok(privileged::check_pdflag(settings.powerdownflag.as_deref()));
    }
    match args.pid.or_else(control::already_running) {
        Some(pid) if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok() => {
            println!("Fatal error: A previous upsmon instance is already running!");
            println!("Either stop the previous instance first, or use the 'reload' command.");
            return Ok(1);
        }
        _ => {}
    }
    if settings.shutdowncmd.is_none() {
        tracing::info!("No SHUTDOWNCMD: shutdown will ask logind to power off");
    }
    let mut settings = settings;
    if !privileged::clear_pdflag(settings.powerdownflag.as_deref()) {
        settings.powerdownflag = None;
    }
    if let Err(e) = settings.check_power() {
        println!("\nFatal error: {e}\n\nEdit your upsmon.conf and change the values.");
        return Ok(1);
    }
    if settings.powerdownflag.is_some() {
        tracing::info!(
            "Using power down flag file {}",
            settings.powerdownflag.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
        );
    }

    // Descriptors from socket activation, taken before anything forks.
    let activated = crate::systemd::listen_fds()?;
    let foreground =
        if args.background { false } else { args.foreground || args.debug > 0 || crate::systemd::under_systemd() };
    if !foreground {
        background()?;
    }

    let action =
        ShutdownAction { powerdownflag: settings.powerdownflag.clone(), shutdowncmd: settings.shutdowncmd.clone() };
    let request = if !args.privileged && nix::unistd::geteuid().is_root() {
        let name = args.user.clone().or_else(|| settings.run_as_user.clone()).unwrap_or_else(|| DEFAULT_USER.into());
        let user = privileged::lookup_user(&name)?;
        match privileged::split(action, &user)? {
            Split::Child(pipe) => ShutdownRequest::Pipe(pipe),
        }
    } else {
        if args.privileged {
            tracing::info!("Warning: running as one big root process by request (upsmon -p)");
        }
        ShutdownRequest::Direct(action)
    };

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let connector = NetConnector { connect_timeout: args.connect_timeout.map(std::time::Duration::from_secs) };
    rt.block_on(serve(settings, path, request, activated, connector))
}

/// Detaches from the terminal (NUT's default without -F/-D).
fn background() -> anyhow::Result<()> {
    use nix::unistd::{fork, setsid, ForkResult};
    // SAFETY: single-threaded at this point (before the runtime).
    match unsafe { fork() }? {
        ForkResult::Parent { .. } => std::process::exit(0),
        ForkResult::Child => {
            setsid()?;
            let null = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null")?;
            use std::os::fd::AsRawFd;
            for fd in 0..3 {
                nix::unistd::dup2(null.as_raw_fd(), fd)?;
            }
            Ok(())
        }
    }
}

async fn serve(
    settings: Settings,
    path: PathBuf,
    request: ShutdownRequest,
    activated: Vec<std::os::fd::OwnedFd>,
    connector: NetConnector,
) -> anyhow::Result<i32> {
    let (tx, rx) = mpsc::channel(8);
    let _pid_file = if activated.is_empty() {
        match control::PidFile::create(control::pid_file()) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!("Can't write PID file {}: {e}", control::pid_file().display());
                None
            }
        }
    } else {
        None
    };
    for fd in activated {
        let std_listener = std::os::unix::net::UnixListener::from(fd);
        std_listener.set_nonblocking(true)?;
        let listener = tokio::net::UnixListener::from_std(std_listener)?;
        tokio::spawn(control::serve(listener, tx.clone()));
    }
    let sig_tx = tx.clone();
    tokio::spawn(async move {
        if let Err(e) = control::signals(sig_tx).await {
            tracing::error!("signal handling: {e}");
        }
    });
    drop(tx);
    let notifycmd = settings.notifycmd.as_deref().and_then(NotifyCmd::from_words);
    let effects = RealEffects::new(notifycmd, request);
    let loader: super::engine::Loader = Box::new(move || load(&path));
    let monitor = Monitor::new(settings, connector, effects).with_loader(loader);
    crate::systemd::ready_with_status("Starting: connecting to upsd");
    let (outcome, mut monitor) = monitor.run(rx).await;
    crate::systemd::stopping();
    monitor.logout_all().await;
    match outcome {
        Outcome::Stopped => tracing::info!("Signal: exiting"),
        Outcome::ShutdownStarted => tracing::info!("Shutdown started: exiting"),
    }
    Ok(0)
}
