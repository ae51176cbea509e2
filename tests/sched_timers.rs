//! upssched end to end: AT rules, the timer process, CMDSCRIPT timing,
//! and compatibility with Debian's upssched (NUT 2.8.0) on the same
//! PIPEFN socket in both directions.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DEBIAN_UPSSCHED: &str = "/sbin/upssched";

static SERIAL: Mutex<()> = Mutex::new(());

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("nut-sched-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let script = d.join("cmd.sh");
        std::fs::write(&script, format!("#!/bin/sh\necho \"$(date +%s.%N) $1\" >> {}/cmd.log\n", d.display())).unwrap();
        Command::new("chmod").arg("+x").arg(&script).status().unwrap();
        std::fs::write(
            d.join("upssched.conf"),
            format!(
                "CMDSCRIPT {0}/cmd.sh\nPIPEFN {0}/upssched.pipe\nLOCKFN {0}/upssched.lock\n\
                 AT ONBATT * START-TIMER onbatt 2\n\
                 AT ONLINE * CANCEL-TIMER onbatt online-no-timer\n\
                 AT LOWBATT * EXECUTE lowbatt-now\n\
                 AT COMMBAD ups@localhost START-TIMER commbad 1\n\
                 AT COMMBAD other@localhost START-TIMER not-for-us 1\n",
                d.display()
            ),
        )
        .unwrap();
        Dir(d)
    }

    fn events(&self) -> Vec<(f64, String)> {
        std::fs::read_to_string(self.0.join("cmd.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(t, n)| (t.parse().unwrap(), n.to_string())))
            .collect()
    }

    /// Timer processes started for this directory (found by their
    /// environment, since they detach from us).
    fn timer_pids(&self) -> Vec<i32> {
        let needle = format!("NUT_CONFPATH={}", self.0.display());
        let mut pids = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
            let Ok(env) = std::fs::read(e.path().join("environ")) else { continue };
            if env.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
                pids.push(pid);
            }
        }
        pids
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        for pid in self.timer_pids() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upssched"))
}

fn debian() -> PathBuf {
    let p = Path::new(DEBIAN_UPSSCHED);
    assert!(p.exists(), "{DEBIAN_UPSSCHED} is missing: install Debian's nut-client");
    p.to_path_buf()
}

fn fire(bin: &Path, d: &Dir, ntype: &str, ups: &str) {
    let st = Command::new(bin)
        .arg(format!("UPS {ups}: event {ntype}"))
        .env("NUT_CONFPATH", &d.0)
        .env("UPSNAME", ups)
        .env("NOTIFYTYPE", ntype)
        .status()
        .unwrap();
    assert!(st.success(), "{} {ntype} failed", bin.display());
}

fn wait_event(d: &Dir, name: &str, secs: f64) -> f64 {
    let until = now() + secs;
    while now() < until {
        if let Some((t, _)) = d.events().into_iter().find(|(_, n)| n == name) {
            return t;
        }
        sleep(Duration::from_millis(20));
    }
    panic!("{name} never ran; log: {:?}", d.events());
}

#[test]
fn start_timer_runs_cmdscript_when_it_elapses() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = Dir::new("start");
    let t0 = now();
    fire(&ours(), &d, "ONBATT", "ups@localhost");
    let t = wait_event(&d, "onbatt", 5.0);
    assert!(t >= t0 + 2.0 && t <= t0 + 3.0, "fired at +{:.3}", t - t0);
    // The rule for another UPS did not fire, the one for ours did.
    fire(&ours(), &d, "COMMBAD", "ups@localhost");
    wait_event(&d, "commbad", 3.0);
    sleep(Duration::from_millis(1500));
    assert!(d.events().iter().all(|(_, n)| n != "not-for-us"), "{:?}", d.events());
}

#[test]
fn cancel_stops_a_timer_and_runs_its_command_when_none_ran() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = Dir::new("cancel");
    fire(&ours(), &d, "ONBATT", "ups@localhost");
    sleep(Duration::from_millis(800));
    fire(&ours(), &d, "ONLINE", "ups@localhost");
    sleep(Duration::from_millis(2500));
    assert!(d.events().is_empty(), "cancelled timer ran: {:?}", d.events());
    // Now no timer runs: the cancel's command runs at once.
    let t0 = now();
    fire(&ours(), &d, "ONLINE", "ups@localhost");
    let t = wait_event(&d, "online-no-timer", 2.0);
    assert!(t - t0 < 1.0);
}

#[test]
fn execute_runs_at_once_without_a_timer_process() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = Dir::new("exec");
    let t0 = now();
    fire(&ours(), &d, "LOWBATT", "ups@localhost");
    let t = wait_event(&d, "lowbatt-now", 1.0);
    assert!(t - t0 < 1.0);
    assert!(d.timer_pids().is_empty(), "EXECUTE needs no timer process");
    // No environment from upsmon: NUT's message and exit status.
    let out = Command::new(ours()).env_remove("UPSNAME").env_remove("NOTIFYTYPE").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("UPSNAME and NOTIFYTYPE must be set"));
}

#[test]
fn timer_process_exits_when_idle() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = Dir::new("idle");
    fire(&ours(), &d, "COMMBAD", "ups@localhost");
    wait_event(&d, "commbad", 3.0);
    assert_eq!(d.timer_pids().len(), 1, "one timer process");
    let until = now() + 20.0;
    while now() < until && !d.timer_pids().is_empty() {
        sleep(Duration::from_millis(200));
    }
    assert!(d.timer_pids().is_empty(), "timer process still running after 15 s idle");
    assert!(!d.0.join("upssched.pipe").exists(), "socket removed");
}

#[test]
fn debian_upssched_cancels_our_timer_and_ours_cancels_debians() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = Dir::new("compat");
    // Our timer process, Debian's client.
    fire(&ours(), &d, "ONBATT", "ups@localhost");
    sleep(Duration::from_millis(500));
    fire(&debian(), &d, "ONLINE", "ups@localhost");
    sleep(Duration::from_millis(2500));
    assert!(d.events().is_empty(), "timer not cancelled by Debian's upssched: {:?}", d.events());
    // Debian's client starts a timer in our process; it fires.
    let t0 = now();
    fire(&debian(), &d, "ONBATT", "ups@localhost");
    let t = wait_event(&d, "onbatt", 5.0);
    assert!(t >= t0 + 1.9 && t <= t0 + 3.0, "fired at +{:.3}", t - t0);
    for pid in d.timer_pids() {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let _ = std::fs::remove_file(d.0.join("upssched.pipe"));
    let _ = std::fs::remove_file(d.0.join("cmd.log"));
    // Debian's timer process, our client.
    fire(&debian(), &d, "ONBATT", "ups@localhost");
    sleep(Duration::from_millis(500));
    fire(&ours(), &d, "ONLINE", "ups@localhost");
    sleep(Duration::from_millis(3000));
    assert!(d.events().is_empty(), "Debian's timer not cancelled by ours: {:?}", d.events());
}
