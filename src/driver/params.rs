//! A driver's configuration: the global section of ups.conf, the driver's
//! own section and the `-x` options, processed in command-line order the
//! way NUT's driver core does (`config-files.md` §4.1–§4.5).
//!
//! Keys the core handles (§4.2) are case-sensitive, as in NUT; the keys a
//! driver declares ([`VarDecl`]) match case-insensitively. Any other key is
//! fatal: `file:line:col: Fatal error: 'key' is not a valid variable name
//! for this driver.` (REQ: the driver then exits non-zero).
//!
//! Whatever the configuration publishes (`driver.parameter.<key>`,
//! `driver.flag.<flag>`, `override.*`, `default.*`) is recorded as
//! [`StoreOp`]s, applied to the store in order before the device is opened.

use std::fmt;
use std::time::Duration;

use crate::model::atoi;

/// Whether a declared key takes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    /// `key = value` (NUT's `VAR_VALUE`).
    Value,
    /// A bare `key` (NUT's `VAR_FLAG`).
    Flag,
}

/// A key a driver accepts (NUT's `addvar`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarDecl {
    /// The key.
    pub name: &'static str,
    /// Value or flag.
    pub kind: VarKind,
    /// One line for `-h`.
    pub desc: &'static str,
    /// Not published as `driver.parameter.<key>` (secrets).
    pub sensitive: bool,
}

impl VarDecl {
    /// A `key = value` option.
    pub const fn value(name: &'static str, desc: &'static str) -> VarDecl {
        VarDecl { name, kind: VarKind::Value, desc, sensitive: false }
    }

    /// A flag option.
    pub const fn flag(name: &'static str, desc: &'static str) -> VarDecl {
        VarDecl { name, kind: VarKind::Flag, desc, sensitive: false }
    }
}

/// One `key [= value]` from ups.conf or `-x`, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEntry {
    /// The key as written.
    pub key: String,
    /// The value; `None` for a flag.
    pub value: Option<String>,
    /// `file:line:col` of the key, or `None` for `-x`.
    pub at: Option<String>,
}

impl RawEntry {
    /// Splits a `-x` argument at its first `=` (no tokenizer involved).
    pub fn from_x(arg: &str) -> RawEntry {
        match arg.split_once('=') {
            Some((k, v)) => RawEntry { key: k.to_string(), value: Some(v.to_string()), at: None },
            None => RawEntry { key: arg.to_string(), value: None, at: None },
        }
    }
}

/// A change the configuration makes to the store, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreOp {
    /// `dstate_setinfo(var, value)`.
    Set(String, String),
    /// Marks the variable immutable (`override.*`).
    Immutable(String),
}

pub use crate::config::ups::Synchronous;

/// Why the configuration is refused. Each makes the driver exit non-zero.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A key neither the core nor the driver knows.
    #[error("{}Fatal error: '{key}' is not a valid {} for this driver.", prefix(.at), if *.flag { "flag" } else { "variable name" })]
    Unknown {
        /// Where it was written (`None` for `-x`).
        at: Option<String>,
        /// The key.
        key: String,
        /// Whether it was a bare flag.
        flag: bool,
    },
    /// `driver =` names another driver.
    #[error("{}Error: UPS [{ups}] is for driver {wanted}, but I'm {me}!", prefix(.at))]
    WrongDriver {
        /// Where it was written.
        at: Option<String>,
        /// The section.
        ups: String,
        /// What the section asks for.
        wanted: String,
        /// What we are.
        me: String,
    },
    /// `pollinterval` is not a positive number.
    #[error("{}Error: invalid pollinterval: {value}", prefix(.at))]
    PollInterval {
        /// Where it was written.
        at: Option<String>,
        /// The number atoi made of it.
        value: i64,
    },
    /// `-a <ups>` names no section.
    #[error("Error: Section {0} not found in ups.conf")]
    NoSection(String),
    /// Neither ups.conf nor `-x` gave a port.
    #[error("Error: you must specify a port name in ups.conf or in '-x port=...' argument.")]
    NoPort,
}

fn prefix(at: &Option<String>) -> String {
    match at {
        Some(a) => format!("{a}: "),
        None => String::new(),
    }
}

/// Section keys the core accepts without publishing them (NUT 2.8.0's
/// `main_arg` plus the newer keys of §4.2 that we accept and ignore).
const CORE_QUIET: &[&str] = &[
    "desc",
    "sdorder",
    "sddelay",
    "user",
    "group",
    "synchronous",
    "debug_min",
    "LIBUSB_DEBUG",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "reconnect_max_tries",
    "reconnect_report_freq",
    "sdcommands",
];

