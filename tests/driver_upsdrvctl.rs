//! upsdrvctl: dry runs (`-t`) in `sdorder`, starting and stopping our
//! drivers (backgrounded, PID files) and Debian's (`driverpath`), and the
//! shutdown path (`-k` for every driver).

mod common;

use std::process::Output;
use std::time::Duration;

use common::refnut::{require_debian_nut, wait_within, Scratch};

const CONF: &str = "maxretry = 1\nretrydelay = 0\n\
[late]\n\tdriver = dummy-ups\n\tport = a.dev\n\tsdorder = 2\n\
[first]\n\tdriver = dummy-ups\n\tport = a.dev\n\
[never]\n\tdriver = dummy-ups\n\tport = a.dev\n\tsdorder = -1\n";

fn upsdrvctl(bed: &Scratch, args: &[&str]) -> Output {
    let mut c = bed.command(env!("CARGO_BIN_EXE_upsdrvctl"));
    c.args(args);
    c.output().expect("run upsdrvctl")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn dry_run_shows_commands_in_sdorder() {
    let bed = Scratch::new("ctl-t");
    bed.write("a.dev", "ups.load: 1\n");
    bed.write("ups.conf", CONF);
    let o = upsdrvctl(&bed, &["-t", "-u", "root", "shutdown"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("*** Testing mode: not calling exec/kill"), "{out}");
    let execs: Vec<&str> = out.lines().filter(|l| l.starts_with("exec: ")).collect();
    assert_eq!(execs.len(), 2, "{out}");
    assert!(execs[0].ends_with("dummy-ups -a first -k -u root"), "{out}");
    assert!(execs[1].ends_with("dummy-ups -a late -k -u root"), "{out}");
    // start: file order, all of them
    let o = upsdrvctl(&bed, &["-t", "start"]);
    let out = text(&o);
    let execs: Vec<&str> = out.lines().filter(|l| l.starts_with("exec: ")).collect();
    assert_eq!(execs.len(), 3, "{out}");
    assert!(execs[0].ends_with("-a late") && execs[2].ends_with("-a never"), "{out}");
    // one UPS only; an unknown one fails
    let o = upsdrvctl(&bed, &["-t", "start", "first"]);
    assert_eq!(text(&o).lines().filter(|l| l.starts_with("exec: ")).count(), 1);
    let o = upsdrvctl(&bed, &["-t", "start", "nosuch"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("UPS nosuch not found in ups.conf"));
}

#[test]
fn start_and_stop_our_drivers() {
    let bed = Scratch::new("ctl-start");
    bed.write("a.dev", "ups.load: 1\n");
    bed.write("ups.conf", CONF);
    let o = upsdrvctl(&bed, &["-u", "root", "start"]);
    assert!(o.status.success(), "{}", text(&o));
    for ups in ["late", "first", "never"] {
        // started and backgrounded: socket and PID file exist when start returns
        assert!(bed.dir.join(format!("dummy-ups-{ups}")).exists(), "{ups}");
        wait_within(Duration::from_secs(5), || bed.dir.join(format!("dummy-ups-{ups}.pid")).exists(), "PID file");
    }
    let o = upsdrvctl(&bed, &["stop"]);
    assert!(o.status.success(), "{}", text(&o));
    for ups in ["late", "first", "never"] {
        let sock = bed.dir.join(format!("dummy-ups-{ups}"));
        wait_within(Duration::from_secs(5), || !sock.exists(), "driver gone");
    }
    // stopping again: no PID files, an error
    let o = upsdrvctl(&bed, &["stop", "first"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("Can't open"), "{}", text(&o));
}

#[test]
fn start_and_stop_debian_drivers_through_driverpath() {
    require_debian_nut();
    let bed = Scratch::new("ctl-debian");
    bed.write("a.dev", "ups.load: 1\n");
    bed.write("ups.conf", format!("driverpath = /lib/nut\n{CONF}"));
    let o = upsdrvctl(&bed, &["-u", "root", "start", "first"]);
    assert!(o.status.success(), "{}", text(&o));
    let pidfile = bed.dir.join("dummy-ups-first.pid");
    // NUT writes the PID file before forking and again after: wait for the
    // second one, the daemon's
    let alive = || {
        std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .is_some_and(|p| nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok())
    };
    wait_within(Duration::from_secs(5), alive, "Debian driver PID file");
    let o = upsdrvctl(&bed, &["stop", "first"]);
    assert!(o.status.success(), "{}", text(&o));
    wait_within(Duration::from_secs(5), || !bed.dir.join("dummy-ups-first").exists(), "Debian driver gone");
}

#[test]
fn shutdown_runs_every_driver_with_k() {
    let bed = Scratch::new("ctl-k");
    bed.write("a.dev", "ups.load: 1\n");
    bed.write("ups.conf", CONF);
    let o = upsdrvctl(&bed, &["-u", "root", "shutdown"]);
    // dummy-ups cannot cut power (as NUT's): both attempts fail, upsdrvctl says so
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert_eq!(out.matches("shutdown not supported").count(), 2, "{out}");
    assert_eq!(out.matches("Driver failed to start (exit status=1)").count(), 2, "{out}");
}

#[test]
fn retries_and_maxstartdelay() {
    let bed = Scratch::new("ctl-retry");
    // a section our driver refuses: tried maxretry times
    bed.write("ups.conf", "maxretry = 3\nretrydelay = 0\n[bad]\n\tdriver = dummy-ups\n\tport = a.dev\n\tbogus = 1\n");
    let o = upsdrvctl(&bed, &["-u", "root", "start"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o).matches("Driver failed to start (exit status=1)").count(), 3, "{}", text(&o));
    // a driver that does not finish starting within maxstartdelay (a
    // repeater whose upsd is not there) is left behind, and counted as an error
    let port = common::refnut::free_port();
    bed.write(
        "ups.conf",
        format!("maxretry = 1\n[slow]\n\tdriver = dummy-ups\n\tport = x@127.0.0.1:{port}\n\tmaxstartdelay = 1\n"),
    );
    // (output to a file: the driver left behind keeps inherited pipes open)
    let log = bed.dir.join("ctl.log");
    let mut c = bed.command(env!("CARGO_BIN_EXE_upsdrvctl"));
    let f = std::fs::File::create(&log).unwrap();
    c.args(["-u", "root", "start"]).stdout(f.try_clone().unwrap()).stderr(f);
    let t0 = std::time::Instant::now();
    let st = c.status().expect("run upsdrvctl");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    let out = std::fs::read_to_string(&log).unwrap();
    assert_eq!(st.code(), Some(1), "{out}");
    assert!(out.contains("Startup timer elapsed, continuing..."), "{out}");
    // clean up the driver still trying in the background
    let pidfile = bed.dir.join("dummy-ups-slow.pid");
    wait_within(Duration::from_secs(5), || pidfile.exists(), "PID file of the slow driver");
    let o = upsdrvctl(&bed, &["stop"]);
    assert!(o.status.success(), "{}", text(&o));
}
