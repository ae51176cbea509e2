//! NUT's driver command line (`config-files.md` §4.3) and the multi-call
//! entry point.
//!
//! One executable holds every driver. It looks at the name it was called
//! by: as `dummy-ups` (a link, or `argv[0]` set by upsdrvctl) it is that
//! driver and takes NUT's options (`-a <ups>`, `-x key=value`, `-D`, …); as
//! `nut-driver <ups>` it reads the section of `<ups>` in ups.conf and runs
//! the driver its `driver =` names, in the foreground — what
//! `nut-driver@.service` runs.
//!
//! Options are applied in command-line order, as NUT does: `-a` reads
//! ups.conf where it stands, so a `-x` after it overrides the file and a
//! `-x` before it is overridden.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};

use crate::config::ups::UpsConf;
use crate::driver::core::{self, Paths, Reloader, RunOpts};
use crate::driver::params::{ParamError, Params, RawEntry, VarDecl, VarKind};
use crate::driver::{lookup, Driver, DRIVERS};

/// The driver options, as NUT's `getopt("+a:s:kFBDd:hx:Lqr:u:g:Vi:")` plus
/// the newer `-c` and `-P`.
#[derive(Clone, Debug, Parser)]
#[command(disable_version_flag = true, disable_help_flag = true, about = None)]
pub struct DriverArgs {
    /// autoconfig using ups.conf section <id> (-x after -a overrides ups.conf settings)
    #[arg(short = 'a', value_name = "id")]
    pub autoconfig: Option<String>,
    /// configure directly from cmd line arguments (at least 'port' must be set with -x)
    #[arg(short = 's', value_name = "id")]
    pub direct: Option<String>,
    /// force shutdown: tell the UPS to cut power
    #[arg(short = 'k')]
    pub killpower: bool,
    /// stay foregrounded even if no debugging is enabled (-FF: also write the PID file)
    #[arg(short = 'F', action = ArgAction::Count)]
    pub foreground: u8,
    /// stay backgrounded even if debugging is bumped
    #[arg(short = 'B')]
    pub background: bool,
    /// raise debugging level (and stay foreground by default)
    #[arg(short = 'D', action = ArgAction::Count)]
    pub debug: u8,
    /// dump data to stdout after 'count' updates loop and exit
    #[arg(short = 'd', value_name = "count")]
    pub dump: Option<String>,
    /// display this help
    #[arg(short = 'h')]
    pub help: bool,
    /// set driver variable <var> to <val> (or a flag)
    #[arg(short = 'x', value_name = "var>=<val", action = ArgAction::Append)]
    pub x: Vec<String>,
    /// print parseable list of driver variables
    #[arg(short = 'L')]
    pub list: bool,
    /// raise log level threshold
    #[arg(short = 'q', action = ArgAction::Count)]
    pub quiet: u8,
    /// chroot to <dir>
    #[arg(short = 'r', value_name = "dir")]
    pub chroot: Option<String>,
    /// switch to <user> (if started as root)
    #[arg(short = 'u', value_name = "user")]
    pub user: Option<String>,
    /// set pipe access to <group> (if started as root)
    #[arg(short = 'g', value_name = "group")]
    pub group: Option<String>,
    /// print version, then exit
    #[arg(short = 'V')]
    pub version: bool,
    /// poll interval
    #[arg(short = 'i', value_name = "int")]
    pub interval: Option<String>,
    /// send a command to the running instance: reload, reload-or-error, reload-or-exit, exit
    #[arg(short = 'c', value_name = "command")]
    pub command: Option<String>,
    /// the PID of the running instance for -c
    #[arg(short = 'P', value_name = "pid")]
    pub pid: Option<i32>,
    /// (nut-driver only) the ups.conf section to run
    #[arg(value_name = "ups", hide = true)]
    pub ups: Option<String>,
}

