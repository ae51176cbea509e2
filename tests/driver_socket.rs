//! Our dummy-ups on its socket, spoken to directly: the dump and the
//! conversation of `golden-transcripts.md` §11, several connections at
//! once, broadcasts (escaped: REQ), data-file watching, `.seq` timing and
//! the command line's refusals.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::refnut::{wait_within, Scratch};

const GOLDEN: &str = include_str!("data/golden-transcripts.md");

const DUMMY_DEV: &str = "ups.status: OL\nbattery.charge: 100\nbattery.runtime: 1800\ninput.voltage: 230.0\n\
ups.serial: SN 0001\ndevice.description: a \"quoted\" value\n";

/// A connection to a driver socket.
struct Sock {
    r: BufReader<UnixStream>,
    w: UnixStream,
}

impl Sock {
    fn connect(bed: &Scratch, name: &str) -> Sock {
        let s = UnixStream::connect(bed.dir.join(name)).expect("connect driver socket");
        s.set_read_timeout(Some(Duration::from_millis(400))).unwrap();
        Sock { w: s.try_clone().unwrap(), r: BufReader::new(s) }
    }

    fn send(&mut self, line: &str) {
        self.w.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    /// Lines until 0.4 s of silence.
    fn drain(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let mut l = String::new();
            match self.r.read_line(&mut l) {
                Ok(0) | Err(_) => return out,
                Ok(_) => out.push(l.trim_end_matches('\n').to_string()),
            }
        }
    }

    /// Lines until one equals `last` (inclusive), within `limit`.
    fn until(&mut self, last: &str, limit: Duration) -> Vec<String> {
        let t0 = Instant::now();
        let mut out = Vec::new();
        while t0.elapsed() < limit {
            let mut l = String::new();
            match self.r.read_line(&mut l) {
                Ok(0) => break,
                Ok(_) => {
                    let l = l.trim_end_matches('\n').to_string();
                    let done = l == last;
                    out.push(l);
                    if done {
                        return out;
                    }
                }
                Err(_) => {}
            }
        }
        panic!("no {last:?} within {limit:?}; got {out:?}");
    }

    fn exchange(&mut self, line: &str) -> Vec<String> {
        self.send(line);
        self.drain()
    }
}

fn bed_with_dummy(dev_name: &str, dev: &str, extra_conf: &str) -> Scratch {
    let mut bed = Scratch::new("sock");
    bed.write(dev_name, dev);
    bed.write(
        "ups.conf",
        format!("maxretry = 1\n[dummy]\n\tdriver = dummy-ups\n\tport = {dev_name}\n\tdesc = \"test\"\n{extra_conf}"),
    );
    bed.start_our_driver("dummy-ups", "dummy", &[]);
    bed
}

/// The `drv<` lines of §11 between the first DUMPALL and DUMPDONE.
fn golden_dump() -> Vec<String> {
    let start = GOLDEN.find("## 11. Driver socket").unwrap();
    let body = &GOLDEN[start..];
    let mut out = Vec::new();
    for l in body.lines().skip_while(|l| !l.starts_with("upsd> DUMPALL")).skip(1) {
        let l = l.strip_prefix("drv<  ").expect("dump line");
        out.push(l.to_string());
        if l == "DUMPDONE" {
            break;
        }
    }
    out
}

#[test]
fn dump_matches_golden_except_version() {
    let bed = bed_with_dummy("dummy.dev", DUMMY_DEV, "");
    let mut s = Sock::connect(&bed, "dummy-ups-dummy");
    s.send("DUMPALL");
    let got = s.until("DUMPDONE", Duration::from_secs(5));
    let want = golden_dump();
    assert_eq!(want.len(), got.len(), "dump length\nwant {want:#?}\ngot {got:#?}");
    for (w, g) in want.iter().zip(&got) {
        if w.starts_with("SETINFO driver.version ") {
            assert_eq!(g, &format!("SETINFO driver.version \"{}\"", nut::VERSION));
        } else {
            assert_eq!(w, g);
        }
    }
}

