//! Our `upslog` against Debian's 2.8.0 `upslog` (on Debian's upsd and on
//! ours): usage and argument
//! errors, the format escapes, the old positional form, SIGUSR1 (log
//! now), SIGHUP (reopen the log file, as logrotate needs) and SIGTERM (one
//! last line, then `Signal 15: exiting`). Runs are driven by signals, not
//! by timing: a 3600 s interval means a line is written only at start and
//! on a signal. Plus `-m` (several UPSes, newer NUT), ours only.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::compare::{compare_all, debian, diff, normalise_debian, Case, Run};
use common::dumps::dumps;
use common::refnut::{poll, Bed};

const OURS: &str = env!("CARGO_BIN_EXE_upslog");

/// No %TIME/%ETIME/%PID: those differ between two runs by nature.
const FORMAT: &str =
    "%HOST% %UPSHOST% %VAR battery.charge% [%VAR ups.status%] %VAR no.such% %VAR nodot% %VAR% %BOGUS% %% 100%% %upshost% end%";

struct Daemon {
    child: Child,
    dir: PathBuf,
}

impl Daemon {
    fn start(bin: &Path, args: &[String], dir: &Path) -> Daemon {
        fs::create_dir_all(dir).unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o777)).unwrap();
        let mut cmd = Command::new(bin);
        cmd.arg0("upslog")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(fs::File::create(dir.join("stdout")).unwrap())
            .stderr(fs::File::create(dir.join("stderr")).unwrap());
        // SAFETY: setsid() in the child before exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        Daemon { child: cmd.spawn().expect("start upslog"), dir: dir.to_path_buf() }
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    fn wait_lines(&self, file: &str, n: usize) {
        assert!(
            poll(|| self.read(file).lines().count() >= n),
            "{} never had {n} lines: {:?} / stderr {:?}",
            file,
            self.read(file),
            self.read("stderr")
        );
    }

    fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    fn finish(mut self) -> i32 {
        let start = std::time::Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            if start.elapsed().as_secs() > 20 {
                let _ = self.child.kill();
                panic!("upslog did not exit on SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Runs one scripted session; returns (stdout, stderr, log file(s), exit).
fn session(bin: &Path, args: &[String], dir: &Path, to_file: bool) -> (Run, String, String) {
    // keep the PID file in the scratch dir (NUT's default is /run/nut)
    let mut args = args.to_vec();
    args.splice(0..0, ["-p".to_string(), dir.join("upslog.pid").display().to_string()]);
    let d = Daemon::start(bin, &args, dir);
    let (file, base) = if to_file { ("log", 0) } else { ("stdout", 2) };
    d.wait_lines(file, base + 1);
    d.signal(libc::SIGUSR1);
    d.wait_lines(file, base + 2);
    let mut rotated = String::new();
    if to_file {
        fs::rename(dir.join("log"), dir.join("log.1")).unwrap();
        d.signal(libc::SIGHUP);
        d.wait_lines("log", 1);
        rotated = d.read("log.1");
    }
    d.signal(libc::SIGTERM);
    let dir = d.dir.clone();
    let status = d.finish();
    let run = Run {
        stdout: fs::read_to_string(dir.join("stdout")).unwrap(),
        stderr: fs::read_to_string(dir.join("stderr")).unwrap(),
        status,
    };
    let log = fs::read_to_string(dir.join("log")).unwrap_or_default();
    (run, rotated, log)
}

#[test]
fn upslog_sessions_match_debian_on_debian_upsd() {
    upslog_sessions_match_debian(Bed::new(dumps().into_iter().take(2).collect()));
}

#[test]
fn upslog_sessions_match_debian_on_our_upsd() {
    upslog_sessions_match_debian(
        Bed::new(dumps().into_iter().take(2).collect()).upsd(env!("CARGO_BIN_EXE_upsd").into()),
    );
}

fn upslog_sessions_match_debian(bed: Bed) {
    let bed = bed.start();
    let scratch = tempfile::tempdir().unwrap();
    let t = bed.target("apc");
    let variants: Vec<(Vec<String>, bool)> = vec![
        (
            vec![
                "-s".into(),
                t.clone(),
                "-l".into(),
                "-".into(),
                "-i".into(),
                "3600".into(),
                "-f".into(),
                FORMAT.into(),
            ],
            false,
        ),
        (
            vec![
                "-s".into(),
                bed.target("pdu"),
                "-l".into(),
                "log".into(),
                "-i".into(),
                "3600".into(),
                "-F".into(),
                "-f".into(),
                FORMAT.into(),
            ],
            true,
        ),
        (
            vec![
                bed.target("nosuch"),
                "-".into(),
                "3600".into(),
                "%VAR".into(),
                "ups.status%".into(),
                "%UPSHOST%".into(),
            ],
            false,
        ),
        (
            vec![
                "-i".into(),
                "3600".into(),
                "-s".into(),
                "apc@127.0.0.1:1".into(),
                "-l".into(),
                "-".into(),
                "-f".into(),
                FORMAT.into(),
            ],
            false,
        ),
    ];
    let mut failures = Vec::new();
    for (i, (args, to_file)) in variants.iter().enumerate() {
        let (d, d_rot, d_log) = session(&debian("upslog"), args, &scratch.path().join(format!("d{i}")), *to_file);
        let (o, o_rot, o_log) = session(Path::new(OURS), args, &scratch.path().join(format!("o{i}")), *to_file);
        let d = normalise_debian(d);
        if let Err(r) = common::compare::same(&format!("upslog {}", args.join(" ")), &d, &o) {
            failures.push(r);
        }
        if d_rot != o_rot || d_log != o_log {
            failures.push(format!(
                "=== upslog {}: log files differ\nrotated:\n{}current:\n{}",
                args.join(" "),
                diff(&d_rot, &o_rot),
                diff(&d_log, &o_log)
            ));
        }
        if *to_file {
            assert_eq!(o_rot.lines().count(), 2, "first file: start + SIGUSR1 lines");
            assert_eq!(o_log.lines().count(), 2, "reopened file: SIGHUP + SIGTERM lines");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn upslog_usage_matches_debian() {
    let bed = Bed::new(dumps().into_iter().take(1).collect()).start();
    let t = bed.target("apc");
    let s = |v: &[&str]| Case::new(v);
    let cases = [
        s(&["-h"]),
        s(&[]),
        s(&["-s", &t]),
        s(&["-l", "-"]),
        s(&[&t]),
        s(&[&t, "-"]),
        s(&["-V"]),
        s(&["-x", "-h"]),
        s(&["-s", "apc@[::1", "-l", "-"]),
        s(&["-s", "apc@host:0", "-l", "-"]),
        s(&["-s", &t, "-l", "/nonexistent/dir/log"]),
        s(&["-s", &t, "-l", "-", "-u", "no-such-user"]),
    ];
    // our usage text has one extra paragraph, for -m
    let extra = "\nOption (from newer NUT):\n  -m <ups,logfile>\t- Monitor UPS <ups> into <logfile> (repeatable)\n";
    compare_all("upslog", Path::new(OURS), &cases, |_, mut r| {
        r.stdout = r.stdout.replace(extra, "");
        r
    });
}

/// `-m ups,logfile` (newer NUT): one log file per UPS, both reopened on SIGHUP.
#[test]
fn upslog_several_ups() {
    let bed = Bed::new(dumps().into_iter().take(2).collect()).start();
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("w").join("a.log");
    let b = dir.path().join("w").join("b.log");
    let args: Vec<String> = vec![
        "-p".into(),
        dir.path().join("upslog.pid").display().to_string(),
        "-m".into(),
        format!("{},{}", bed.target("apc"), a.display()),
        "-m".into(),
        format!("{},{}", bed.target("pdu"), b.display()),
        "-i".into(),
        "3600".into(),
        "-F".into(),
        "-f".into(),
        "%UPSHOST% %VAR ups.status%".into(),
    ];
    let d = Daemon::start(Path::new(OURS), &args, &dir.path().join("w"));
    d.wait_lines("a.log", 1);
    d.wait_lines("b.log", 1);
    d.signal(libc::SIGTERM);
    let out = d.read("stdout");
    assert_eq!(d.finish(), 0);
    assert_eq!(fs::read_to_string(&a).unwrap().lines().next().unwrap(), format!("{} OL", bed.target("apc")));
    let pdu_status = bed.ask("GET VAR pdu ups.status").unwrap();
    let pdu_status = pdu_status.rsplit('"').nth(1).unwrap_or("NA").to_string();
    assert_eq!(fs::read_to_string(&b).unwrap().lines().next().unwrap(), format!("{} {pdu_status}", bed.target("pdu")));
    assert!(out.contains(&format!("logging status of {} to {} (3600s intervals)", bed.target("apc"), a.display())));
    let r = common::compare::run(Path::new(OURS), &["-m".into(), "x".into()], b"");
    assert_eq!(r.stderr, "Argument '-m upsspec,logfile' requires exactly 2 components in the tuple\n");
    assert_eq!(r.status, 1);
}
