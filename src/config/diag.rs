//! Diagnostics: one problem found in a config file, printed as
//! `file:line:col: message` (warnings as `file:line:col: warning: message`),
//! the format compilers use, so editors and CI can jump to it.

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::proto::words::Pos;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The setting is wrong: NUT would refuse it, ignore it against the
    /// user's evident intent, or fail to start.
    Error,
    /// Suspicious or obsolete, but NUT carries on.
    Warning,
}

/// One problem, with the place it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given to the parser.
    pub path: PathBuf,
    /// Line and column (1-based physical) of the offending word.
    pub pos: Pos,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in NUT's wording where NUT has one.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic of any severity.
    pub fn new(path: &Path, pos: Pos, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic { path: path.to_path_buf(), pos, severity, message: message.into() }
    }

    /// An error at `pos`.
    pub fn error(path: &Path, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic::new(path, pos, Severity::Error, message)
    }

    /// A warning at `pos`.
    pub fn warning(path: &Path, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic::new(path, pos, Severity::Warning, message)
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.pos.line, self.pos.col)?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Whether any of `diags` is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// Collects diagnostics for one file.
#[derive(Debug)]
pub struct Sink<'p> {
    path: &'p Path,
    /// What was collected so far.
    pub diags: Vec<Diagnostic>,
}

impl<'p> Sink<'p> {
    /// An empty sink for `path`.
    pub fn new(path: &'p Path) -> Self {
        Sink { path, diags: Vec::new() }
    }

    /// The file this sink reports on.
    pub fn path(&self) -> &Path {
        self.path
    }

    /// Records an error.
    pub fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(self.path, pos, message));
    }

    /// Records a warning.
    pub fn warn(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.push(Diagnostic::warning(self.path, pos, message));
    }

    /// The diagnostics, in the order found.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let p = Path::new("/etc/nut/ups.conf");
        let e = Diagnostic::error(p, Pos { line: 3, col: 7 }, "invalid directive");
        assert_eq!(e.to_string(), "/etc/nut/ups.conf:3:7: invalid directive");
        let w = Diagnostic::warning(p, Pos { line: 1, col: 1 }, "x");
        assert_eq!(w.to_string(), "/etc/nut/ups.conf:1:1: warning: x");
        assert!(e.is_error() && !w.is_error());
        assert!(has_errors(&[w.clone(), e]) && !has_errors(&[w]));
    }
}
