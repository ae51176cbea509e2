//! nut.conf: the shell-style `KEY=VALUE` file the service wrappers read
//! (`config-files.md` §3). We never run a shell: this module implements the
//! subset the spec allows and reports anything beyond it.
//!
//! Rules: one assignment a physical line, `KEY=VALUE` with no spaces around
//! `=`; the value bare (no shell metacharacters), in `"…"` (with `\"`,
//! `\\`, `\$`, `` \` `` escapes; `$` not expanded) or in `'…'` (literal);
//! after it only blanks and an optional `# comment`. Blank and `#` lines are
//! ignored, and so are unknown keys (with a warning, to catch typos).

use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Pos, Sink};
use super::value::parse_bool;

/// `MODE`: which services run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `none` (the default): nothing starts.
    #[default]
    None,
    /// `standalone`: drivers + upsd + upsmon, local only.
    Standalone,
    /// `netserver`: the same with upsd reachable over the network.
    Netserver,
    /// `netclient`: only upsmon.
    Netclient,
}

impl Mode {
    /// The word used in nut.conf.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Standalone => "standalone",
            Mode::Netserver => "netserver",
            Mode::Netclient => "netclient",
        }
    }

    /// Parses the exact (lower-case) word.
    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::None, Mode::Standalone, Mode::Netserver, Mode::Netclient].into_iter().find(|m| m.as_str() == s)
    }

    /// Whether drivers and upsd run (standalone, netserver).
    pub fn runs_server(self) -> bool {
        matches!(self, Mode::Standalone | Mode::Netserver)
    }

    /// Whether upsmon runs (all but none).
    pub fn runs_upsmon(self) -> bool {
        self != Mode::None
    }
}

/// `NUT_DEBUG_SYSLOG`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugSyslog {
    /// `stderr`: log to stderr instead of syslog.
    Stderr,
    /// `none`: no syslog.
    None,
    /// `default`: the usual behaviour.
    Default,
}

/// One assignment as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// The key.
    pub key: String,
    /// The value after unquoting.
    pub value: String,
    /// Where the key is.
    pub key_pos: Pos,
    /// Where the value is.
    pub value_pos: Pos,
}

/// The settings of nut.conf.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NutConf {
    /// The file it came from.
    pub path: PathBuf,
    /// Every assignment in order (later ones win, as in a shell).
    pub vars: Vec<Var>,
    /// `MODE` (none).
    pub mode: Mode,
    /// `ALLOW_NO_DEVICE`.
    pub allow_no_device: Option<bool>,
    /// `ALLOW_NOT_ALL_LISTENERS`.
    pub allow_not_all_listeners: Option<bool>,
    /// `UPSD_OPTIONS`.
    pub upsd_options: Option<String>,
    /// `UPSMON_OPTIONS`.
    pub upsmon_options: Option<String>,
    /// `POWEROFF_WAIT` (a sleep(1) duration such as `15m`).
    pub poweroff_wait: Option<String>,
    /// `POWEROFF_QUIET`.
    pub poweroff_quiet: bool,
    /// `NUT_DEBUG_LEVEL`.
    pub nut_debug_level: Option<u32>,
    /// `NUT_DEBUG_PID` (set to any non-empty value).
    pub nut_debug_pid: bool,
    /// `NUT_DEBUG_PROCNAME` (set to any non-empty value).
    pub nut_debug_procname: bool,
    /// `NUT_DEBUG_SYSLOG`.
    pub nut_debug_syslog: Option<DebugSyslog>,
    /// `NUT_IGNORE_CHECKPROCNAME`.
    pub nut_ignore_checkprocname: Option<bool>,
    /// `NUT_QUIET_INIT_UPSNOTIFY`.
    pub nut_quiet_init_upsnotify: Option<bool>,
}

/// Keys nut.conf knows.
pub const KEYS: &[&str] = &[
    "MODE",
    "ALLOW_NO_DEVICE",
    "ALLOW_NOT_ALL_LISTENERS",
    "UPSD_OPTIONS",
    "UPSMON_OPTIONS",
    "POWEROFF_WAIT",
    "POWEROFF_QUIET",
    "NUT_DEBUG_LEVEL",
    "NUT_DEBUG_PID",
    "NUT_DEBUG_PROCNAME",
    "NUT_DEBUG_SYSLOG",
    "NUT_IGNORE_CHECKPROCNAME",
    "NUT_QUIET_INIT_UPSNOTIFY",
];

fn pos(line: usize, col: usize) -> Pos {
    Pos { line: line as u32, col: col as u32 }
}

/// Whether `s` is a sleep(1) duration: a number (decimals allowed) with an
/// optional `s`, `m`, `h` or `d` suffix.
pub fn is_sleep_duration(s: &str) -> bool {
    let num = s.strip_suffix(['s', 'm', 'h', 'd']).unwrap_or(s);
    let mut parts = num.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits) && !(int.is_empty() && frac.is_none_or(str::is_empty))
}

