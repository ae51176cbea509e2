//! Running one of our client programs and Debian's with the same
//! arguments and stdin, and comparing stdout, stderr and exit status byte
//! for byte, with a readable line diff on failure.
//!
//! Normalisations (the documented, deliberate differences):
//! - Debian's NSS build of libupsclient prints `Init SSL without
//!   certificate database` on stderr whenever a client sends STARTTLS; it
//!   is an artefact of that TLS backend (OpenSSL builds of 2.8.0 and our
//!   rustls client print nothing), so it is removed from Debian's stderr.
//! - Likewise its TLS handshake log lines (`Connecting in SSL to '<host>'
//!   (no certificate name specified)`, `Do not intend to authenticate
//!   server <host>`, `SSL handshake done successfully with server <host>`)
//!   are NSS's; the lines libupsclient itself logs (`Connected to NUT
//!   server <host> in SSL`, `Certificate verification is disabled`) stay.
//! - Version banners: `Network UPS Tools <program> 2.8.0` lines get our
//!   version.

#![allow(dead_code)]

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's client binaries.
pub fn debian(prog: &str) -> PathBuf {
    super::refnut::require(&format!("/usr/bin/{prog}"))
}

/// What a run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status (-signal when killed).
    pub status: i32,
}

/// Runs `bin args` (argv[0] = the file name) in a new session (no controlling terminal, so password
/// prompts fall back to stdin), feeding `stdin`; killed after 60 s.
pub fn run(bin: &Path, args: &[String], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(bin);
    // the same argv[0] for both programs: getopt's messages start with it
    cmd.arg0(bin.file_name().unwrap_or_default());
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).env("LC_ALL", "C");
    // SAFETY: setsid() is async-signal-safe and has no preconditions.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let mut sin = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let id = child.id();
    let watchdog_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let wd = watchdog_done.clone();
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if wd.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: killing the child we started.
        unsafe {
            libc::kill(id as i32, libc::SIGKILL);
        }
    });
    let out = child.wait_with_output().expect("wait");
    watchdog_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = watchdog.join();
    let _ = feeder.join();
    use std::os::unix::process::ExitStatusExt;
    let status = out.status.code().unwrap_or_else(|| -out.status.signal().unwrap_or(0));
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status,
    }
}

/// The log lines of Debian's NSS TLS backend (see the module header).
fn nss_artefact(l: &str) -> bool {
    l == "Init SSL without certificate database"
        || (l.starts_with("Connecting in SSL to '") && l.ends_with("' (no certificate name specified)"))
        || l.starts_with("Do not intend to authenticate server ")
        || l.starts_with("SSL handshake done successfully with server ")
}

/// Applies the documented normalisations to Debian's output.
pub fn normalise_debian(mut r: Run) -> Run {
    let fix = |s: &str| -> String {
        s.split_inclusive('\n')
            .filter(|l| !nss_artefact(l.trim_end_matches('\n')))
            .map(|l| {
                let banner = ["upsc", "upsrw", "upscmd", "upslog"]
                    .iter()
                    .any(|p| l.trim_end_matches('\n') == format!("Network UPS Tools {p} 2.8.0"));
                if banner {
                    l.replace(" 2.8.0", &format!(" {}", nut::VERSION))
                } else {
                    l.to_string()
                }
            })
            .collect()
    };
    r.stdout = fix(&r.stdout);
    r.stderr = fix(&r.stderr);
    r
}

/// A line diff of two texts (longest common subsequence): ` ` common,
/// `-` only in `a`, `+` only in `b`; lines shown with escapes.
pub fn diff(a: &str, b: &str) -> String {
    let al: Vec<&str> = a.split('\n').collect();
    let bl: Vec<&str> = b.split('\n').collect();
    let (n, m) = (al.len(), bl.len());
    let mut l = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[i][j] = if al[i] == bl[j] { l[i + 1][j + 1] + 1 } else { l[i + 1][j].max(l[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && al[i] == bl[j] {
            out.push_str(&format!("   {:?}\n", al[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || l[i][j + 1] >= l[i + 1][j]) {
            out.push_str(&format!(" + {:?}\n", bl[j]));
            j += 1;
        } else {
            out.push_str(&format!(" - {:?}\n", al[i]));
            i += 1;
        }
    }
    out
}

/// Compares two runs; `Err` is a readable report (`-` Debian, `+` ours).
pub fn same(label: &str, debian: &Run, ours: &Run) -> Result<(), String> {
    let mut report = String::new();
    if debian.stdout != ours.stdout {
        report.push_str(&format!("stdout differs (- Debian, + ours):\n{}", diff(&debian.stdout, &ours.stdout)));
    }
    if debian.stderr != ours.stderr {
        report.push_str(&format!("stderr differs (- Debian, + ours):\n{}", diff(&debian.stderr, &ours.stderr)));
    }
    if debian.status != ours.status {
        report.push_str(&format!("exit status: Debian {}, ours {}\n", debian.status, ours.status));
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(format!("=== {label}\n{report}"))
    }
}

/// One comparison case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The arguments (after the program name).
    pub args: Vec<String>,
    /// Bytes for stdin.
    pub stdin: Vec<u8>,
}

impl Case {
    /// A case with empty stdin.
    pub fn new<S: AsRef<str>>(args: &[S]) -> Case {
        Case { args: args.iter().map(|s| s.as_ref().to_string()).collect(), stdin: Vec::new() }
    }

    /// With stdin.
    pub fn stdin(mut self, s: &str) -> Case {
        self.stdin = s.as_bytes().to_vec();
        self
    }
}

/// Runs every case with Debian's `prog` and ours (`our_bin`); panics with
/// all the differences found. `post` adjusts our output for a documented
/// difference before comparing.
pub fn compare_all(prog: &str, our_bin: &Path, cases: &[Case], post: impl Fn(&Case, Run) -> Run) {
    let theirs = debian(prog);
    let mut failures = Vec::new();
    for c in cases {
        let d = normalise_debian(run(&theirs, &c.args, &c.stdin));
        let o = post(c, run(our_bin, &c.args, &c.stdin));
        if let Err(r) = same(&format!("{prog} {}", c.args.join(" ")), &d, &o) {
            failures.push(r);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    eprintln!("{prog}: {} cases identical to Debian's", cases.len());
}
