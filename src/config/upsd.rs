//! upsd.conf: `KEYWORD value…` lines without sections (`config-files.md`
//! §5). Keywords are case-sensitive except `DEBUG_MIN`; unknown ones are
//! "invalid directive" (upsd logs, counts and ignores them).

use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Sink};
use super::lines::{extra_words, invalid_directive, lines};
use super::value::{parse_bool, parse_bool_or_number, parse_u32};
use crate::model::atoi;

/// NUT's port.
pub const DEFAULT_PORT: u16 = 3493;

/// One `LISTEN <addr> [<port>]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Listen {
    /// Address or host name as written (`*` = any, IPv4 and IPv6).
    pub addr: String,
    /// TCP port (3493 when not given).
    pub port: u16,
}

/// `CERTIDENT "<name>" "<password>"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertIdent {
    /// Certificate nickname.
    pub name: String,
    /// Key or database password.
    pub password: String,
}

/// `CERTREQUEST`: the client-certificate policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CertRequest {
    /// 0 / `NO`: don't ask for a client certificate.
    #[default]
    No,
    /// 1 / `REQUEST`: ask, don't require.
    Request,
    /// 2 / `REQUIRE`: require a valid one.
    Require,
}

/// The settings of upsd.conf, with NUT's defaults for what is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsdConf {
    /// The file it came from.
    pub path: PathBuf,
    /// `LISTEN` lines in order (empty = the default; see [`UpsdConf::listeners`]).
    pub listen: Vec<Listen>,
    /// `MAXAGE`, seconds (15).
    pub maxage: u32,
    /// `TRACKINGDELAY`, seconds (3600).
    pub trackingdelay: u32,
    /// `MAXCONN` (None = the OS file-descriptor limit).
    pub maxconn: Option<u32>,
    /// `STATEPATH`.
    pub statepath: Option<PathBuf>,
    /// `DATAPATH`.
    pub datapath: Option<PathBuf>,
    /// `ALLOW_NO_DEVICE` (false; the environment variable wins, see
    /// [`UpsdConf::allow_no_device_env`]).
    pub allow_no_device: bool,
    /// `ALLOW_NOT_ALL_LISTENERS` (false; env wins).
    pub allow_not_all_listeners: bool,
    /// `CERTFILE`.
    pub certfile: Option<PathBuf>,
    /// `CERTPATH`.
    pub certpath: Option<PathBuf>,
    /// `CERTIDENT`.
    pub certident: Option<CertIdent>,
    /// `CERTREQUEST` (NO).
    pub certrequest: CertRequest,
    /// `DISABLE_WEAK_SSL` (false).
    pub disable_weak_ssl: bool,
    /// `DEBUG_MIN`.
    pub debug_min: Option<u32>,
}

impl Default for UpsdConf {
    fn default() -> Self {
        UpsdConf {
            path: PathBuf::new(),
            listen: Vec::new(),
            maxage: 15,
            trackingdelay: 3600,
            maxconn: None,
            statepath: None,
            datapath: None,
            allow_no_device: false,
            allow_not_all_listeners: false,
            certfile: None,
            certpath: None,
            certident: None,
            certrequest: CertRequest::No,
            disable_weak_ssl: false,
            debug_min: None,
        }
    }
}

fn env_bool(name: &str) -> Option<bool> {
    std::env::var(name).ok().and_then(|v| parse_bool_or_number(&v))
}

impl UpsdConf {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> std::io::Result<(UpsdConf, Vec<Diagnostic>)> {
        let bytes = std::fs::read(path)?;
        Ok(UpsdConf::parse(path, &bytes))
    }

    /// The listeners to open: the `LISTEN` lines, or `127.0.0.1` and `::1`
    /// on 3493 when there is none.
    pub fn listeners(&self) -> Vec<Listen> {
        if self.listen.is_empty() {
            vec![
                Listen { addr: "127.0.0.1".into(), port: DEFAULT_PORT },
                Listen { addr: "::1".into(), port: DEFAULT_PORT },
            ]
        } else {
            self.listen.clone()
        }
    }

