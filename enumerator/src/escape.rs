//! systemd's unit-name escaping (`systemd-escape` without `--path`), written
//! from its documented rules, and the mapping from a ups.conf section name to
//! a `nut-driver@<instance>.service` unit.
//!
//! Rules: `/` becomes `-`; ASCII letters, digits, `:`, `_` and `.` (except a
//! leading `.`) stay; every other byte becomes `\xNN` (lower-case hex).
//! Unescaping (`%I` in a unit) reverses this exactly, so any section name
//! comes back unchanged.

use std::fmt::Write as _;

/// The longest unit name systemd accepts (`UNIT_NAME_MAX` minus the NUL).
pub const UNIT_NAME_MAX: usize = 255;

/// The template every driver instance comes from.
pub const TEMPLATE_PREFIX: &str = "nut-driver@";
/// The suffix of driver units.
pub const SERVICE_SUFFIX: &str = ".service";

/// Escapes `s` the way `systemd-escape` does.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b':' | b'_' | b'.' => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

/// Reverses [`escape`] (`systemd-escape -u`, or what `%I` gives a unit).
/// Returns `None` for a malformed `\x` sequence or a result that is not UTF-8.
pub fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'-' => {
                out.push(b'/');
                i += 1;
            }
            b'\\' => {
                if b.get(i + 1) != Some(&b'x') {
                    return None;
                }
                let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The start of a digest instance: `\x5f` is `_`, which [`escape`] never
/// escapes, so no section name's escape can look like this.
pub const HASHED_PREFIX: &str = "\\x5flong:";

/// How a section is represented as a unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Instance {
    /// The full unit name, `nut-driver@<instance>.service`.
    pub unit: String,
    /// True when the escaped name was too long for a unit name and the
    /// instance is a digest instead; the generator then passes the section
    /// name to the driver in a drop-in (`%I` does not give it back).
    pub hashed: bool,
}

/// The unit for the ups.conf section `section`.
pub fn instance_for(section: &str) -> Instance {
    let esc = escape(section);
    if TEMPLATE_PREFIX.len() + esc.len() + SERVICE_SUFFIX.len() <= UNIT_NAME_MAX {
        Instance { unit: format!("{TEMPLATE_PREFIX}{esc}{SERVICE_SUFFIX}"), hashed: false }
    } else {
        Instance {
            unit: format!("{TEMPLATE_PREFIX}{HASHED_PREFIX}{:016x}{SERVICE_SUFFIX}", fnv1a64(section.as_bytes())),
            hashed: true,
        }
    }
}

/// The section name back from a driver unit name, when it is not a hashed one.
pub fn section_for_unit(unit: &str) -> Option<String> {
    let inst = unit.strip_prefix(TEMPLATE_PREFIX)?.strip_suffix(SERVICE_SUFFIX)?;
    if inst.starts_with(HASHED_PREFIX) {
        return None;
    }
    unescape(inst)
}

/// 64-bit FNV-1a: a stable digest for over-long names (not for security).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Quotes one word for a systemd `Exec*=` line: double quotes, C escapes,
/// `%` and `$` doubled so that neither specifiers nor variables expand.
pub fn exec_quote(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_escapes() {
        assert_eq!(escape("ups+1"), "ups\\x2b1");
        assert_eq!(escape("net.ups-2"), "net.ups\\x2d2");
        assert_eq!(escape("a:b"), "a:b");
        assert_eq!(escape(".hidden"), "\\x2ehidden");
        assert_eq!(escape("a/b c"), "a-b\\x20c");
        assert_eq!(unescape("ups\\x2b1").as_deref(), Some("ups+1"));
        assert_eq!(unescape("a-b").as_deref(), Some("a/b"));
        assert_eq!(unescape("bad\\x2"), None);
        assert_eq!(unescape("bad\\y20"), None);
    }

    #[test]
    fn long_names_get_a_digest() {
        let name = "u".repeat(300);
        let inst = instance_for(&name);
        assert!(inst.hashed);
        assert!(inst.unit.len() <= UNIT_NAME_MAX);
        assert_eq!(inst, instance_for(&name));
        assert!(inst.unit.starts_with("nut-driver@\\x5flong:"), "{}", inst.unit);
        assert_eq!(section_for_unit(&inst.unit), None);
        // a section really called like a digest is not mistaken for one
        let lookalike = &inst.unit["nut-driver@\\x5f".len()..inst.unit.len() - ".service".len()];
        assert!(!instance_for(lookalike).unit.starts_with("nut-driver@\\x5f"));
        let fits = "v".repeat(UNIT_NAME_MAX - TEMPLATE_PREFIX.len() - SERVICE_SUFFIX.len());
        let inst = instance_for(&fits);
        assert!(!inst.hashed);
        assert_eq!(inst.unit.len(), UNIT_NAME_MAX);
        assert_eq!(section_for_unit(&inst.unit).as_deref(), Some(fits.as_str()));
    }

    #[test]
    fn exec_quoting() {
        assert_eq!(exec_quote("a b"), "\"a b\"");
        assert_eq!(exec_quote("100%$x\"\\"), "\"100%%$$x\\\"\\\\\"");
    }
}
