//! upsmon's notification events: the types, NUT's stock messages and
//! default flags, the user's `NOTIFYMSG`/`NOTIFYFLAG` overrides, and the
//! formatting of a message (`%s` = the UPS system string; ALARM and OTHER
//! take a second `%s` with the alarm text or the unknown tokens).

use std::fmt;

/// One notification type (`NOTIFYTYPE=` for NOTIFYCMD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotifyType {
    /// UPS back on line power.
    Online,
    /// UPS on battery.
    Onbatt,
    /// Battery low.
    Lowbatt,
    /// Forced shutdown in progress.
    Fsd,
    /// Communications (re-)established.
    Commok,
    /// Communications lost.
    Commbad,
    /// This system is shutting down.
    Shutdown,
    /// A primary waits for its secondaries to log out (newest NUT).
    ShutdownHostsync,
    /// Battery needs replacing.
    Replbatt,
    /// UPS unavailable for a while.
    Nocomm,
    /// The privileged parent died.
    Noparent,
    /// Calibration in progress.
    Cal,
    /// Calibration finished.
    Notcal,
    /// Administratively off.
    Off,
    /// No longer off.
    Notoff,
    /// On bypass.
    Bypass,
    /// No longer on bypass.
    Notbypass,
    /// ECO mode.
    Eco,
    /// No longer in ECO mode.
    Noteco,
    /// Active alarms (second `%s`: `ups.alarm`).
    Alarm,
    /// No active alarms any more.
    Notalarm,
    /// Overloaded.
    Over,
    /// No longer overloaded.
    Notover,
    /// Trimming input voltage.
    Trim,
    /// No longer trimming.
    Nottrim,
    /// Boosting input voltage.
    Boost,
    /// No longer boosting.
    Notboost,
    /// Unclassified status tokens (second `%s`: the tokens).
    Other,
    /// No unclassified tokens any more.
    Notother,
    /// The clock jumped (second `%s`: by how much).
    SuspendTimejumpUnexpected,
    /// The OS is going to sleep.
    SuspendStarting,
    /// The OS woke up.
    SuspendFinished,
}

/// Every type, in NUT's table order.
pub const ALL_TYPES: [NotifyType; 32] = {
    use NotifyType::*;
    [
        Online,
        Onbatt,
        Lowbatt,
        Fsd,
        Commok,
        Commbad,
        Shutdown,
        ShutdownHostsync,
        Replbatt,
        Nocomm,
        Noparent,
        Cal,
        Notcal,
        Off,
        Notoff,
        Bypass,
        Notbypass,
        Eco,
        Noteco,
        Alarm,
        Notalarm,
        Over,
        Notover,
        Trim,
        Nottrim,
        Boost,
        Notboost,
        Other,
        Notother,
        SuspendTimejumpUnexpected,
        SuspendStarting,
        SuspendFinished,
    ]
};

