//! `upslog`: poll UPS variables at an interval and append one formatted
//! line per poll to a log file (or stdout). NUT 2.8.0's options and format
//! escapes (`%VAR x%`, `%TIME fmt%` with `@` for `%`, `%ETIME%`, `%HOST%`,
//! `%UPSHOST%`, `%PID%`, `%%`), its old positional form, plus newer NUT's
//! `-m ups,logfile` (repeatable) for several UPSes. SIGHUP reopens the log
//! files (logrotate), SIGUSR1 logs now, SIGINT/SIGQUIT/SIGTERM end it.
//!
//! As in NUT, a PID file is written (`/run/nut/upslog.pid`, or per `-p`)
//! and, when started as root, the process switches to `-u` (default
//! `nut`) after opening its log files.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

use super::addr::split_name;
use super::conn::{Client, Options};
use super::getopt;
use super::tool::{eprint_line, Exit, Out, RunResult};
use super::TlsMode;

/// NUT's default format string.
pub const DEFAULT_LOGFORMAT: &str = "%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%";

/// The account upslog switches to when started as root (Debian's build).
pub const RUN_AS_USER: &str = "nut";

const LARGEBUF: usize = 4096;

/// upslog's command line.
#[derive(Parser, Debug, Default)]
#[command(name = "upslog", about = "UPS status logger", disable_help_flag = true, disable_version_flag = true)]
pub struct Args {
    /// Display the help text.
    #[arg(short = 'h')]
    pub help: bool,
    /// Monitor this UPS: `upsname[@hostname[:port]]`.
    #[arg(short = 's', value_name = "ups", allow_hyphen_values = true)]
    pub ups: Option<String>,
    /// Log file, or `-` for stdout (then foreground by default).
    #[arg(short = 'l', value_name = "logfile", allow_hyphen_values = true)]
    pub logfile: Option<String>,
    /// Seconds between polls (default 30).
    #[arg(short = 'i', value_name = "interval", allow_hyphen_values = true)]
    pub interval: Option<String>,
    /// Log format (see the escapes above).
    #[arg(short = 'f', value_name = "format", allow_hyphen_values = true)]
    pub format: Option<String>,
    /// Switch to this user when started as root (default nut).
    #[arg(short = 'u', value_name = "user", allow_hyphen_values = true)]
    pub user: Option<String>,
    /// Print the version banner and exit.
    #[arg(short = 'V')]
    pub version: bool,
    /// PID file: an absolute path, or a base name for `/run/nut/<name>.pid`.
    #[arg(short = 'p', value_name = "pidbase", allow_hyphen_values = true)]
    pub pidbase: Option<String>,
    /// Stay in the foreground even when logging to a file.
    #[arg(short = 'F')]
    pub foreground: bool,
    /// Go to the background even when logging to stdout.
    #[arg(short = 'B')]
    pub background: bool,
    /// Monitor a UPS into its own log file: `ups,logfile` (repeatable).
    #[arg(short = 'm', value_name = "ups,logfile", action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub monitor: Vec<String>,
    /// Old form: `<ups> <logfile> <interval> [<format>...]`.
    #[arg(value_name = "ARGS", num_args = 0.., trailing_var_arg = true)]
    pub operands: Vec<String>,
}

