//! upssched.conf: CMDSCRIPT, PIPEFN, LOCKFN, DEBUG_MIN and the `AT` rules
//! with typed timer commands (`config-files.md` §8).
//!
//! As in NUT, every directive is case-sensitive, an AT line needs at least 5
//! words (else "invalid directive"), and CMDSCRIPT, PIPEFN and LOCKFN must
//! all come before the first AT (upssched dies otherwise).

use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Pos, Sink};
use super::lines::{extra_words, invalid_directive, lines};
use super::upsmon::NotifyType;
use super::value::parse_int;
use crate::model::atoi;
use crate::proto::words::Line;

/// Which UPS an AT rule applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpsMatch {
    /// `*`: every UPS.
    Any,
    /// This exact system name (as upsmon passes it in `UPSNAME`).
    Name(String),
}

impl UpsMatch {
    /// Whether `ups` matches (exact comparison, as upssched does).
    pub fn matches(&self, ups: &str) -> bool {
        match self {
            UpsMatch::Any => true,
            UpsMatch::Name(n) => n == ups,
        }
    }
}

/// What an AT rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AtCommand {
    /// `START-TIMER <name> <seconds>`.
    StartTimer {
        /// Timer name (passed to CMDSCRIPT when it elapses).
        name: String,
        /// Delay.
        seconds: u32,
    },
    /// `START-TIMER-SHARED <name> <seconds>` (newest): one timer shared by
    /// all UPSes.
    StartTimerShared {
        /// Timer name.
        name: String,
        /// Delay.
        seconds: u32,
    },
    /// `CANCEL-TIMER <name> [<cmd>]`: cancel; if none was running, run `cmd`.
    CancelTimer {
        /// Timer name.
        name: String,
        /// Command to run when no timer was running.
        cmd: Option<String>,
    },
    /// `CANCEL-TIMER-MATCHED <name> [<cmd>]` (newest).
    CancelTimerMatched {
        /// Timer name.
        name: String,
        /// Command to run when no timer was running.
        cmd: Option<String>,
    },
    /// `EXECUTE <cmd>`: run CMDSCRIPT with `cmd` now.
    Execute {
        /// The argument for CMDSCRIPT.
        cmd: String,
    },
}

/// One `AT <notifytype> <ups|*> <command> <args…>` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtRule {
    /// The notification type it reacts to.
    pub notify_type: NotifyType,
    /// The UPS it reacts to.
    pub ups: UpsMatch,
    /// What it does.
    pub command: AtCommand,
    /// Where the AT is.
    pub pos: Pos,
}

/// The settings of upssched.conf.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpsschedConf {
    /// The file it came from.
    pub path: PathBuf,
    /// CMDSCRIPT words (2.8.0 uses only the first).
    pub cmdscript: Option<Vec<String>>,
    /// PIPEFN.
    pub pipefn: Option<PathBuf>,
    /// LOCKFN.
    pub lockfn: Option<PathBuf>,
    /// DEBUG_MIN.
    pub debug_min: Option<u32>,
    /// AT rules in order (all matching ones fire).
    pub rules: Vec<AtRule>,
}

impl UpsschedConf {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> std::io::Result<(UpsschedConf, Vec<Diagnostic>)> {
        let bytes = std::fs::read(path)?;
        Ok(UpsschedConf::parse(path, &bytes))
    }

    /// The rules that fire for this notification type and UPS.
    pub fn matching<'a>(&'a self, t: NotifyType, ups: &'a str) -> impl Iterator<Item = &'a AtRule> + 'a {
        self.rules.iter().filter(move |r| r.notify_type == t && r.ups.matches(ups))
    }

    /// Parses `input` (the contents of `path`), reporting every problem.
    pub fn parse(path: &Path, input: &[u8]) -> (UpsschedConf, Vec<Diagnostic>) {
        let mut sink = Sink::new(path);
        let mut c = UpsschedConf { path: path.to_path_buf(), ..UpsschedConf::default() };
        let mut first_at = true;
        for line in lines(input, &mut sink) {
            let w = &line.words;
            let n = w.len();
            if n < 2 {
                invalid_directive(&line, &mut sink);
                continue;
            }
            let arg = &w[1].text;
            match w[0].text.as_str() {
                "CMDSCRIPT" => {
                    if n > 2 {
                        sink.warn(
                            w[2].pos,
                            "CMDSCRIPT: NUT 2.8.0 uses only the first word; quote the whole command to stay portable",
                        );
                    }
                    c.cmdscript = Some(w[1..].iter().map(|x| x.text.clone()).collect());
                }
                "DEBUG_MIN" => {
                    match parse_int(arg).and_then(|v| u32::try_from(v).ok()) {
                        Some(v) => c.debug_min = Some(v),
                        None => sink.warn(w[1].pos, format!("DEBUG_MIN: invalid value '{arg}' ignored")),
                    }
                    extra_words(&line, 2, &mut sink);
                }
                "PIPEFN" => {
                    c.pipefn = Some(PathBuf::from(arg));
                    extra_words(&line, 2, &mut sink);
                }
                "LOCKFN" => {
                    c.lockfn = Some(PathBuf::from(arg));
                    extra_words(&line, 2, &mut sink);
                }
                "AT" if n >= 5 => {
                    if first_at {
                        first_at = false;
                        if c.cmdscript.is_none() {
                            sink.error(w[0].pos, "CMDSCRIPT must be set before any ATs in the config file!");
                        }
                        if c.pipefn.is_none() {
                            sink.error(w[0].pos, "PIPEFN must be set before any ATs in the config file!");
                        }
                        if c.lockfn.is_none() {
                            sink.error(w[0].pos, "LOCKFN must be set before any ATs in the config file!");
                        }
                    }
                    if let Some(rule) = at_rule(&line, &mut sink) {
                        c.rules.push(rule);
                    }
                }
                _ => invalid_directive(&line, &mut sink),
            }
        }
        (c, sink.finish())
    }
}

