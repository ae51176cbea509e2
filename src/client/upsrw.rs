//! `upsrw`: list a UPS's writable variables, or set one (`-s var=value`),
//! optionally waiting for the driver's result (`-w`, `-t`). Behaves like
//! NUT 2.8.0's upsrw: same prompts, messages on the same streams, same
//! exit codes.

use std::ffi::OsString;
use std::io;

use clap::{CommandFactory, FromArgMatches, Parser};

use super::addr::split_name;
use super::admin::{
    credentials, early_option, parse_timeout, send_tracked, Action, AuthArgs, Early, DEFAULT_TRACKING_TIMEOUT,
};
use super::blocking::Client;
use super::getopt;
use super::prompt;
use super::tool::{connect, eprint_line, Exit, Out, RunResult};
use super::TlsMode;
use crate::proto::net::{ErrorCode, Request};

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
    /// Authentication and tracking (`-u`, `-p`, `-t`, `-w`).
    #[command(flatten)]
    pub auth: AuthArgs,
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

fn do_setvar(c: &mut Client, out: &mut Out, ups: &str, args: &Args, setvar: &str, timeout: u32) -> RunResult {
    let (user, pass) = credentials(out, &args.auth, None)?;
    let (varname, newval) = match setvar.split_once('=') {
        Some((v, val)) => (v.to_string(), val.to_string()),
        None => {
            out.print(&format!("Enter new value for {setvar}: "));
            out.flush();
            let line = prompt::fgets(&mut io::stdin().lock()).unwrap_or_default();
            (setvar.to_string(), prompt::chop(line))
        }
    };
    super::admin::send_credentials(c, user, pass)?;
    if !varname.contains('.') {
        return Err(Exit::fail("Error: old variable names are not supported"));
    }
    let req = Request::SetVar { ups: ups.into(), var: varname, value: newval };
    send_tracked(c, out, &req, Action::SetVariable, args.auth.wait, timeout)
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
    match early_option(&m, &args.auth)? {
        Some(Early::Help) => {
            usage(&mut out, &prog);
            return Ok(());
        }
        Some(Early::Version) => {
            out.line(&format!("Network UPS Tools {prog} {}", crate::VERSION));
            return Ok(());
        }
        None => {}
    }
    if args.list && args.set.is_some() {
        if let (Some(li), Some(si)) = (m.index_of("list"), m.index_of("set")) {
            if li > si {
                eprint_line("Listing mode requested, overriding setvar specified earlier!");
                args.set = None;
            }
        }
    }
    let timeout = parse_timeout(args.auth.timeout.as_deref())?;
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