fn basename(arg0: &OsString) -> String {
    Path::new(arg0).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn banner(d: &dyn Driver) -> String {
    format!("Network UPS Tools - {} {} ({})", d.description(), d.version(), crate::VERSION)
}

fn help(d: &dyn Driver, progname: &str) -> String {
    let mut cmd = DriverArgs::command()
        .name(leak(progname))
        .override_usage(leak(&format!("{progname} (-a <id>|-s <id>) [OPTIONS]")));
    let mut s = format!("{}\n\n", banner(d));
    s.push_str(&cmd.render_help().to_string());
    let decls = d.declare();
    if !decls.is_empty() {
        s.push_str("\nAcceptable values for -x or ups.conf in this driver:\n\n");
        for v in decls {
            s.push_str(&format!("{v}\n"));
        }
    }
    s
}

fn at(conf: &UpsConf, pos: crate::proto::words::Pos) -> Option<String> {
    Some(format!("{}:{}:{}", conf.path.display(), pos.line, pos.col))
}

fn raw(conf: &UpsConf, e: &crate::config::ups::Entry) -> RawEntry {
    RawEntry { key: e.key.clone(), value: e.value.clone(), at: at(conf, e.key_pos) }
}

/// Everything the command line decided.
struct Setup {
    params: Params,
    opts: RunOpts,
    paths: Paths,
    foreground: bool,
}

fn load_conf(confpath: &Path) -> Result<UpsConf, String> {
    let path = confpath.join("ups.conf");
    let (conf, diags) = UpsConf::load(&path).map_err(|e| format!("Can't open {}: {e}", path.display()))?;
    for d in &diags {
        if d.is_error() {
            eprintln!("{d}");
        } else {
            tracing::debug!("{d}");
        }
    }
    Ok(conf)
}

fn setup(
    decls: &[VarDecl],
    progname: &str,
    args: &DriverArgs,
    m: &clap::ArgMatches,
    nut_driver_ups: Option<&str>,
) -> Result<Setup, String> {
    let confpath = crate::config::paths::confpath();
    let upsname = nut_driver_ups
        .or(args.autoconfig.as_deref())
        .or(args.direct.as_deref())
        .ok_or_else(|| "Error: specifying '-a id' or '-s id' is now mandatory. Try -h for help.".to_string())?;
    let mut params = Params::new(progname, upsname, decls.to_vec());
    // the position of -a among the -x options
    let a_index = if nut_driver_ups.is_some() {
        Some(0)
    } else if args.autoconfig.is_some() {
        m.index_of("autoconfig")
    } else {
        None
    };
    let x_idx: Vec<usize> = m.indices_of("x").map(|i| i.collect()).unwrap_or_default();
    let mut conf_statepath: Option<PathBuf> = None;
    let mut read_conf = |params: &mut Params| -> Result<(), String> {
        let conf = load_conf(&confpath)?;
        for g in &conf.globals {
            params.global(&raw(&conf, g)).map_err(|e| e.to_string())?;
        }
        conf_statepath = conf.global.statepath.clone();
        let sec = conf.section(upsname).ok_or_else(|| ParamError::NoSection(upsname.to_string()).to_string())?;
        for e in &sec.entries {
            params.entry(&raw(&conf, e), true).map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    let mut conf_done = false;
    for (i, x) in args.x.iter().enumerate() {
        let xi = x_idx.get(i).copied().unwrap_or(usize::MAX);
        if !conf_done && a_index.is_some_and(|a| a < xi) {
            read_conf(&mut params)?;
            conf_done = true;
        }
        params.entry(&RawEntry::from_x(x), false).map_err(|e| e.to_string())?;
    }
    if !conf_done && a_index.is_some() {
        read_conf(&mut params)?;
    }
    if let Some(u) = &args.user {
        params.set_cli_user(u);
    }
    if let Some(g) = &args.group {
        params.set_cli_group(g);
    }
    if let Some(i) = &args.interval {
        let n = crate::model::atoi(i);
        if n <= 0 {
            return Err(format!("Error: command-line: invalid pollinterval: {n}"));
        }
        params.pollinterval = Duration::from_secs(n as u64);
    }
    if let Some(r) = &args.chroot {
        params.chroot = Some(r.clone());
    }
    if params.port.is_none() {
        return Err(ParamError::NoPort.to_string());
    }
    let dump = args.dump.as_deref().map(crate::model::atoi).filter(|&n| n > 0).map(|n| n as u32);
    let under_systemd = std::env::var_os("NOTIFY_SOCKET").is_some() || std::env::var_os("INVOCATION_ID").is_some();
    let foreground = if args.background {
        false
    } else {
        nut_driver_ups.is_some() || args.foreground > 0 || args.debug > 0 || dump.is_some() || under_systemd
    };
    let child = std::env::var_os(BACKGROUND_CHILD).is_some();
    let opts = RunOpts {
        reload: None,
        debug: args.debug.max(params.debug_min.unwrap_or(0)),
        dump,
        killpower: args.killpower,
        pidfile: args.foreground >= 2 || child,
    };
    let paths = Paths {
        confpath: confpath.clone(),
        statepath: crate::config::paths::statepath(None, conf_statepath.as_deref()),
        altpidpath: crate::config::paths::altpidpath(),
    };
    Ok(Setup { params, opts, paths, foreground })
}

/// Set in the environment of the copy a backgrounding driver starts.
const BACKGROUND_CHILD: &str = "NUT_DRIVER_BACKGROUNDED";

/// Runs the driver in a detached copy of this process and returns once it
/// has created its socket (started) or died.
fn background(argv: &[OsString], sock: &Path, wait: Duration) -> i32 {
    use std::os::unix::process::CommandExt;
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("can't find my own executable to go to the background");
        return 1;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg0(&argv[0]).args(&argv[1..]).arg("-F").env(BACKGROUND_CHILD, "1");
    cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("can't start the background driver: {e}");
            return 1;
        }
    };
    let t0 = Instant::now();
    while t0.elapsed() < wait {
        if let Ok(Some(st)) = child.try_wait() {
            return st.code().unwrap_or(1);
        }
        if std::os::unix::net::UnixStream::connect(sock).is_ok() {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    0
}

/// Sends `-c <command>` to the running instance: over its socket (an
/// `INSTCMD driver.<command>`, what works under systemd too), else by
/// signal to the PID from `-P` or the PID file (reload: SIGHUP,
/// reload-or-exit: SIGUSR1, exit: SIGTERM), as NUT's newer drivers.
fn control(cmd: &str, pid: Option<i32>, paths: &Paths, progname: &str, ups: &str) -> i32 {
    use nix::sys::signal::{kill, Signal};
    use std::io::{BufRead, BufReader, Write};
    let sig = match cmd {
        "reload" => Some(Signal::SIGHUP),
        "reload-or-exit" => Some(Signal::SIGUSR1),
        "exit" => Some(Signal::SIGTERM),
        "reload-or-error" => None,
        other => {
            eprintln!("Error: unknown command for -c: {other}");
            return 1;
        }
    };
    let by_signal = |p: i32, sig: Signal| match kill(nix::unistd::Pid::from_raw(p), sig) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Can't signal PID {p}: {e}");
            1
        }
    };
    if let (Some(p), Some(sig)) = (pid, sig) {
        return by_signal(p, sig);
    }
    let sock = paths.statepath.join(format!("{progname}-{ups}"));
    match std::os::unix::net::UnixStream::connect(&sock) {
        Ok(mut s) => {
            let id = format!("ctl-{}", std::process::id());
            if s.write_all(format!("INSTCMD driver.{cmd} TRACKING {id}\n").as_bytes()).is_err() {
                eprintln!("Can't write to {}", sock.display());
                return 1;
            }
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let want = format!("TRACKING {id} ");
            for line in BufReader::new(s).lines() {
                let Ok(line) = line else { break };
                if let Some(code) = line.strip_prefix(&want) {
                    return if code.trim() == "0" {
                        0
                    } else {
                        eprintln!("The driver answered {cmd} with code {code}");
                        1
                    };
                }
            }
            // the driver went away before answering: that is what exit does
            if cmd == "exit" || cmd == "reload-or-exit" {
                0
            } else {
                eprintln!("No answer from the driver");
                1
            }
        }
        Err(e) => {
            let pidfile = paths.altpidpath.join(format!("{progname}-{ups}.pid"));
            let p = std::fs::read_to_string(&pidfile).ok().and_then(|s| s.trim().parse().ok());
            match (p, sig) {
                (Some(p), Some(sig)) => by_signal(p, sig),
                _ => {
                    eprintln!(
                        "Can't reach the driver at {} ({e}) and no PID file {}",
                        sock.display(),
                        pidfile.display()
                    );
                    1
                }
            }
        }
    }
}

/// The multi-call entry point; returns the exit status.
pub fn main(argv: Vec<OsString>) -> i32 {
    let progname = basename(argv.first().unwrap_or(&OsString::new()));
    let progname = progname.strip_prefix("lt-").unwrap_or(&progname).to_string();
    let is_nut_driver = !DRIVERS.contains(&progname.as_str());
    let m = match DriverArgs::command().name(leak(&progname)).try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let args = match DriverArgs::from_arg_matches(&m) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return 1;
        }
    };
    // nut-driver <ups>: find the driver in ups.conf
    let (driver_name, nut_driver_ups) = if is_nut_driver {
        let Some(ups) = args.ups.clone() else {
            let usage = format!(
                "Network UPS Tools - multi-call driver {}\n\nusage: nut-driver [OPTIONS] <ups>\n  \
                 runs the driver that ups.conf names for <ups>, in the foreground\n  \
                 (or call me by a driver's name: {})",
                crate::VERSION,
                DRIVERS.join(", ")
            );
            if args.help || args.version {
                println!("{usage}");
                return 0;
            }
            eprintln!("{usage}");
            return 1;
        };
        let conf = match load_conf(&crate::config::paths::confpath()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        };
        let Some(sec) = conf.section(&ups) else {
            eprintln!("{}", ParamError::NoSection(ups));
            return 1;
        };
        let Some(d) = sec.driver() else {
            eprintln!("{}:{}: UPS [{ups}] has no 'driver ='", conf.path.display(), sec.pos);
            return 1;
        };
        (d.to_string(), Some(ups))
    } else {
        if args.ups.is_some() {
            eprintln!("Error: too many non-option arguments. Try -h for help.");
            return 1;
        }
        (progname.clone(), None)
    };
    let Some(mut driver) = lookup(&driver_name) else {
        eprintln!("Error: this executable holds no driver '{driver_name}' (it has: {})", DRIVERS.join(", "));
        return 1;
    };
    let progname = driver_name;
    // NUT prints the banner first, whatever the options
    println!("{}", banner(driver.as_ref()));
    if args.version {
        return 0;
    }
    if args.help {
        print!("{}", help(driver.as_ref(), &progname).split_once('\n').map_or("", |(_, rest)| rest));
        return 0;
    }
    if args.list {
        for v in driver.declare() {
            let kind = match v.kind {
                VarKind::Value => "VALUE",
                VarKind::Flag => "FLAG",
            };
            println!("{kind} {} \"{}\"", v.name, v.desc);
        }
        return 0;
    }
    let decls = driver.declare();
    let mut s = match setup(&decls, &progname, &args, &m, nut_driver_ups.as_deref()) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    s.opts.reload = Some({
        let (progname, args, m, ups) = (progname.clone(), args.clone(), m.clone(), nut_driver_ups.clone());
        Reloader(std::sync::Arc::new(move || setup(&decls, &progname, &args, &m, ups.as_deref()).map(|s| s.params)))
    });
    if let Some(c) = &args.command {
        return control(c, args.pid, &s.paths, &progname, &s.params.upsname);
    }
    crate::logging::init(
        crate::logging::LogConfig::new(progname.clone())
            .field("NUT_UPS", s.params.upsname.clone())
            .field("NUT_DRIVER", progname.clone())
            .debug(s.opts.debug),
    );
    if !s.foreground && !s.opts.killpower && std::env::var_os(BACKGROUND_CHILD).is_none() {
        let sock = s.paths.statepath.join(format!("{progname}-{}", s.params.upsname));
        return background(&argv, &sock, driver.connect_timeout() + Duration::from_secs(5));
    }
    let _ = &mut driver;
    core::run(driver, s.params, s.opts, s.paths)
}

/// clap wants `'static` names; the program name lives as long as the
/// process anyway.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}