fn seconds(line: &Line, sink: &mut Sink<'_>) -> Option<u32> {
    let Some(w) = line.words.get(5) else {
        sink.error(line.words[3].pos, format!("{} needs a timer name and a number of seconds", line.words[3].text));
        return None;
    };
    match parse_int(&w.text) {
        Some(v) if v >= 0 => Some(u32::try_from(v).unwrap_or(u32::MAX)),
        Some(_) => {
            sink.warn(w.pos, "bogus offset for timer, ignoring");
            None
        }
        None => {
            let v = atoi(&w.text);
            sink.warn(w.pos, format!("timer delay '{}' is not a number (upssched reads it as {v})", w.text));
            if v < 0 {
                None
            } else {
                Some(u32::try_from(v).unwrap_or(u32::MAX))
            }
        }
    }
}

fn at_rule(line: &Line, sink: &mut Sink<'_>) -> Option<AtRule> {
    let w = &line.words;
    let notify_type = match w[1].text.parse::<NotifyType>() {
        Ok(t) => Some(t),
        Err(()) => {
            sink.warn(w[1].pos, format!("'{}' is not a valid notify event name: this AT never fires", w[1].text));
            None
        }
    };
    let ups = if w[2].text == "*" { UpsMatch::Any } else { UpsMatch::Name(w[2].text.clone()) };
    let a1 = w[4].text.clone();
    let a2 = w.get(5).map(|x| x.text.clone());
    let (command, used) = match w[3].text.as_str() {
        "START-TIMER" => (AtCommand::StartTimer { name: a1, seconds: seconds(line, sink)? }, 6),
        "START-TIMER-SHARED" => (AtCommand::StartTimerShared { name: a1, seconds: seconds(line, sink)? }, 6),
        "CANCEL-TIMER" => (AtCommand::CancelTimer { name: a1, cmd: a2 }, 6),
        "CANCEL-TIMER-MATCHED" => (AtCommand::CancelTimerMatched { name: a1, cmd: a2 }, 6),
        "EXECUTE" => {
            if a1.is_empty() {
                sink.error(w[4].pos, "Empty EXECUTE command argument");
                return None;
            }
            (AtCommand::Execute { cmd: a1 }, 5)
        }
        other => {
            sink.error(w[3].pos, format!("Invalid command: {other}"));
            return None;
        }
    };
    extra_words(line, used, sink);
    Some(AtRule { notify_type: notify_type?, ups, command, pos: w[0].pos })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (UpsschedConf, Vec<String>) {
        let (c, d) = UpsschedConf::parse(Path::new("upssched.conf"), s.as_bytes());
        (c, d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn rules() {
        let (c, d) = parse(
            "CMDSCRIPT /usr/local/bin/cmd\nPIPEFN /run/nut/upssched/pipe\nLOCKFN /run/nut/upssched/lock\n\
             AT ONBATT * START-TIMER onbattwarn 30\nAT ONLINE * CANCEL-TIMER onbattwarn\n\
             AT online ups1 EXECUTE back\nAT LOWBATT * START-TIMER-SHARED low 5\nAT COMMOK * CANCEL-TIMER-MATCHED x y\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.rules.len(), 5);
        assert_eq!(c.rules[0].command, AtCommand::StartTimer { name: "onbattwarn".into(), seconds: 30 });
        assert_eq!(c.rules[1].command, AtCommand::CancelTimer { name: "onbattwarn".into(), cmd: None });
        assert_eq!(c.matching(NotifyType::Online, "ups1").count(), 2);
        assert_eq!(c.matching(NotifyType::Online, "UPS1").count(), 1);
        assert_eq!(c.rules[4].command, AtCommand::CancelTimerMatched { name: "x".into(), cmd: Some("y".into()) });
    }

    #[test]
    fn problems() {
        let (_, d) = parse("CMDSCRIPT /x\nAT ONBATT * START-TIMER\nAT ONBATT * START-TIMER a 5\nAT ONBATT * STOP a\nat ONBATT * EXECUTE a\n");
        assert_eq!(
            d,
            [
                "upssched.conf:2:1: warning: invalid directive AT ONBATT * START-TIMER",
                "upssched.conf:3:1: PIPEFN must be set before any ATs in the config file!",
                "upssched.conf:3:1: LOCKFN must be set before any ATs in the config file!",
                "upssched.conf:4:13: Invalid command: STOP",
                "upssched.conf:5:1: warning: invalid directive at ONBATT * EXECUTE a",
            ]
        );
    }
}
