//! upsmon.conf: `KEYWORD args…` lines (`config-files.md` §7), the MONITOR
//! lines with their systems, the notification table (NOTIFYMSG/NOTIFYFLAG
//! over [`NotifyType`]) and the timing settings with NUT's defaults.
//!
//! Keywords are case-sensitive (`DEBUG_MIN` excepted); unknown ones are
//! "invalid directive". Numbers are read with `atoi` as NUT does (garbage
//! reads as 0, which we warn about). The 5-argument MONITOR form is fatal.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::diag::{Diagnostic, Pos, Sink};
use super::lines::{extra_words, invalid_directive, lines};
use super::value::{parse_bool, parse_int};
use crate::model::atoi;
use crate::proto::words::Line;

macro_rules! notify_types {
    ($($(#[$m:meta])* $v:ident = $s:literal, $msg:literal;)*) => {
        /// A upsmon notification type (`variables.md` §6).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum NotifyType {
            $($(#[$m])* $v,)*
        }

        impl NotifyType {
            /// Every type, in NUT's table order.
            pub const ALL: &'static [NotifyType] = &[$(NotifyType::$v,)*];

            /// The name used in config files and `NOTIFYTYPE`.
            pub fn as_str(self) -> &'static str {
                match self { $(NotifyType::$v => $s,)* }
            }

            /// upsmon's built-in message (`%s` = the UPS system name).
            pub fn default_message(self) -> &'static str {
                match self { $(NotifyType::$v => $msg,)* }
            }
        }
    };
}

notify_types! {
    /// UPS on line power.
    Online = "ONLINE", "UPS %s on line power";
    /// UPS on battery.
    Onbatt = "ONBATT", "UPS %s on battery";
    /// Battery low.
    Lowbatt = "LOWBATT", "UPS %s battery is low";
    /// Forced shutdown in progress.
    Fsd = "FSD", "UPS %s: forced shutdown in progress";
    /// Communications established.
    Commok = "COMMOK", "Communications with UPS %s established";
    /// Communications lost.
    Commbad = "COMMBAD", "Communications with UPS %s lost";
    /// The system is being shut down.
    Shutdown = "SHUTDOWN", "Auto logout and shutdown proceeding";
    /// The primary waits for secondaries (newest).
    ShutdownHostsync = "SHUTDOWN_HOSTSYNC", "Shutdown initiated; primary system is waiting for secondaries to log out or time out";
    /// Replace the battery.
    Replbatt = "REPLBATT", "UPS %s battery needs to be replaced";
    /// UPS unavailable.
    Nocomm = "NOCOMM", "UPS %s is unavailable";
    /// The privileged parent died.
    Noparent = "NOPARENT", "upsmon parent process died - shutdown impossible";
    /// Calibration in progress.
    Cal = "CAL", "UPS %s: calibration in progress";
    /// Calibration finished (≥ 2.8.2).
    Notcal = "NOTCAL", "UPS %s: calibration finished";
    /// Administratively off (≥ 2.8.1).
    Off = "OFF", "UPS %s: administratively OFF or asleep";
    /// No longer off.
    Notoff = "NOTOFF", "UPS %s: no longer administratively OFF or asleep";
    /// On bypass.
    Bypass = "BYPASS", "UPS %s: on bypass (powered, not protecting)";
    /// No longer on bypass.
    Notbypass = "NOTBYPASS", "UPS %s: no longer on bypass";
    /// ECO mode (≥ 2.8.3).
    Eco = "ECO", "UPS %s: in ECO mode (as defined by vendor)";
    /// No longer ECO.
    Noteco = "NOTECO", "UPS %s: no longer in ECO mode";
    /// Active alarms (second `%s` = ups.alarm).
    Alarm = "ALARM", "UPS %s: one or more active alarms: [%s]";
    /// No more alarms.
    Notalarm = "NOTALARM", "UPS %s is no longer in an alarm state (no active alarms)";
    /// Overloaded.
    Over = "OVER", "UPS %s: overloaded";
    /// No longer overloaded.
    Notover = "NOTOVER", "UPS %s: no longer overloaded";
    /// Trimming voltage.
    Trim = "TRIM", "UPS %s: trimming incoming voltage";
    /// No longer trimming.
    Nottrim = "NOTTRIM", "UPS %s: no longer trimming incoming voltage";
    /// Boosting voltage.
    Boost = "BOOST", "UPS %s: boosting incoming voltage";
    /// No longer boosting.
    Notboost = "NOTBOOST", "UPS %s: no longer boosting incoming voltage";
    /// Unclassified status tokens (second `%s` = the tokens).
    Other = "OTHER", "UPS %s: has at least one unclassified status token: [%s]";
    /// No more unclassified tokens.
    Notother = "NOTOTHER", "UPS %s has no unclassified status tokens anymore";
    /// The OS is going to sleep.
    SuspendStarting = "SUSPEND_STARTING", "OS is entering sleep/suspend/hibernate mode";
    /// The OS woke up.
    SuspendFinished = "SUSPEND_FINISHED", "OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown";
}

impl NotifyType {
    /// How many `%s` the message may hold (ALARM and OTHER take two).
    pub fn max_placeholders(self) -> usize {
        match self {
            NotifyType::Alarm | NotifyType::Other => 2,
            _ => 1,
        }
    }
}

impl FromStr for NotifyType {
    type Err = ();

    /// Case-insensitive, as upsmon and upssched compare them.
    fn from_str(s: &str) -> Result<Self, ()> {
        NotifyType::ALL.iter().copied().find(|t| t.as_str().eq_ignore_ascii_case(s)).ok_or(())
    }
}

impl fmt::Display for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a notification (`NOTIFYFLAG`, `+`-joined).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NotifyFlags {
    /// `SYSLOG`.
    pub syslog: bool,
    /// `WALL`.
    pub wall: bool,
    /// `EXEC`: run NOTIFYCMD.
    pub exec: bool,
    /// `IGNORE`.
    pub ignore: bool,
}

impl NotifyFlags {
    /// The default: SYSLOG+WALL.
    pub const DEFAULT: NotifyFlags = NotifyFlags { syslog: true, wall: true, exec: false, ignore: false };
    /// No flag.
    pub const NONE: NotifyFlags = NotifyFlags { syslog: false, wall: false, exec: false, ignore: false };
}

impl Default for NotifyFlags {
    fn default() -> Self {
        NotifyFlags::DEFAULT
    }
}

/// The MONITOR role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// `primary` / `master`: this host shuts the UPS down.
    Primary,
    /// `secondary` / `slave` (and anything else, as upsmon reads it).
    Secondary,
}

