//! The driver under a (fake) service manager: `EXTEND_TIMEOUT_USEC` while
//! starting, `READY=1` with a `STATUS=` line after the first poll,
//! `WATCHDOG=1` only while the device answers, and the device-loss cycle
//! on the socket (`DATASTALE`, reconnect, `DATAOK`) — the simulated device
//! is lost when its data file disappears.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::time::{Duration, Instant};

use common::refnut::Scratch;

struct Notify(UnixDatagram);

impl Notify {
    fn messages_for(&self, d: Duration) -> Vec<String> {
        let t0 = Instant::now();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while t0.elapsed() < d {
            self.0.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            if let Ok(n) = self.0.recv(&mut buf) {
                out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
        out
    }

    fn until(&self, what: &str, limit: Duration) -> Vec<String> {
        let t0 = Instant::now();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while t0.elapsed() < limit {
            self.0.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            if let Ok(n) = self.0.recv(&mut buf) {
                let m = String::from_utf8_lossy(&buf[..n]).into_owned();
                let done = m.contains(what);
                out.push(m);
                if done {
                    return out;
                }
            }
        }
        panic!("no {what:?} within {limit:?}: {out:?}");
    }
}

fn read_until(r: &mut BufReader<UnixStream>, want: &str, limit: Duration) {
    let t0 = Instant::now();
    let mut seen = Vec::new();
    while t0.elapsed() < limit {
        let mut l = String::new();
        if r.read_line(&mut l).is_ok() && !l.is_empty() {
            if l.trim_end() == want {
                return;
            }
            seen.push(l);
        }
    }
    panic!("no {want:?} within {limit:?}: {seen:?}");
}

#[test]
fn ready_status_watchdog_and_device_loss() {
    let mut bed = Scratch::new("systemd");
    bed.write("x.dev", "ups.status: OL\nbattery.charge: 87\n");
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n\tpollinterval = 1\n");
    let notify_path = bed.dir.join("notify");
    let notify = Notify(UnixDatagram::bind(&notify_path).expect("bind notify socket"));
    // systemd sets WATCHDOG_PID to the service's PID: exec keeps the shell's
    let mut c = bed.command("/bin/sh");
    c.arg("-c")
        .arg(r#"WATCHDOG_PID=$$ exec "$0" "$@""#)
        .arg(bed.our_driver("dummy-ups"))
        .args(["-a", "u", "-u", "root"])
        .env("NOTIFY_SOCKET", &notify_path)
        .env("WATCHDOG_USEC", "400000");
    bed.spawn("dummy-ups", c);

    let start = notify.until("READY=1", Duration::from_secs(10));
    assert!(start.iter().any(|m| m.contains("EXTEND_TIMEOUT_USEC=")), "{start:?}");
    let ready = start.last().unwrap();
    assert!(ready.contains("STATUS=OL, battery 87%"), "{ready}");
    // under systemd the driver stays in the foreground: the socket is ours
    bed.wait_socket("dummy-ups", "u");

    let running = notify.messages_for(Duration::from_secs(1));
    let pings = running.iter().filter(|m| m.contains("WATCHDOG=1")).count();
    assert!(pings >= 2, "watchdog pinged at half of 0.4 s: {running:?}");
    assert!(running.iter().any(|m| m.contains("STATUS=OL, battery 87%, last poll")), "{running:?}");

    let s = UnixStream::connect(bed.dir.join("dummy-ups-u")).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    w.write_all(b"DUMPALL\n").unwrap();
    read_until(&mut r, "DATAOK", Duration::from_secs(5));
    read_until(&mut r, "DUMPDONE", Duration::from_secs(5));

    // the device goes away: stale at once, and no more watchdog pings
    std::fs::remove_file(bed.dir.join("x.dev")).unwrap();
    read_until(&mut r, "DATASTALE", Duration::from_secs(1));
    let _ = notify.messages_for(Duration::from_millis(300));
    let lost = notify.messages_for(Duration::from_millis(1200));
    assert!(!lost.iter().any(|m| m.contains("WATCHDOG=1")), "no watchdog while lost: {lost:?}");
    assert!(lost.iter().any(|m| m.contains("STATUS=data stale")), "{lost:?}");

    // it comes back: reconnected within the back-off, data good again
    bed.write("x.dev", "ups.status: OB\nbattery.charge: 80\n");
    read_until(&mut r, "DATAOK", Duration::from_secs(5));
    notify.until("WATCHDOG=1", Duration::from_secs(2));
    w.write_all(b"DUMPVALUE ups.status\n").unwrap();
    read_until(&mut r, r#"SETINFO ups.status "OB""#, Duration::from_secs(2));
}