fn help(out: &mut Out, prog: &str) {
    out.print(&format!(
        "UPS status logger.\n\nusage: {prog} [OPTIONS]\n\n  \
-f <format>\t- Log format.  See below for details.\n\t\t- Use -f \"<format>\" so your shell doesn't break it up.\n  \
-i <interval>\t- Time between updates, in seconds\n  \
-l <logfile>\t- Log file name, or - for stdout (foreground by default)\n  \
-F\t\t- stay foregrounded even if logging into a file\n  \
-B\t\t- stay backgrounded even if logging to stdout\n  \
-p <pidbase>  - Base name for PID file (defaults to \"{prog}\")\n  \
-s <ups>\t- Monitor UPS <ups> - <upsname>@<host>[:<port>]\n        \t- Example: -s myups@server\n  \
-u <user>\t- Switch to <user> if started as root\n\n\
Some valid format string escapes:\n\t%% insert a single %\n\t%TIME format% insert the time with strftime formatting\n\
\t%HOST% insert the local hostname\n\t%UPSHOST% insert the host of the ups being monitored\n\
\t%PID% insert the pid of upslog\n\t%VAR varname% insert the value of ups variable varname\n\n\
format string defaults to:\n{DEFAULT_LOGFORMAT}\n\nSee the upslog(8) man page for more information.\n\n\
Option (from newer NUT):\n  -m <ups,logfile>\t- Monitor UPS <ups> into <logfile> (repeatable)\n"
    ));
}

/// One piece of a compiled format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as is.
    Literal(String),
    /// `%HOST%`
    Host,
    /// `%UPSHOST%`
    UpsHost,
    /// `%PID%`
    Pid,
    /// `%TIME fmt%` (the strftime format, `@` already turned into `%`).
    Time(String),
    /// `%VAR name%` (`None` when the argument is missing).
    Var(Option<String>),
    /// `%ETIME%`
    Etime,
}

/// Compiles a format string the way NUT's `compile_format` does
/// (keywords matched case-insensitively by prefix, unknown ones and a
/// missing closing `%` become `INVALID`).
pub fn compile(format: &str) -> Vec<Piece> {
    const CMDS: &[&str] = &["HOST", "UPSHOST", "PID", "TIME", "VAR", "ETIME"];
    let b = format.as_bytes();
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let flush = |lit: &mut Vec<u8>, out: &mut Vec<Piece>| {
        if !lit.is_empty() {
            out.push(Piece::Literal(String::from_utf8_lossy(lit).into_owned()));
            lit.clear();
        }
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            lit.push(b[i]);
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'%') {
            lit.push(b'%');
            i += 2;
            continue;
        }
        let rest = &format[i + 1..];
        let Some(end) = rest.find('%') else {
            lit.extend_from_slice(b"INVALID");
            i += 1;
            continue;
        };
        let cmd_full = &rest[..end];
        let (cmd, arg) = match cmd_full.find(' ') {
            Some(s) => (&cmd_full[..s], Some(&cmd_full[s + 1..])),
            None => (cmd_full, None),
        };
        let found = CMDS.iter().find(|n| cmd.len() >= n.len() && cmd[..n.len()].eq_ignore_ascii_case(n));
        if found.is_none() {
            lit.extend_from_slice(b"INVALID");
            i += end + 2;
            continue;
        }
        flush(&mut lit, &mut out);
        match found {
            Some(&"HOST") => out.push(Piece::Host),
            Some(&"UPSHOST") => out.push(Piece::UpsHost),
            Some(&"PID") => out.push(Piece::Pid),
            Some(&"TIME") => out.push(Piece::Time(arg.unwrap_or("").replace('@', "%"))),
            Some(&"VAR") => out.push(Piece::Var(arg.map(String::from))),
            _ => out.push(Piece::Etime),
        }
        i += end + 2;
    }
    flush(&mut lit, &mut out);
    out
}

/// `strftime` in local time.
pub fn strftime_now(fmt: &str) -> String {
    let Ok(cfmt) = std::ffi::CString::new(fmt) else { return String::new() };
    let mut buf = [0u8; 512];
    // SAFETY: time/localtime_r/strftime get valid pointers to locals; the
    // output buffer's size is passed.
    let n = unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), cfmt.as_ptr(), &tm)
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return String::new();
    }
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn epoch() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

enum Sink {
    Stdout,
    File { path: String, file: File },
}