/// One `MONITOR <system> <powervalue> <user> <password> <role>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Monitor {
    /// The system string as written (`ups@host:port`), upsmon's key.
    pub system: String,
    /// The UPS name part.
    pub ups: String,
    /// Host (default `localhost`; IPv6 literals without the brackets).
    pub host: String,
    /// Port (default 3493).
    pub port: u16,
    /// Power supplies of this host fed by the UPS (0 = monitor only).
    pub power_value: u32,
    /// upsd.users user name.
    pub user: String,
    /// Its password.
    pub password: String,
    /// Primary or secondary.
    pub role: Role,
    /// Where the MONITOR keyword is.
    pub pos: Pos,
}

/// `CERTHOST <host[:port]> "<certname>" <verify> <forcessl>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertHost {
    /// Host (and port) as written.
    pub host: String,
    /// Expected certificate name.
    pub certname: String,
    /// Verify the certificate.
    pub verify: bool,
    /// Require TLS.
    pub forcessl: bool,
}

/// `SHUTDOWNEXIT`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShutdownExit {
    /// Exit right after SHUTDOWNCMD (`yes`, 0; the default).
    #[default]
    Yes,
    /// Never exit (`no`, negative).
    Never,
    /// Exit after so many seconds.
    After(u32),
}

/// The settings of upsmon.conf, with NUT's defaults for what is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsmonConf {
    /// The file it came from.
    pub path: PathBuf,
    /// MONITOR lines (duplicates of a system string dropped).
    pub monitors: Vec<Monitor>,
    /// MINSUPPLIES (1).
    pub minsupplies: u32,
    /// SHUTDOWNCMD words (2.8.0 uses only the first).
    pub shutdowncmd: Option<Vec<String>>,
    /// SHUTDOWNEXIT (yes).
    pub shutdownexit: ShutdownExit,
    /// NOTIFYCMD words (2.8.0 uses only the first).
    pub notifycmd: Option<Vec<String>>,
    /// NOTIFYMSG overrides.
    pub notifymsg: BTreeMap<NotifyType, String>,
    /// NOTIFYFLAG overrides.
    pub notifyflag: BTreeMap<NotifyType, NotifyFlags>,
    /// POLLFREQ (5).
    pub pollfreq: u32,
    /// POLLFREQALERT (5).
    pub pollfreqalert: u32,
    /// DEADTIME (15).
    pub deadtime: i32,
    /// HOSTSYNC (15).
    pub hostsync: i32,
    /// FINALDELAY (5).
    pub finaldelay: u32,
    /// RBWARNTIME (43200).
    pub rbwarntime: i32,
    /// NOCOMMWARNTIME (300).
    pub nocommwarntime: i32,
    /// POWERDOWNFLAG.
    pub powerdownflag: Option<PathBuf>,
    /// RUN_AS_USER.
    pub run_as_user: Option<String>,
    /// OFFDURATION (30; < 0 never, 0 immediately).
    pub offduration: i32,
    /// OVERDURATION (-1).
    pub overduration: i32,
    /// OBLBDURATION (0).
    pub oblbduration: i32,
    /// ALARMCRITICAL (true).
    pub alarmcritical: bool,
    /// POLLFAIL_LOG_THROTTLE_MAX (-1).
    pub pollfail_log_throttle_max: i32,
    /// CERTPATH.
    pub certpath: Option<PathBuf>,
    /// CERTFILE.
    pub certfile: Option<PathBuf>,
    /// CERTIDENT name and password.
    pub certident: Option<(String, String)>,
    /// CERTHOST lines.
    pub certhosts: Vec<CertHost>,
    /// CERTVERIFY (false).
    pub certverify: bool,
    /// FORCESSL (false).
    pub forcessl: bool,
    /// DEBUG_MIN.
    pub debug_min: Option<u32>,
    /// Where MINSUPPLIES was set (for startup diagnostics).
    pub minsupplies_pos: Option<Pos>,
}

