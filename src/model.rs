//! The data model shared by drivers, upsd and the clients: UPS, variable and
//! instant-command names, values, variable flags, enums, ranges and the
//! `ups.status` flags (`variables.md`).
//!
//! Names compare the way NUT compares them: ASCII case-insensitively, and
//! they sort like `strcasecmp`, so a prefix sorts first (`battery.charge` <
//! `battery.charge.low`). The spelling a peer used is kept for echoing back.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// NUT's `strcasecmp` order: bytes compared after ASCII lower-casing.
pub fn ci_cmp(a: &str, b: &str) -> Ordering {
    // A plain byte loop: names are nearly always lower case already, so
    // lower-casing happens only where the bytes differ (hot in upsd's and
    // the driver's name lookups).
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (&x, &y) in a.iter().zip(b) {
        if x != y {
            let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
            if x != y {
                return x.cmp(&y);
            }
        }
    }
    a.len().cmp(&b.len())
}

/// Why a name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("empty name")]
    Empty,
    /// The name is longer than the protocol's 512-byte word.
    #[error("name longer than 512 bytes")]
    TooLong,
    /// The name holds a byte NUT cannot carry (control or non-ASCII).
    #[error("name contains a character outside printable ASCII")]
    BadChar,
}

fn check_name(s: &str) -> Result<(), NameError> {
    if s.is_empty() {
        Err(NameError::Empty)
    } else if s.len() > 512 {
        Err(NameError::TooLong)
    } else if !s.bytes().all(|b| (0x20..=0x7f).contains(&b)) {
        Err(NameError::BadChar)
    } else {
        Ok(())
    }
}

macro_rules! ci_name {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug)]
        pub struct $name(String);

        impl $name {
            /// Validates a name: non-empty printable ASCII of at most 512 bytes.
            pub fn new(s: impl Into<String>) -> Result<Self, NameError> {
                let s = s.into();
                check_name(&s)?;
                Ok($name(s))
            }

            /// The name as spelled.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The name as spelled, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_ignore_ascii_case(&other.0)
            }
        }
        impl Eq for $name {}
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0.eq_ignore_ascii_case(other)
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0.eq_ignore_ascii_case(other)
            }
        }
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                ci_cmp(&self.0, &other.0)
            }
        }
        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Hash for $name {
            fn hash<H: Hasher>(&self, h: &mut H) {
                for b in self.0.bytes() {
                    h.write_u8(b.to_ascii_lowercase());
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                $name::new(s)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

ci_name!(
    /// A UPS name: a ups.conf section, matched case-insensitively.
    UpsName
);
ci_name!(
    /// A variable name such as `battery.charge`, matched case-insensitively.
    VarName
);
ci_name!(
    /// An instant command name such as `load.off`, matched case-insensitively.
    CmdName
);

impl VarName {
    /// Whether this is one of the names upsd synthesises (`server.*`).
    pub fn is_server(&self) -> bool {
        self.0.len() >= 7 && self.0[..7].eq_ignore_ascii_case("server.")
    }
}

/// The longest value a driver stores (its buffer is 256 bytes).
pub const MAX_VALUE_LEN: usize = 255;

/// The flags a variable carries on the driver socket (`SETFLAGS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VarFlags {
    /// Settable with `SET VAR`.
    pub rw: bool,
    /// A string whose maximum length is the variable's aux value.
    pub string: bool,
    /// A number (the default when neither flag is set).
    pub number: bool,
}

impl VarFlags {
    /// No flag set.
    pub const NONE: VarFlags = VarFlags { rw: false, string: false, number: false };

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        !self.rw && !self.string && !self.number
    }

    /// Builds flags from `SETFLAGS` words; unknown words are ignored
    /// (so `SETFLAGS v FOO` clears all flags, as in NUT).
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> VarFlags {
        let mut f = VarFlags::NONE;
        for w in words {
            let w = w.as_ref();
            if w.eq_ignore_ascii_case("RW") {
                f.rw = true;
            } else if w.eq_ignore_ascii_case("STRING") {
                f.string = true;
            } else if w.eq_ignore_ascii_case("NUMBER") {
                f.number = true;
            }
        }
        f
    }

    /// The `SETFLAGS` words in NUT's order: RW, STRING, NUMBER.
    pub fn words(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.rw {
            v.push("RW");
        }
        if self.string {
            v.push("STRING");
        }
        if self.number {
            v.push("NUMBER");
        }
        v
    }
}

/// An inclusive integer range of allowed values (`ADDRANGE`, `LIST RANGE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Range {
    /// Smallest allowed value.
    pub min: i64,
    /// Largest allowed value.
    pub max: i64,
}

