//! What the enumerator needs from nut.conf, ups.conf and upsd.conf: the MODE,
//! the sections with their settings, and the LISTEN addresses. ups.conf and
//! upsd.conf go through the suite's one tokenizer (`nut::proto::words`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the config files live: `NUT_CONFPATH` or `/etc/nut`.
pub fn confpath() -> PathBuf {
    match std::env::var_os("NUT_CONFPATH") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("/etc/nut"),
    }
}

pub use nut::config::nut_conf::Mode;

/// Reads MODE from nut.conf bytes with the suite's nut.conf parser. Returns
/// the mode (none when unset) and the parser's diagnostics as text.
pub fn parse_mode(path: &Path, bytes: &[u8]) -> (Mode, Vec<String>) {
    let (conf, diags) = nut::config::nut_conf::NutConf::parse(path, bytes);
    (conf.mode, diags.iter().map(|d| d.to_string()).collect())
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
    /// Parses ups.conf bytes with the suite's ups.conf parser; its
    /// diagnostics come back as `file:line:col: message` text.
    pub fn parse(path: &Path, bytes: &[u8]) -> (UpsFile, Vec<String>) {
        let (conf, diags) = nut::config::ups::UpsConf::parse(path, bytes);
        let settings = |entries: &[nut::config::ups::Entry]| -> Settings {
            entries.iter().map(|e| (e.key.clone(), e.value.clone())).collect()
        };
        let file = UpsFile {
            global: settings(&conf.globals),
            sections: conf
                .sections
                .iter()
                .map(|s| Section { name: s.name.clone(), settings: settings(&s.entries) })
                .collect(),
        };
        (file, diags.iter().map(|d| d.to_string()).collect())
    }

    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// One socket address for nut-server.socket, in `ListenStream=` syntax.
pub type ListenAddr = String;

/// The `ListenStream=` values for upsd.conf's LISTEN lines (parsed by the
/// suite's upsd.conf parser); `None` when the file has no LISTEN line (the
/// socket unit's loopback defaults apply). Host names other than
/// `localhost` cannot be resolved at generator time and are reported.
pub fn listen_addrs(path: &Path, bytes: &[u8]) -> (Option<Vec<ListenAddr>>, Vec<String>) {
    let (conf, diags) = nut::config::upsd::UpsdConf::parse(path, bytes);
    let mut warnings: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    if conf.listen.is_empty() {
        return (None, warnings);
    }
    let mut out: Vec<ListenAddr> = Vec::new();
    for l in &conf.listen {
        let port = l.port;
        let mut push = |a: String| {
            if !out.contains(&a) {
                out.push(a)
            }
        };
        let host = l.addr.trim_start_matches('[').trim_end_matches(']');
        if host == "localhost" {
            push(format!("127.0.0.1:{port}"));
            push(format!("[::1]:{port}"));
        } else if host == "*" {
            push(format!("0.0.0.0:{port}"));
            push(format!("[::]:{port}"));
        } else if host.parse::<std::net::Ipv4Addr>().is_ok() {
            push(format!("{host}:{port}"));
        } else if let Ok(a) = host.parse::<std::net::Ipv6Addr>() {
            push(format!("[{a}]:{port}"));
        } else {
            warnings.push(format!(
                "{}: LISTEN {}: only IP addresses, * and localhost can be given to nut-server.socket; \
                 add a ListenStream= drop-in for host names",
                path.display(),
                l.addr
            ));
        }
    }
    (Some(out), warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_parsing() {
        let m = |t: &str| parse_mode(Path::new("nut.conf"), t.as_bytes());
        assert_eq!(m("MODE=standalone\n").0, Mode::Standalone);
        assert_eq!(m("# MODE=netserver\nMODE=\"netclient\"\n").0, Mode::Netclient);
        assert_eq!(m("MODE='netserver' # comment\n").0, Mode::Netserver);
        assert_eq!(m("").0, Mode::None);
        let (mode, w) = m("MODE=bogus\n");
        assert_eq!(mode, Mode::None);
        assert!(w.iter().any(|w| w.contains("bogus")), "{w:?}");
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
            b"LISTEN 127.0.0.1\nLISTEN ::1 3494\nLISTEN localhost\nLISTEN ups.example\nLISTEN *\n",
        );
        assert_eq!(a.unwrap(), vec!["127.0.0.1:3493", "[::1]:3494", "[::1]:3493", "0.0.0.0:3493", "[::]:3493"]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(listen_addrs(Path::new("x"), b"MAXAGE 15\n").0, None);
    }
}
