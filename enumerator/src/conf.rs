//! What the enumerator needs from nut.conf, ups.conf and upsd.conf: the MODE,
//! the sections with their settings, and the LISTEN addresses. ups.conf and
//! upsd.conf go through the suite's one tokenizer (`nut::proto::words`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use nut::proto::words;

/// Where the config files live: `NUT_CONFPATH` or `/etc/nut`.
pub fn confpath() -> PathBuf {
    match std::env::var_os("NUT_CONFPATH") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("/etc/nut"),
    }
}

/// nut.conf's MODE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing runs (also: no nut.conf, no MODE, an unknown MODE).
    None,
    /// Drivers, upsd and upsmon, all local.
    Standalone,
    /// As standalone, upsd reachable from the network.
    Netserver,
    /// Only upsmon.
    Netclient,
}

impl Mode {
    /// Whether drivers and upsd run in this mode.
    pub fn runs_drivers(self) -> bool {
        matches!(self, Mode::Standalone | Mode::Netserver)
    }
    /// Whether upsmon runs in this mode.
    pub fn runs_monitor(self) -> bool {
        !matches!(self, Mode::None)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::None => "none",
            Mode::Standalone => "standalone",
            Mode::Netserver => "netserver",
            Mode::Netclient => "netclient",
        })
    }
}

/// Reads MODE from nut.conf text (`KEY=VALUE` lines, optional `"` or `'`
/// quotes, `#` comments; never run through a shell). Returns the mode and a
/// warning for an unknown value.
pub fn parse_mode(text: &str) -> (Mode, Option<String>) {
    let mut raw: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        if k.trim() != "MODE" {
            continue;
        }
        let mut v = v.trim();
        if let Some(end) = v.find(" #") {
            v = v[..end].trim_end();
        }
        for q in ['"', '\''] {
            if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
                v = &v[1..v.len() - 1];
            }
        }
        raw = Some(v.to_string());
    }
    match raw.as_deref() {
        None => (Mode::None, None),
        Some("none") => (Mode::None, None),
        Some("standalone") => (Mode::Standalone, None),
        Some("netserver") => (Mode::Netserver, None),
        Some("netclient") => (Mode::Netclient, None),
        Some(other) => (Mode::None, Some(format!("nut.conf: unknown MODE={other:?}, treated as none"))),
    }
}

/// Settings of one ups.conf section (or the global part): key to value,
/// later assignments winning; a flag has no value.
pub type Settings = BTreeMap<String, Option<String>>;

/// One `[name]` section of ups.conf, repeated sections merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section name, exactly as written between the brackets.
    pub name: String,
    /// The section's settings.
    pub settings: Settings,
}

impl Section {
    /// A setting's value (`None` if unset or a flag).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(|v| v.as_deref())
    }
    /// The `driver` setting.
    pub fn driver(&self) -> Option<&str> {
        self.get("driver")
    }
    /// The `port` setting.
    pub fn port(&self) -> Option<&str> {
        self.get("port")
    }
}

/// ups.conf, as far as the enumerator cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsFile {
    /// Keys before the first section.
    pub global: Settings,
    /// The sections in file order (first appearance).
    pub sections: Vec<Section>,
}

