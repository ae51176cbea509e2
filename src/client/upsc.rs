//! `upsc`: show UPS variables, the UPSes of a server (`-l`, `-L`) or the
//! clients of a UPS (`-c`), with NUT 2.8.5's `-j` JSON output. Output,
//! messages and exit codes follow NUT 2.8.0's upsc (see
//! `tests/clients_upsc.rs`); the only differences are documented there.

use std::ffi::OsString;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use super::addr::{split_addr, split_name};
use super::error::ClientError;
use super::getopt;
use super::tool::{connect, Exit, Out, RunResult};
use super::TlsMode;
use crate::proto::net::{ErrorCode, ListItem, ListQuery};

/// upsc's command line (NUT option letters; `-h`/`-V` handled like NUT).
#[derive(Parser, Debug, Default)]
#[command(
    name = "upsc",
    about = "Lightweight UPS client: show variables, UPS lists or clients",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Args {
    /// List the UPS names configured at HOST (default localhost), one per line.
    #[arg(short = 'l')]
    pub list: bool,
    /// As -l, with each UPS's description.
    #[arg(short = 'L')]
    pub list_desc: bool,
    /// List the clients connected on UPS, one per line.
    #[arg(short = 'c')]
    pub clients: bool,
    /// Display output in JSON format (from NUT 2.8.5).
    #[arg(short = 'j')]
    pub json: bool,
    /// Display the help text.
    #[arg(short = 'h')]
    pub help: bool,
    /// Display the version.
    #[arg(short = 'V')]
    pub version: bool,
    /// `upsname[@hostname[:port]]` (or `hostname[:port]` with -l/-L),
    /// then optionally a variable name.
    #[arg(value_name = "UPS|HOST [VARIABLE]", num_args = 0.., trailing_var_arg = true)]
    pub operands: Vec<String>,
}

fn usage(out: &mut Out, prog: &str) {
    out.print(&format!(
        "Network UPS Tools upsc {ver}\n\n\
usage: {prog} -l | -L [<hostname>[:port]]\n       {prog} <ups> [<variable>]\n       {prog} -c <ups>\n\n\
Demo program to display UPS variables.\n\n\
First form (lists UPSes):\n  -l         - lists each UPS on <hostname>, one per line.\n  \
-L         - lists each UPS followed by its description (from ups.conf).\n               Default hostname: localhost\n\n\
Second form (lists variables and values):\n  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n  \
<variable> - optional, display this variable only.\n               Default: list all variables for <host>\n\n\
Third form (lists clients connected to a device):\n  -c         - lists each client connected on <ups>, one per line.\n  \
<ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form\n\n\
Option (from NUT 2.8.5):\n  -j         - display output in JSON format\n",
        ver = crate::VERSION
    ));
}

/// `json_print_esc` of NUT's strjson.c.
pub fn json_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 32 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

struct Ctx {
    out: Out,
    json: bool,
}

impl Ctx {
    /// `fatalx_error_json_simple`: the JSON error object (when -j) and
    /// `Error: msg` on stderr.
    fn fatal(&mut self, msg: &str) -> Exit {
        if self.json {
            self.out.line(&format!("{{\"error\": \"{}\"}}", json_escape(msg)));
        }
        Exit::fail(format!("Error: {msg}"))
    }

    fn start_error(&mut self, e: &ClientError) -> String {
        if e.code() == Some(ErrorCode::UnknownCommand) {
            "upsd is too old to support this query".into()
        } else {
            e.to_string()
        }
    }
}

/// Parses the command line like NUT's getopt loop; `Err` is the early exit.
pub fn parse(argv: &[OsString]) -> Result<(Args, ArgMatches, String), Exit> {
    let prog = getopt::prog_name(argv.first(), "upsc");
    let m = match getopt::parse(Args::command(), argv, &getopt::argv0(argv)) {
        Ok(m) => m,
        Err(e) => {
            super::tool::eprint_line(&e.message);
            let mut out = Out::default();
            usage(&mut out, &prog);
            return Err(Exit::ok());
        }
    };
    let args = Args::from_arg_matches(&m).map_err(|e| Exit::fail(e.to_string()))?;
    Ok((args, m, prog))
}

/// Which of `-h`/`-V` getopt would have met first.
fn first_of(m: &ArgMatches, ids: &[&str]) -> Option<String> {
    ids.iter()
        .filter(|id| m.get_flag(id))
        .filter_map(|id| m.index_of(id).map(|i| (i, id.to_string())))
        .min()
        .map(|(_, id)| id)
}

