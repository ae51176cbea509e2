//! upsd's remaining command-line options and configuration paths, against
//! our real binary: `-B` (background with a PID file), `-4`/`-6` with
//! IPv4 and IPv6 LISTEN lines (checked against Debian's upsd where NUT
//! refuses a line), `-r` (chroot; the tests run as root), a reload that
//! renames a section's driver, and values from the driver capped at NUT's
//! ST_MAX_VALUE_LEN (compared with Debian's upsd on the same fake driver).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::upsd_harness::*;

fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One request over a connection to `addr`; None when it cannot connect.
fn ask(addr: SocketAddr, line: &str) -> Option<String> {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    (&s).write_all(format!("{line}\n").as_bytes()).ok()?;
    let mut r = BufReader::new(s);
    let mut reply = String::new();
    r.read_line(&mut reply).ok()?;
    Some(reply.trim_end().to_string())
}

fn v4(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn v6(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv6Addr::LOCALHOST, port))
}

/// Kills a daemonized upsd (not our child) when the test ends.
struct Daemon(i32);

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: signalling the daemon this test started.
        unsafe {
            libc::kill(self.0, libc::SIGKILL);
        }
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn dash_b_detaches_writes_the_pid_file_and_serves() {
    let s = golden_bed("bg");
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\n"));
    // -D would keep it in the foreground; -B sends it to the background anyway
    let mut cmd = env_cmd(&our_upsd(), &s);
    cmd.args(["-D", "-B", "-u", "root"]).stdout(Stdio::null()).stderr(Stdio::null());
    let mut launcher = cmd.spawn().unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(st) = launcher.try_wait().unwrap() {
            break st;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "upsd -B did not return to the shell");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let pidfile = s.path("upsd.pid");
    eventually("the PID file", 10, || pidfile.exists());
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let _guard = Daemon(pid);
    assert_ne!(pid, launcher.id() as i32, "the PID file names the launcher, not the daemon");
    assert!(alive(pid));
    wait_port(port);
    wait_ups(port, "fake");
    assert_eq!(ask(v4(port), "GET VAR fake ups.status").unwrap(), "VAR fake ups.status \"OL\"");
    // -c stop finds it through the PID file; it removes the file on the way out
    let st = env_cmd(&our_upsd(), &s).args(["-c", "stop"]).status().unwrap();
    assert!(st.success());
    eventually("the daemon to exit", 10, || !alive(pid));
    assert!(!pidfile.exists(), "PID file left behind");
}

fn start_with(s: &Scratch, listen: &str, flags: &[&str]) -> Proc {
    s.write("upsd.conf", listen);
    let mut cmd = env_cmd(&our_upsd(), s);
    cmd.args(["-F", "-u", "root"]).args(flags).stdout(Stdio::null()).stderr(Stdio::piped());
    Proc { child: cmd.spawn().unwrap(), name: "upsd".into() }
}

fn wait_addr(addr: SocketAddr) {
    eventually(&format!("upsd listening on {addr}"), 10, || TcpStream::connect(addr).is_ok());
}

#[test]
fn ipv6_listen_lines_and_the_4_and_6_options() {
    let s = golden_bed("family");
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    let both = format!("LISTEN 127.0.0.1 {port}\nLISTEN ::1 {port}\n");

    // both LISTEN lines: served on IPv4 and IPv6
    let p = start_with(&s, &both, &[]);
    wait_addr(v4(port));
    wait_addr(v6(port));
    assert_eq!(ask(v6(port), "NETVER").unwrap(), "1.3");
    assert_eq!(ask(v4(port), "NETVER").unwrap(), "1.3");
    eventually("the fake UPS over IPv6", 15, || {
        ask(v6(port), "GET VAR fake ups.status").as_deref() == Some("VAR fake ups.status \"OL\"")
    });
    drop(p);

    // -6 with only the IPv6 line: IPv6 served, nothing on IPv4
    let p = start_with(&s, &format!("LISTEN ::1 {port}\n"), &["-6"]);
    wait_addr(v6(port));
    assert_eq!(ask(v6(port), "NETVER").unwrap(), "1.3");
    assert!(TcpStream::connect(v4(port)).is_err(), "-6 must not listen on IPv4");
    drop(p);

    // -4 with only the IPv4 line: the reverse
    let p = start_with(&s, &format!("LISTEN 127.0.0.1 {port}\n"), &["-4"]);
    wait_addr(v4(port));
    assert_eq!(ask(v4(port), "NETVER").unwrap(), "1.3");
    assert!(TcpStream::connect(v6(port)).is_err(), "-4 must not listen on IPv6");
    drop(p);

    // a LISTEN line of the other family is fatal, as in Debian's upsd
    // ("getaddrinfo: Address family for hostname not supported")
    for flag in ["-4", "-6"] {
        for which in [Which::Ours, Which::Debian] {
            let prog = if which == Which::Ours { our_upsd() } else { debian("/lib/nut/upsd") };
            s.write("upsd.conf", &both);
            let out = env_cmd(&prog, &s)
                .args(["-F", "-u", "root", flag])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
                .wait_with_output()
                .unwrap();
            assert!(!out.status.success(), "{which:?} upsd {flag} accepted both LISTEN lines");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("Address family for hostname not supported"), "{which:?} {flag}: {err}");
        }
    }
}

