//! ups.conf: global settings, then one `[section]` per UPS with its driver,
//! port and driver-specific keys (`config-files.md` §4).
//!
//! NUT's quirks are kept: the later value of a key wins, repeated sections
//! of the same name merge, lines of two words are ignored, keys are
//! case-sensitive except `statepath`/`debug_min`. Driver-specific keys are
//! kept verbatim in [`UpsSection::entries`]: only the driver knows which keys
//! it declares, so it validates them itself (using [`Entry::key_pos`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Pos, Sink};
use super::lines::{lines, shape, Shape};
use super::value::{parse_i32, parse_u32};

/// One `key = value` or flag line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key as written.
    pub key: String,
    /// The value; `None` for a flag.
    pub value: Option<String>,
    /// Where the key is.
    pub key_pos: Pos,
    /// Where the value is (`None` for a flag).
    pub value_pos: Option<Pos>,
}

impl Entry {
    /// Whether this is a flag (no value).
    pub fn is_flag(&self) -> bool {
        self.value.is_none()
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// Where to point at the value (the key for a flag).
    pub fn pos(&self) -> Pos {
        self.value_pos.unwrap_or(self.key_pos)
    }
}

/// One UPS: a `[name]` section (all repeated sections of that exact name
/// merged, entries in file order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsSection {
    /// The name between the brackets, as written.
    pub name: String,
    /// Where the (first) `[name]` header is.
    pub pos: Pos,
    /// Every entry in file order, including driver-specific ones.
    pub entries: Vec<Entry>,
}

impl UpsSection {
    /// The last entry with exactly this key (later values win, as in NUT).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// The value of the last `key = value` entry (`None` if absent or a flag).
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Entry::value)
    }

    /// Whether the flag (or key) `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// `driver = ...`.
    pub fn driver(&self) -> Option<&str> {
        self.value("driver")
    }

    /// `port = ...`.
    pub fn port(&self) -> Option<&str> {
        self.value("port")
    }

    /// `desc = ...`.
    pub fn desc(&self) -> Option<&str> {
        self.value("desc")
    }

    /// Whether upsd would serve this section (it has both driver and port).
    pub fn is_complete(&self) -> bool {
        self.driver().is_some() && self.port().is_some()
    }
}

/// `synchronous = yes|no|auto`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// Always blocking writes to the socket.
    Yes,
    /// Non-blocking writes (any word other than `yes`/`auto`).
    No,
    /// Non-blocking, falling back to blocking after a would-block failure.
    #[default]
    Auto,
}

impl Synchronous {
    /// NUT's reading: `yes`, `auto`, anything else is `no`.
    pub fn parse(s: &str) -> Synchronous {
        match s {
            "yes" => Synchronous::Yes,
            "auto" => Synchronous::Auto,
            _ => Synchronous::No,
        }
    }

    /// The word published as `driver.parameter.synchronous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Synchronous::Yes => "yes",
            Synchronous::No => "no",
            Synchronous::Auto => "auto",
        }
    }
}

/// The typed global settings (keys before the first section), with NUT's
/// defaults for what is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsGlobal {
    /// `chroot`.
    pub chroot: Option<PathBuf>,
    /// `driverpath`.
    pub driverpath: Option<PathBuf>,
    /// `statepath` (any case).
    pub statepath: Option<PathBuf>,
    /// `maxstartdelay`, seconds (75).
    pub maxstartdelay: u32,
    /// `maxretry` (1).
    pub maxretry: u32,
    /// `retrydelay`, seconds (5).
    pub retrydelay: u32,
    /// `nowait` flag (or `nowait = true`).
    pub nowait: bool,
    /// `pollinterval`, seconds (2).
    pub pollinterval: u32,
    /// `synchronous` (auto).
    pub synchronous: Synchronous,
    /// `user`.
    pub user: Option<String>,
    /// `group`.
    pub group: Option<String>,
    /// `debug_min` (any case).
    pub debug_min: Option<u32>,
    /// `LIBUSB_DEBUG`.
    pub libusb_debug: Option<u32>,
    /// `reconnect_max_tries` (-1 = forever).
    pub reconnect_max_tries: i32,
    /// `reconnect_report_freq` (≤ 0 = off).
    pub reconnect_report_freq: i32,
}

