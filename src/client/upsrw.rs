//! `upsrw`: list a UPS's writable variables, or set one (`-s var=value`),
//! optionally waiting for the driver's result (`-w`, `-t`). Behaves like
//! NUT 2.8.0's upsrw: same prompts, messages on the same streams, same
//! exit codes.

use std::ffi::OsString;
use std::io;
use std::time::{Duration, Instant};

use clap::{CommandFactory, FromArgMatches, Parser};

use super::addr::split_name;
use super::blocking::Client;
use super::getopt;
use super::prompt;
use super::tool::{connect, eprint_line, Exit, Out, RunResult};
use super::TlsMode;
use crate::proto::net::{ErrorCode, Request};

/// The default `-t` (seconds).
pub const DEFAULT_TRACKING_TIMEOUT: u32 = 10;

/// upsrw's command line.
#[derive(Parser, Debug, Default)]
#[command(
    name = "upsrw",
    about = "UPS variable administration tool",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Args {
    /// Display the help text.
    #[arg(short = 'h')]
    pub help: bool,
    /// Variable to change; `VAR=VALUE` avoids the value prompt.
    #[arg(short = 's', value_name = "variable", allow_hyphen_values = true)]
    pub set: Option<String>,
    /// Show all read/write variables (the default without -s).
    #[arg(short = 'l')]
    pub list: bool,
    /// Password for authentication (prompted for when missing).
    #[arg(short = 'p', value_name = "password", allow_hyphen_values = true)]
    pub password: Option<String>,
    /// Timeout in seconds for -w (default 10).
    #[arg(short = 't', value_name = "timeout", allow_hyphen_values = true)]
    pub timeout: Option<String>,
    /// Username for authentication (prompted for when missing).
    #[arg(short = 'u', value_name = "username", allow_hyphen_values = true)]
    pub username: Option<String>,
    /// Wait for the driver's result of the setting.
    #[arg(short = 'w')]
    pub wait: bool,
    /// Display the version.
    #[arg(short = 'V')]
    pub version: bool,
    /// `upsname[@hostname[:port]]`.
    #[arg(value_name = "UPS", num_args = 0.., trailing_var_arg = true)]
    pub operands: Vec<String>,
}

fn usage(out: &mut Out, prog: &str) {
    out.print(&format!(
        "Network UPS Tools {prog} {ver}\n\n\
usage: {prog} [-h]\n       {prog} [-s <variable>] [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups>\n\n\
Demo program to set variables within UPS hardware.\n\n  \
-h            display this help text\n  \
-s <variable>\tspecify variable to be changed\n\t\tuse -s VAR=VALUE to avoid prompting for value\n  \
-l            show all possible read/write variables.\n  \
-u <username> set username for command authentication\n  \
-p <password> set password for command authentication\n  \
-w            wait for the completion of setting by the driver\n                and return its actual result from the device\n  \
-t <timeout>\tset a timeout when using -w (in seconds, default: {DEFAULT_TRACKING_TIMEOUT})\n\n  \
<ups>         UPS identifier - <upsname>[@<hostname>[:<port>]]\n\n\
Call without -s to show all possible read/write variables (same as -l).\n",
        ver = crate::VERSION
    ));
}

