//! Value words shared by the files: booleans and integers, parsed the way
//! NUT's helpers (`str_to_int`, `parse_bool`-style checks) accept them.

/// A boolean word: `true/yes/on/1` or `false/no/off/0`, case-insensitive.
pub fn parse_bool(s: &str) -> Option<bool> {
    const T: [&str; 4] = ["true", "yes", "on", "1"];
    const F: [&str; 4] = ["false", "no", "off", "0"];
    if T.iter().any(|t| s.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if F.iter().any(|f| s.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

/// upsd's ALLOW_* rule: a word starting with a digit is a number (non-zero =
/// true, like `atoi`); anything else must be a boolean word.
pub fn parse_bool_or_number(s: &str) -> Option<bool> {
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        Some(crate::model::atoi(s) != 0)
    } else {
        parse_bool(s)
    }
}

/// A whole-word decimal integer with an optional sign (NUT's `str_to_int`:
/// no trailing garbage, no empty string).
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A whole-word non-negative decimal integer that fits `u32`.
pub fn parse_u32(s: &str) -> Option<u32> {
    parse_int(s).and_then(|v| u32::try_from(v).ok())
}

/// A whole-word decimal integer that fits `i32`.
pub fn parse_i32(s: &str) -> Option<i32> {
    parse_int(s).and_then(|v| i32::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_and_ints() {
        assert_eq!(parse_bool("YES"), Some(true));
        assert_eq!(parse_bool("Off"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool_or_number("2"), Some(true));
        assert_eq!(parse_bool_or_number("0x"), Some(false));
        assert_eq!(parse_bool_or_number("no"), Some(false));
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("12s"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_u32("-1"), None);
        assert_eq!(parse_i32("99999999999"), None);
    }
}