impl UpsFile {
    /// Parses ups.conf bytes; lines the tokenizer flags as errors are skipped
    /// and reported as `file:line: message` warnings.
    pub fn parse(path: &Path, bytes: &[u8]) -> (UpsFile, Vec<String>) {
        let mut file = UpsFile::default();
        let mut warnings = Vec::new();
        let mut current: Option<usize> = None;
        for line in words::tokenize(bytes) {
            if let Some(err) = &line.error {
                warnings.push(format!("{}:{}: {err:?}", path.display(), line.start.line));
                continue;
            }
            let w = line.texts();
            let Some(first) = w.first() else { continue };
            if first.len() >= 2 && first.starts_with('[') && first.ends_with(']') {
                let name = &first[1..first.len() - 1];
                current = Some(match file.sections.iter().position(|s| s.name == name) {
                    Some(i) => i,
                    None => {
                        file.sections.push(Section { name: name.to_string(), settings: Settings::new() });
                        file.sections.len() - 1
                    }
                });
                continue;
            }
            let (key, value) = match w.as_slice() {
                [k] => (k.to_string(), None),
                [k, "=", v, ..] => (k.to_string(), Some(v.to_string())),
                [k, "="] => (k.to_string(), Some(String::new())),
                _ => {
                    warnings.push(format!(
                        "{}:{}: not a setting: {}",
                        path.display(),
                        line.start.line,
                        words::join(&w)
                    ));
                    continue;
                }
            };
            match current {
                Some(i) => file.sections[i].settings.insert(key, value),
                None => file.global.insert(key, value),
            };
        }
        (file, warnings)
    }

    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// One socket address for nut-server.socket, in `ListenStream=` syntax.
pub type ListenAddr = String;

/// The `ListenStream=` values for upsd.conf's LISTEN lines; `None` when the
/// file has no LISTEN line (the socket unit's loopback defaults apply).
/// Host names other than `localhost` cannot be resolved at generator time and
/// are reported as warnings.
pub fn listen_addrs(path: &Path, bytes: &[u8]) -> (Option<Vec<ListenAddr>>, Vec<String>) {
    let mut out: Vec<ListenAddr> = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = false;
    for line in words::tokenize(bytes) {
        if line.error.is_some() {
            continue;
        }
        let w = line.texts();
        if w.first() != Some(&"LISTEN") {
            continue;
        }
        seen = true;
        let Some(host) = w.get(1) else {
            warnings.push(format!("{}:{}: LISTEN without an address", path.display(), line.start.line));
            continue;
        };
        let port = match w.get(2) {
            None => 3493,
            Some(p) => match p.parse::<u16>() {
                Ok(p) => p,
                Err(_) => {
                    warnings.push(format!("{}:{}: bad port {p:?}", path.display(), line.start.line));
                    continue;
                }
            },
        };
        let mut push = |a: String| {
            if !out.contains(&a) {
                out.push(a)
            }
        };
        if *host == "localhost" {
            push(format!("127.0.0.1:{port}"));
            push(format!("[::1]:{port}"));
        } else if host.parse::<std::net::Ipv4Addr>().is_ok() {
            push(format!("{host}:{port}"));
        } else if let Ok(a) = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::Ipv6Addr>() {
            push(format!("[{a}]:{port}"));
        } else {
            warnings.push(format!(
                "{}:{}: LISTEN {host}: only IP addresses and localhost can be given to nut-server.socket",
                path.display(),
                line.start.line
            ));
        }
    }
    (seen.then_some(out), warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_parsing() {
        assert_eq!(parse_mode("MODE=standalone\n").0, Mode::Standalone);
        assert_eq!(parse_mode("# MODE=netserver\nMODE=\"netclient\"\n").0, Mode::Netclient);
        assert_eq!(parse_mode("MODE='netserver' # comment\n").0, Mode::Netserver);
        assert_eq!(parse_mode("").0, Mode::None);
        let (m, w) = parse_mode("MODE=bogus\n");
        assert_eq!(m, Mode::None);
        assert!(w.unwrap().contains("bogus"));
    }

    #[test]
    fn ups_conf_sections_merge_and_globals() {
        let text = b"maxretry = 3\n[a]\n driver = x\n port = 1\n[\"b c\"]\n[a]\n port = 2\n nolock\n";
        let text2 = b"maxretry = 3\n[a]\n driver = x\n port = 1\n\"[b c]\"\n driver = y\n[a]\n port = 2\n nolock\n";
        let (f, w) = UpsFile::parse(Path::new("ups.conf"), text2);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(f.global.get("maxretry"), Some(&Some("3".into())));
        assert_eq!(f.sections.len(), 2);
        let a = f.section("a").unwrap();
        assert_eq!(a.port(), Some("2"));
        assert_eq!(a.settings.get("nolock"), Some(&None));
        assert_eq!(f.section("b c").unwrap().driver(), Some("y"));
        let (_, w) = UpsFile::parse(Path::new("ups.conf"), text);
        assert!(!w.is_empty());
    }

    #[test]
    fn listen_lines() {
        let (a, w) = listen_addrs(
            Path::new("upsd.conf"),
            b"LISTEN 127.0.0.1\nLISTEN ::1 3494\nLISTEN localhost\nLISTEN ups.example\n",
        );
        assert_eq!(a.unwrap(), vec!["127.0.0.1:3493", "[::1]:3494", "[::1]:3493"]);
        assert_eq!(w.len(), 1);
        assert_eq!(listen_addrs(Path::new("x"), b"MAXAGE 15\n").0, None);
    }
}