impl Default for UpsmonConf {
    fn default() -> Self {
        UpsmonConf {
            path: PathBuf::new(),
            monitors: Vec::new(),
            minsupplies: 1,
            shutdowncmd: None,
            shutdownexit: ShutdownExit::Yes,
            notifycmd: None,
            notifymsg: BTreeMap::new(),
            notifyflag: BTreeMap::new(),
            pollfreq: 5,
            pollfreqalert: 5,
            deadtime: 15,
            hostsync: 15,
            finaldelay: 5,
            rbwarntime: 43200,
            nocommwarntime: 300,
            powerdownflag: None,
            run_as_user: None,
            offduration: 30,
            overduration: -1,
            oblbduration: 0,
            alarmcritical: true,
            pollfail_log_throttle_max: -1,
            certpath: None,
            certfile: None,
            certident: None,
            certhosts: Vec::new(),
            certverify: false,
            forcessl: false,
            debug_min: None,
            minsupplies_pos: None,
        }
    }
}

/// Splits a MONITOR system string `ups[@host[:port]]` (IPv6 hosts in
/// brackets) into UPS, host and port.
pub fn split_system(s: &str) -> Result<(String, String, u16), String> {
    let (ups, rest) = match s.split_once('@') {
        None => (s, None),
        Some((u, r)) => (u, Some(r)),
    };
    if ups.is_empty() {
        return Err(format!("unable to split UPS name [{s}]: no UPS name before '@'"));
    }
    let Some(rest) = rest else {
        return Ok((ups.to_string(), "localhost".to_string(), 3493));
    };
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let Some((h, after)) = r.split_once(']') else {
            return Err(format!("unable to split UPS name [{s}]: missing ']'"));
        };
        match after {
            "" => (h, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err(format!("unable to split UPS name [{s}]: junk after ']'")),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!("unable to split UPS name [{s}]: empty host name"));
    }
    let port = match port {
        None => 3493,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format!("unable to split UPS name [{s}]: invalid port '{p}'")),
        },
    };
    Ok((ups.to_string(), host.to_string(), port))
}

