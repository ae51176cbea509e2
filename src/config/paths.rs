//! NUT's directories: the config directory, the state directory (driver
//! sockets) and the PID-file directory, each overridable from the
//! environment the way every NUT program does it, with Debian's built-in
//! defaults.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Debian's compiled-in configuration directory.
pub const DEFAULT_CONFPATH: &str = "/etc/nut";
/// Debian's compiled-in state directory (driver sockets).
pub const DEFAULT_STATEPATH: &str = "/run/nut";
/// Debian's compiled-in PID-file directory.
pub const DEFAULT_ALTPIDPATH: &str = "/run/nut";

/// A non-empty environment value as a path (NUT ignores empty ones).
fn env_path(env: &impl Fn(&str) -> Option<OsString>, name: &str) -> Option<PathBuf> {
    env(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The config directory: `NUT_CONFPATH` when set and non-empty, else `/etc/nut`.
pub fn confpath() -> PathBuf {
    confpath_in(&process_env)
}

fn confpath_in(env: &impl Fn(&str) -> Option<OsString>) -> PathBuf {
    env_path(env, "NUT_CONFPATH").unwrap_or_else(|| PathBuf::from(DEFAULT_CONFPATH))
}

/// The state directory (driver sockets). Precedence as in upsd ≥ 2.8.3 and
/// the drivers: env `NUT_STATEPATH`, then ups.conf's global `statepath`, then
/// upsd.conf's `STATEPATH`, then `/run/nut`.
pub fn statepath(upsd_statepath: Option<&Path>, ups_statepath: Option<&Path>) -> PathBuf {
    statepath_in(&process_env, upsd_statepath, ups_statepath)
}

fn statepath_in(
    env: &impl Fn(&str) -> Option<OsString>,
    upsd_statepath: Option<&Path>,
    ups_statepath: Option<&Path>,
) -> PathBuf {
    env_path(env, "NUT_STATEPATH")
        .or_else(|| ups_statepath.map(Path::to_path_buf))
        .or_else(|| upsd_statepath.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATEPATH))
}

/// The PID-file directory: `NUT_ALTPIDPATH`, else `NUT_STATEPATH`, else `/run/nut`.
pub fn altpidpath() -> PathBuf {
    altpidpath_in(&process_env)
}

fn altpidpath_in(env: &impl Fn(&str) -> Option<OsString>) -> PathBuf {
    env_path(env, "NUT_ALTPIDPATH")
        .or_else(|| env_path(env, "NUT_STATEPATH"))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ALTPIDPATH))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn defaults() {
        let e = env(&[]);
        assert_eq!(confpath_in(&e), Path::new("/etc/nut"));
        assert_eq!(statepath_in(&e, None, None), Path::new("/run/nut"));
        assert_eq!(altpidpath_in(&e), Path::new("/run/nut"));
    }

    #[test]
    fn empty_env_is_unset() {
        let e = env(&[("NUT_CONFPATH", ""), ("NUT_STATEPATH", ""), ("NUT_ALTPIDPATH", "")]);
        assert_eq!(confpath_in(&e), Path::new("/etc/nut"));
        assert_eq!(statepath_in(&e, None, None), Path::new("/run/nut"));
        assert_eq!(altpidpath_in(&e), Path::new("/run/nut"));
    }

    #[test]
    fn precedence() {
        let (upsd, ups) = (Some(Path::new("/upsd")), Some(Path::new("/ups")));
        let e = env(&[("NUT_CONFPATH", "/c"), ("NUT_STATEPATH", "/s")]);
        assert_eq!(confpath_in(&e), Path::new("/c"));
        assert_eq!(statepath_in(&e, upsd, ups), Path::new("/s"));
        assert_eq!(altpidpath_in(&e), Path::new("/s"), "PID files fall back to NUT_STATEPATH");
        let e = env(&[("NUT_ALTPIDPATH", "/p"), ("NUT_STATEPATH", "/s")]);
        assert_eq!(altpidpath_in(&e), Path::new("/p"));
        let e = env(&[]);
        assert_eq!(statepath_in(&e, upsd, ups), Path::new("/ups"), "ups.conf statepath beats upsd.conf");
        assert_eq!(statepath_in(&e, upsd, None), Path::new("/upsd"));
    }
}