impl Sink {
    fn open(path: &str) -> std::io::Result<Sink> {
        if path == "-" {
            return Ok(Sink::Stdout);
        }
        let file = OpenOptions::new().append(true).create(true).open(path)?;
        Ok(Sink::File { path: path.to_string(), file })
    }

    fn write_line(&mut self, line: &str) {
        match self {
            Sink::Stdout => {
                let mut o = std::io::stdout().lock();
                let _ = writeln!(o, "{line}");
                let _ = o.flush();
            }
            Sink::File { file, .. } => {
                let _ = writeln!(file, "{line}");
                let _ = file.flush();
            }
        }
    }

    fn reopen(&mut self) -> Result<(), Exit> {
        match self {
            Sink::Stdout => {
                eprint_line("logging to stdout");
                Ok(())
            }
            Sink::File { path, file } => {
                *file = OpenOptions::new().append(true).create(true).open(&*path).map_err(|e| {
                    Exit::fail(format!("could not reopen logfile {path}: {}", super::error::strerror(&e)))
                })?;
                Ok(())
            }
        }
    }
}

struct Monitor {
    monhost: String,
    ups: String,
    host: String,
    port: u16,
    client: Option<Client>,
    sink: Sink,
}

impl Monitor {
    async fn render(&mut self, pieces: &[Piece]) -> String {
        let mut s = String::new();
        for p in pieces {
            match p {
                Piece::Literal(t) => s.push_str(t),
                Piece::Host => s.push_str(&hostname()),
                Piece::UpsHost => s.push_str(&self.monhost),
                Piece::Pid => s.push_str(&std::process::id().to_string()),
                Piece::Time(f) => s.push_str(&strftime_now(f)),
                Piece::Etime => s.push_str(&epoch().to_string()),
                Piece::Var(v) => match v {
                    Some(v) if !v.is_empty() && v.contains('.') => {
                        let val = match self.client.as_mut() {
                            Some(c) if c.is_connected() => c.get_var(&self.ups, v).await.ok(),
                            _ => None,
                        };
                        s.push_str(val.as_deref().unwrap_or("NA"));
                    }
                    _ => s.push_str("INVALID"),
                },
            }
            if s.len() >= LARGEBUF {
                let mut n = LARGEBUF - 1;
                while !s.is_char_boundary(n) {
                    n -= 1;
                }
                s.truncate(n);
            }
        }
        s
    }
}

/// NUT's `get_user_pwent`: the account must exist, root or not.
fn lookup_user(user: &str) -> Result<nix::unistd::User, Exit> {
    match nix::unistd::User::from_name(user) {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(Exit::fail(format!("user {user} not found"))),
        Err(e) => Err(Exit::fail(format!("getpwnam({user}): {}", e.desc()))),
    }
}

/// NUT's `become_user`: only when running as root.
fn become_user(pw: &nix::unistd::User) -> Result<(), Exit> {
    if !nix::unistd::geteuid().is_root() && !nix::unistd::getuid().is_root() {
        return Ok(());
    }
    let cname = std::ffi::CString::new(pw.name.clone()).map_err(|_| Exit::fail("bad user name"))?;
    let errno = |what: &str, e: nix::errno::Errno| Exit::fail(format!("{what}: {}", e.desc()));
    nix::unistd::initgroups(&cname, pw.gid).map_err(|e| errno("initgroups", e))?;
    nix::unistd::setgid(pw.gid).map_err(|e| errno("setgid", e))?;
    nix::unistd::setuid(pw.uid).map_err(|e| errno("setuid", e))?;
    Ok(())
}

/// Where NUT's `writepid` puts relative PID file names (Debian's PIDPATH).
pub const PIDPATH: &str = "/run/nut";

/// NUT's `writepid`: an absolute name is used as is, a relative one
/// becomes `PIDPATH/<name>.pid`; failing is only a notice.
fn write_pid(base: &str) {
    let path = if base.starts_with('/') { base.to_string() } else { format!("{PIDPATH}/{base}.pid") };
    if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
        eprint_line(&format!("writepid: fopen {path}: {}", super::error::strerror(&e)));
    }
}