/// Splits one line into key, value and positions, or reports why not.
fn parse_line(no: usize, raw: &[u8], sink: &mut Sink<'_>) -> Option<Var> {
    let start = raw.iter().position(|b| *b != b' ' && *b != b'\t')?;
    if raw[start] == b'#' {
        return None;
    }
    if let Some(i) = raw.iter().position(|b| !b.is_ascii()) {
        sink.error(pos(no, i + 1), "non-ASCII byte: nut.conf must be pure ASCII");
        return None;
    }
    let text = std::str::from_utf8(raw).ok()?;
    let body = &text[start..];
    let key_len = body.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    let key = &body[..key_len];
    let rest = &body[key_len..];
    let kpos = pos(no, start + 1);
    if key.is_empty() || key.as_bytes()[0].is_ascii_digit() {
        sink.error(kpos, "expected KEY=VALUE");
        return None;
    }
    if rest.starts_with([' ', '\t']) && rest.trim_start().starts_with('=') {
        sink.error(pos(no, start + key_len + 1), "no spaces allowed around '=' (shell syntax)");
        return None;
    }
    let Some(v) = rest.strip_prefix('=') else {
        sink.error(pos(no, start + key_len + 1), format!("expected '=' after {key}"));
        return None;
    };
    let vcol = start + key_len + 2;
    let vpos = pos(no, vcol);
    if v.starts_with([' ', '\t']) && !v.trim_start().is_empty() && !v.trim_start().starts_with('#') {
        sink.error(vpos, "no spaces allowed around '=' (shell syntax)");
        return None;
    }
    let (value, after) = if let Some(q) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut it = q.char_indices();
        let mut end = None;
        while let Some((i, ch)) = it.next() {
            match ch {
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                '\\' => match it.next() {
                    Some((_, e @ ('"' | '\\' | '$' | '`'))) => out.push(e),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => out.push('\\'),
                },
                '$' | '`' => {
                    sink.warn(
                        pos(no, vcol + 1 + i),
                        "no variable or command expansion in nut.conf; the text is taken literally",
                    );
                    out.push(ch);
                }
                _ => out.push(ch),
            }
        }
        let Some(end) = end else {
            sink.error(vpos, "unterminated double quote");
            return None;
        };
        (out, &q[end..])
    } else if let Some(q) = v.strip_prefix('\'') {
        let Some(end) = q.find('\'') else {
            sink.error(vpos, "unterminated single quote");
            return None;
        };
        (q[..end].to_string(), &q[end + 1..])
    } else {
        let end = v.find([' ', '\t']).unwrap_or(v.len());
        let bare = &v[..end];
        if let Some(i) = bare.find(|ch: char| "$`;&|<>()\\\"'*?[]{}~".contains(ch)) {
            sink.error(pos(no, vcol + i), "shell syntax is not supported in nut.conf: quote the value");
            return None;
        }
        (bare.to_string(), &v[end..])
    };
    let tail = after.trim_start();
    if !tail.is_empty() && !tail.starts_with('#') {
        let col = vcol + (v.len() - tail.len());
        sink.error(pos(no, col), "unexpected text after the value (one KEY=VALUE a line; quote values with spaces)");
        return None;
    }
    Some(Var { key: key.to_string(), value, key_pos: kpos, value_pos: vpos })
}

impl NutConf {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> std::io::Result<(NutConf, Vec<Diagnostic>)> {
        let bytes = std::fs::read(path)?;
        Ok(NutConf::parse(path, &bytes))
    }