impl Range {
    /// Whether `v` falls inside.
    pub fn contains(&self, v: i64) -> bool {
        self.min <= v && v <= self.max
    }
}

/// C's `atoi`: optional whitespace and sign, then leading digits; anything
/// else gives 0 (`125abc` → 125, `abc` → 0). NUT validates ranges with it.
pub fn atoi(s: &str) -> i64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in rest.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// The type words of a `TYPE` reply, in NUT's order: RW, ENUM, RANGE, then
/// exactly one of `STRING:n` or `NUMBER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarType {
    /// Writable.
    pub rw: bool,
    /// Has at least one enum value.
    pub has_enum: bool,
    /// Has at least one range.
    pub has_range: bool,
    /// `Some(n)` for `STRING:n`, `None` for `NUMBER`.
    pub string_len: Option<i64>,
}

impl VarType {
    /// The reply words.
    pub fn words(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.rw {
            v.push("RW".to_string());
        }
        if self.has_enum {
            v.push("ENUM".to_string());
        }
        if self.has_range {
            v.push("RANGE".to_string());
        }
        match self.string_len {
            Some(n) => v.push(format!("STRING:{n}")),
            None => v.push("NUMBER".to_string()),
        }
        v
    }

    /// Parses reply words (unknown words are ignored, as clients do).
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> VarType {
        let mut t = VarType { rw: false, has_enum: false, has_range: false, string_len: None };
        for w in words {
            let w = w.as_ref();
            if w.eq_ignore_ascii_case("RW") {
                t.rw = true;
            } else if w.eq_ignore_ascii_case("ENUM") {
                t.has_enum = true;
            } else if w.eq_ignore_ascii_case("RANGE") {
                t.has_range = true;
            } else if let Some(n) = w.strip_prefix("STRING:") {
                t.string_len = Some(atoi(n));
            }
        }
        t
    }
}

/// One token of `ups.status`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StatusFlag {
    /// On line power.
    OnLine,
    /// On battery.
    OnBattery,
    /// Low battery.
    LowBattery,
    /// High battery.
    HighBattery,
    /// Replace battery.
    ReplaceBattery,
    /// Charging.
    Charging,
    /// Discharging.
    Discharging,
    /// On bypass.
    Bypass,
    /// Runtime calibration.
    Calibrating,
    /// Output administratively off.
    Off,
    /// Overloaded.
    Overload,
    /// Trimming high input voltage.
    Trim,
    /// Boosting low input voltage.
    Boost,
    /// Forced shutdown.
    ForcedShutdown,
    /// At least one alarm (details in `ups.alarm`).
    Alarm,
    /// ECO mode (legacy token).
    Eco,
    /// upsd's placeholder until the driver's first dump.
    Wait,
    /// Any other (vendor) token, kept as spelled.
    Other(String),
}

impl StatusFlag {
    /// Parses one token (case-insensitively for the known ones).
    pub fn parse(tok: &str) -> StatusFlag {
        use StatusFlag::*;
        match tok.to_ascii_uppercase().as_str() {
            "OL" => OnLine,
            "OB" => OnBattery,
            "LB" => LowBattery,
            "HB" => HighBattery,
            "RB" => ReplaceBattery,
            "CHRG" => Charging,
            "DISCHRG" => Discharging,
            "BYPASS" => Bypass,
            "CAL" => Calibrating,
            "OFF" => Off,
            "OVER" => Overload,
            "TRIM" => Trim,
            "BOOST" => Boost,
            "FSD" => ForcedShutdown,
            "ALARM" => Alarm,
            "ECO" => Eco,
            "WAIT" => Wait,
            _ => Other(tok.to_string()),
        }
    }

    /// The token as NUT spells it.
    pub fn as_str(&self) -> &str {
        use StatusFlag::*;
        match self {
            OnLine => "OL",
            OnBattery => "OB",
            LowBattery => "LB",
            HighBattery => "HB",
            ReplaceBattery => "RB",
            Charging => "CHRG",
            Discharging => "DISCHRG",
            Bypass => "BYPASS",
            Calibrating => "CAL",
            Off => "OFF",
            Overload => "OVER",
            Trim => "TRIM",
            Boost => "BOOST",
            ForcedShutdown => "FSD",
            Alarm => "ALARM",
            Eco => "ECO",
            Wait => "WAIT",
            Other(s) => s,
        }
    }
}