/// Runs upsc.
pub fn run(argv: &[OsString]) -> RunResult {
    let (args, m, prog) = parse(argv)?;
    let mut cx = Ctx { out: Out::default(), json: args.json };
    match first_of(&m, &["help", "version"]).as_deref() {
        Some("help") => {
            usage(&mut cx.out, &prog);
            return Ok(());
        }
        Some("version") => return Err(Exit::ok_with(format!("Network UPS Tools upsc {}", crate::VERSION))),
        _ => {}
    }
    let varlist = args.list || args.list_desc;
    let first = args.operands.first().map(String::as_str);
    let target = if varlist {
        split_addr(first).map_err(|e| {
            if let Some(d) = e.diagnostic() {
                super::tool::eprint_line(&d);
            }
            cx.fatal("invalid hostname.\nRequired format: [hostname[:port]]")
        })?
    } else {
        split_name(first).map_err(|e| {
            if let Some(d) = e.diagnostic() {
                super::tool::eprint_line(&d);
            }
            cx.fatal("invalid UPS definition.\nRequired format: upsname[@hostname[:port]]")
        })?
    };
    let mut c = match connect(&target.host, target.port, TlsMode::Try) {
        Ok(c) => c,
        Err(e) => {
            let msg = e.message.unwrap_or_default();
            return Err(cx.fatal(msg.strip_prefix("Error: ").unwrap_or(&msg)));
        }
    };
    let ups = target.ups.unwrap_or_default();
    if varlist {
        let (items, _) = c.list_partial(ListQuery::Ups).map_err(|e| {
            let m = cx.start_error(&e);
            cx.fatal(&m)
        })?;
        let verbose = args.list_desc;
        let mut first = true;
        if cx.json {
            cx.out.print(if verbose { "{\n" } else { "[\n" });
        }
        for i in items {
            let ListItem::Ups { ups, desc } = i else { continue };
            if cx.json {
                if !first {
                    cx.out.print(",\n");
                }
                if verbose {
                    cx.out.print(&format!("  \"{}\": \"{}\"", json_escape(&ups), json_escape(&desc)));
                } else {
                    cx.out.print(&format!("  \"{}\"", json_escape(&ups)));
                }
                first = false;
            } else if verbose {
                cx.out.line(&format!("{ups}: {desc}"));
            } else {
                cx.out.line(&ups);
            }
        }
        if cx.json {
            cx.out.print(if verbose { "\n}\n" } else { "\n]\n" });
        }
        return Ok(());
    }
    if args.clients {
        let (items, _) = c.list_partial(ListQuery::Client { ups }).map_err(|e| {
            let m = cx.start_error(&e);
            cx.fatal(&m)
        })?;
        if cx.json {
            cx.out.print("[\n");
        }
        let mut first = true;
        for i in items {
            let ListItem::Client { addr, .. } = i else { continue };
            if cx.json {
                if !first {
                    cx.out.print(",\n");
                }
                cx.out.print(&format!("  \"{}\"", json_escape(&addr)));
                first = false;
            } else {
                cx.out.line(&addr);
            }
        }
        if cx.json {
            cx.out.print("\n]\n");
        }
        return Ok(());
    }
    if let Some(var) = args.operands.get(1) {
        if !var.contains('.') {
            return Err(cx.fatal("old-style variable names are not supported"));
        }
        return match c.get_var(&ups, var) {
            Ok(v) => {
                if cx.json {
                    cx.out.line(&format!("\"{}\"", json_escape(&v)));
                } else {
                    cx.out.line(&v);
                }
                Ok(())
            }
            Err(e) if e.code() == Some(ErrorCode::UnknownCommand) => {
                Err(cx.fatal("variable unknown (old upsd detected)"))
            }
            Err(e) => Err(cx.fatal(&e.to_string())),
        };
    }
    if cx.json {
        cx.out.print("{\n");
    }
    let items = match c.list_partial(ListQuery::Var { ups }) {
        Ok((items, _)) => items,
        Err(e) => {
            let m = cx.start_error(&e);
            if cx.json {
                cx.out.print(&format!("  \"error\": \"{}\"\n}}\n", json_escape(&m)));
            }
            return Err(Exit::fail(format!("Error: {m}")));
        }
    };
    let mut first = true;
    for i in items {
        let ListItem::Var { var, value, .. } = i else { continue };
        if cx.json {
            if !first {
                cx.out.print(",\n");
            }
            cx.out.print(&format!("  \"{}\": \"{}\"", json_escape(&var), json_escape(&value)));
            first = false;
        } else {
            cx.out.line(&format!("{var}: {value}"));
        }
    }
    if cx.json {
        cx.out.print("\n}\n");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping() {
        assert_eq!(json_escape("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd\\u0001");
    }
}
