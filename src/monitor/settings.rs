//! upsmon's validated settings: what the decision engine and the daemon
//! need from upsmon.conf, typed (durations, roles, optional features).
//! Built from the parsed upsmon.conf (see [`crate::config`]); tests build
//! them directly.

use std::path::PathBuf;
use std::time::Duration;

use super::notify::NotifyTable;

pub use crate::config::upsmon::{split_system, Role};

/// The word NUT logs for a role.
pub fn role_word(r: Role) -> &'static str {
    match r {
        Role::Primary => "primary",
        Role::Secondary => "secondary",
    }
}

/// One `MONITOR` line: the config layer's type, already validated.
pub type MonitorSpec = crate::config::upsmon::Monitor;

/// What upsmon does after starting the shutdown (`SHUTDOWNEXIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownExit {
    /// Exit right after SHUTDOWNCMD (`yes`, `0`; NUT's default).
    Immediately,
    /// Never exit; keep talking to upsd until stopped (`no`, `-1`).
    Never,
    /// Exit after this long.
    After(Duration),
}

/// TLS client settings (CERTPATH, CERTFILE, CERTIDENT, CERTHOST, CERTVERIFY,
/// FORCESSL).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// CA directory or file (`CERTPATH`).
    pub certpath: Option<PathBuf>,
    /// Client certificate (`CERTFILE`).
    pub certfile: Option<PathBuf>,
    /// `CERTIDENT <name> <password>`.
    pub certident: Option<(String, String)>,
    /// `CERTHOST <host[:port]> <certname> <verify> <forcessl>`.
    pub certhosts: Vec<CertHost>,
    /// Verify the server certificate (`CERTVERIFY 1`).
    pub certverify: bool,
    /// Refuse to talk without TLS (`FORCESSL 1`).
    pub forcessl: bool,
}

/// One `CERTHOST` line: the config layer's type.
pub use crate::config::upsmon::CertHost;

/// Everything upsmon's decisions depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The MONITOR lines, in file order, duplicates dropped.
    pub monitors: Vec<MonitorSpec>,
    /// `MINSUPPLIES` (default 1).
    pub minsupplies: u32,
    /// `SHUTDOWNCMD`, run through the shell; `None` = ask logind to power off.
    pub shutdowncmd: Option<String>,
    /// `NOTIFYCMD`: the words as written. One word is a shell command line
    /// (NUT 2.8.0 ran it through the shell); several are an argv.
    pub notifycmd: Option<Vec<String>>,
    /// Messages and flags per notification type.
    pub notify: NotifyTable,
    /// `POLLFREQ` (5 s).
    pub pollfreq: Duration,
    /// `POLLFREQALERT` (5 s).
    pub pollfreqalert: Duration,
    /// `DEADTIME` (15 s).
    pub deadtime: Duration,
    /// `HOSTSYNC` (15 s).
    pub hostsync: Duration,
    /// `FINALDELAY` (5 s).
    pub finaldelay: Duration,
    /// `RBWARNTIME` (43200 s).
    pub rbwarntime: Duration,
    /// `NOCOMMWARNTIME` (300 s).
    pub nocommwarntime: Duration,
    /// `POWERDOWNFLAG`.
    pub powerdownflag: Option<PathBuf>,
    /// `RUN_AS_USER`.
    pub run_as_user: Option<String>,
    /// `OFFDURATION` (30 s; `None` = OFF never counts as not fed).
    pub offduration: Option<Duration>,
    /// `OVERDURATION` (`None` = never critical, NUT's default -1).
    pub overduration: Option<Duration>,
    /// `OBLBDURATION` (0 = act at once).
    pub oblbduration: Duration,
    /// `ALARMCRITICAL` (true).
    pub alarmcritical: bool,
    /// `SHUTDOWNEXIT`.
    pub shutdownexit: ShutdownExit,
    /// `POLLFAIL_LOG_THROTTLE_MAX` (-1 = log every failure).
    pub pollfail_log_throttle_max: i32,
    /// TLS settings.
    pub tls: TlsSettings,
    /// `DEBUG_MIN`.
    pub debug_min: Option<u8>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            monitors: Vec::new(),
            minsupplies: 1,
            shutdowncmd: None,
            notifycmd: None,
            notify: NotifyTable::default(),
            pollfreq: Duration::from_secs(5),
            pollfreqalert: Duration::from_secs(5),
            deadtime: Duration::from_secs(15),
            hostsync: Duration::from_secs(15),
            finaldelay: Duration::from_secs(5),
            rbwarntime: Duration::from_secs(43200),
            nocommwarntime: Duration::from_secs(300),
            powerdownflag: None,
            run_as_user: None,
            offduration: Some(Duration::from_secs(30)),
            overduration: None,
            oblbduration: Duration::ZERO,
            alarmcritical: true,
            shutdownexit: ShutdownExit::Immediately,
            pollfail_log_throttle_max: -1,
            tls: TlsSettings::default(),
            debug_min: None,
        }
    }
}