/// Runs upslog (creates its own current-thread runtime after any fork).
pub fn run(argv: &[OsString]) -> RunResult {
    let prog = getopt::prog_name(argv.first(), "upslog");
    let mut out = Out::default();
    out.line(&format!("Network UPS Tools {prog} {}", crate::VERSION));
    let (diags, m) = getopt::parse_lenient(Args::command(), argv, &getopt::argv0(argv));
    for d in &diags {
        out.flush();
        eprint_line(&d.message);
    }
    let m = match m {
        Ok(m) => m,
        Err(e) => {
            out.flush();
            eprint_line(&e.message);
            // a missing option value: getopt's '?' is ignored by upslog's loop
            Args::command()
                .no_binary_name(false)
                .try_get_matches_from(["upslog"])
                .map_err(|e| Exit::fail(e.to_string()))?
        }
    };
    let args = Args::from_arg_matches(&m).map_err(|e| Exit::fail(e.to_string()))?;
    if args.help {
        help(&mut out, &prog);
        return Ok(());
    }
    if args.version {
        return Ok(());
    }
    let mut monhost = args.ups.clone();
    let mut logfn = args.logfile.clone();
    let mut interval = args.interval.as_deref().map(getopt::atoi).unwrap_or(30);
    let mut format = args.format.clone().unwrap_or_else(|| DEFAULT_LOGFORMAT.to_string());
    let ops = &args.operands;
    if ops.len() == 1 || ops.len() == 2 {
        help(&mut out, &prog);
        return Ok(());
    }
    if ops.len() >= 3 {
        monhost = Some(ops[0].clone());
        logfn = Some(ops[1].clone());
        interval = getopt::atoi(&ops[2]);
    }
    if ops.len() >= 4 {
        format = ops[3..].iter().map(|s| format!("{s} ")).collect();
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for t in &args.monitor {
        let parts: Vec<&str> = t.split(',').collect();
        if parts.len() != 2 {
            return Err(Exit::fail("Argument '-m upsspec,logfile' requires exactly 2 components in the tuple"));
        }
        pairs.push((parts[0].to_string(), parts[1].to_string()));
    }
    if pairs.is_empty() {
        let Some(mh) = monhost else {
            return Err(Exit::fail("No UPS defined for monitoring - use -s <system>"));
        };
        let Some(lf) = logfn else {
            return Err(Exit::fail("No filename defined for logging - use -l <file>"));
        };
        pairs.push((mh, lf));
    }
    let mut targets = Vec::new();
    for (mh, lf) in &pairs {
        out.line(&format!("logging status of {mh} to {lf} ({interval}s intervals)"));
        let t = split_name(Some(mh)).map_err(|e| {
            if let Some(d) = e.diagnostic() {
                eprint_line(&d);
            }
            Exit::fail("Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]\n")
        })?;
        targets.push((mh.clone(), lf.clone(), t));
    }
    out.flush();
    let rt =
        || tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Exit::fail(e.to_string()));
    let r = rt()?;
    let mut monitors = Vec::new();
    for (mh, lf, t) in targets {
        let opts = Options { tls: TlsMode::Try, ..Options::default() };
        let client = match r.block_on(Client::connect(&t.host, t.port, opts)) {
            Ok(c) => Some(c),
            Err(e) => {
                if matches!(e, super::ClientError::DuringStartTls(_)) {
                    eprint_line(&format!("Error while connecting to NUT server {}, disconnect", t.host));
                }
                eprint_line(&format!("Warning: initial connect failed: {e}"));
                None
            }
        };
        let sink = Sink::open(&lf)
            .map_err(|e| Exit::fail(format!("could not open logfile {lf}: {}", super::error::strerror(&e))))?;
        monitors.push(Monitor {
            monhost: mh,
            ups: t.ups.unwrap_or_default(),
            host: t.host,
            port: t.port,
            client,
            sink,
        });
    }
    let pw = lookup_user(args.user.as_deref().unwrap_or(RUN_AS_USER))?;
    let to_stdout = monitors.iter().any(|m| matches!(m.sink, Sink::Stdout));
    let foreground = if args.foreground {
        true
    } else if args.background {
        false
    } else {
        to_stdout
    };
    let r = if foreground {
        r
    } else {
        // A runtime must not cross fork(): drop it (and its connections,
        // which the loop re-makes) and start a fresh one in the child.
        for m in &mut monitors {
            m.client = None;
        }
        drop(r);
        nix::unistd::daemon(true, false)
            .map_err(|e| Exit::fail(format!("Unable to enter background mode: {}", e.desc())))?;
        rt()?
    };
    write_pid(args.pidbase.as_deref().unwrap_or(&prog));
    become_user(&pw)?;
    let pieces = compile(&format);
    r.block_on(main_loop(monitors, pieces, interval))
}