impl fmt::Display for StatusFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ups.status` as a de-duplicated, ordered list of flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status(Vec<StatusFlag>);

impl Status {
    /// An empty status.
    pub fn new() -> Self {
        Status(Vec::new())
    }

    /// Parses a space-separated `ups.status` value; duplicates are dropped.
    pub fn parse(s: &str) -> Status {
        let mut st = Status::new();
        for tok in s.split_ascii_whitespace() {
            st.insert(StatusFlag::parse(tok));
        }
        st
    }

    /// Adds a flag at the end unless already present.
    pub fn insert(&mut self, f: StatusFlag) {
        if !self.0.contains(&f) {
            self.0.push(f);
        }
    }

    /// Removes a flag.
    pub fn remove(&mut self, f: &StatusFlag) {
        self.0.retain(|x| x != f);
    }

    /// Whether the flag is present.
    pub fn has(&self, f: &StatusFlag) -> bool {
        self.0.contains(f)
    }

    /// The flags in order.
    pub fn flags(&self) -> &[StatusFlag] {
        &self.0
    }

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// On battery and low battery, or forced shutdown: what upsmon treats as
    /// critical.
    pub fn is_critical(&self) -> bool {
        self.has(&StatusFlag::ForcedShutdown) || (self.has(&StatusFlag::OnBattery) && self.has(&StatusFlag::LowBattery))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fl) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(fl.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Status {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Status::parse(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_case_insensitively() {
        assert_eq!(UpsName::new("DUMMY").unwrap(), UpsName::new("dummy").unwrap());
        assert!(VarName::new("battery.charge").unwrap() < VarName::new("battery.charge.low").unwrap());
        assert!(VarName::new("Battery.Charge").unwrap() < VarName::new("battery.runtime").unwrap());
        assert_eq!(ci_cmp("ups.Status", "UPS.status"), Ordering::Equal);
        assert!(UpsName::new("").is_err());
        assert!(UpsName::new("a\u{e9}").is_err());
        assert!(VarName::new("SERVER.info").unwrap().is_server());
    }

    proptest::proptest! {
        /// The byte loop agrees with comparing the lower-cased strings
        /// (strcasecmp), for any ASCII input, including prefixes and `_`
        /// against upper-case letters (`_` sorts between `Z` and `a`).
        #[test]
        fn ci_cmp_is_strcasecmp(a in "[ -~]{0,12}", b in "[ -~]{0,12}") {
            let want = a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase());
            proptest::prop_assert_eq!(ci_cmp(&a, &b), want);
            let prefixed = format!("{a}{b}");
            proptest::prop_assert_eq!(ci_cmp(&a, &prefixed), a.len().cmp(&prefixed.len()));
        }
    }

    /// Regression: the names once implemented `Borrow<str>`, whose
    /// case-sensitive order disagrees with theirs, so `map.get("Mixed")`
    /// missed entries. Lookups go through the name type.
    #[test]
    fn map_lookups_ignore_case() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(VarName::new("Battery.Charge").unwrap(), 1);
        m.insert(VarName::new("ups.status").unwrap(), 2);
        assert_eq!(m.get(&VarName::new("battery.charge").unwrap()), Some(&1));
        assert_eq!(m.get(&VarName::new("UPS.STATUS").unwrap()), Some(&2));
    }

    #[test]
    fn atoi_is_c_atoi() {
        assert_eq!(atoi("125abc"), 125);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(" -7"), -7);
        assert_eq!(atoi(""), 0);
    }

    #[test]
    fn flags_and_types() {
        let f = VarFlags::from_words(&["STRING", "rw", "FOO"]);
        assert_eq!(f.words(), ["RW", "STRING"]);
        assert!(VarFlags::from_words(&["FOO"]).is_empty());
        let t = VarType { rw: true, has_enum: true, has_range: false, string_len: None };
        assert_eq!(t.words(), ["RW", "ENUM", "NUMBER"]);
        assert_eq!(VarType::from_words(&["RW", "STRING:16"]).string_len, Some(16));
    }

    #[test]
    fn status_round_trip() {
        let s = Status::parse("OB LB LB XLBX");
        assert_eq!(s.to_string(), "OB LB XLBX");
        assert!(s.is_critical());
        assert!(s.has(&StatusFlag::Other("XLBX".into())));
        assert!(!Status::parse("OL CHRG").is_critical());
        assert!(Status::parse("FSD OL").is_critical());
    }
}