    /// The last value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.iter().rev().find(|v| v.key == key).map(|v| v.value.as_str())
    }

    /// Parses `input` (the contents of `path`), reporting every problem.
    pub fn parse(path: &Path, input: &[u8]) -> (NutConf, Vec<Diagnostic>) {
        let mut sink = Sink::new(path);
        let mut c = NutConf { path: path.to_path_buf(), ..NutConf::default() };
        for (i, raw) in input.split(|b| *b == b'\n').enumerate() {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if let Some(v) = parse_line(i + 1, raw, &mut sink) {
                c.apply(&v, &mut sink);
                c.vars.push(v);
            }
        }
        (c, sink.finish())
    }

    fn apply(&mut self, v: &Var, sink: &mut Sink<'_>) {
        let val = v.value.as_str();
        let boolean = |sink: &mut Sink<'_>| {
            let b = parse_bool(val);
            if b.is_none() {
                sink.error(
                    v.value_pos,
                    format!("{}: '{val}' is not a boolean (true/false, yes/no, on/off, 1/0)", v.key),
                );
            }
            b
        };
        match v.key.as_str() {
            "MODE" => match Mode::parse(val) {
                Some(m) => self.mode = m,
                None => sink.error(
                    v.value_pos,
                    format!("MODE: unknown mode '{val}' (none, standalone, netserver or netclient)"),
                ),
            },
            "ALLOW_NO_DEVICE" => self.allow_no_device = boolean(sink).or(self.allow_no_device),
            "ALLOW_NOT_ALL_LISTENERS" => self.allow_not_all_listeners = boolean(sink).or(self.allow_not_all_listeners),
            "POWEROFF_QUIET" => self.poweroff_quiet = boolean(sink).unwrap_or(self.poweroff_quiet),
            "NUT_IGNORE_CHECKPROCNAME" => {
                self.nut_ignore_checkprocname = boolean(sink).or(self.nut_ignore_checkprocname)
            }
            "NUT_QUIET_INIT_UPSNOTIFY" => {
                self.nut_quiet_init_upsnotify = boolean(sink).or(self.nut_quiet_init_upsnotify)
            }
            "UPSD_OPTIONS" => self.upsd_options = Some(val.to_string()),
            "UPSMON_OPTIONS" => self.upsmon_options = Some(val.to_string()),
            "POWEROFF_WAIT" => {
                if is_sleep_duration(val) {
                    self.poweroff_wait = Some(val.to_string());
                } else {
                    sink.error(v.value_pos, format!("POWEROFF_WAIT: '{val}' is not a sleep(1) duration such as 15m"));
                }
            }
            "NUT_DEBUG_LEVEL" => match val.parse::<u32>() {
                Ok(n) if val.bytes().all(|b| b.is_ascii_digit()) => self.nut_debug_level = Some(n),
                _ => sink.error(v.value_pos, format!("NUT_DEBUG_LEVEL: '{val}' is not a non-negative integer")),
            },
            "NUT_DEBUG_PID" => self.nut_debug_pid = !val.is_empty(),
            "NUT_DEBUG_PROCNAME" => self.nut_debug_procname = !val.is_empty(),
            "NUT_DEBUG_SYSLOG" => match val {
                "stderr" => self.nut_debug_syslog = Some(DebugSyslog::Stderr),
                "none" => self.nut_debug_syslog = Some(DebugSyslog::None),
                "default" => self.nut_debug_syslog = Some(DebugSyslog::Default),
                _ => sink.error(v.value_pos, format!("NUT_DEBUG_SYSLOG: '{val}' is not stderr, none or default")),
            },
            key => {
                if let Some(k) = KEYS.iter().find(|k| k.eq_ignore_ascii_case(key)) {
                    sink.warn(v.key_pos, format!("unknown key {key} is ignored (keys are case-sensitive: {k}?)"));
                } else {
                    sink.warn(v.key_pos, format!("unknown key {key} is ignored"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (NutConf, Vec<String>) {
        let (c, d) = NutConf::parse(Path::new("nut.conf"), s.as_bytes());
        (c, d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn values() {
        let (c, d) = parse(
            "# c\n\nMODE=netserver\nUPSD_OPTIONS=\"-u nut -D\" # comment\nUPSMON_OPTIONS='-p'\nPOWEROFF_WAIT=15m\n\
             ALLOW_NO_DEVICE=true\nPOWEROFF_QUIET=yes\nNUT_DEBUG_LEVEL=2\nNUT_DEBUG_SYSLOG=stderr\nNUT_DEBUG_PID=1\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.mode, Mode::Netserver);
        assert_eq!(c.upsd_options.as_deref(), Some("-u nut -D"));
        assert_eq!(c.upsmon_options.as_deref(), Some("-p"));
        assert_eq!(c.poweroff_wait.as_deref(), Some("15m"));
        assert_eq!(c.allow_no_device, Some(true));
        assert!(c.poweroff_quiet && c.nut_debug_pid && !c.nut_debug_procname);
        assert_eq!(c.nut_debug_level, Some(2));
        assert_eq!(c.nut_debug_syslog, Some(DebugSyslog::Stderr));
        assert_eq!(c.get("MODE"), Some("netserver"));
    }

    #[test]
    fn problems() {
        let (_, d) =
            parse("MODE = standalone\nMODE=server\nX=$HOME\nUPSD_OPTIONS=-u nut\nmode=none\nPOWEROFF_WAIT=soon\n");
        assert_eq!(
            d,
            [
                "nut.conf:1:5: no spaces allowed around '=' (shell syntax)",
                "nut.conf:2:6: MODE: unknown mode 'server' (none, standalone, netserver or netclient)",
                "nut.conf:3:3: shell syntax is not supported in nut.conf: quote the value",
                "nut.conf:4:17: unexpected text after the value (one KEY=VALUE a line; quote values with spaces)",
                "nut.conf:5:1: warning: unknown key mode is ignored (keys are case-sensitive: MODE?)",
                "nut.conf:6:15: POWEROFF_WAIT: 'soon' is not a sleep(1) duration such as 15m",
            ]
        );
    }

    #[test]
    fn durations() {
        assert!(is_sleep_duration("15m") && is_sleep_duration("30") && is_sleep_duration("1.5h"));
        assert!(
            !is_sleep_duration("") && !is_sleep_duration("m") && !is_sleep_duration("1x") && !is_sleep_duration(".")
        );
    }
}
