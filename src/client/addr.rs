//! `upsname[@hostname[:port]]` and `hostname[:port]`, split exactly like
//! libupsclient's `upscli_splitname` / `upscli_splitaddr` (including
//! `[ipv6]:port` literals, the 255-byte copy limit and their quirks: the
//! text after a second `@` or `:` is ignored, a port is read with `strtol`
//! semantics, an empty UPS name before `@` is skipped like `strtok` does).

use std::fmt;

/// The port upsd listens on by default.
pub const DEFAULT_PORT: u16 = 3493;

/// The host used when none is given.
pub const DEFAULT_HOST: &str = "localhost";

/// libupsclient copies the argument into a buffer of this size.
const SMALLBUF: usize = 512;

/// Where to reach a UPS: a UPS name (absent for `-l`-style host
/// arguments), a host and a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The UPS name, when one was given.
    pub ups: Option<String>,
    /// Host name or address literal (brackets removed).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.ups {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Why an address could not be split. `Display` gives the line
/// libupsclient prints on stderr for it (none for `Missing`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// No argument at all (libupsclient fails silently).
    #[error("")]
    Missing,
    /// `upscli_splitname: can't parse empty string`
    #[error("upscli_splitname: can't parse empty string")]
    EmptyName,
    /// `upscli_splitaddr: can't parse empty string`
    #[error("upscli_splitaddr: can't parse empty string")]
    EmptyAddr,
    /// `upscli_splitaddr: missing closing bracket in [domain literal]`
    #[error("upscli_splitaddr: missing closing bracket in [domain literal]")]
    MissingBracket,
    /// `upscli_splitaddr: no port specified after ':' separator`
    #[error("upscli_splitaddr: no port specified after ':' separator")]
    BadPort,
    /// strtok found no token (e.g. `@` alone, or `:` alone): NUT would
    /// crash on a NULL strdup; we report it as an invalid definition.
    #[error("")]
    NoToken,
}

impl AddrError {
    /// The diagnostic line libupsclient writes to stderr, if any.
    pub fn diagnostic(&self) -> Option<String> {
        match self {
            AddrError::Missing | AddrError::NoToken => None,
            e => Some(e.to_string()),
        }
    }
}