impl UpsmonConf {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> std::io::Result<(UpsmonConf, Vec<Diagnostic>)> {
        let bytes = std::fs::read(path)?;
        Ok(UpsmonConf::parse(path, &bytes))
    }

    /// The message for a type (NOTIFYMSG or the built-in).
    pub fn message(&self, t: NotifyType) -> &str {
        self.notifymsg.get(&t).map(String::as_str).unwrap_or(t.default_message())
    }

    /// The flags for a type (NOTIFYFLAG or SYSLOG+WALL).
    pub fn flags(&self, t: NotifyType) -> NotifyFlags {
        self.notifyflag.get(&t).copied().unwrap_or_default()
    }

    /// Sum of the MONITOR power values.
    pub fn total_power(&self) -> u64 {
        self.monitors.iter().map(|m| u64::from(m.power_value)).sum()
    }

    /// What upsmon checks when it starts (not on a plain parse, since a
    /// sample file with no MONITOR is fine while upsmon is not run): the
    /// power values must add up to at least MINSUPPLIES.
    pub fn startup_diagnostics(&self) -> Vec<Diagnostic> {
        let mut sink = Sink::new(&self.path);
        if self.total_power() < u64::from(self.minsupplies) {
            sink.error(
                self.minsupplies_pos.unwrap_or(Pos { line: 1, col: 1 }),
                format!(
                    "Fatal error: insufficient power configured! (sum of MONITOR power values {} < MINSUPPLIES {})",
                    self.total_power(),
                    self.minsupplies
                ),
            );
        }
        sink.finish()
    }

    /// Parses `input` (the contents of `path`), reporting every problem.
    pub fn parse(path: &Path, input: &[u8]) -> (UpsmonConf, Vec<Diagnostic>) {
        let mut sink = Sink::new(path);
        let mut c = UpsmonConf { path: path.to_path_buf(), ..UpsmonConf::default() };
        for line in lines(input, &mut sink) {
            directive(&mut c, &line, &mut sink);
        }
        (c, sink.finish())
    }
}