impl Default for UpsGlobal {
    fn default() -> Self {
        UpsGlobal {
            chroot: None,
            driverpath: None,
            statepath: None,
            maxstartdelay: 75,
            maxretry: 1,
            retrydelay: 5,
            nowait: false,
            pollinterval: 2,
            synchronous: Synchronous::Auto,
            user: None,
            group: None,
            debug_min: None,
            libusb_debug: None,
            reconnect_max_tries: -1,
            reconnect_report_freq: 0,
        }
    }
}

/// The whole of ups.conf.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpsConf {
    /// The file it came from.
    pub path: PathBuf,
    /// Global entries in file order (all of them, known or not).
    pub globals: Vec<Entry>,
    /// The typed reading of the globals.
    pub global: UpsGlobal,
    /// Sections in order of first appearance; same-name sections merged.
    pub sections: Vec<UpsSection>,
}

/// Keys the driver core knows in every section (§4.2), plus upsd's `desc`.
pub const CORE_KEYS: &[&str] = &[
    "driver",
    "port",
    "desc",
    "sdorder",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "user",
    "group",
    "pollinterval",
    "synchronous",
    "debug_min",
    "LIBUSB_DEBUG",
    "reconnect_max_tries",
    "reconnect_report_freq",
    "sdcommands",
    "sddelay",
];

/// Flags the driver core knows in every section.
pub const CORE_FLAGS: &[&str] = &["nolock", "ignorelb", "allow_killpower"];

/// USB matching keys, known to USB-capable drivers.
pub const USB_KEYS: &[&str] = &[
    "vendor",
    "product",
    "serial",
    "vendorid",
    "productid",
    "bus",
    "device",
    "busport",
    "usb_set_altinterface",
    "usb_config_index",
    "usb_hid_rep_index",
    "usb_hid_desc_index",
    "usb_hid_ep_in",
    "usb_hid_ep_out",
];

/// USB matching flags.
pub const USB_FLAGS: &[&str] = &["allow_duplicates"];

const GLOBAL_KEYS: &[&str] = &[
    "chroot",
    "driverpath",
    "statepath",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "nowait",
    "pollinterval",
    "synchronous",
    "user",
    "group",
    "debug_min",
    "LIBUSB_DEBUG",
    "reconnect_max_tries",
    "reconnect_report_freq",
];

impl UpsConf {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> std::io::Result<(UpsConf, Vec<Diagnostic>)> {
        let bytes = std::fs::read(path)?;
        Ok(UpsConf::parse(path, &bytes))
    }

    /// Parses `input` (the contents of `path`), reporting every problem.
    pub fn parse(path: &Path, input: &[u8]) -> (UpsConf, Vec<Diagnostic>) {
        let mut sink = Sink::new(path);
        let mut conf = UpsConf { path: path.to_path_buf(), ..UpsConf::default() };
        let mut current: Option<usize> = None;
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for line in lines(input, &mut sink) {
            let entry = match shape(&line) {
                Shape::Section { head, name, rest } => {
                    if let Some(w) = rest.first() {
                        sink.warn(w.pos, format!("words after section header [{name}] are ignored"));
                    }
                    if name.is_empty() {
                        sink.error(head.pos, "empty UPS name in section header []");
                    }
                    let idx = *by_name.entry(name.clone()).or_insert_with(|| {
                        conf.sections.push(UpsSection { name: name.clone(), pos: head.pos, entries: Vec::new() });
                        conf.sections.len() - 1
                    });
                    current = Some(idx);
                    continue;
                }
                Shape::Flag(w) => Entry { key: w.text.clone(), value: None, key_pos: w.pos, value_pos: None },
                Shape::Assign { key, value, extra } => {
                    if let Some(x) = extra.first() {
                        sink.warn(
                            x.pos,
                            format!(
                                "only the first word after '=' is the value of '{}'; the rest is ignored (quote the value)",
                                key.text
                            ),
                        );
                    }
                    Entry {
                        key: key.text.clone(),
                        value: Some(value.text.clone()),
                        key_pos: key.pos,
                        value_pos: Some(value.pos),
                    }
                }
                Shape::Other => {
                    sink.warn(line.words[0].pos, "line ignored: expected 'key = value' or a single flag");
                    continue;
                }
            };
            match current {
                None => {
                    check_global(&entry, &mut conf.global, &mut sink);
                    conf.globals.push(entry);
                }
                Some(i) => {
                    check_section_entry(&entry, &mut sink);
                    conf.sections[i].entries.push(entry);
                }
            }
        }
        (conf, sink.finish())
    }

