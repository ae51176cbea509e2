//! NUT's directories: the config directory, the state directory (driver
//! sockets) and the PID-file directory, each overridable from the
//! environment the way every NUT program does it, with Debian's built-in
//! defaults.

use std::path::{Path, PathBuf};

/// Debian's compiled-in configuration directory.
pub const DEFAULT_CONFPATH: &str = "/etc/nut";
/// Debian's compiled-in state directory (driver sockets).
pub const DEFAULT_STATEPATH: &str = "/run/nut";
/// Debian's compiled-in PID-file directory.
pub const DEFAULT_ALTPIDPATH: &str = "/run/nut";

fn env_path(name: &str) -> Option<PathBuf> {
    match std::env::var_os(name) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => None,
    }
}

/// The config directory: `NUT_CONFPATH` when set and non-empty, else `/etc/nut`.
pub fn confpath() -> PathBuf {
    env_path("NUT_CONFPATH").unwrap_or_else(|| PathBuf::from(DEFAULT_CONFPATH))
}

/// The state directory (driver sockets). Precedence as in upsd ≥ 2.8.3 and
/// the drivers: env `NUT_STATEPATH`, then ups.conf's global `statepath`, then
/// upsd.conf's `STATEPATH`, then `/run/nut`.
pub fn statepath(upsd_statepath: Option<&Path>, ups_statepath: Option<&Path>) -> PathBuf {
    env_path("NUT_STATEPATH")
        .or_else(|| ups_statepath.map(Path::to_path_buf))
        .or_else(|| upsd_statepath.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATEPATH))
}

/// The PID-file directory: `NUT_ALTPIDPATH`, else `NUT_STATEPATH`, else `/run/nut`.
pub fn altpidpath() -> PathBuf {
    env_path("NUT_ALTPIDPATH")
        .or_else(|| env_path("NUT_STATEPATH"))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ALTPIDPATH))
}