/// atoi with a warning when the word is not a plain integer.
fn num(line: &Line, i: usize, sink: &mut Sink<'_>) -> i64 {
    let w = &line.words[i];
    match parse_int(&w.text) {
        Some(v) => v,
        None => {
            let v = atoi(&w.text);
            sink.warn(w.pos, format!("{}: '{}' is not a number (upsmon reads it as {v})", line.words[0].text, w.text));
            v
        }
    }
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

fn check_command(line: &Line, sink: &mut Sink<'_>) -> Vec<String> {
    let words: Vec<String> = line.words[1..].iter().map(|w| w.text.clone()).collect();
    if words.len() > 1 {
        sink.warn(
            line.words[2].pos,
            format!(
                "{}: NUT 2.8.0 uses only the first word; quote the whole command line to stay portable",
                line.words[0].text
            ),
        );
    }
    words
}

fn directive(c: &mut UpsmonConf, line: &Line, sink: &mut Sink<'_>) {
    let w = &line.words;
    let kw = w[0].text.as_str();
    let n = w.len();
    if n < 2 {
        invalid_directive(line, sink);
        return;
    }
    let arg = w[1].text.as_str();
    let apos = w[1].pos;
    if kw.eq_ignore_ascii_case("DEBUG_MIN") {
        match parse_int(arg).and_then(|v| u32::try_from(v).ok()) {
            Some(v) => c.debug_min = Some(v),
            None => sink.warn(apos, "Invalid DEBUG_MIN value found in upsmon.conf global settings"),
        }
        extra_words(line, 2, sink);
        return;
    }
    let mut used = 2;
    match kw {
        "NOTIFYCMD" => {
            c.notifycmd = Some(check_command(line, sink));
            used = n;
        }
        "SHUTDOWNCMD" => {
            c.shutdowncmd = Some(check_command(line, sink));
            used = n;
        }
        "SHUTDOWNEXIT" => {
            c.shutdownexit = match parse_bool(arg).filter(|_| !arg.starts_with(|ch: char| ch.is_ascii_digit())) {
                Some(true) => ShutdownExit::Yes,
                Some(false) => ShutdownExit::Never,
                None => match parse_int(arg) {
                    Some(0) => ShutdownExit::Yes,
                    Some(v) if v < 0 => ShutdownExit::Never,
                    Some(v) => ShutdownExit::After(u32::try_from(v).unwrap_or(u32::MAX)),
                    None => {
                        sink.warn(apos, "SHUTDOWNEXIT value not recognized, defaulting to 'yes'");
                        ShutdownExit::Yes
                    }
                },
            }
        }
        "POWERDOWNFLAG" => c.powerdownflag = Some(PathBuf::from(arg)),
        "RUN_AS_USER" => c.run_as_user = Some(arg.to_string()),
        "CERTPATH" => c.certpath = Some(PathBuf::from(arg)),
        "CERTFILE" => c.certfile = Some(PathBuf::from(arg)),
        "POLLFREQ" | "POLLFREQALERT" | "FINALDELAY" | "MINSUPPLIES" => {
            let v = num(line, 1, sink);
            if v < 0 {
                sink.warn(apos, format!("{kw}: negative value ignored"));
            } else {
                let v = u32::try_from(v).unwrap_or(u32::MAX);
                match kw {
                    "POLLFREQ" => c.pollfreq = v,
                    "POLLFREQALERT" => c.pollfreqalert = v,
                    "FINALDELAY" => c.finaldelay = v,
                    _ => {
                        c.minsupplies = v;
                        c.minsupplies_pos = Some(w[0].pos);
                    }
                }
            }
            if kw.starts_with("POLLFREQ") && parse_int(arg) == Some(0) {
                sink.warn(apos, format!("{kw} 0 makes upsmon poll continuously"));
            }
        }
        "POLLFAIL_LOG_THROTTLE_MAX" => {
            let v = num(line, 1, sink);
            if v < 0 {
                sink.warn(apos, "POLLFAIL_LOG_THROTTLE_MAX: negative value ignored");
            } else {
                c.pollfail_log_throttle_max = clamp_i32(v);
            }
        }
        "OFFDURATION" | "OVERDURATION" | "OBLBDURATION" | "HOSTSYNC" | "DEADTIME" | "RBWARNTIME" | "NOCOMMWARNTIME" => {
            let v = clamp_i32(num(line, 1, sink));
            match kw {
                "OFFDURATION" => c.offduration = v,
                "OVERDURATION" => c.overduration = v,
                "OBLBDURATION" => c.oblbduration = v.max(0),
                "HOSTSYNC" => c.hostsync = v,
                "DEADTIME" => c.deadtime = v,
                "RBWARNTIME" => c.rbwarntime = v,
                _ => c.nocommwarntime = v,
            }
        }
        "CERTVERIFY" | "FORCESSL" | "ALARMCRITICAL" => {
            let v = num(line, 1, sink) != 0;
            match kw {
                "CERTVERIFY" => c.certverify = v,
                "FORCESSL" => c.forcessl = v,
                _ => c.alarmcritical = v,
            }
        }
        "NOTIFYMSG" | "NOTIFYFLAG" | "CERTIDENT" if n >= 3 => {
            used = 3;
            let val = &w[2];
            if kw == "CERTIDENT" {
                c.certident = Some((arg.to_string(), val.text.clone()));
            } else if kw == "NOTIFYMSG" {
                match arg.parse::<NotifyType>() {
                    Ok(t) => {
                        check_format(t, &val.text, val.pos, sink);
                        c.notifymsg.insert(t, val.text.clone());
                    }
                    Err(()) => sink.warn(apos, format!("'{arg}' is not a valid notify event name")),
                }
            } else {
                match arg.parse::<NotifyType>() {
                    Ok(t) => {
                        let mut f = NotifyFlags::NONE;
                        let mut col = val.pos.col + u32::from(val.quoted);
                        for part in val.text.split('+') {
                            match part {
                                "SYSLOG" => f.syslog = true,
                                "WALL" => f.wall = true,
                                "EXEC" => f.exec = true,
                                "IGNORE" => f.ignore = true,
                                _ => {
                                    sink.warn(Pos { line: val.pos.line, col }, format!("Invalid notify flag: [{part}]"))
                                }
                            }
                            col += part.len() as u32 + 1;
                        }
                        c.notifyflag.insert(t, f);
                    }
                    Err(()) => sink.warn(apos, format!("invalid notify type [{arg}]")),
                }
            }
        }
        "CERTHOST" if n >= 5 => {
            used = 5;
            let verify = num(line, 3, sink) != 0;
            let forcessl = num(line, 4, sink) != 0;
            c.certhosts.push(CertHost { host: arg.to_string(), certname: w[2].text.clone(), verify, forcessl });
        }
        "MONITOR" if n == 5 => {
            sink.error(
                w[0].pos,
                "Unable to use old-style MONITOR line without a username (Fatal error: unusable configuration)",
            );
            return;
        }
        "MONITOR" if n >= 6 => {
            used = 6;
            monitor(c, line, sink);
        }
        _ => {
            invalid_directive(line, sink);
            return;
        }
    }
    extra_words(line, used, sink);
}

fn check_format(t: NotifyType, msg: &str, pos: Pos, sink: &mut Sink<'_>) {
    let b = msg.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match b.get(i + 1) {
                Some(b's') => count += 1,
                Some(b'%') => {}
                _ => {
                    sink.warn(pos, format!("NOTIFYMSG {t}: only %s (and %%) may appear in the message"));
                    return;
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    if count > t.max_placeholders() {
        sink.warn(pos, format!("NOTIFYMSG {t}: at most {} %s allowed, found {count}", t.max_placeholders()));
    }
}

fn monitor(c: &mut UpsmonConf, line: &Line, sink: &mut Sink<'_>) {
    let w = &line.words;
    let system = w[1].text.clone();
    let (ups, host, port) = match split_system(&system) {
        Ok(t) => t,
        Err(e) => {
            sink.error(w[1].pos, e);
            return;
        }
    };
    let pvw = &w[2];
    // strtol: a leading number is taken, garbage after it ignored
    let pv = atoi(&pvw.text);
    if pv < 0 || pv > i64::from(u32::MAX) {
        sink.warn(pvw.pos, format!("UPS [{system}]: ignoring invalid power value [{}]", pvw.text));
        return;
    }
    if parse_int(&pvw.text).is_none() {
        sink.warn(pvw.pos, format!("UPS [{system}]: power value [{}] is not a number (read as {pv})", pvw.text));
    }
    let r = &w[5].text;
    let role = if r.eq_ignore_ascii_case("primary") || r.eq_ignore_ascii_case("master") {
        Role::Primary
    } else {
        if !r.eq_ignore_ascii_case("secondary") && !r.eq_ignore_ascii_case("slave") {
            sink.warn(w[5].pos, format!("UPS [{system}]: unknown role '{r}', upsmon treats it as secondary"));
        }
        Role::Secondary
    };
    if c.monitors.iter().any(|m| m.system == system) {
        sink.warn(w[0].pos, format!("ignoring duplicate UPS [{system}]"));
        return;
    }
    c.monitors.push(Monitor {
        system,
        ups,
        host,
        port,
        power_value: pv as u32,
        user: w[3].text.clone(),
        password: w[4].text.clone(),
        role,
        pos: w[0].pos,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (UpsmonConf, Vec<String>) {
        let (c, d) = UpsmonConf::parse(Path::new("upsmon.conf"), s.as_bytes());
        (c, d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn split_systems() {
        assert_eq!(split_system("ups").unwrap(), ("ups".into(), "localhost".into(), 3493));
        assert_eq!(split_system("ups@h:1234").unwrap(), ("ups".into(), "h".into(), 1234));
        assert_eq!(split_system("ups@[::1]:99").unwrap(), ("ups".into(), "::1".into(), 99));
        assert_eq!(split_system("ups@[fe80::1]").unwrap(), ("ups".into(), "fe80::1".into(), 3493));
        assert!(split_system("@h").is_err());
        assert!(split_system("u@h:x").is_err());
        assert!(split_system("u@[::1").is_err());
    }

    #[test]
    fn defaults_and_table() {
        let (c, d) = parse("");
        assert!(d.is_empty());
        assert_eq!((c.pollfreq, c.pollfreqalert, c.deadtime, c.hostsync, c.finaldelay), (5, 5, 15, 15, 5));
        assert_eq!((c.rbwarntime, c.nocommwarntime, c.offduration, c.overduration), (43200, 300, 30, -1));
        assert_eq!(c.flags(NotifyType::Onbatt), NotifyFlags::DEFAULT);
        assert_eq!(c.message(NotifyType::Onbatt), "UPS %s on battery");
        assert_eq!("lowbatt".parse::<NotifyType>(), Ok(NotifyType::Lowbatt));
        assert_eq!(NotifyType::ALL.len(), 31);
        assert_eq!(c.startup_diagnostics().len(), 1);
    }

    #[test]
    fn monitor_and_notify() {
        let (c, d) = parse(
            "MONITOR ups@localhost 1 mon secret primary\nMONITOR ups2@[::1]:3494 0 mon s slave\n\
             NOTIFYMSG onbatt \"On battery: %s\"\nNOTIFYFLAG ONBATT SYSLOG+EXEC\nSHUTDOWNEXIT 20\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.monitors[0].role, Role::Primary);
        assert_eq!(c.monitors[1].host, "::1");
        assert_eq!(c.monitors[1].port, 3494);
        assert_eq!(c.message(NotifyType::Onbatt), "On battery: %s");
        assert_eq!(c.flags(NotifyType::Onbatt), NotifyFlags { syslog: true, wall: false, exec: true, ignore: false });
        assert_eq!(c.shutdownexit, ShutdownExit::After(20));
        assert!(c.startup_diagnostics().is_empty());
    }

    #[test]
    fn problems() {
        let (_, d) = parse(
            "MONITOR ups 1 secret primary\nMONITOR u 1 a b primary\nMONITOR u 2 a b primary\nNOTIFYFLAG ONBATT SYSLOG+LOUD\n\
             NOTIFYMSG BOGUS x\nPOLLFREQ often\nmonitor u 1 a b primary\n",
        );
        assert_eq!(
            d,
            [
                "upsmon.conf:1:1: Unable to use old-style MONITOR line without a username (Fatal error: unusable configuration)",
                "upsmon.conf:3:1: warning: ignoring duplicate UPS [u]",
                "upsmon.conf:4:26: warning: Invalid notify flag: [LOUD]",
                "upsmon.conf:5:11: warning: 'BOGUS' is not a valid notify event name",
                "upsmon.conf:6:10: warning: POLLFREQ: 'often' is not a number (upsmon reads it as 0)",
                "upsmon.conf:7:1: warning: invalid directive monitor u 1 a b primary",
            ]
        );
    }
}