impl Settings {
    /// The sum of all power values (must reach MINSUPPLIES).
    pub fn total_power(&self) -> u64 {
        self.monitors.iter().map(|m| u64::from(m.power_value)).sum()
    }

    /// NUT's start-up check: the configured power can satisfy MINSUPPLIES.
    pub fn check_power(&self) -> Result<(), String> {
        if self.total_power() < u64::from(self.minsupplies) {
            return Err(format!(
                "insufficient power configured: sum of power values {} < MINSUPPLIES {}",
                self.total_power(),
                self.minsupplies
            ));
        }
        Ok(())
    }
}

fn secs(v: i64) -> Duration {
    Duration::from_secs(v.max(0) as u64)
}

fn shell_quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', "'\\''"))
}

/// SHUTDOWNCMD words as one shell command line: the first word as written
/// (it may hold a whole command line), the others quoted (NUT's rule).
pub fn shutdown_command_line(words: &[String]) -> Option<String> {
    let (first, rest) = words.split_first()?;
    let mut line = first.clone();
    for w in rest {
        line.push(' ');
        line.push_str(&shell_quote(w));
    }
    Some(line)
}

impl Settings {
    /// The settings of a parsed upsmon.conf.
    pub fn from_conf(c: &crate::config::upsmon::UpsmonConf) -> Settings {
        use crate::config::upsmon::ShutdownExit as Se;
        let mut notify = NotifyTable::default();
        for (t, m) in &c.notifymsg {
            notify.set_message(*t, m.clone());
        }
        for (t, f) in &c.notifyflag {
            notify.set_flags(*t, *f);
        }
        Settings {
            monitors: c.monitors.clone(),
            minsupplies: c.minsupplies,
            shutdowncmd: c.shutdowncmd.as_deref().and_then(shutdown_command_line),
            notifycmd: c.notifycmd.clone(),
            notify,
            pollfreq: secs(i64::from(c.pollfreq).max(1)),
            pollfreqalert: secs(i64::from(c.pollfreqalert).max(1)),
            deadtime: secs(c.deadtime.into()),
            hostsync: secs(c.hostsync.into()),
            finaldelay: secs(c.finaldelay.into()),
            rbwarntime: secs(c.rbwarntime.into()),
            nocommwarntime: secs(c.nocommwarntime.into()),
            powerdownflag: c.powerdownflag.clone(),
            run_as_user: c.run_as_user.clone(),
            offduration: (c.offduration >= 0).then(|| secs(c.offduration.into())),
            overduration: (c.overduration >= 0).then(|| secs(c.overduration.into())),
            oblbduration: secs(c.oblbduration.into()),
            alarmcritical: c.alarmcritical,
            shutdownexit: match c.shutdownexit {
                Se::Yes => ShutdownExit::Immediately,
                Se::Never => ShutdownExit::Never,
                Se::After(n) => ShutdownExit::After(secs(n.into())),
            },
            pollfail_log_throttle_max: c.pollfail_log_throttle_max,
            tls: TlsSettings {
                certpath: c.certpath.clone(),
                certfile: c.certfile.clone(),
                certident: c.certident.clone(),
                certhosts: c.certhosts.clone(),
                certverify: c.certverify,
                forcessl: c.forcessl,
            },
            debug_min: c.debug_min.map(|d| d.min(255) as u8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::upsmon::UpsmonConf;

    #[test]
    fn a_parsed_file_maps_to_settings() {
        let text = b"MONITOR ups@h:1234 2 mon pass primary\nMONITOR b 0 s p slave\nMINSUPPLIES 2\n\
            SHUTDOWNCMD /sbin/shutdown -h \"now it's time\"\nPOLLFREQ 3\nDEADTIME 7\nOFFDURATION -1\n\
            NOTIFYFLAG ONBATT SYSLOG+EXEC\nNOTIFYMSG LOWBATT \"low %s\"\n";
        let (c, diags) = UpsmonConf::parse(std::path::Path::new("upsmon.conf"), text);
        // Only the portability warning about the multi-word SHUTDOWNCMD.
        assert!(diags.iter().all(|d| !d.is_error()) && diags.len() == 1, "{diags:?}");
        let s = Settings::from_conf(&c);
        assert_eq!(s.monitors.len(), 2);
        assert_eq!(s.monitors[0].port, 1234);
        assert_eq!(s.monitors[0].role, Role::Primary);
        assert_eq!(s.monitors[1].role, Role::Secondary);
        assert_eq!(s.total_power(), 2);
        assert!(s.check_power().is_ok());
        assert_eq!(s.shutdowncmd.as_deref(), Some("/sbin/shutdown '-h' 'now it'\\''s time'"));
        assert_eq!(s.pollfreq, Duration::from_secs(3));
        assert_eq!(s.deadtime, Duration::from_secs(7));
        assert_eq!(s.offduration, None);
        assert!(s.notify.flags(crate::config::upsmon::NotifyType::Onbatt).exec);
        assert_eq!(s.notify.message(crate::config::upsmon::NotifyType::Lowbatt, Some("u"), None), "low u");
    }
}
