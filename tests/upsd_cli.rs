//! upsd's command line: -V, -h, the obsolete -i/-p, -FF with the PID file,
//! `-c reload|stop`, and dropping privileges with -u.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::upsd_harness::*;

#[test]
fn version_help_and_obsolete_options() {
    let out = std::process::Command::new(our_upsd()).arg("-V").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(nut::VERSION));
    let out = std::process::Command::new(our_upsd()).arg("-h").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in ["-c", "-P", "-D", "-F", "-B", "-u", "-4", "-6", "-r", "-q", "-V"] {
        assert!(help.contains(opt), "{opt} missing from {help}");
    }
    let out = std::process::Command::new(our_upsd()).args(["-i", "0.0.0.0"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn pid_file_and_c_reload_stop() {
    let s = golden_bed("cli");
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\n"));
    let mut cmd = env_cmd(&our_upsd(), &s);
    cmd.args(["-FF", "-u", "root"]).stderr(Stdio::null());
    let mut upsd = Proc { child: cmd.spawn().unwrap(), name: "upsd".into() };
    wait_port(port);
    let pidfile = s.path("upsd.pid");
    assert_eq!(std::fs::read_to_string(&pidfile).unwrap().trim(), upsd.pid().to_string());
    s.write("ups.conf", &UPS_CONF.replace("Fake socket driver", "changed by -c reload"));
    let st = env_cmd(&our_upsd(), &s).args(["-c", "reload"]).status().unwrap();
    assert!(st.success());
    let t = Instant::now();
    while Client::connect(port).one("GET UPSDESC fake") != "UPSDESC fake \"changed by -c reload\"" {
        assert!(t.elapsed() < Duration::from_secs(5), "reload not applied");
        std::thread::sleep(Duration::from_millis(50));
    }
    let st = env_cmd(&our_upsd(), &s).args(["-c", "stop"]).status().unwrap();
    assert!(st.success());
    let t = Instant::now();
    while upsd.child.try_wait().unwrap().is_none() {
        assert!(t.elapsed() < Duration::from_secs(5), "upsd did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!pidfile.exists(), "PID file left behind");
    // -c with a PID that is not running fails
    let st = env_cmd(&our_upsd(), &s).args(["-c", "stop", "-P", "999999"]).status().unwrap();
    assert!(!st.success());
}

#[test]
fn started_as_root_it_drops_to_the_run_as_user() {
    let s = golden_bed("drop");
    let port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\n"));
    let mut cmd = env_cmd(&our_upsd(), &s);
    cmd.args(["-F", "-u", "nobody"]).stderr(Stdio::null());
    let upsd = Proc { child: cmd.spawn().unwrap(), name: "upsd".into() };
    wait_port(port);
    assert_eq!(Client::connect(port).one("NETVER"), "1.3");
    let status = std::fs::read_to_string(format!("/proc/{}/status", upsd.pid())).unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap().uid.as_raw();
    assert!(uid.split_whitespace().skip(1).all(|u| u == nobody.to_string()), "{uid}");
}