async fn main_loop(mut monitors: Vec<Monitor>, pieces: Vec<Piece>, interval: i64) -> RunResult {
    use tokio::signal::unix::{signal, SignalKind};
    let sig = |k| signal(k).map_err(|e| Exit::fail(format!("Can't install signal handler: {e}")));
    let mut hup = sig(SignalKind::hangup())?;
    let mut int = sig(SignalKind::interrupt())?;
    let mut quit = sig(SignalKind::quit())?;
    let mut term = sig(SignalKind::terminate())?;
    let mut usr1 = sig(SignalKind::user_defined1())?;
    let mut reopen: Option<i32> = None;
    let mut exit: Option<i32> = None;
    let mut nextpoll: i64 = 0;
    let now = || epoch() as i64;
    let opts = Options { tls: TlsMode::Off, ..Options::default() };
    while exit.is_none() {
        let t = now();
        if nextpoll > t {
            let d = Duration::from_secs((nextpoll - t) as u64);
            tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = hup.recv() => reopen = Some(libc::SIGHUP),
                _ = int.recv() => exit = Some(libc::SIGINT),
                _ = quit.recv() => exit = Some(libc::SIGQUIT),
                _ = term.recv() => exit = Some(libc::SIGTERM),
                _ = usr1.recv() => {}
            }
            nextpoll += interval;
        } else {
            nextpoll = t + interval;
        }
        if let Some(s) = reopen.take() {
            eprint_line(&format!("Signal {s}: reopening log file"));
            for m in &mut monitors {
                m.sink.reopen()?;
            }
        }
        for m in &mut monitors {
            if !m.client.as_ref().is_some_and(|c| c.is_connected()) {
                m.client = Client::connect(&m.host, m.port, opts.clone()).await.ok();
            }
            let line = m.render(&pieces).await;
            m.sink.write_line(&line);
            if interval > 30 {
                if let Some(c) = m.client.as_mut() {
                    c.disconnect().await;
                }
                m.client = None;
            }
        }
    }
    eprint_line(&format!("Signal {}: exiting", exit.unwrap_or(0)));
    for m in &mut monitors {
        if let Some(c) = m.client.as_mut() {
            c.disconnect().await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_like_nut() {
        use Piece::*;
        assert_eq!(
            compile("%TIME @H:@M% [%VAR ups.status%] %% %etime% %bogus% %UPSHOST% x%"),
            vec![
                Time("%H:%M".into()),
                Literal(" [".into()),
                Var(Some("ups.status".into())),
                Literal("] % ".into()),
                Etime,
                Literal(" INVALID ".into()),
                UpsHost,
                Literal(" xINVALID".into()),
            ]
        );
        assert_eq!(compile("%VAR%"), vec![Var(None)]);
        assert_eq!(compile("%HOSTNAME%"), vec![Host]);
    }
}
