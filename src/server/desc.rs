//! Descriptions for `GET DESC` / `GET CMDDESC`: NUT's `cmdvartab` data
//! file in DATAPATH, lines `VARDESC <name> "<text>"` and
//! `CMDDESC <name> "<text>"`, read with the one tokenizer. Lookups are
//! case-insensitive; as in newest NUT an `upstream.` prefix (proxy
//! drivers) is stripped for the lookup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::proto::words;

/// Debian's DATAPATH.
pub const DEFAULT_DATAPATH: &str = "/usr/share/nut";

/// What clients get for a name without a description.
pub const UNAVAILABLE: &str = "Description unavailable";

/// The parsed cmdvartab.
#[derive(Clone, Debug, Default)]
pub struct Descriptions {
    vars: HashMap<String, String>,
    cmds: HashMap<String, String>,
}

fn key(name: &str) -> String {
    let n = if name.len() > 9 && name[..9].eq_ignore_ascii_case("upstream.") { &name[9..] } else { name };
    n.to_ascii_lowercase()
}

impl Descriptions {
    /// Parses the contents of a cmdvartab file (unknown lines are ignored).
    pub fn parse(input: &[u8]) -> Descriptions {
        let mut d = Descriptions::default();
        for line in words::tokenize(input) {
            if line.error.is_some() || line.words.len() < 3 {
                continue;
            }
            let kw = line.words[0].text.as_str();
            let name = line.words[1].text.to_ascii_lowercase();
            let text = line.words[2].text.clone();
            if kw.eq_ignore_ascii_case("VARDESC") {
                d.vars.entry(name).or_insert(text);
            } else if kw.eq_ignore_ascii_case("CMDDESC") {
                d.cmds.entry(name).or_insert(text);
            }
        }
        d
    }

    /// Reads `<datapath>/cmdvartab`; a missing file gives no descriptions
    /// (NUT logs and carries on), reported in the `Err`.
    pub fn load(datapath: &Path) -> Result<Descriptions, (PathBuf, std::io::Error)> {
        let path = datapath.join("cmdvartab");
        match std::fs::read(&path) {
            Ok(b) => Ok(Descriptions::parse(&b)),
            Err(e) => Err((path, e)),
        }
    }

    /// The description of a variable.
    pub fn var(&self, name: &str) -> &str {
        self.vars.get(&key(name)).map_or(UNAVAILABLE, String::as_str)
    }

    /// The description of an instant command.
    pub fn cmd(&self, name: &str) -> &str {
        self.cmds.get(&key(name)).map_or(UNAVAILABLE, String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_are_case_insensitive_and_strip_upstream() {
        let d =
            Descriptions::parse(b"# c\nVARDESC ups.status \"UPS status\"\nCMDDESC load.off \"Turn off\"\nBOGUS x\n");
        assert_eq!(d.var("UPS.STATUS"), "UPS status");
        assert_eq!(d.var("upstream.ups.status"), "UPS status");
        assert_eq!(d.var("no.such"), UNAVAILABLE);
        assert_eq!(d.cmd("LOAD.OFF"), "Turn off");
        assert_eq!(d.cmd("ups.status"), UNAVAILABLE);
    }
}
