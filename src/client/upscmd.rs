//! `upscmd`: list a UPS's instant commands (`-l`) or run one, optionally
//! with a parameter and waiting for the driver's result (`-w`, `-t`).
//! Behaves like NUT 2.8.0's upscmd.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser};

use super::addr::split_name;
use super::getopt;
use super::tool::{connect, eprint_line, Exit, Out, RunResult};
use super::upsrw::{
    ask_username, parse_timeout, password_or_prompt, send_credentials, track, DEFAULT_TRACKING_TIMEOUT,
};
use super::TlsMode;
use crate::proto::net::{ErrorCode, Request};

/// upscmd's command line.
#[derive(Parser, Debug, Default)]
#[command(
    name = "upscmd",
    about = "UPS administration program for instant commands",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Args {
    /// Show the instant commands supported by UPS.
    #[arg(short = 'l')]
    pub list: bool,
    /// Display the help text.
    #[arg(short = 'h')]
    pub help: bool,
    /// Username for authentication (prompted for when missing).
    #[arg(short = 'u', value_name = "username", allow_hyphen_values = true)]
    pub username: Option<String>,
    /// Password for authentication (prompted for when missing).
    #[arg(short = 'p', value_name = "password", allow_hyphen_values = true)]
    pub password: Option<String>,
    /// Timeout in seconds for -w (default 10).
    #[arg(short = 't', value_name = "timeout", allow_hyphen_values = true)]
    pub timeout: Option<String>,
    /// Wait for the driver's result of the command.
    #[arg(short = 'w')]
    pub wait: bool,
    /// Display the version.
    #[arg(short = 'V')]
    pub version: bool,
    /// `upsname[@hostname[:port]]`, the command, and optionally its value.
    #[arg(value_name = "UPS COMMAND [VALUE]", num_args = 0.., trailing_var_arg = true)]
    pub operands: Vec<String>,
}

fn usage(out: &mut Out, prog: &str) {
    out.print(&format!(
        "Network UPS Tools upscmd {ver}\n\n\
usage: {prog} [-h]\n       {prog} [-l <ups>]\n       {prog} [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups> <command> [<value>]\n\n\
Administration program to initiate instant commands on UPS hardware.\n\n  \
-h\t\tdisplay this help text\n  \
-l <ups>\tshow available commands on UPS <ups>\n  \
-u <username>\tset username for command authentication\n  \
-p <password>\tset password for command authentication\n  \
-w            wait for the completion of command by the driver\n                and return its actual result from the device\n  \
-t <timeout>\tset a timeout when using -w (in seconds, default: {DEFAULT_TRACKING_TIMEOUT})\n\n  \
<ups>\t\tUPS identifier - <upsname>[@<hostname>[:<port>]]\n  \
<command>\tValid instant command - test.panel.start, etc.\n  \
[<value>]\tAdditional data for command - number of seconds, etc.\n",
        ver = crate::VERSION
    ));
}

/// Runs upscmd.
pub fn run(argv: &[OsString]) -> RunResult {
    let prog = getopt::prog_name(argv.first(), "upscmd");
    let mut out = Out::default();
    let m = match getopt::parse(Args::command(), argv, &getopt::argv0(argv)) {
        Ok(m) => m,
        Err(e) => {
            eprint_line(&e.message);
            usage(&mut out, &prog);
            return Ok(());
        }
    };
    let args = Args::from_arg_matches(&m).map_err(|e| Exit::fail(e.to_string()))?;
    let bad_t = args.timeout.as_deref().is_some_and(|t| parse_timeout(Some(t)).is_err());
    let mut early: Vec<(usize, &str)> = Vec::new();
    for id in ["help", "version"] {
        if m.get_flag(id) {
            if let Some(i) = m.index_of(id) {
                early.push((i, id));
            }
        }
    }
    if bad_t {
        early.push((m.index_of("timeout").unwrap_or(usize::MAX), "timeout"));
    }
    early.sort();
    if let Some((_, what)) = early.first() {
        match *what {
            "help" => {
                usage(&mut out, &prog);
                return Ok(());
            }
            "version" => return Err(Exit::ok_with(format!("Network UPS Tools upscmd {}", crate::VERSION))),
            _ => {
                parse_timeout(args.timeout.as_deref())?;
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

    if args.list {
        let (items, _) = match c.list_partial(crate::proto::net::ListQuery::Cmd { ups: ups.clone() }) {
            Ok(x) => x,
            Err(e) if e.code() == Some(ErrorCode::UnknownCommand) => {
                return Err(Exit::fail("Error: upsd is too old to support this query"))
            }
            Err(e) => return Err(Exit::fail(format!("Error: {e}"))),
        };
        out.print(&format!("Instant commands supported on UPS [{ups}]:\n\n"));
        for i in items {
            if let crate::proto::net::ListItem::Cmd { cmd, .. } = i {
                match c.get_cmd_desc(&ups, &cmd) {
                    Ok(d) => out.line(&format!("{cmd} - {d}")),
                    Err(_) => out.line(&cmd),
                }
            }
        }
        return Ok(());
    }

    let Some(cmd) = args.operands.get(1) else {
        usage(&mut out, &prog);
        return Ok(());
    };
    if !cmd.contains('.') {
        return Err(Exit::fail("Error: old command names are not supported"));
    }
    let username = match &args.username {
        Some(u) => u.clone(),
        None => ask_username(&mut out, Some("Error reading from stdin!"))?,
    };
    let password = password_or_prompt(args.password.as_deref())?;
    send_credentials(&mut c, username, password)?;
    if args.wait {
        c.send(&Request::SetTracking { on: true })
            .map_err(|e| Exit::fail(format!("Can't enable command status tracking: {e}")))?;
        let l = c.read_line().map_err(|e| Exit::fail(format!("Enabling command status tracking failed: {e}")))?;
        if !l.starts_with("OK") {
            return Err(Exit::fail(format!("Enabling command status tracking failed. upsd answered: {l}")));
        }
    }
    let req = Request::Instcmd { ups: ups.clone(), cmd: cmd.clone(), param: args.operands.get(2).cloned() };
    c.send(&req).map_err(|e| Exit::fail(format!("Can't send instant command: {e}")))?;
    let reply = c.read_line().map_err(|e| Exit::fail(format!("Instant command failed: {e}")))?;
    if !reply.starts_with("OK") {
        return Err(Exit::fail(format!("Unexpected response from upsd: {reply}")));
    }
    out.flush();
    track(&mut c, &reply, args.wait, timeout)
}