/// The processed configuration of one driver instance.
#[derive(Clone, Debug)]
pub struct Params {
    /// The driver's program name.
    pub driver: String,
    /// The UPS (section) name.
    pub upsname: String,
    /// `port`.
    pub port: Option<String>,
    /// `pollinterval` (default 2 s).
    pub pollinterval: Duration,
    /// `synchronous`.
    pub synchronous: Synchronous,
    /// `user` (the command line wins).
    pub user: Option<String>,
    /// `group` (the command line wins).
    pub group: Option<String>,
    /// `chroot` (global) / `-r`.
    pub chroot: Option<String>,
    /// `debug_min`, section over global.
    pub debug_min: Option<u8>,
    /// `nolock`.
    pub nolock: bool,
    /// `allow_killpower`.
    pub allow_killpower: bool,
    /// Declared keys seen: (declared name, value or `None` for a flag).
    pub values: Vec<(String, Option<String>)>,
    /// Store changes, in order.
    pub ops: Vec<StoreOp>,
    decls: Vec<VarDecl>,
    user_from_cli: bool,
    group_from_cli: bool,
    global_debug: Option<u8>,
}

impl Params {
    /// Empty parameters for `driver` serving `upsname`, accepting `decls`.
    pub fn new(driver: &str, upsname: &str, decls: Vec<VarDecl>) -> Params {
        Params {
            driver: driver.to_string(),
            upsname: upsname.to_string(),
            port: None,
            pollinterval: Duration::from_secs(2),
            synchronous: Synchronous::Auto,
            user: None,
            group: None,
            chroot: None,
            debug_min: None,
            nolock: false,
            allow_killpower: false,
            values: Vec::new(),
            ops: Vec::new(),
            decls,
            user_from_cli: false,
            group_from_cli: false,
            global_debug: None,
        }
    }

    /// `-u` on the command line (wins over ups.conf).
    pub fn set_cli_user(&mut self, u: &str) {
        self.user = Some(u.to_string());
        self.user_from_cli = true;
    }

    /// `-g` on the command line.
    pub fn set_cli_group(&mut self, g: &str) {
        self.group = Some(g.to_string());
        self.group_from_cli = true;
    }