/// Waits for a tracked SET/INSTCMD like NUT's upsrw/upscmd: `GET
/// TRACKING` every second until not `PENDING`; prints the final line on
/// stderr. Shared with upscmd.
pub fn track(c: &mut Client, reply: &str, enabled: bool, timeout: u32) -> RunResult {
    const UUID_LEN: usize = 36;
    let id = reply.strip_prefix("OK TRACKING ").filter(|id| id.len() == UUID_LEN);
    let Some(id) = id.filter(|_| enabled) else {
        eprint_line(reply);
        return Ok(());
    };
    let start = Instant::now();
    let req = Request::GetTracking { id: Some(id.to_string()) };
    loop {
        if start.elapsed().as_secs() >= u64::from(timeout) {
            return Err(Exit::fail("Can't receive status tracking information: timeout"));
        }
        c.send(&req).map_err(|e| Exit::fail(format!("Can't send status tracking request: {e}")))?;
        let line = c
            .read_line_timeout(Duration::from_secs(u64::from(timeout)))
            .map_err(|e| Exit::fail(format!("Can't receive status tracking information: {e}")))?;
        if !line.starts_with("PENDING") {
            eprint_line(&line);
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Prompts for the username like NUT (`Username (<login>): ` on stdout).
pub fn ask_username(out: &mut Out, fatal_on_eof: Option<&str>) -> Result<String, Exit> {
    let login = prompt::login_name();
    match &login {
        Some(n) => out.print(&format!("Username ({n}): ")),
        None => out.print("Username: "),
    }
    out.flush();
    let line = prompt::fgets(&mut io::stdin().lock());
    let line = match line {
        Some(l) => l,
        None => {
            if let Some(m) = fatal_on_eof {
                return Err(Exit::fail(m));
            }
            String::new()
        }
    };
    if line.len() > 1 {
        Ok(prompt::chop(line))
    } else {
        login.ok_or_else(|| Exit::fail("No username available - even tried getpwuid"))
    }
}

/// Parses `-t` like NUT (`str_to_uint`); `Err` is the fatal exit.
pub fn parse_timeout(t: Option<&str>) -> Result<u32, Exit> {
    match t {
        None => Ok(DEFAULT_TRACKING_TIMEOUT),
        Some(s) => getopt::str_to_uint(s).map_err(|why| {
            Exit::fail(format!("Could not convert the provided value for timeout ('-t' option) to unsigned int: {why}"))
        }),
    }
}

/// The `-p` password, or NUT's `Password: ` prompt (upsrw and upscmd).
pub(crate) fn password_or_prompt(given: Option<&str>) -> Result<String, Exit> {
    match given {
        Some(p) => Ok(p.to_string()),
        None => prompt::getpass("Password: ")
            .map_err(|e| Exit::fail(format!("getpass failed: {}", super::error::strerror(&e)))),
    }
}

/// USERNAME and PASSWORD, with libupsclient's error texts (upsrw and upscmd).
pub(crate) fn send_credentials(c: &mut Client, user: String, pass: String) -> RunResult {
    c.send(&Request::Username(user)).map_err(|e| Exit::fail(format!("Can't set username: {e}")))?;
    c.read_line().map_err(|e| Exit::fail(format!("Set username failed: {e}")))?;
    c.send(&Request::Password(pass)).map_err(|e| Exit::fail(format!("Can't set password: {e}")))?;
    c.read_line().map_err(|e| Exit::fail(format!("Set password failed: {e}")))?;
    Ok(())
}

fn do_setvar(c: &mut Client, out: &mut Out, ups: &str, args: &Args, setvar: &str, timeout: u32) -> RunResult {
    let user = match &args.username {
        Some(u) => u.clone(),
        None => ask_username(out, None)?,
    };
    let pass = password_or_prompt(args.password.as_deref())?;
    let (varname, newval) = match setvar.split_once('=') {
        Some((v, val)) => (v.to_string(), val.to_string()),
        None => {
            out.print(&format!("Enter new value for {setvar}: "));
            out.flush();
            let line = prompt::fgets(&mut io::stdin().lock()).unwrap_or_default();
            (setvar.to_string(), prompt::chop(line))
        }
    };
    send_credentials(c, user, pass)?;
    if !varname.contains('.') {
        return Err(Exit::fail("Error: old variable names are not supported"));
    }
    if args.wait {
        c.send(&Request::SetTracking { on: true })
            .map_err(|e| Exit::fail(format!("Can't enable set variable status tracking: {e}")))?;
        let l = c.read_line().map_err(|e| Exit::fail(format!("Enabling set variable status tracking failed: {e}")))?;
        if !l.starts_with("OK") {
            return Err(Exit::fail(format!("Enabling set variable status tracking failed. upsd answered: {l}")));
        }
    }
    let req = Request::SetVar { ups: ups.into(), var: varname, value: newval };
    c.send(&req).map_err(|e| Exit::fail(format!("Can't set variable: {e}")))?;
    let reply = c.read_line().map_err(|e| Exit::fail(format!("Set variable failed: {e}")))?;
    if !reply.starts_with("OK") {
        return Err(Exit::fail(format!("Unexpected response from upsd: {reply}")));
    }
    out.flush();
    track(c, &reply, args.wait, timeout)
}

fn print_rw(c: &mut Client, out: &mut Out, ups: &str, var: &str) -> RunResult {
    out.line(&format!("[{var}]"));
    match c.get_desc(ups, var) {
        Ok(d) => out.line(&d),
        Err(_) => out.line("Description unavailable"),
    }
    let ty = match c.get_type(ups, var) {
        Ok(t) => t,
        Err(_) => {
            out.line("Unknown type");
            out.line("");
            return Ok(());
        }
    };
    let value = |c: &mut Client, what: &str| {
        c.get_var(ups, var).map_err(|_| Exit::fail(format!("{what}: can't get current value of {var}")))
    };
    if ty.has_range {
        let cur = value(c, "do_range")?;
        let ival = getopt::atoi(&cur);
        let ranges = c.list_partial(crate::proto::net::ListQuery::Range { ups: ups.into(), var: var.into() });
        let (items, _) = ranges.map_err(|e| Exit::fail(format!("Error: {e}")))?;
        out.line("Type: RANGE NUMBER");
        for i in items {
            if let crate::proto::net::ListItem::Range { range, .. } = i {
                let (min, max) = (
                    range.min.clamp(i32::MIN.into(), i32::MAX.into()),
                    range.max.clamp(i32::MIN.into(), i32::MAX.into()),
                );
                let sel = if ival >= min && ival <= max { " SELECTED" } else { "" };
                out.line(&format!("Option: \"{min}-{max}\"{sel}"));
            }
        }
    } else if ty.has_enum {
        let cur = value(c, "do_enum")?;
        let (items, _) = c
            .list_partial(crate::proto::net::ListQuery::Enum { ups: ups.into(), var: var.into() })
            .map_err(|e| Exit::fail(format!("Error: {e}")))?;
        match ty.string_len {
            Some(n) => {
                out.line("Type: ENUM STRING");
                out.line(&format!("Maximum length: {n}"));
            }
            None => out.line("Type: ENUM NUMBER"),
        }
        for i in items {
            if let crate::proto::net::ListItem::Enum { value, .. } = i {
                let sel = if value == cur { " SELECTED" } else { "" };
                out.line(&format!("Option: \"{value}\"{sel}"));
            }
        }
    } else if let Some(n) = ty.string_len {
        let cur = value(c, "do_string")?;
        out.line("Type: STRING");
        out.line(&format!("Maximum length: {n}"));
        out.line(&format!("Value: {cur}"));
    } else {
        let cur = value(c, "do_number")?;
        out.line("Type: NUMBER");
        out.line(&format!("Value: {cur}"));
    }
    out.line("");
    Ok(())
}

fn print_rwlist(c: &mut Client, out: &mut Out, ups: &str) -> RunResult {
    let (items, _) = match c.list_partial(crate::proto::net::ListQuery::Rw { ups: ups.into() }) {
        Ok(x) => x,
        Err(e) if e.code() == Some(ErrorCode::UnknownCommand) => {
            return Err(Exit::fail("Error: upsd is too old to support this query"))
        }
        Err(e) => return Err(Exit::fail(format!("Error: {e}"))),
    };
    for i in items {
        if let crate::proto::net::ListItem::Rw { var, .. } = i {
            print_rw(c, out, ups, &var)?;
        }
    }
    Ok(())
}

/// Runs upsrw.
pub fn run(argv: &[OsString]) -> RunResult {
    let prog = getopt::prog_name(argv.first(), "upsrw");
    let mut out = Out::default();
    let m = match getopt::parse(Args::command(), argv, &getopt::argv0(argv)) {
        Ok(m) => m,
        Err(e) => {
            eprint_line(&e.message);
            usage(&mut out, &prog);
            return Ok(());
        }
    };
    let mut args = Args::from_arg_matches(&m).map_err(|e| Exit::fail(e.to_string()))?;
    // getopt order: the first of -h/-V/-t(bad) wins; -l after -s cancels it
    let t_index = m.index_of("timeout");
    let bad_t = args.timeout.as_deref().map(|t| parse_timeout(Some(t)).is_err()).unwrap_or(false);
    let mut early: Vec<(usize, &str)> = Vec::new();
    for id in ["help", "version"] {
        if m.get_flag(id) {
            if let Some(i) = m.index_of(id) {
                early.push((i, id));
            }
        }
    }
    if bad_t {
        early.push((t_index.unwrap_or(usize::MAX), "timeout"));
    }
    early.sort();
    if let Some((_, what)) = early.first() {
        match *what {
            "help" => {
                usage(&mut out, &prog);
                return Ok(());
            }
            "version" => {
                out.line(&format!("Network UPS Tools {prog} {}", crate::VERSION));
                return Ok(());
            }
            _ => {
                parse_timeout(args.timeout.as_deref())?;
            }
        }
    }
    if args.list && args.set.is_some() {
        if let (Some(li), Some(si)) = (m.index_of("list"), m.index_of("set")) {
            if li > si {
                eprint_line("Listing mode requested, overriding setvar specified earlier!");
                args.set = None;
            }
        }
    }
    let timeout = parse_timeout(args.timeout.as_deref())?;
    if args.operands.is_empty() {
        usage(&mut out, &prog);
        return Ok(());
    }
    let target = split_name(args.operands.first().map(String::as_str)).map_err(|e| {
        if let Some(d) = e.diagnostic() {
            eprint_line(&d);
        }
        Exit::fail("Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]")
    })?;
    let mut c = connect(&target.host, target.port, TlsMode::Off)?;
    let ups = target.ups.unwrap_or_default();
    match args.set.clone() {
        Some(s) => do_setvar(&mut c, &mut out, &ups, &args, &s, timeout),
        None => print_rwlist(&mut c, &mut out, &ups),
    }
}
