//! The engine's own view of the published data: variables with their
//! flags, ranges and enumerations, the instant commands, the status and the
//! alarms. A driver copies it into the framework's store after each update.

use std::collections::{BTreeMap, BTreeSet};

/// One published variable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QVar {
    /// Current value.
    pub value: String,
    /// RW flag.
    pub rw: bool,
    /// STRING flag.
    pub string: bool,
    /// Maximum length for STRING.
    pub aux: Option<i64>,
    /// Enumerated accepted values.
    pub enums: Vec<String>,
    /// Accepted ranges.
    pub ranges: Vec<(i64, i64)>,
}

/// Variables and commands, ordered by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QStore {
    /// Variables (ups.status and ups.alarm included once committed).
    pub vars: BTreeMap<String, QVar>,
    /// Instant commands.
    pub cmds: BTreeSet<String>,
}

impl QStore {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(&name.to_ascii_lowercase()).map(|v| v.value.as_str())
    }

    /// Set (or create) `name`.
    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.entry(name.to_ascii_lowercase()).or_default().value = value.to_string();
    }

    /// Remove `name`.
    pub fn del(&mut self, name: &str) {
        self.vars.remove(&name.to_ascii_lowercase());
    }

    /// Mutable access to an existing variable.
    pub fn var_mut(&mut self, name: &str) -> Option<&mut QVar> {
        self.vars.get_mut(&name.to_ascii_lowercase())
    }

    /// `name: value` lines, sorted, like a NUT dump.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.vars {
            s.push_str(&format!("{k}: {}\n", v.value));
        }
        s
    }
}
