//! `upscmd`: list a UPS's instant commands (`-l`) or run one, optionally
//! with a parameter and waiting for the driver's result (`-w`, `-t`).
//! Behaves like NUT 2.8.0's upscmd.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser};

use super::addr::split_name;
use super::admin::{
    credentials, early_option, parse_timeout, send_credentials, send_tracked, Action, AuthArgs, Early,
    DEFAULT_TRACKING_TIMEOUT,
};
use super::getopt;
use super::tool::{connect, eprint_line, Exit, Out, RunResult};
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
    /// Authentication and tracking (`-u`, `-p`, `-t`, `-w`).
    #[command(flatten)]
    pub auth: AuthArgs,
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
    match early_option(&m, &args.auth)? {
        Some(Early::Help) => {
            usage(&mut out, &prog);
            return Ok(());
        }
        Some(Early::Version) => return Err(Exit::ok_with(format!("Network UPS Tools upscmd {}", crate::VERSION))),
        None => {}
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
    let (username, password) = credentials(&mut out, &args.auth, Some("Error reading from stdin!"))?;
    send_credentials(&mut c, username, password)?;
    let req = Request::Instcmd { ups: ups.clone(), cmd: cmd.clone(), param: args.operands.get(2).cloned() };
    send_tracked(&mut c, &mut out, &req, Action::Command, args.auth.wait, timeout)
}
