//! upsmon's validated settings: what the decision engine and the daemon
//! need from upsmon.conf, typed (durations, roles, optional features).
//! Built from the parsed upsmon.conf (see [`crate::config`]); tests build
//! them directly.

use std::path::PathBuf;
use std::time::Duration;

use super::notify::NotifyTable;

/// Primary (manages the UPS: sets FSD, waits for secondaries) or secondary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `primary` (or the legacy `master`).
    Primary,
    /// `secondary` (or the legacy `slave`).
    Secondary,
}

impl Role {
    /// Parses the MONITOR role word, case-insensitively, with NUT's legacy
    /// aliases.
    pub fn parse(s: &str) -> Option<Role> {
        match s.to_ascii_lowercase().as_str() {
            "primary" | "master" => Some(Role::Primary),
            "secondary" | "slave" => Some(Role::Secondary),
            _ => None,
        }
    }

    /// The word NUT logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        }
    }
}

/// One `MONITOR` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorSpec {
    /// The system string as written (`ups@host:port`); notifications and
    /// `UPSNAME=` use it.
    pub system: String,
    /// The UPS name on the server.
    pub ups: String,
    /// The server host (default `localhost`).
    pub host: String,
    /// The server port (default 3493).
    pub port: u16,
    /// Power supplies of this machine fed by the UPS (0 = monitor only).
    pub power_value: u32,
    /// upsd.users account.
    pub user: String,
    /// Its password.
    pub password: String,
    /// Primary or secondary.
    pub role: Role,
}

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

/// One `CERTHOST` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertHost {
    /// `host` or `host:port`.
    pub host: String,
    /// Expected certificate name.
    pub certname: String,
    /// Verify this host's certificate.
    pub verify: bool,
    /// Require TLS with this host.
    pub forcessl: bool,
}

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

/// Splits a MONITOR system string `ups[@host[:port]]` the way
/// libupsclient does (IPv6 literals in brackets). Returns
/// `(ups, host, port)`.
pub fn split_system(sys: &str) -> Result<(String, String, u16), String> {
    let (ups, rest) = match sys.split_once('@') {
        Some((u, r)) => (u, Some(r)),
        None => (sys, None),
    };
    if ups.is_empty() {
        return Err(format!("no UPS name in [{sys}]"));
    }
    let Some(rest) = rest else {
        return Ok((ups.to_string(), "localhost".to_string(), 3493));
    };
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let Some((h, tail)) = r.split_once(']') else {
            return Err(format!("unterminated IPv6 address in [{sys}]"));
        };
        (h, tail.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let port = match port {
        None => 3493,
        Some(p) => p.parse::<u16>().map_err(|_| format!("invalid port in [{sys}]"))?,
    };
    if host.is_empty() {
        return Err(format!("no host name in [{sys}]"));
    }
    Ok((ups.to_string(), host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_strings_split_like_libupsclient() {
        assert_eq!(split_system("ups").unwrap(), ("ups".into(), "localhost".into(), 3493));
        assert_eq!(split_system("ups@h:5678").unwrap(), ("ups".into(), "h".into(), 5678));
        assert_eq!(split_system("u@[::1]:99").unwrap(), ("u".into(), "::1".into(), 99));
        assert_eq!(split_system("u@[::1]").unwrap(), ("u".into(), "::1".into(), 3493));
        assert!(split_system("@h").is_err());
        assert!(split_system("u@h:x").is_err());
    }

    #[test]
    fn roles_accept_legacy_words() {
        assert_eq!(Role::parse("MASTER"), Some(Role::Primary));
        assert_eq!(Role::parse("slave"), Some(Role::Secondary));
        assert_eq!(Role::parse("boss"), None);
    }
}
