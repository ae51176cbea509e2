//! Command lines parsed by clap but reported like NUT's `getopt` loops:
//! options end at the first operand (`+` in NUT's option strings), an
//! unknown option gives `prog: invalid option -- 'x'`, a missing value
//! `prog: option requires an argument -- 'x'`, a long option (which plain
//! getopt(3) reads as a group of short ones) `prog: invalid option -- '-'`
//! — the program then decides what to do
//! (most print their usage and exit 0, as NUT's do).

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgMatches, Command};

/// The program name NUT prints: the basename of `argv[0]`.
pub fn prog_name(argv0: Option<&OsString>, default: &str) -> String {
    argv0
        .map(|a| {
            let s = a.to_string_lossy();
            s.rsplit('/').next().unwrap_or(&s).to_string()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// `argv[0]` as given: getopt's messages start with it (`/usr/bin/upsc:
/// invalid option -- 'x'`).
pub fn argv0(argv: &[OsString]) -> String {
    argv.first().map(|a| a.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A getopt diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetoptError {
    /// The line getopt prints on stderr (without the LF).
    pub message: String,
    /// The offending argument, as given.
    pub arg: String,
}

fn invalid_arg(e: &clap::Error) -> Option<String> {
    match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    }
}

fn describe(prog: &str, e: &clap::Error, cmd: &Command) -> GetoptError {
    let arg = invalid_arg(e).unwrap_or_default();
    let message = match e.kind() {
        // plain getopt(3) reads `--help` as the short options `-`, `h`, …
        ErrorKind::UnknownArgument if arg.starts_with("--") => format!("{prog}: invalid option -- '-'"),
        ErrorKind::UnknownArgument => {
            let c = arg.trim_start_matches('-').chars().next().unwrap_or('?');
            format!("{prog}: invalid option -- '{c}'")
        }
        _ => {
            // missing value: find the short flag the message names
            let short = cmd
                .get_arguments()
                .filter_map(|a| a.get_short())
                .find(|c| arg.starts_with(&format!("-{c}")))
                .unwrap_or('?');
            format!("{prog}: option requires an argument -- '{short}'")
        }
    };
    GetoptError { message, arg }
}

/// Parses `argv` (program name first) with `cmd`. On a getopt-style error
/// returns the diagnostic; the caller prints it.
pub fn parse(cmd: Command, argv: &[OsString], prog: &str) -> Result<ArgMatches, GetoptError> {
    let cmd = cmd.no_binary_name(false).args_override_self(true);
    match cmd.clone().try_get_matches_from(argv) {
        Ok(m) => Ok(m),
        Err(e) => Err(describe(prog, &e, &cmd)),
    }
}

/// Like [`parse`], but keeps going after unknown options the way a getopt
/// loop without a `default:` case does (upslog): each one is reported and
/// dropped. Returns the diagnostics and the matches of what remained.
pub fn parse_lenient(
    cmd: Command,
    argv: &[OsString],
    prog: &str,
) -> (Vec<GetoptError>, Result<ArgMatches, GetoptError>) {
    let mut argv = argv.to_vec();
    let mut diags = Vec::new();
    for _ in 0..64 {
        match parse(cmd.clone(), &argv, prog) {
            Ok(m) => return (diags, Ok(m)),
            Err(d) if d.message.contains("invalid option") => {
                if let Some(i) = argv.iter().position(|a| a.to_string_lossy() == d.arg && d.arg.starts_with("--")) {
                    // `--xyz`: the '-' is reported, the letters go on as `-xyz`
                    argv[i] = d.arg[1..].to_string().into();
                    diags.push(d);
                    continue;
                }
                // drop the bad letter from its group, or the whole word
                let bad = d.arg.clone();
                let c = bad.trim_start_matches('-').chars().next();
                let pos = argv.iter().position(|a| {
                    let a = a.to_string_lossy();
                    a == bad
                        || (!bad.starts_with("--")
                            && a.starts_with('-')
                            && !a.starts_with("--")
                            && c.is_some_and(|c| a[1..].contains(c)))
                });
                match pos {
                    Some(i) => {
                        let a = argv[i].to_string_lossy().to_string();
                        if a == bad || bad.starts_with("--") || a.len() <= 2 {
                            argv.remove(i);
                        } else if let Some(c) = c {
                            let rest: String = a[1..].replacen(c, "", 1);
                            if rest.is_empty() {
                                argv.remove(i);
                            } else {
                                argv[i] = format!("-{rest}").into();
                            }
                        }
                        diags.push(d);
                    }
                    None => return (diags, Err(d)),
                }
            }
            Err(d) => return (diags, Err(d)),
        }
    }
    let last = parse(cmd, &argv, prog);
    (diags, last)
}

/// NUT's `str_to_uint(s, 10)`: spaces trimmed, digits only, no sign,
/// within `u32`; the error is the errno text `fatal_with_errno` appends.
pub fn str_to_uint(s: &str) -> Result<u32, &'static str> {
    let t = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Invalid argument");
    }
    t.parse::<u64>().ok().and_then(|n| u32::try_from(n).ok()).ok_or("Numerical result out of range")
}

/// C `atoi`.
pub fn atoi(s: &str) -> i64 {
    crate::model::atoi(s).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn cmd() -> Command {
        Command::new("t")
            .disable_help_flag(true)
            .arg(Arg::new("l").short('l').action(ArgAction::SetTrue))
            .arg(Arg::new("s").short('s').num_args(1).allow_hyphen_values(true))
            .arg(Arg::new("rest").num_args(0..).trailing_var_arg(true))
    }

    fn argv(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn getopt_messages() {
        let e = parse(cmd(), &argv(&["t", "-x"]), "t").unwrap_err();
        assert_eq!(e.message, "t: invalid option -- 'x'");
        let e = parse(cmd(), &argv(&["t", "-lx"]), "t").unwrap_err();
        assert_eq!(e.message, "t: invalid option -- 'x'");
        let e = parse(cmd(), &argv(&["t", "-s"]), "t").unwrap_err();
        assert_eq!(e.message, "t: option requires an argument -- 's'");
        let e = parse(cmd(), &argv(&["t", "--help"]), "t").unwrap_err();
        assert_eq!(e.message, "t: invalid option -- '-'");
    }

    #[test]
    fn options_stop_at_first_operand() {
        let m = parse(cmd(), &argv(&["t", "-s", "-v", "ups", "-l", "x"]), "t").unwrap();
        assert_eq!(m.get_one::<String>("s").unwrap(), "-v");
        assert!(!m.get_flag("l"));
        let rest: Vec<&String> = m.get_many::<String>("rest").unwrap().collect();
        assert_eq!(rest, ["ups", "-l", "x"]);
        let m = parse(cmd(), &argv(&["t", "-s", "a", "-s", "b"]), "t").unwrap();
        assert_eq!(m.get_one::<String>("s").unwrap(), "b");
    }

    #[test]
    fn lenient_drops_unknown() {
        let (d, m) = parse_lenient(cmd(), &argv(&["t", "-xl", "-q", "ups"]), "t");
        assert_eq!(d.len(), 2);
        assert!(m.unwrap().get_flag("l"));
    }

    #[test]
    fn uint() {
        assert_eq!(str_to_uint("10"), Ok(10));
        assert_eq!(str_to_uint(" 10 "), Ok(10));
        assert_eq!(str_to_uint("-1"), Err("Invalid argument"));
        assert_eq!(str_to_uint("1x"), Err("Invalid argument"));
        assert_eq!(str_to_uint("99999999999"), Err("Numerical result out of range"));
    }
}