#[test]
fn golden_conversation() {
    let bed = bed_with_dummy("dummy.dev", DUMMY_DEV, "");
    let mut s = Sock::connect(&bed, "dummy-ups-dummy");
    // a second client (the part upsd played in §11) gets every broadcast
    let mut other = Sock::connect(&bed, "dummy-ups-dummy");
    s.send("DUMPALL");
    s.until("DUMPDONE", Duration::from_secs(5));
    assert_eq!(s.exchange("PING"), ["PONG"]);
    assert_eq!(s.exchange("ping"), ["PONG"]);
    assert!(s.exchange("BOGUS").is_empty());
    assert_eq!(
        s.exchange(r#"SET ups.serial "SN 0002" TRACKING 11111111-2222-3333-4444-555555555555"#),
        [r#"SETINFO ups.serial "SN 0002""#, "TRACKING 11111111-2222-3333-4444-555555555555 0"]
    );
    assert_eq!(
        s.exchange("INSTCMD load.off TRACKING 11111111-2222-3333-4444-666666666666"),
        ["TRACKING 11111111-2222-3333-4444-666666666666 1"]
    );
    assert_eq!(
        s.exchange("INSTCMD load.off 5 TRACKING 11111111-2222-3333-4444-777777777777"),
        ["TRACKING 11111111-2222-3333-4444-777777777777 1"]
    );
    assert!(s.exchange("INSTCMD load.off 5 6").is_empty());
    // REQ: the broadcast is escaped (2.8.0 sent `"a "q" value"`)
    assert_eq!(
        s.exchange(r#"SET device.description "a \"q\" value""#),
        [r#"SETINFO device.description "a \"q\" value""#]
    );
    assert_eq!(s.exchange(r#"SET ups.status "OB LB""#), [r#"SETINFO ups.status "OB LB""#]);
    assert_eq!(s.exchange(r#"SET ups.status "OL""#), [r#"SETINFO ups.status "OL""#]);
    assert_eq!(s.exchange(r#"SET ups.serial """#), ["DELINFO ups.serial"]);
    assert_eq!(
        s.exchange(r#"SET ups.serial "SN 0001""#),
        [r#"SETINFO ups.serial "SN 0001""#, "SETFLAGS ups.serial RW STRING", "SETAUX ups.serial 32"]
    );
    // the other connection saw the broadcasts, not the TRACKING replies
    let seen = other.drain();
    assert!(seen.contains(&r#"SETINFO ups.serial "SN 0002""#.to_string()), "{seen:?}");
    assert!(!seen.iter().any(|l| l.starts_with("TRACKING")), "{seen:?}");
    assert!(!seen.iter().any(|l| l == "PONG"), "{seen:?}");
    // newer commands (2.8.1+/2.8.3+): NOBROADCAST, GETPID, DUMPVALUE, LOGOUT
    other.send("NOBROADCAST");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.exchange(r#"SET ups.load "7""#).len(), 2);
    assert!(other.drain().is_empty(), "NOBROADCAST stops broadcasts");
    let pid = s.exchange("GETPID");
    assert!(pid.len() == 1 && pid[0].starts_with("PID "), "{pid:?}");
    assert_eq!(
        s.exchange("DUMPVALUE ups.load"),
        [r#"SETINFO ups.load "7""#, "SETFLAGS ups.load RW", "DATAOK", "DUMPDONE"]
    );
    assert_eq!(s.exchange("LOGOUT"), ["OK Goodbye"]);
}

#[test]
fn parse_error_drops_rest_of_read() {
    let bed = bed_with_dummy("dummy.dev", DUMMY_DEV, "");
    let mut s = Sock::connect(&bed, "dummy-ups-dummy");
    // one write: the bad line and the PING after it go
    assert!(s.exchange("SET ups.id \"a#b\"\nPING").is_empty());
    assert_eq!(s.exchange("PING"), ["PONG"]);
}

#[test]
fn data_file_change_is_seen_quickly() {
    let bed = bed_with_dummy("dummy.dev", DUMMY_DEV, "");
    let mut s = Sock::connect(&bed, "dummy-ups-dummy");
    s.send("DUMPALL");
    s.until("DUMPDONE", Duration::from_secs(5));
    let t0 = Instant::now();
    bed.write("dummy.dev", DUMMY_DEV.replace("ups.status: OL", "ups.status: OB LB"));
    // the feature is "within 100 ms"; allow a generous 1 s on a loaded machine
    let got = s.until(r#"SETINFO ups.status "OB LB""#, Duration::from_secs(1));
    assert!(t0.elapsed() < Duration::from_secs(1), "{got:?}");
}

#[test]
fn sequence_file_steps_and_loops() {
    let seq = "ups.status: OL\nTIMER 1\nups.status: OB\nTIMER 1\n";
    let bed = bed_with_dummy("t.seq", seq, "\tpollinterval = 1\n");
    let mut s = Sock::connect(&bed, "dummy-ups-dummy");
    s.send("DUMPALL");
    let dump = s.until("DUMPDONE", Duration::from_secs(5));
    assert!(dump.contains(&r#"SETINFO driver.parameter.mode "dummy-loop""#.to_string()));
    // OL → OB after the first TIMER, then back to OL: the file loops
    s.until(r#"SETINFO ups.status "OB""#, Duration::from_secs(4));
    s.until(r#"SETINFO ups.status "OL""#, Duration::from_secs(4));
}

#[test]
fn relative_port_resolves_against_confpath() {
    let mut bed = Scratch::new("relpath");
    bed.write("sub/x.dev", "ups.load: 42\n");
    bed.write("ups.conf", "[r]\n\tdriver = dummy-ups\n\tport = sub/x.dev\n");
    // run from another directory: the file is still found
    let mut c = bed.command(bed.our_driver("dummy-ups"));
    c.current_dir("/").args(["-a", "r", "-F", "-u", "root"]);
    bed.spawn("dummy", c);
    bed.wait_socket("dummy-ups", "r");
    let mut s = Sock::connect(&bed, "dummy-ups-r");
    s.send("DUMPVALUE ups.load");
    assert_eq!(s.until("DUMPDONE", Duration::from_secs(5))[0], r#"SETINFO ups.load "42""#);
}

fn run_driver(bed: &Scratch, args: &[&str]) -> std::process::Output {
    let mut c = bed.command(bed.our_driver("dummy-ups"));
    c.args(args);
    c.output().expect("run driver")
}

#[test]
fn unknown_keys_exit_nonzero_with_position() {
    let bed = Scratch::new("unknown");
    bed.write("x.dev", "ups.load: 1\n");
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n  bogus = 1\n");
    let o = run_driver(&bed, &["-a", "u", "-F", "-u", "root"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let conf = bed.dir.join("ups.conf");
    assert!(
        err.contains(&format!(
            "{}:4:3: Fatal error: 'bogus' is not a valid variable name for this driver.",
            conf.display()
        )),
        "{err}"
    );
    // -x flags too
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n");
    let o = run_driver(&bed, &["-a", "u", "-F", "-u", "root", "-x", "bogusflag"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Fatal error: 'bogusflag' is not a valid flag for this driver.")
    );
    // wrong driver
    bed.write("ups.conf", "[u]\n\tdriver = usbhid-ups\n\tport = x.dev\n");
    let o = run_driver(&bed, &["-a", "u", "-F", "-u", "root"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("UPS [u] is for driver usbhid-ups, but I'm dummy-ups!"));
    // a data file that is not there at start is fatal, as in NUT
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = missing.dev\n");
    let o = run_driver(&bed, &["-a", "u", "-F", "-u", "root"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Can't open dummy-ups definition file"));
}

#[test]
fn x_after_a_overrides_ups_conf_and_before_is_overridden() {
    let bed = Scratch::new("xorder");
    bed.write("x.dev", "ups.load: 1\n");
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n\tmode = dummy-once\n");
    let dump = |args: &[&str]| {
        let o = run_driver(&bed, args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let out = dump(&["-a", "u", "-x", "mode=dummy-loop", "-d", "1", "-u", "root"]);
    assert!(out.contains("driver.parameter.mode: dummy-loop"), "{out}");
    let out = dump(&["-x", "mode=dummy-loop", "-a", "u", "-d", "1", "-u", "root"]);
    assert!(out.contains("driver.parameter.mode: dummy-once"), "{out}");
}

#[test]
fn nut_driver_runs_the_section_driver() {
    let mut bed = Scratch::new("nutdriver");
    bed.write("x.dev", "ups.load: 5\n");
    bed.write("ups.conf", "[MyUPS]\n\tdriver = dummy-ups\n\tport = x.dev\n");
    let mut c = bed.command(env!("CARGO_BIN_EXE_nut-driver"));
    c.args(["-u", "root", "MyUPS"]);
    let pid = bed.spawn("nut-driver", c);
    bed.wait_socket("dummy-ups", "MyUPS");
    let mut s = Sock::connect(&bed, "dummy-ups-MyUPS");
    s.send("DUMPVALUE driver.name");
    assert_eq!(s.until("DUMPDONE", Duration::from_secs(5))[0], r#"SETINFO driver.name "dummy-ups""#);
    // it stays in the foreground: the process we started is the driver
    assert!(bed.running(pid));
    let st = bed.stop(pid).expect("exit status");
    assert!(st.success(), "{st:?}");
    assert!(!bed.dir.join("dummy-ups-MyUPS").exists(), "socket removed on exit");
}

#[test]
fn killpower_path() {
    let bed = Scratch::new("kill");
    bed.write("x.dev", "ups.load: 5\n");
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n");
    let o = run_driver(&bed, &["-a", "u", "-k", "-u", "root"]);
    // NUT's dummy-ups cannot cut power: it says so and fails
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("shutdown not supported"));
    // and -k never creates the socket
    assert!(!bed.dir.join("dummy-ups-u").exists());
}

#[test]
fn background_by_default_and_pid_file() {
    let mut bed = Scratch::new("bg");
    bed.write("x.dev", "ups.load: 5\n");
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n");
    let o = run_driver(&bed, &["-a", "u", "-u", "root"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the parent returned once the background driver was up
    assert!(UnixStream::connect(bed.dir.join("dummy-ups-u")).is_ok());
    let pidfile = bed.dir.join("dummy-ups-u.pid");
    wait_within(Duration::from_secs(5), || pidfile.exists(), "PID file");
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert_ne!(pid, 0);
    // -c exit stops it through the PID file; it removes socket and PID file
    let o = run_driver(&bed, &["-a", "u", "-c", "exit"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_within(Duration::from_secs(5), || !pidfile.exists() && !bed.dir.join("dummy-ups-u").exists(), "driver exit");
    let _ = &mut bed;
}

#[test]
fn control_commands_reload_and_exit() {
    let mut bed = Scratch::new("ctl");
    bed.write("x.dev", "ups.load: 5\n");
    bed.write("y.dev", "ups.load: 6\n");
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n\tpollinterval = 2\n");
    let pid = bed.start_our_driver("dummy-ups", "u", &[]);
    let mut s = Sock::connect(&bed, "dummy-ups-u");
    s.send("DUMPALL");
    s.until("DUMPDONE", Duration::from_secs(5));
    // a new poll interval applies at once
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = x.dev\n\tpollinterval = 1\n");
    let o = run_driver(&bed, &["-a", "u", "-c", "reload"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    s.until(r#"SETINFO driver.parameter.pollinterval "1""#, Duration::from_secs(2));
    // a new port needs a restart: reload-or-error says so
    bed.write("ups.conf", "[u]\n\tdriver = dummy-ups\n\tport = y.dev\n\tpollinterval = 1\n");
    let o = run_driver(&bed, &["-a", "u", "-c", "reload-or-error"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("code 3"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(bed.running(pid));
    // reload-or-exit exits (status 128 + SIGUSR1) so that systemd restarts it
    let o = run_driver(&bed, &["-a", "u", "-c", "reload-or-exit"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_within(Duration::from_secs(5), || !bed.running(pid), "driver exit");
    let st = bed.stop(pid).expect("status");
    assert_eq!(st.code(), Some(138));
}

#[test]
fn dump_reaches_a_peer_that_half_closed() {
    // `echo DUMPALL | socat - UNIX-CONNECT:…` shuts its side down at once
    let bed = bed_with_dummy("dummy.dev", DUMMY_DEV, "");
    let mut s = UnixStream::connect(bed.dir.join("dummy-ups-dummy")).unwrap();
    s.write_all(b"DUMPALL\n").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut all = String::new();
    std::io::Read::read_to_string(&mut s, &mut all).unwrap();
    assert_eq!(all.lines().count(), golden_dump().len(), "{all}");
    assert!(all.ends_with("DATAOK\nDUMPDONE\n"));
}