impl NotifyType {
    /// The name used in upsmon.conf, upssched.conf and `NOTIFYTYPE=`.
    pub fn as_str(self) -> &'static str {
        use NotifyType::*;
        match self {
            Online => "ONLINE",
            Onbatt => "ONBATT",
            Lowbatt => "LOWBATT",
            Fsd => "FSD",
            Commok => "COMMOK",
            Commbad => "COMMBAD",
            Shutdown => "SHUTDOWN",
            ShutdownHostsync => "SHUTDOWN_HOSTSYNC",
            Replbatt => "REPLBATT",
            Nocomm => "NOCOMM",
            Noparent => "NOPARENT",
            Cal => "CAL",
            Notcal => "NOTCAL",
            Off => "OFF",
            Notoff => "NOTOFF",
            Bypass => "BYPASS",
            Notbypass => "NOTBYPASS",
            Eco => "ECO",
            Noteco => "NOTECO",
            Alarm => "ALARM",
            Notalarm => "NOTALARM",
            Over => "OVER",
            Notover => "NOTOVER",
            Trim => "TRIM",
            Nottrim => "NOTTRIM",
            Boost => "BOOST",
            Notboost => "NOTBOOST",
            Other => "OTHER",
            Notother => "NOTOTHER",
            SuspendTimejumpUnexpected => "SUSPEND_TIMEJUMP_UNEXPECTED",
            SuspendStarting => "SUSPEND_STARTING",
            SuspendFinished => "SUSPEND_FINISHED",
        }
    }

    /// Looks a type up by name, case-insensitively (as NUT does).
    pub fn from_name(s: &str) -> Option<NotifyType> {
        ALL_TYPES.iter().copied().find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// NUT's stock message.
    pub fn default_message(self) -> &'static str {
        use NotifyType::*;
        match self {
            Online => "UPS %s on line power",
            Onbatt => "UPS %s on battery",
            Lowbatt => "UPS %s battery is low",
            Fsd => "UPS %s: forced shutdown in progress",
            Commok => "Communications with UPS %s established",
            Commbad => "Communications with UPS %s lost",
            Shutdown => "Auto logout and shutdown proceeding",
            ShutdownHostsync => {
                "Shutdown initiated; primary system is waiting for secondaries to log out or time out"
            }
            Replbatt => "UPS %s battery needs to be replaced",
            Nocomm => "UPS %s is unavailable",
            Noparent => "upsmon parent process died - shutdown impossible",
            Cal => "UPS %s: calibration in progress",
            Notcal => "UPS %s: calibration finished",
            Off => "UPS %s: administratively OFF or asleep",
            Notoff => "UPS %s: no longer administratively OFF or asleep",
            Bypass => "UPS %s: on bypass (powered, not protecting)",
            Notbypass => "UPS %s: no longer on bypass",
            Eco => "UPS %s: in ECO mode (as defined by vendor)",
            Noteco => "UPS %s: no longer in ECO mode",
            Alarm => "UPS %s: one or more active alarms: [%s]",
            Notalarm => "UPS %s is no longer in an alarm state (no active alarms)",
            Over => "UPS %s: overloaded",
            Notover => "UPS %s: no longer overloaded",
            Trim => "UPS %s: trimming incoming voltage",
            Nottrim => "UPS %s: no longer trimming incoming voltage",
            Boost => "UPS %s: boosting incoming voltage",
            Notboost => "UPS %s: no longer boosting incoming voltage",
            Other => "UPS %s: has at least one unclassified status token: [%s]",
            Notother => "UPS %s has no unclassified status tokens anymore",
            SuspendTimejumpUnexpected => "Unexpected clock change by %s, treating as wake up from sleep",
            SuspendStarting => "OS is entering sleep/suspend/hibernate mode",
            SuspendFinished => {
                "OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown"
            }
        }
    }
}