fn truncate(s: &str) -> &str {
    let mut n = s.len().min(SMALLBUF - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// First `strtok` token of `s` with delimiter set `delims`, and the rest
/// after the delimiter that ended it.
fn strtok<'a>(s: &'a str, delims: &[char]) -> Option<(&'a str, &'a str)> {
    let s = s.trim_start_matches(delims);
    if s.is_empty() {
        return None;
    }
    match s.find(delims) {
        Some(i) => Some((&s[..i], &s[i + 1..])),
        None => Some((s, "")),
    }
}

/// C `strtol(s, NULL, 10)`, saturating.
fn strtol(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes() {
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

/// `upscli_splitname`: `upsname[@hostname[:port]]`.
pub fn split_name(arg: Option<&str>) -> Result<Target, AddrError> {
    let arg = arg.ok_or(AddrError::Missing)?;
    let tmp = truncate(arg);
    if tmp.is_empty() {
        return Err(AddrError::EmptyName);
    }
    let at = tmp.find('@');
    let (ups, _) = strtok(tmp, &['@']).ok_or(AddrError::NoToken)?;
    match at {
        None => Ok(Target { ups: Some(ups.to_string()), host: DEFAULT_HOST.into(), port: DEFAULT_PORT }),
        Some(i) => {
            let (host, port) = split_addr_inner(&tmp[i + 1..])?;
            Ok(Target { ups: Some(ups.to_string()), host, port })
        }
    }
}

/// `upscli_splitaddr`: `hostname[:port]` or `[literal][:port]`; `None`
/// means the default `localhost`.
pub fn split_addr(arg: Option<&str>) -> Result<Target, AddrError> {
    let (host, port) = split_addr_inner(arg.unwrap_or(DEFAULT_HOST))?;
    Ok(Target { ups: None, host, port })
}

fn split_addr_inner(arg: &str) -> Result<(String, u16), AddrError> {
    let tmp = truncate(arg);
    if tmp.is_empty() {
        return Err(AddrError::EmptyAddr);
    }
    let port_text;
    let host;
    if let Some(inner) = tmp.strip_prefix('[') {
        if !inner.contains(']') {
            return Err(AddrError::MissingBracket);
        }
        let (h, rest) = strtok(inner, &[']']).ok_or(AddrError::NoToken)?;
        host = h.to_string();
        // strtok(NULL, "\0") takes the rest as one token
        match rest.strip_prefix(':') {
            Some(p) if !rest.is_empty() => port_text = p,
            _ => return Ok((host, DEFAULT_PORT)),
        }
    } else {
        let colon = tmp.find(':');
        let (h, _) = strtok(tmp, &[':']).ok_or(AddrError::NoToken)?;
        host = h.to_string();
        match colon {
            None => return Ok((host, DEFAULT_PORT)),
            Some(i) => port_text = &tmp[i + 1..],
        }
    }
    let l = strtol(port_text);
    if port_text.is_empty() || !(1..=65535).contains(&l) {
        return Err(AddrError::BadPort);
    }
    Ok((host, l as u16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ups: Option<&str>, host: &str, port: u16) -> Target {
        Target { ups: ups.map(Into::into), host: host.into(), port }
    }

    #[test]
    fn names() {
        assert_eq!(split_name(Some("ups")), Ok(t(Some("ups"), "localhost", 3493)));
        assert_eq!(split_name(Some("ups@host")), Ok(t(Some("ups"), "host", 3493)));
        assert_eq!(split_name(Some("ups@host:1234")), Ok(t(Some("ups"), "host", 1234)));
        assert_eq!(split_name(Some("ups@[::1]:1234")), Ok(t(Some("ups"), "::1", 1234)));
        assert_eq!(split_name(Some("ups@[::1]")), Ok(t(Some("ups"), "::1", 3493)));
        assert_eq!(split_name(Some("ups@[::1]x")), Ok(t(Some("ups"), "::1", 3493)));
        assert_eq!(split_name(Some("ups@[::1")), Err(AddrError::MissingBracket));
        assert_eq!(split_name(Some("ups@host:")), Err(AddrError::BadPort));
        assert_eq!(split_name(Some("ups@host:0")), Err(AddrError::BadPort));
        assert_eq!(split_name(Some("ups@host:65536")), Err(AddrError::BadPort));
        assert_eq!(split_name(Some("ups@host:12ab")), Ok(t(Some("ups"), "host", 12)));
        assert_eq!(split_name(Some("ups@host:1:2")), Ok(t(Some("ups"), "host", 1)));
        assert_eq!(split_name(Some("ups@")), Err(AddrError::EmptyAddr));
        // strtok skips the empty name: "host" becomes the UPS name *and* the host
        assert_eq!(split_name(Some("@host")), Ok(t(Some("host"), "host", 3493)));
        assert_eq!(split_name(Some("")), Err(AddrError::EmptyName));
        assert_eq!(split_name(None), Err(AddrError::Missing));
        assert_eq!(split_name(Some("a@b@c")), Ok(t(Some("a"), "b@c", 3493)));
    }

    #[test]
    fn addrs() {
        assert_eq!(split_addr(None), Ok(t(None, "localhost", 3493)));
        assert_eq!(split_addr(Some("127.0.0.1:5000")), Ok(t(None, "127.0.0.1", 5000)));
        assert_eq!(split_addr(Some("[fe80::1]:5000")), Ok(t(None, "fe80::1", 5000)));
        assert_eq!(split_addr(Some("")), Err(AddrError::EmptyAddr));
        assert_eq!(split_addr(Some(":")), Err(AddrError::NoToken));
    }
}