#[test]
fn dash_r_chroots_before_connecting_to_the_drivers() {
    // The driver socket exists only inside the chroot: STATEPATH "/" is the
    // scratch directory once upsd has chrooted there. Needs root (chroot(2)),
    // which the test environment has; without it the test fails loudly.
    assert!(nix::unistd::geteuid().is_root(), "this test needs root for chroot(2)");
    let s = golden_bed("chroot");
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\n"));
    let mut cmd = env_cmd(&our_upsd(), &s);
    cmd.env("NUT_STATEPATH", "/")
        .args(["-F", "-u", "root", "-r"])
        .arg(&s.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let upsd = Proc { child: cmd.spawn().unwrap(), name: "upsd".into() };
    wait_port(port);
    wait_ups(port, "fake");
    assert_eq!(ask(v4(port), "GET VAR fake ups.status").unwrap(), "VAR fake ups.status \"OL\"");
    let root = std::fs::read_link(format!("/proc/{}/root", upsd.pid())).unwrap();
    assert_eq!(root.canonicalize().unwrap(), s.dir.canonicalize().unwrap());
}

#[test]
fn reload_with_a_new_driver_name_reconnects_to_the_new_socket() {
    let s = golden_bed("rename");
    let old = FakeDriver::start(&s, "fake");
    let port = free_port();
    let upsd = start_upsd(Which::Ours, &s, port, "");
    wait_ups(port, "fake");
    old.wait_connected();
    let mut client = Client::connect(port);
    assert_eq!(client.one("GET VAR fake ups.status"), "VAR fake ups.status \"OL\"");

    // [fake] now uses driver "otherdrv": upsd must go to <STATEPATH>/otherdrv-fake
    let new = FakeDriver::start_at(s.path("otherdrv-fake"), Default::default());
    s.write("ups.conf", &UPS_CONF.replace("driver = fakedrv", "driver = otherdrv"));
    upsd.signal(libc::SIGHUP);
    new.wait_connected();
    new.send("SETINFO ups.status \"OB LB\"");
    eventually("the status from the new driver", 10, || {
        Client::connect(port).one("GET VAR fake ups.status") == "VAR fake ups.status \"OB LB\""
    });
    // the old driver's connection was closed; its updates no longer count
    old.send("SETINFO ups.status \"OL\"");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(Client::connect(port).one("GET VAR fake ups.status"), "VAR fake ups.status \"OB LB\"");
    // the client connected before the reload is still served
    assert_eq!(client.one("GET VAR fake ups.status"), "VAR fake ups.status \"OB LB\"");
}

#[test]
fn driver_values_are_capped_at_st_max_value_len_like_nut() {
    let long = "x".repeat(300);
    let quotes = format!("{}{}", "a".repeat(250), "\"".repeat(5));
    let hashes = "#".repeat(200);
    // 255 escaped bytes at most; an escape pair is never split
    let cases = [
        ("ups.cap.long", long.as_str(), format!("\"{}\"", "x".repeat(255))),
        ("ups.cap.quotes", quotes.as_str(), format!("\"{}{}\"", "a".repeat(250), "\\\"".repeat(2))),
        ("ups.cap.hashes", hashes.as_str(), format!("\"{}\"", "\\#".repeat(127))),
        ("ups.cap.short", "fits \"fine\"", "\"fits \\\"fine\\\"\"".to_string()),
    ];
    for which in [Which::Ours, Which::Debian] {
        let s = golden_bed(&format!("cap-{which:?}"));
        let fake = FakeDriver::start(&s, "fake");
        let port = free_port();
        let _upsd = start_upsd(which, &s, port, "");
        wait_ups(port, "fake");
        fake.wait_connected();
        for (var, value, _) in &cases {
            fake.send(&format!("SETINFO {var} {}", nut::proto::words::quote_always(value)));
        }
        let mut c = Client::connect(port);
        for (var, _, want) in &cases {
            let want = format!("VAR fake {var} {want}");
            eventually(&format!("{which:?}: {var}"), 10, || c.one(&format!("GET VAR fake {var}")) == want);
        }
    }
}