impl fmt::Display for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a notification (`NOTIFYFLAG <type> SYSLOG+WALL+EXEC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NotifyFlags {
    /// Do nothing at all (wins over the others).
    pub ignore: bool,
    /// Log it (to the journal under systemd).
    pub syslog: bool,
    /// Send it to every terminal with `wall`.
    pub wall: bool,
    /// Run NOTIFYCMD with it.
    pub exec: bool,
}

impl NotifyFlags {
    /// NUT's default: SYSLOG+WALL.
    pub const DEFAULT: NotifyFlags = NotifyFlags { ignore: false, syslog: true, wall: true, exec: false };

    /// Parses `SYSLOG+WALL+EXEC+IGNORE` (case-sensitive words as in NUT);
    /// unknown words are returned so the caller can warn about them.
    pub fn parse(s: &str) -> (NotifyFlags, Vec<String>) {
        let mut f = NotifyFlags::default();
        let mut bad = Vec::new();
        for w in s.split('+') {
            match w {
                "SYSLOG" => f.syslog = true,
                "WALL" => f.wall = true,
                "EXEC" => f.exec = true,
                "IGNORE" => f.ignore = true,
                other => bad.push(other.to_string()),
            }
        }
        (f, bad)
    }
}

impl fmt::Display for NotifyFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = Vec::new();
        for (on, w) in [(self.syslog, "SYSLOG"), (self.wall, "WALL"), (self.exec, "EXEC"), (self.ignore, "IGNORE")] {
            if on {
                words.push(w);
            }
        }
        f.write_str(&words.join("+"))
    }
}

/// Messages and flags for every type, starting from NUT's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyTable {
    entries: Vec<(Option<String>, NotifyFlags)>,
}

impl Default for NotifyTable {
    fn default() -> Self {
        NotifyTable { entries: ALL_TYPES.iter().map(|_| (None, NotifyFlags::DEFAULT)).collect() }
    }
}

impl NotifyTable {
    fn idx(t: NotifyType) -> usize {
        ALL_TYPES.iter().position(|x| *x == t).unwrap_or(0)
    }

    /// `NOTIFYMSG <type> "<text>"`.
    pub fn set_message(&mut self, t: NotifyType, msg: impl Into<String>) {
        self.entries[Self::idx(t)].0 = Some(msg.into());
    }

    /// `NOTIFYFLAG <type> <flags>` (replaces the defaults for that type).
    pub fn set_flags(&mut self, t: NotifyType, flags: NotifyFlags) {
        self.entries[Self::idx(t)].1 = flags;
    }

    /// The flags of a type.
    pub fn flags(&self, t: NotifyType) -> NotifyFlags {
        self.entries[Self::idx(t)].1
    }

    /// The message template of a type (the override or the stock text).
    pub fn template(&self, t: NotifyType) -> &str {
        self.entries[Self::idx(t)].0.as_deref().unwrap_or(t.default_message())
    }

    /// The formatted message for `ups` (the system string, empty for
    /// system-wide events) with an optional second argument.
    pub fn message(&self, t: NotifyType, ups: Option<&str>, extra: Option<&str>) -> String {
        format_message(self.template(t), ups.unwrap_or(""), extra)
    }
}

/// Expands NUT's printf-style template: the first `%s` takes the UPS name,
/// a second one the extra text (`%%` is a literal percent). Other
/// conversions are copied as they are, never interpreted.
pub fn format_message(template: &str, ups: &str, extra: Option<&str>) -> String {
    let mut out = String::with_capacity(template.len() + ups.len());
    let mut args = [ups, extra.unwrap_or("")].into_iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('s') => {
                    chars.next();
                    out.push_str(args.next().unwrap_or(""));
                    continue;
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// One notification as upsmon raises it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The event.
    pub kind: NotifyType,
    /// The UPS system string (`ups@host:port` as written in MONITOR), or
    /// `None` for system-wide events (SHUTDOWN, NOPARENT).
    pub ups: Option<String>,
    /// The second message argument (ALARM text, OTHER tokens).
    pub extra: Option<String>,
}

impl Notification {
    /// A notification about a UPS.
    pub fn ups(kind: NotifyType, ups: &str) -> Self {
        Notification { kind, ups: Some(ups.to_string()), extra: None }
    }

    /// A system-wide notification.
    pub fn system(kind: NotifyType) -> Self {
        Notification { kind, ups: None, extra: None }
    }

    /// Adds the second argument.
    pub fn with_extra(mut self, extra: impl Into<String>) -> Self {
        self.extra = Some(extra.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for t in ALL_TYPES {
            assert_eq!(NotifyType::from_name(t.as_str()), Some(t));
            assert_eq!(NotifyType::from_name(&t.as_str().to_lowercase()), Some(t));
        }
        assert_eq!(NotifyType::from_name("BOGUS"), None);
    }

    #[test]
    fn default_messages_format_like_nut() {
        let t = NotifyTable::default();
        assert_eq!(t.message(NotifyType::Onbatt, Some("ups@localhost"), None), "UPS ups@localhost on battery");
        assert_eq!(t.message(NotifyType::Shutdown, None, None), "Auto logout and shutdown proceeding");
        assert_eq!(
            t.message(NotifyType::Alarm, Some("u"), Some("Replace battery!")),
            "UPS u: one or more active alarms: [Replace battery!]"
        );
        assert_eq!(format_message("100%% %d %s", "x", None), "100% %d x");
    }

    #[test]
    fn flags_parse_and_override() {
        let (f, bad) = NotifyFlags::parse("SYSLOG+EXEC+bogus");
        assert_eq!(f, NotifyFlags { ignore: false, syslog: true, wall: false, exec: true });
        assert_eq!(bad, ["bogus"]);
        assert_eq!(f.to_string(), "SYSLOG+EXEC");
        let mut t = NotifyTable::default();
        assert_eq!(t.flags(NotifyType::Fsd), NotifyFlags::DEFAULT);
        t.set_flags(NotifyType::Fsd, f);
        t.set_message(NotifyType::Fsd, "FSD on %s!");
        assert_eq!(t.flags(NotifyType::Fsd), f);
        assert_eq!(t.message(NotifyType::Fsd, Some("a"), None), "FSD on a!");
    }
}