    /// A global-section key (`do_global_args`); unknown ones are ignored.
    pub fn global(&mut self, e: &RawEntry) -> Result<(), ParamError> {
        let Some(val) = e.value.as_deref() else { return Ok(()) };
        match e.key.as_str() {
            "pollinterval" => self.pollinterval = poll(val, &e.at)?,
            "chroot" => self.chroot = Some(val.to_string()),
            "user" if !self.user_from_cli => self.user = Some(val.to_string()),
            "group" if !self.group_from_cli => self.group = Some(val.to_string()),
            "synchronous" => self.synchronous = Synchronous::parse(val),
            "debug_min" => {
                if let Ok(n) = val.trim().parse::<u8>() {
                    self.global_debug = Some(n);
                    if self.debug_min.is_none() {
                        self.debug_min = Some(n);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A key from the driver's section (`from_conf`) or a `-x` option.
    pub fn entry(&mut self, e: &RawEntry, from_conf: bool) -> Result<(), ParamError> {
        let key = e.key.as_str();
        let val = e.value.as_deref();
        // keys the core handles, flags first
        match (key, val) {
            ("nolock", None) => {
                self.nolock = true;
                self.ops.push(StoreOp::Set("driver.flag.nolock".into(), "enabled".into()));
                return Ok(());
            }
            ("ignorelb", None) => {
                self.ops.push(StoreOp::Set("driver.flag.ignorelb".into(), "enabled".into()));
                return Ok(());
            }
            ("allow_killpower", None) => {
                self.allow_killpower = true;
                return Ok(());
            }
            ("port", Some(v)) => {
                self.port = Some(v.to_string());
                self.ops.push(StoreOp::Set("driver.parameter.port".into(), v.to_string()));
                return Ok(());
            }
            ("user", Some(v)) => {
                if !self.user_from_cli {
                    self.user = Some(v.to_string());
                }
                return Ok(());
            }
            ("group", Some(v)) => {
                if !self.group_from_cli {
                    self.group = Some(v.to_string());
                }
                return Ok(());
            }
            ("synchronous", Some(v)) => {
                self.synchronous = Synchronous::parse(v);
                return Ok(());
            }
            ("debug_min", Some(v)) => {
                if let Ok(n) = v.trim().parse::<u8>() {
                    self.debug_min = Some(n);
                }
                return Ok(());
            }
            ("driver", Some(v)) if from_conf => {
                if v != self.driver {
                    return Err(ParamError::WrongDriver {
                        at: e.at.clone(),
                        ups: self.upsname.clone(),
                        wanted: v.to_string(),
                        me: self.driver.clone(),
                    });
                }
                return Ok(());
            }
            ("pollinterval", Some(v)) => {
                self.pollinterval = poll(v, &e.at)?;
                return Ok(());
            }
            (k, Some(_)) if CORE_QUIET.contains(&k) => return Ok(()),
            _ => {}
        }
        if key.len() > 9 && key[..9].eq_ignore_ascii_case("override.") {
            let var = &key[9..];
            self.ops.push(StoreOp::Set(var.to_string(), val.unwrap_or("").to_string()));
            self.ops.push(StoreOp::Immutable(var.to_string()));
            return Ok(());
        }
        if key.len() > 8 && key[..8].eq_ignore_ascii_case("default.") {
            self.ops.push(StoreOp::Set(key[8..].to_string(), val.unwrap_or("").to_string()));
            return Ok(());
        }
        let Some(decl) = self.decls.iter().find(|d| d.name.eq_ignore_ascii_case(key)).cloned() else {
            return Err(ParamError::Unknown { at: e.at.clone(), key: key.to_string(), flag: val.is_none() });
        };
        // later definitions overwrite earlier ones
        self.values.retain(|(k, _)| !k.eq_ignore_ascii_case(decl.name));
        self.values.push((decl.name.to_string(), val.map(str::to_string)));
        if !decl.sensitive {
            match val {
                Some(v) => self.ops.push(StoreOp::Set(format!("driver.parameter.{key}"), v.to_string())),
                None => self.ops.push(StoreOp::Set(format!("driver.flag.{key}"), "enabled".into())),
            }
        }
        Ok(())
    }

    /// The value of a declared key (`getval`), `None` if unset or a flag.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| v.as_deref())
    }

    /// Whether a declared key was given at all (`testvar`).
    pub fn has(&self, key: &str) -> bool {
        self.values.iter().any(|(k, _)| k.eq_ignore_ascii_case(key))
    }

    /// The declared keys, for `-h` and `-L`.
    pub fn decls(&self) -> &[VarDecl] {
        &self.decls
    }
}

fn poll(v: &str, at: &Option<String>) -> Result<Duration, ParamError> {
    let n = atoi(v);
    if n > 0 {
        Ok(Duration::from_secs(n as u64))
    } else {
        Err(ParamError::PollInterval { at: at.clone(), value: n })
    }
}

impl fmt::Display for VarDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            VarKind::Value => write!(f, "{:>40} : -x {}=<value>", self.desc, self.name),
            VarKind::Flag => write!(f, "{:>40} : -x {}", self.desc, self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(l: u32) -> Option<String> {
        Some(format!("ups.conf:{l}:2"))
    }

    fn e(k: &str, v: Option<&str>, l: u32) -> RawEntry {
        RawEntry { key: k.into(), value: v.map(Into::into), at: at(l) }
    }

    #[test]
    fn unknown_keys_are_fatal_with_position() {
        let mut p = Params::new("dummy-ups", "u", vec![VarDecl::value("mode", "mode")]);
        assert!(p.entry(&e("mode", Some("dummy-once"), 3), true).is_ok());
        assert!(p.entry(&e("MODE", Some("dummy-loop"), 4), true).is_ok());
        assert_eq!(p.get("mode"), Some("dummy-loop"));
        let err = p.entry(&e("bogus", Some("1"), 5), true).unwrap_err();
        assert_eq!(err.to_string(), "ups.conf:5:2: Fatal error: 'bogus' is not a valid variable name for this driver.");
        let err = p.entry(&RawEntry::from_x("bogusflag"), false).unwrap_err();
        assert_eq!(err.to_string(), "Fatal error: 'bogusflag' is not a valid flag for this driver.");
        // core keys are case-sensitive
        assert!(p.entry(&e("Port", Some("x"), 6), true).is_err());
        // newer per-section keys are accepted
        assert!(p.entry(&e("maxstartdelay", Some("10"), 7), true).is_ok());
    }

    #[test]
    fn publishing_and_overrides() {
        let mut p = Params::new("dummy-ups", "u", vec![VarDecl::value("mode", "mode")]);
        p.entry(&e("driver", Some("dummy-ups"), 1), true).unwrap();
        p.entry(&e("port", Some("a.dev"), 2), true).unwrap();
        p.entry(&e("override.battery.charge.low", Some("30"), 3), true).unwrap();
        p.entry(&e("ignorelb", None, 4), true).unwrap();
        p.entry(&RawEntry::from_x("mode=dummy-loop"), false).unwrap();
        assert_eq!(p.port.as_deref(), Some("a.dev"));
        assert_eq!(
            p.ops,
            [
                StoreOp::Set("driver.parameter.port".into(), "a.dev".into()),
                StoreOp::Set("battery.charge.low".into(), "30".into()),
                StoreOp::Immutable("battery.charge.low".into()),
                StoreOp::Set("driver.flag.ignorelb".into(), "enabled".into()),
                StoreOp::Set("driver.parameter.mode".into(), "dummy-loop".into()),
            ]
        );
        let err = p.entry(&e("driver", Some("usbhid-ups"), 9), true).unwrap_err();
        assert_eq!(err.to_string(), "ups.conf:9:2: Error: UPS [u] is for driver usbhid-ups, but I'm dummy-ups!");
        assert!(p.entry(&e("pollinterval", Some("0"), 10), true).is_err());
        p.entry(&e("pollinterval", Some("5"), 11), true).unwrap();
        assert_eq!(p.pollinterval, Duration::from_secs(5));
    }

    #[test]
    fn x_splits_at_first_equals() {
        assert_eq!(RawEntry::from_x("community=a=b").value.as_deref(), Some("a=b"));
        assert_eq!(RawEntry::from_x("flag").value, None);
    }
}
