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

/// Variables and commands, ordered by name. Names keep the spelling they
/// were first set with; lookups ignore case (as NUT's dstate does).
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
        self.var(name).map(|v| v.value.as_str())
    }

    fn key(&self, name: &str) -> Option<String> {
        if self.vars.contains_key(name) {
            return Some(name.to_string());
        }
        self.vars.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
    }

    /// An existing variable.
    pub fn var(&self, name: &str) -> Option<&QVar> {
        self.key(name).and_then(|k| self.vars.get(&k))
    }

    /// Set (or create) `name`.
    pub fn set(&mut self, name: &str, value: &str) {
        let k = self.key(name).unwrap_or_else(|| name.to_string());
        self.vars.entry(k).or_default().value = value.to_string();
    }

    /// Remove `name`.
    pub fn del(&mut self, name: &str) {
        if let Some(k) = self.key(name) {
            self.vars.remove(&k);
        }
    }

    /// Mutable access to an existing variable.
    pub fn var_mut(&mut self, name: &str) -> Option<&mut QVar> {
        let k = self.key(name)?;
        self.vars.get_mut(&k)
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
