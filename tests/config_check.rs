//! Runs the real `nut-check-config` on folders of config files: a broken
//! folder against a golden list of `file:line:col: message` lines, a clean
//! folder, Debian's installed samples in /etc/nut, and the MODE rules for
//! required files.
//!
//! Set `UPDATE_GOLDEN=1` to rewrite the golden file after a deliberate change.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_nut-check-config");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/config");

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "nut-config-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    /// Copies `tests/data/config/<name>` into `<scratch>/<name>` with mode 0640
    /// (git checkouts are 0644, which would draw the world-readable warning).
    fn copy(&self, name: &str) -> PathBuf {
        let dst = self.0.join(name);
        fs::create_dir_all(&dst).unwrap();
        for e in fs::read_dir(Path::new(DATA).join(name)).unwrap() {
            let e = e.unwrap();
            let to = dst.join(e.file_name());
            fs::copy(e.path(), &to).unwrap();
            fs::set_permissions(&to, fs::Permissions::from_mode(0o640)).unwrap();
        }
        dst
    }

    fn write(&self, dir: &str, file: &str, text: &str) {
        let d = self.0.join(dir);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join(file), text).unwrap();
        fs::set_permissions(d.join(file), fs::Permissions::from_mode(0o640)).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("NUT_CONFPATH")
        .env_remove("ALLOW_NO_DEVICE")
        .output()
        .expect("run nut-check-config")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A line diff (longest common subsequence), `-` expected, `+` actual.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut l = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            l[i][j] = if a[i] == b[j] { l[i + 1][j + 1] + 1 } else { l[i + 1][j].max(l[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out += &format!("  {}\n", a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || l[i][j + 1] >= l[i + 1][j]) {
            out += &format!("+ {}\n", b[j]);
            j += 1;
        } else {
            out += &format!("- {}\n", a[i]);
            i += 1;
        }
    }
    out
}

fn assert_golden(golden: &Path, actual: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(golden, actual).unwrap();
    }
    let expected = fs::read_to_string(golden).unwrap();
    assert!(
        expected == actual,
        "output differs from {} (- expected, + actual):\n{}",
        golden.display(),
        diff(&expected, actual)
    );
}

#[test]
fn broken_folder_matches_golden_and_fails() {
    let s = Scratch::new("broken");
    let dir = s.copy("broken");
    // one deliberate permission problem
    fs::set_permissions(dir.join("upsd.conf"), fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(&s.0, &["--confdir", "broken"]);
    assert_golden(&Path::new(DATA).join("broken-expected.txt"), &stderr(&o));
    assert!(o.stdout.is_empty());
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn quiet_prints_errors_only() {
    let s = Scratch::new("quiet");
    s.copy("broken");
    let o = run(&s.0, &["-q", "--confdir", "broken"]);
    let err = stderr(&o);
    assert!(!err.is_empty() && !err.contains("warning:"), "{err}");
    let golden = fs::read_to_string(Path::new(DATA).join("broken-expected.txt")).unwrap();
    let errors: Vec<&str> = golden.lines().filter(|l| !l.contains(": warning: ")).collect();
    assert_eq!(err.lines().collect::<Vec<_>>(), errors);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn good_folder_is_clean() {
    let s = Scratch::new("good");
    s.copy("good");
    let o = run(&s.0, &["--confdir", "good"]);
    assert_eq!(stderr(&o), "", "the good configs should draw no diagnostic at all");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn debian_samples_pass() {
    assert!(
        Path::new("/etc/nut/ups.conf").exists(),
        "/etc/nut/ups.conf is missing: install Debian's nut packages (their sample configs are the test input)"
    );
    let o = run(Path::new("/"), &["--confdir", "/etc/nut"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn confpath_from_environment() {
    let s = Scratch::new("env");
    let dir = s.copy("broken");
    let o = Command::new(BIN).env("NUT_CONFPATH", &dir).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ups.conf:2:16: invalid pollinterval: 0"));
}

#[test]
fn world_readable_secrets_warn_at_1_1() {
    let s = Scratch::new("perms");
    for f in ["upsd.conf", "upsd.users", "upsmon.conf"] {
        s.write("d", f, "");
        fs::set_permissions(s.0.join("d").join(f), fs::Permissions::from_mode(0o604)).unwrap();
    }
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    for f in ["upsd.conf", "upsd.users", "upsmon.conf"] {
        assert!(
            err.contains(&format!(
                "d/{f}:1:1: warning: file is world readable (mode 0604); it may hold passwords: use 0640 root:nut"
            )),
            "{err}"
        );
    }
}

#[test]
fn standalone_requires_server_files() {
    let s = Scratch::new("standalone");
    s.write("d", "nut.conf", "MODE=standalone\n");
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for f in ["ups.conf", "upsd.conf", "upsmon.conf"] {
        assert!(err.contains(&format!("d/{f}:1:1: Can't open d/{f}: ")), "{err}");
        assert!(err.contains("(needed for MODE=standalone)"), "{err}");
    }
    assert!(err.contains("d/upsd.users:1:1: warning: d/upsd.users not found: upsd starts, but no user can log in"));
}

#[test]
fn netclient_needs_only_upsmon_conf() {
    let s = Scratch::new("netclient");
    s.write("d", "nut.conf", "MODE=netclient\n");
    s.write("d", "upsmon.conf", "MONITOR ups@server.example 1 mon pw secondary\n");
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));

    s.write("d", "upsmon.conf", "MONITOR ups@server.example 0 mon pw secondary\n");
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("d/upsmon.conf:1:1: Fatal error: insufficient power configured!"));
}

#[test]
fn no_ups_needs_allow_no_device() {
    let s = Scratch::new("nodevice");
    s.write("d", "nut.conf", "MODE=standalone\n");
    s.write("d", "ups.conf", "maxretry = 3\n");
    s.write("d", "upsd.conf", "");
    s.write("d", "upsd.users", "[m]\npassword = p\nupsmon primary\n");
    s.write("d", "upsmon.conf", "MINSUPPLIES 0\n");
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "d/ups.conf:1:1: Fatal error: at least one UPS must be defined in ups.conf (or set ALLOW_NO_DEVICE)\n"
    );
    let o =
        Command::new(BIN).args(["--confdir", "d"]).current_dir(&s.0).env("ALLOW_NO_DEVICE", "true").output().unwrap();
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));
    s.write("d", "upsd.conf", "ALLOW_NO_DEVICE yes\n");
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));
}

#[test]
fn upssched_required_when_it_is_the_notifycmd() {
    let s = Scratch::new("sched");
    s.write("d", "nut.conf", "MODE=netclient\n");
    s.write("d", "upsmon.conf", "MONITOR u@h 1 a b slave\nNOTIFYCMD /usr/sbin/upssched\n");
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("d/upssched.conf:1:1: Can't open d/upssched.conf: "), "{}", stderr(&o));
}

#[test]
fn empty_dir_mode_none_is_fine() {
    let s = Scratch::new("empty");
    fs::create_dir_all(s.0.join("d")).unwrap();
    let o = run(&s.0, &["--confdir", "d"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));
}
