//! upsmon's notification events: the types, NUT's stock messages and
//! default flags, the user's `NOTIFYMSG`/`NOTIFYFLAG` overrides, and the
//! formatting of a message (`%s` = the UPS system string; ALARM and OTHER
//! take a second `%s` with the alarm text or the unknown tokens). The types
//! and flags themselves are the config layer's ([`crate::config::upsmon`]).

pub use crate::config::upsmon::{NotifyFlags, NotifyType};

/// Messages and flags for every type, starting from NUT's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyTable {
    entries: Vec<(Option<String>, NotifyFlags)>,
}

impl Default for NotifyTable {
    fn default() -> Self {
        NotifyTable { entries: NotifyType::ALL.iter().map(|_| (None, NotifyFlags::DEFAULT)).collect() }
    }
}

impl NotifyTable {
    fn idx(t: NotifyType) -> usize {
        NotifyType::ALL.iter().position(|x| *x == t).unwrap_or(0)
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
    fn stock_messages_format_like_nut() {
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
    fn overrides_replace_defaults() {
        let f = NotifyFlags { syslog: true, wall: false, exec: true, ignore: false };
        let mut t = NotifyTable::default();
        assert_eq!(t.flags(NotifyType::Fsd), NotifyFlags::DEFAULT);
        t.set_flags(NotifyType::Fsd, f);
        t.set_message(NotifyType::Fsd, "FSD on %s!");
        assert_eq!(t.flags(NotifyType::Fsd), f);
        assert_eq!(t.message(NotifyType::Fsd, Some("a"), None), "FSD on a!");
    }
}
