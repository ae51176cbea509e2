//! dummy-ups as a repeater (`port = ups@host:port`) of a UPS served by
//! Debian's dummy-ups through Debian's upsd, and through ours: the same
//! data, SET and INSTCMD forwarded with the remote's result codes, and the
//! remote's staleness kept.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::refnut::{free_port, require_debian_nut, Scratch};

const DEV: &str = "ups.status: OL\nbattery.charge: 90\nups.delay.shutdown: 20\ndevice.mfr: Remote Inc\n";

fn not_driver(upsc: &str) -> Vec<&str> {
    upsc.lines().filter(|l| !l.starts_with("driver.")).collect()
}

fn eventually(limit: Duration, what: &str, mut f: impl FnMut() -> Option<String>) -> String {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t0.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn repeater_of_debian_upsd() {
    scenario(false);
}

#[test]
fn repeater_of_our_upsd() {
    scenario(true);
}

/// The remote and the repeater are both served by one upsd (Debian's or
/// ours); the repeater reads the remote through it.
fn scenario(our_upsd: bool) {
    require_debian_nut();
    let mut bed = Scratch::new("repeater");
    let port = free_port();
    bed.write("r.dev", DEV);
    bed.write(
        "ups.conf",
        format!(
            "[remote]\n\tdriver = dummy-ups\n\tport = r.dev\n\
             [rep]\n\tdriver = dummy-ups\n\tport = remote@127.0.0.1:{port}\n\tusername = admin\n\tpassword = secret\n"
        ),
    );
    let remote = bed.start_debian_driver("dummy-ups", "remote");
    if our_upsd {
        bed.start_our_upsd(port, "");
        bed.port = port;
    } else {
        bed.start_debian_upsd_on(port, "");
    }
    bed.start_our_driver("dummy-ups", "rep", &[]);

    // the same variables and values, driver.* aside
    let theirs = bed.upsc_ready("remote");
    let ours = bed.upsc_ready("rep");
    assert_eq!(not_driver(&theirs), not_driver(&ours));
    assert!(ours.contains("driver.parameter.mode: repeater"), "{ours}");
    assert!(!ours.contains("driver.parameter.password"), "secrets are not published: {ours}");

    // SET through upsd on the repeater reaches the remote
    let o = Command::new("/usr/bin/upsrw")
        .args(["-s", "ups.delay.shutdown=30", "-u", "admin", "-p", "secret", &format!("rep@127.0.0.1:{port}")])
        .output()
        .unwrap();
    if !o.status.success() {
        let l = Command::new("/usr/bin/upsrw").arg(format!("rep@127.0.0.1:{port}")).output().unwrap();
        let mut s = UnixStream::connect(bed.dir.join("dummy-ups-rep")).unwrap();
        s.write_all(b"DUMPALL\n").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        s.set_nonblocking(true).unwrap();
        let mut buf = vec![0u8; 65536];
        let n = std::io::Read::read(&mut s, &mut buf).unwrap_or(0);
        panic!(
            "{}\nLIST RW:\n{}\nDUMP:\n{}",
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&l.stdout),
            String::from_utf8_lossy(&buf[..n])
        );
    }
    eventually(Duration::from_secs(5), "the remote to change", || {
        bed.upsc("remote").status.success().then_some(())?;
        let out = String::from_utf8_lossy(&bed.upsc("remote").stdout).into_owned();
        out.contains("ups.delay.shutdown: 30").then_some(out)
    });
    // and the repeater shows it too
    eventually(Duration::from_secs(5), "the repeater to follow", || {
        let out = String::from_utf8_lossy(&bed.upsc("rep").stdout).into_owned();
        out.contains("ups.delay.shutdown: 30").then_some(out)
    });

    // tracked results are the remote driver's: dummy-ups answers 1 for INSTCMD
    let s = UnixStream::connect(bed.dir.join("dummy-ups-rep")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    w.write_all(b"INSTCMD load.off TRACKING t1\nSET ups.delay.shutdown \"40\" TRACKING t2\n").unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let mut l = String::new();
        r.read_line(&mut l).expect("tracking replies");
        if l.starts_with("TRACKING") {
            got.push(l.trim_end().to_string());
        }
    }
    assert_eq!(got, ["TRACKING t1 1", "TRACKING t2 0"]);

    // the remote's driver goes away: the repeater's data turns stale
    bed.stop(remote);
    eventually(Duration::from_secs(10), "stale repeater data", || {
        let o = bed.upsc("rep");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        err.contains("Data stale").then_some(err)
    });
    // and good again once the remote is back
    bed.start_debian_driver("dummy-ups", "remote");
    eventually(Duration::from_secs(20), "fresh repeater data", || {
        let o = bed.upsc("rep");
        o.status.success().then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    });
}