    /// The section with exactly this name (drivers, upsdrvctl).
    pub fn section(&self, name: &str) -> Option<&UpsSection> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The first section whose name matches case-insensitively (how upsd
    /// and its clients address a UPS).
    pub fn section_ci(&self, name: &str) -> Option<&UpsSection> {
        self.sections.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// The last global entry with this key (exact case).
    pub fn global_entry(&self, key: &str) -> Option<&Entry> {
        self.globals.iter().rev().find(|e| e.key == key)
    }

    /// What a driver uses for `key` in section `name`: the section's last
    /// entry, else the last global one (for keys valid in both places, such
    /// as `pollinterval`, `user`, `synchronous`, `debug_min`).
    pub fn setting(&self, name: &str, key: &str) -> Option<&Entry> {
        self.section(name).and_then(|s| s.get(key)).or_else(|| self.global_entry(key))
    }

    /// The sections upsd would serve: the complete ones (driver and port);
    /// of names equal case-insensitively upsd keeps the *last* one (it
    /// builds its list newest-first), and so does this.
    pub fn served(&self) -> Vec<&UpsSection> {
        let complete: Vec<&UpsSection> = self.sections.iter().filter(|s| s.is_complete()).collect();
        let mut out: Vec<&UpsSection> = Vec::new();
        for (i, s) in complete.iter().enumerate() {
            let later = complete[i + 1..].iter().any(|t| t.name.eq_ignore_ascii_case(&s.name));
            if !later {
                out.push(s);
            }
        }
        out
    }

    /// What upsd reports about ups.conf when loading it: incomplete
    /// sections (warning) and names already in use (error). Not part of
    /// [`UpsConf::parse`] because drivers don't care.
    pub fn upsd_diagnostics(&self) -> Vec<Diagnostic> {
        let mut sink = Sink::new(&self.path);
        let mut complete: Vec<&UpsSection> = Vec::new();
        for s in &self.sections {
            if s.is_complete() {
                complete.push(s);
            } else if s.entries.is_empty() {
                // NUT never even lists a section without keys
                if !s.name.is_empty() {
                    sink.warn(s.pos, format!("section [{}] has no settings; upsd and the drivers ignore it", s.name));
                }
            } else {
                let missing = match (s.driver().is_some(), s.port().is_some()) {
                    (false, false) => "driver and port",
                    (false, true) => "driver",
                    _ => "port",
                };
                sink.warn(s.pos, format!("ignoring incomplete configuration for UPS [{}] (no {missing})", s.name));
            }
        }
        // upsd builds its list newest-first, so the later of two names that
        // differ only in case is created first and the earlier one refused.
        for (i, s) in complete.iter().enumerate() {
            if let Some(t) = complete[i + 1..].iter().find(|t| t.name.eq_ignore_ascii_case(&s.name)) {
                sink.error(
                    s.pos,
                    format!(
                        "UPS name [{}] is already in use! (by [{}] at line {}; upsd drops this section)",
                        s.name, t.name, t.pos.line
                    ),
                );
            }
        }
        sink.finish()
    }
}

fn want_value<'e>(e: &'e Entry, sink: &mut Sink<'_>) -> Option<&'e str> {
    match &e.value {
        Some(v) => Some(v),
        None => {
            sink.error(e.key_pos, format!("'{}' needs a value ('{} = ...')", e.key, e.key));
            None
        }
    }
}

fn check_global(e: &Entry, g: &mut UpsGlobal, sink: &mut Sink<'_>) {
    let key = e.key.as_str();
    if key.eq_ignore_ascii_case("statepath") {
        if let Some(v) = want_value(e, sink) {
            g.statepath = Some(PathBuf::from(v));
        }
        return;
    }
    if key.eq_ignore_ascii_case("debug_min") {
        if let Some(v) = want_value(e, sink) {
            match parse_u32(v) {
                Some(n) => g.debug_min = Some(n),
                None => sink.warn(e.pos(), format!("Invalid debug_min value found in ups.conf global settings ({v})")),
            }
        }
        return;
    }
    match key {
        "nowait" => match e.value() {
            // upsdrvctl: the flag, or a value of exactly "true".
            None => g.nowait = true,
            Some("true") => g.nowait = true,
            Some(v) => sink.warn(e.pos(), format!("nowait = {v} has no effect (only the flag or 'true' sets it)")),
        },
        "chroot" => {
            if let Some(v) = want_value(e, sink) {
                g.chroot = Some(PathBuf::from(v));
            }
        }
        "driverpath" => {
            if let Some(v) = want_value(e, sink) {
                g.driverpath = Some(PathBuf::from(v));
            }
        }
        "user" => {
            if let Some(v) = want_value(e, sink) {
                g.user = Some(v.to_string());
            }
        }
        "group" => {
            if let Some(v) = want_value(e, sink) {
                g.group = Some(v.to_string());
            }
        }
        "synchronous" => {
            if let Some(v) = want_value(e, sink) {
                g.synchronous = check_synchronous(e, v, sink);
            }
        }
        "maxstartdelay" | "maxretry" | "retrydelay" | "pollinterval" | "LIBUSB_DEBUG" => {
            if let Some(v) = want_value(e, sink) {
                let Some(n) = check_seconds(e, v, sink) else { return };
                match key {
                    "maxstartdelay" => g.maxstartdelay = n,
                    "maxretry" => g.maxretry = n,
                    "retrydelay" => g.retrydelay = n,
                    "pollinterval" => g.pollinterval = n,
                    _ => g.libusb_debug = Some(n),
                }
            }
        }
        "reconnect_max_tries" | "reconnect_report_freq" => {
            if let Some(v) = want_value(e, sink) {
                match parse_i32(v) {
                    Some(n) if key == "reconnect_max_tries" => g.reconnect_max_tries = n,
                    Some(n) => g.reconnect_report_freq = n,
                    None => sink.warn(e.pos(), format!("Invalid {key} value found in ups.conf global settings ({v})")),
                }
            }
        }
        _ => {
            if let Some(k) = GLOBAL_KEYS.iter().find(|k| k.eq_ignore_ascii_case(key)) {
                sink.warn(
                    e.key_pos,
                    format!("'{key}' is ignored: ups.conf keys are case-sensitive (did you mean '{k}'?)"),
                );
            } else if CORE_KEYS.contains(&key) || CORE_FLAGS.contains(&key) {
                sink.warn(e.key_pos, format!("'{key}' before the first [section] is a global setting and is ignored"));
            } else {
                sink.warn(e.key_pos, format!("unknown global setting '{key}' is ignored"));
            }
        }
    }
}

fn check_synchronous(e: &Entry, v: &str, sink: &mut Sink<'_>) -> Synchronous {
    let s = Synchronous::parse(v);
    if s == Synchronous::No && v != "no" {
        sink.warn(e.pos(), format!("synchronous = {v}: NUT reads any word other than yes/auto as 'no'"));
    }
    s
}

/// A non-negative integer; pollinterval must be > 0 (a fatal driver error).
fn check_seconds(e: &Entry, v: &str, sink: &mut Sink<'_>) -> Option<u32> {
    match parse_u32(v) {
        Some(0) if e.key == "pollinterval" => {
            sink.error(e.pos(), "invalid pollinterval: 0");
            None
        }
        Some(n) => Some(n),
        None if e.key == "pollinterval" => {
            sink.error(e.pos(), format!("invalid pollinterval: {v}"));
            None
        }
        None => {
            sink.error(e.pos(), format!("{} must be a non-negative integer, not '{v}'", e.key));
            None
        }
    }
}

fn check_section_entry(e: &Entry, sink: &mut Sink<'_>) {
    let key = e.key.as_str();
    if key.eq_ignore_ascii_case("debug_min") {
        if let Some(v) = want_value(e, sink) {
            if parse_u32(v).is_none() {
                sink.warn(e.pos(), format!("Invalid debug_min value found in ups.conf for the driver ({v})"));
            }
        }
        return;
    }
    match key {
        "driver" | "port" | "desc" | "user" | "group" | "sdcommands" => {
            if let Some(v) = want_value(e, sink) {
                if v.is_empty() && key != "desc" {
                    sink.error(e.pos(), format!("empty value for '{key}'"));
                }
            }
        }
        "pollinterval" => {
            if let Some(v) = want_value(e, sink) {
                check_seconds(e, v, sink);
            }
        }
        "LIBUSB_DEBUG" => {
            if let Some(v) = want_value(e, sink) {
                if parse_u32(v).is_none() {
                    sink.warn(e.pos(), format!("Invalid LIBUSB_DEBUG value found in ups.conf for the driver ({v})"));
                }
            }
        }
        "sdorder" | "reconnect_max_tries" | "reconnect_report_freq" => {
            if let Some(v) = want_value(e, sink) {
                if parse_i32(v).is_none() {
                    sink.error(e.pos(), format!("{key} must be an integer, not '{v}'"));
                }
            }
        }
        "synchronous" => {
            if let Some(v) = want_value(e, sink) {
                check_synchronous(e, v, sink);
            }
        }
        "maxstartdelay" | "maxretry" | "retrydelay" => {
            if let Some(v) = want_value(e, sink) {
                check_seconds(e, v, sink);
            }
            sink.warn(
                e.key_pos,
                format!("'{key}' in a UPS section is rejected by NUT 2.8.0 drivers as not a valid variable name"),
            );
        }
        "sddelay" => sink.warn(e.key_pos, "sddelay is obsolete and ignored"),
        "nolock" | "ignorelb" | "allow_killpower" | "allow_duplicates" => {
            if e.value.is_some() {
                sink.error(e.key_pos, format!("'{key}' is a flag and takes no value"));
            }
        }
        _ => {
            if let Some(k) = CORE_KEYS.iter().chain(CORE_FLAGS).find(|k| k.eq_ignore_ascii_case(key)) {
                sink.warn(e.key_pos, format!("'{key}' is not '{k}': ups.conf keys are case-sensitive"));
            }
            if let Some(var) = key.strip_prefix("override.").or_else(|| key.strip_prefix("default.")) {
                if var.is_empty() {
                    sink.error(e.key_pos, format!("'{key}' names no variable"));
                } else if e.value.is_none() {
                    sink.error(e.key_pos, format!("'{key}' needs a value"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (UpsConf, Vec<String>) {
        let (c, d) = UpsConf::parse(Path::new("ups.conf"), s.as_bytes());
        (c, d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn example_from_spec() {
        let (c, d) = parse(
            "maxretry = 3\npollinterval = 2\n\n[myups]\n\tdriver = usbhid-ups\n\tport = auto\n\tdesc = \"Web server UPS\"\n\toverride.battery.charge.low = 30\n\tignorelb\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.global.maxretry, 3);
        assert_eq!(c.globals.len(), 2);
        let s = c.section("myups").unwrap();
        assert_eq!(s.driver(), Some("usbhid-ups"));
        assert_eq!(s.port(), Some("auto"));
        assert_eq!(s.desc(), Some("Web server UPS"));
        assert_eq!(s.value("override.battery.charge.low"), Some("30"));
        assert!(s.get("ignorelb").unwrap().is_flag());
        assert_eq!(s.pos, Pos { line: 4, col: 1 });
        assert_eq!(s.get("driver").unwrap().value_pos, Some(Pos { line: 5, col: 11 }));
        assert!(c.upsd_diagnostics().is_empty());
    }

    #[test]
    fn later_wins_and_sections_merge() {
        let (c, d) = parse("[a]\ndriver=x\nport=1\n[b]\ndriver=y\nport=2\n[a]\nport=3\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.sections.len(), 2);
        assert_eq!(c.section("a").unwrap().port(), Some("3"));
        assert_eq!(c.section("a").unwrap().entries.len(), 3);
        assert!(c.section("A").is_none());
        let (c, _) = parse("pollinterval = 5\nuser = nut\n[a]\npollinterval = 1\n");
        assert_eq!(c.setting("a", "pollinterval").and_then(Entry::value), Some("1"));
        assert_eq!(c.setting("a", "user").and_then(Entry::value), Some("nut"));
        assert!(c.setting("a", "group").is_none());
        assert_eq!(c.section_ci("A").unwrap().name, "a");
    }

    #[test]
    fn upsd_view() {
        let (c, _) = parse("[Ups]\ndriver=x\nport=1\n[half]\ndriver=x\n[UPS]\ndriver=y\nport=2\n");
        let d: Vec<String> = c.upsd_diagnostics().iter().map(ToString::to_string).collect();
        assert_eq!(
            d,
            [
                "ups.conf:4:1: warning: ignoring incomplete configuration for UPS [half] (no port)",
                "ups.conf:1:1: UPS name [Ups] is already in use! (by [UPS] at line 6; upsd drops this section)",
            ]
        );
        let served: Vec<&str> = c.served().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(served, ["UPS"]);
    }

    #[test]
    fn hash_in_quotes_and_statepath_case() {
        let (c, d) = parse("STATEPATH = /tmp/x\n[u]\ndesc = \"x#y\"\n");
        assert_eq!(c.global.statepath.as_deref(), Some(Path::new("/tmp/x")));
        assert_eq!(d, ["ups.conf:3:10: Unbalanced word due to unescaped # in quotes"]);
        // the remainder became a flag, as in NUT
        assert_eq!(c.section("u").unwrap().entries[0].key, "y\"");
    }

    #[test]
    fn global_typed_values() {
        let (c, d) = parse(
            "chroot=/c\ndriverpath=/d\nmaxstartdelay=10\nretrydelay=1\nnowait\npollinterval=9\nsynchronous=yes\nuser=u\ngroup=g\nDEBUG_MIN=2\nLIBUSB_DEBUG=3\nreconnect_max_tries=4\nreconnect_report_freq=5\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let g = &c.global;
        assert_eq!(g.chroot.as_deref(), Some(Path::new("/c")));
        assert_eq!(g.driverpath.as_deref(), Some(Path::new("/d")));
        assert_eq!((g.maxstartdelay, g.retrydelay, g.pollinterval), (10, 1, 9));
        assert!(g.nowait);
        assert_eq!(g.synchronous, Synchronous::Yes);
        assert_eq!((g.user.as_deref(), g.group.as_deref()), (Some("u"), Some("g")));
        assert_eq!((g.debug_min, g.libusb_debug), (Some(2), Some(3)));
        assert_eq!((g.reconnect_max_tries, g.reconnect_report_freq), (4, 5));
    }

    #[test]
    fn problems_all_reported() {
        let (_, d) = parse("pollinterval = 0\nfoo bar\nbogus = 1\n[u]\nDriver = x\nmaxretry = 2\ncommunity = ab=cd\n");
        assert_eq!(
            d,
            [
                "ups.conf:1:16: invalid pollinterval: 0",
                "ups.conf:2:1: warning: line ignored: expected 'key = value' or a single flag",
                "ups.conf:3:1: warning: unknown global setting 'bogus' is ignored",
                "ups.conf:5:1: warning: 'Driver' is not 'driver': ups.conf keys are case-sensitive",
                "ups.conf:6:1: warning: 'maxretry' in a UPS section is rejected by NUT 2.8.0 drivers as not a valid variable name",
                "ups.conf:7:15: warning: only the first word after '=' is the value of 'community'; the rest is ignored (quote the value)",
            ]
        );
    }
}