    /// `ALLOW_NO_DEVICE` with the environment variable of that name winning.
    pub fn allow_no_device_env(&self) -> bool {
        env_bool("ALLOW_NO_DEVICE").unwrap_or(self.allow_no_device)
    }

    /// `ALLOW_NOT_ALL_LISTENERS` with the environment variable winning.
    pub fn allow_not_all_listeners_env(&self) -> bool {
        env_bool("ALLOW_NOT_ALL_LISTENERS").unwrap_or(self.allow_not_all_listeners)
    }

    /// Whether any TLS directive is set.
    pub fn wants_tls(&self) -> bool {
        self.certfile.is_some() || self.certpath.is_some() || self.certident.is_some()
    }

    /// Parses `input` (the contents of `path`), reporting every problem.
    pub fn parse(path: &Path, input: &[u8]) -> (UpsdConf, Vec<Diagnostic>) {
        let mut sink = Sink::new(path);
        let mut c = UpsdConf { path: path.to_path_buf(), ..UpsdConf::default() };
        for line in lines(input, &mut sink) {
            let w = &line.words;
            let kw = w[0].text.as_str();
            let n = w.len();
            if n < 2 {
                invalid_directive(&line, &mut sink);
                continue;
            }
            let arg = w[1].text.as_str();
            let apos = w[1].pos;
            let mut used = 2;
            if kw.eq_ignore_ascii_case("DEBUG_MIN") {
                match parse_u32(arg) {
                    Some(v) => c.debug_min = Some(v),
                    None => sink.warn(apos, "DEBUG_MIN has non numeric or negative value in upsd.conf"),
                }
                extra_words(&line, used, &mut sink);
                continue;
            }
            let leading_digit = arg.as_bytes().first().is_some_and(u8::is_ascii_digit);
            let number = || u32::try_from(atoi(arg).max(0)).unwrap_or(u32::MAX);
            match kw {
                "MAXAGE" | "TRACKINGDELAY" | "MAXCONN" => {
                    if leading_digit {
                        match kw {
                            "MAXAGE" => c.maxage = number(),
                            "TRACKINGDELAY" => c.trackingdelay = number(),
                            _ => c.maxconn = Some(number()),
                        }
                    } else {
                        sink.error(apos, format!("{kw} has non numeric value ({arg})!"));
                    }
                }
                "ALLOW_NO_DEVICE" | "ALLOW_NOT_ALL_LISTENERS" => match parse_bool_or_number(arg) {
                    Some(b) if kw == "ALLOW_NO_DEVICE" => c.allow_no_device = b,
                    Some(b) => c.allow_not_all_listeners = b,
                    None => sink.error(apos, format!("{kw} has non numeric and non boolean value ({arg})!")),
                },
                "STATEPATH" => c.statepath = Some(PathBuf::from(arg)),
                "DATAPATH" => c.datapath = Some(PathBuf::from(arg)),
                "CERTFILE" => c.certfile = Some(PathBuf::from(arg)),
                "CERTPATH" => c.certpath = Some(PathBuf::from(arg)),
                "CERTREQUEST" => {
                    let v = if leading_digit {
                        match atoi(arg) {
                            0 => Some(CertRequest::No),
                            1 => Some(CertRequest::Request),
                            2 => Some(CertRequest::Require),
                            _ => None,
                        }
                    } else {
                        match arg {
                            "NO" => Some(CertRequest::No),
                            "REQUEST" => Some(CertRequest::Request),
                            "REQUIRE" => Some(CertRequest::Require),
                            _ => None,
                        }
                    };
                    match v {
                        Some(v) => c.certrequest = v,
                        None => sink.error(
                            apos,
                            format!("CERTREQUEST has invalid value ({arg}): use 0, 1, 2, NO, REQUEST or REQUIRE"),
                        ),
                    }
                }
                "DISABLE_WEAK_SSL" => match parse_bool(arg) {
                    Some(b) => c.disable_weak_ssl = b,
                    None => sink.error(apos, format!("DISABLE_WEAK_SSL has non boolean value ({arg})!")),
                },
                "ACCEPT" | "REJECT" => {
                    sink.warn(w[0].pos, format!("{kw} in upsd.conf is no longer supported - switch to LISTEN"));
                    used = n;
                }
                "ACL" if n >= 3 => {
                    sink.warn(w[0].pos, "ACL in upsd.conf is no longer supported - switch to LISTEN");
                    used = n;
                }
                "LISTEN" => {
                    let mut port = DEFAULT_PORT;
                    if n >= 3 {
                        used = 3;
                        match parse_u32(&w[2].text).and_then(|p| u16::try_from(p).ok()).filter(|&p| p > 0) {
                            Some(p) => port = p,
                            None => {
                                sink.error(w[2].pos, format!("LISTEN: invalid port '{}'", w[2].text));
                                continue;
                            }
                        }
                    }
                    if arg.is_empty() {
                        sink.error(apos, "LISTEN: empty address");
                        continue;
                    }
                    let l = Listen { addr: arg.to_string(), port };
                    if c.listen.contains(&l) {
                        sink.warn(apos, format!("LISTEN {arg} {port} is listed twice"));
                    } else {
                        c.listen.push(l);
                    }
                }
                "CERTIDENT" if n >= 3 => {
                    c.certident = Some(CertIdent { name: arg.to_string(), password: w[2].text.clone() });
                    used = 3;
                }
                _ => {
                    invalid_directive(&line, &mut sink);
                    continue;
                }
            }
            extra_words(&line, used, &mut sink);
        }
        (c, sink.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (UpsdConf, Vec<String>) {
        let (c, d) = UpsdConf::parse(Path::new("upsd.conf"), s.as_bytes());
        (c, d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn defaults() {
        let (c, d) = parse("# nothing\n");
        assert!(d.is_empty());
        assert_eq!((c.maxage, c.trackingdelay, c.maxconn), (15, 3600, None));
        assert_eq!(
            c.listeners(),
            [Listen { addr: "127.0.0.1".into(), port: 3493 }, Listen { addr: "::1".into(), port: 3493 }]
        );
    }

    #[test]
    fn all_directives() {
        let (c, d) = parse(
            "LISTEN 0.0.0.0 3494\nLISTEN ::\nMAXAGE 30\nTRACKINGDELAY 60\nMAXCONN 100\nSTATEPATH /s\nDATAPATH /d\n\
             ALLOW_NO_DEVICE yes\nALLOW_NOT_ALL_LISTENERS 1\nCERTFILE /c.pem\nCERTPATH /ca\n\
             CERTIDENT \"my cert\" \"pw\"\nCERTREQUEST REQUIRE\nDISABLE_WEAK_SSL true\ndebug_min 3\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.listeners().len(), 2);
        assert_eq!(c.listen[0], Listen { addr: "0.0.0.0".into(), port: 3494 });
        assert_eq!(c.listen[1].port, 3493);
        assert_eq!((c.maxage, c.trackingdelay, c.maxconn), (30, 60, Some(100)));
        assert!(c.allow_no_device && c.allow_not_all_listeners && c.disable_weak_ssl);
        assert_eq!(c.certident, Some(CertIdent { name: "my cert".into(), password: "pw".into() }));
        assert_eq!(c.certrequest, CertRequest::Require);
        assert_eq!(c.debug_min, Some(3));
        assert!(c.wants_tls());
    }

    #[test]
    fn problems() {
        let (_, d) = parse("MAXAGE soon\nmaxage 3\nACL a 1.2.3.4/32\nALLOW_NO_DEVICE maybe\nLISTEN 1.2.3.4 99999\n");
        assert_eq!(
            d,
            [
                "upsd.conf:1:8: MAXAGE has non numeric value (soon)!",
                "upsd.conf:2:1: warning: invalid directive maxage 3",
                "upsd.conf:3:1: warning: ACL in upsd.conf is no longer supported - switch to LISTEN",
                "upsd.conf:4:17: ALLOW_NO_DEVICE has non numeric and non boolean value (maybe)!",
                "upsd.conf:5:16: LISTEN: invalid port '99999'",
            ]
        );
    }
}
