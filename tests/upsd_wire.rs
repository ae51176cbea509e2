//! Raw-bytes wire tests of our upsd beyond the golden transcripts: the
//! driver lifecycle (staleness, restart, WAIT), reload, reply limits,
//! batching, sturdiness (slow clients, huge lines, MAXCONN, running out of
//! file descriptors) and the idle timeout.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::upsd_harness::*;

struct Bed {
    s: Scratch,
    fake: Option<FakeDriver>,
    upsd: Proc,
    port: u16,
}

fn fake_bed(tag: &str, extra: &str) -> Bed {
    let s = golden_bed(tag);
    let fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    let upsd = start_upsd(Which::Ours, &s, port, extra);
    wait_ups(port, "fake");
    Bed { s, fake: Some(fake), upsd, port }
}

fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

fn proc_cpu_ticks(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let l = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    l.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn silence_makes_data_stale_and_speech_makes_it_fresh() {
    let b = fake_bed("stale", "MAXAGE 3\n");
    let fake = b.fake.as_ref().unwrap();
    let mut c = Client::connect(b.port);
    fake.state.lock().unwrap().mute = true;
    fake.send("SETINFO battery.charge \"99\"");
    eventually("new value", 2, || c.one("GET VAR fake battery.charge") == "VAR fake battery.charge \"99\"");
    let t = Instant::now();
    eventually("DATA-STALE", 8, || c.one("GET VAR fake battery.charge") == "ERR DATA-STALE");
    assert!(t.elapsed() >= Duration::from_secs(3), "stale too early ({:?})", t.elapsed());
    // upsd keeps pinging a quiet driver
    assert!(fake.log().iter().filter(|l| *l == "PING").count() >= 1, "{:?}", fake.log());
    fake.send("PONG");
    eventually("fresh data", 2, || c.one("GET VAR fake battery.charge") == "VAR fake battery.charge \"99\"");
    // DATASTALE after a completed dump refuses everything availability-checked
    fake.send("DATASTALE");
    eventually("DATA-STALE", 2, || c.one("LIST VAR fake") == "ERR DATA-STALE");
    assert_eq!(c.one("GET UPSDESC fake"), "UPSDESC fake \"Fake socket driver\"");
    fake.send("DATAOK");
    eventually("DATAOK", 2, || c.one("GET VAR fake ups.status") == "VAR fake ups.status \"OL\"");
}

#[test]
fn driver_restart_goes_through_not_connected_and_wait() {
    let mut b = fake_bed("restart", "");
    let mut c = Client::connect(b.port);
    assert_eq!(c.one("USERNAME admin"), "OK");
    assert_eq!(c.one("PASSWORD secret"), "OK");
    assert_eq!(c.one("FSD fake"), "OK FSD-SET");
    let state = b.fake.take().unwrap().kill();
    eventually("DRIVER-NOT-CONNECTED", 3, || c.one("GET VAR fake ups.status") == "ERR DRIVER-NOT-CONNECTED");
    assert_eq!(c.one("LIST CMD fake"), "ERR DRIVER-NOT-CONNECTED");
    // A driver that ignores DUMPALL but answers PING: WAIT, forever, not stale.
    {
        let mut st = state.lock().unwrap();
        st.ignore_dumpall = true;
        st.log.clear();
    }
    let fake = FakeDriver::start_at(b.s.path("fakedrv-fake"), state.clone());
    eventually("WAIT", 5, || c.one("GET VAR fake ups.status") == "VAR fake ups.status \"FSD WAIT\"");
    assert_eq!(
        c.cmd("LIST VAR fake"),
        ["BEGIN LIST VAR fake", "VAR fake ups.status \"FSD WAIT\"", "END LIST VAR fake"]
    );
    assert_eq!(c.one("GET TYPE fake ups.status"), "TYPE fake ups.status NUMBER");
    assert_eq!(c.cmd("LIST CMD fake"), ["BEGIN LIST CMD fake", "END LIST CMD fake"]);
    // (the fake driver's reader thread logs asynchronously: wait for it)
    eventually("upsd's first line to the driver", 3, || !fake.log().is_empty());
    assert_eq!(fake.log().first().map(String::as_str), Some("DUMPALL"));
    // The latch survived; a dump replaces WAIT.
    state.lock().unwrap().ignore_dumpall = false;
    let dump = FAKE_DUMP.to_string();
    for l in dump.lines() {
        fake.send(l);
    }
    eventually("data", 3, || c.one("GET VAR fake ups.status") == "VAR fake ups.status \"FSD OL\"");
    b.fake = Some(fake);
}

#[test]
fn reload_adds_removes_and_keeps_clients() {
    let b = fake_bed("reload", "");
    let mut logged = Client::connect(b.port);
    for (l, r) in [("USERNAME mon", "OK"), ("PASSWORD pass", "OK"), ("LOGIN nodrv", "OK")] {
        assert_eq!(logged.one(l), r);
    }
    let mut other = Client::connect(b.port);
    assert_eq!(other.one("USERNAME admin"), "OK");
    let conf = UPS_CONF
        .replace("[nodrv]\n\tdriver = dummy-ups\n\tport = nodrv.dev\n", "[added]\n\tdriver = dummy-ups\n\tport = added.dev\n\tdesc = \"added later\"\n")
        .replace("desc = \"Fake socket driver\"", "desc = \"Fake socket driver (reloaded)\"")
        .replace("[dummy]\n\tdriver = dummy-ups\n\tport = dummy.dev\n\tdesc = \"Dummy \\\"test\\\" UPS \\#1 with \\\\ backslash\"\n", "");
    assert!(conf.contains("[added]") && !conf.contains("[dummy]"), "{conf}");
    b.s.write("ups.conf", &conf);
    b.upsd.signal(libc::SIGHUP);
    assert!(logged.closed(), "client logged into a removed UPS must be kicked");
    eventually("reload", 5, || {
        Client::connect(b.port).cmd("LIST UPS")
            == [
                "BEGIN LIST UPS",
                "UPS added \"added later\"",
                "UPS fake \"Fake socket driver (reloaded)\"",
                "END LIST UPS",
            ]
    });
    // the other connection kept its session (USERNAME already set)
    assert_eq!(other.one("USERNAME x"), "ERR ALREADY-SET-USERNAME");
    assert_eq!(other.one("GET VAR added ups.status"), "ERR DRIVER-NOT-CONNECTED");
    assert_eq!(other.one("GET VAR fake ups.status"), "VAR fake ups.status \"OL\"");
    // new users take effect
    b.s.write("upsd.users", "[admin]\n\tpassword = newpw\n\tactions = SET\n");
    b.upsd.signal(libc::SIGHUP);
    thread::sleep(Duration::from_millis(500));
    let mut c = Client::connect(b.port);
    for (l, r) in [("USERNAME admin", "OK"), ("PASSWORD newpw", "OK"), ("SET VAR fake ups.id x", "OK")] {
        assert_eq!(c.one(l), r);
    }
    // an invalid config keeps the old one running
    b.s.write("ups.conf", "# nothing\n");
    b.upsd.signal(libc::SIGHUP);
    thread::sleep(Duration::from_millis(500));
    assert_eq!(c.cmd("LIST UPS").len(), 4);
    assert_eq!(other.one("GET VAR fake device.type"), "VAR fake device.type \"ups\"");
}

#[test]
fn replies_never_exceed_512_bytes() {
    let b = fake_bed("long", "");
    let mut c = Client::connect(b.port);
    c.send_raw(format!("GET VAR {} server.info\nVER\n", "u".repeat(600)).as_bytes());
    let first = c.line().unwrap();
    assert!(first.len() < 512, "{} bytes", first.len());
    assert!(first.starts_with("VAR uuuu"), "{first}");
    assert!(c.line().unwrap().starts_with("Network UPS Tools upsd "));
    // a long value is clamped inside its quotes
    b.fake.as_ref().unwrap().send(&format!("SETINFO long.var \"{}\"", "\\\"".repeat(250)));
    eventually("long var", 2, || c.one("GET VAR fake long.var").starts_with("VAR"));
    let r = c.one("GET VAR fake long.var");
    assert!(r.len() < 512 && r.ends_with('"'), "{} {r}", r.len());
}

#[test]
fn a_list_leaves_in_one_write_and_pipelines_are_answered_in_order() {
    let b = fake_bed("batch", "");
    let mut s = TcpStream::connect(("127.0.0.1", b.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"LIST VAR fake\n").unwrap();
    let mut buf = vec![0u8; 65536];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("BEGIN LIST VAR fake\n") && text.ends_with("END LIST VAR fake\n"), "first read: {text:?}");
    let mut many = String::new();
    for i in 0..200 {
        many.push_str(if i % 2 == 0 { "GET VAR fake ups.status\n" } else { "NETVER\n" });
    }
    s.write_all(many.as_bytes()).unwrap();
    let mut c = Client { r: std::io::BufReader::new(s.try_clone().unwrap()), w: s };
    for i in 0..200 {
        let want = if i % 2 == 0 { "VAR fake ups.status \"OL\"" } else { "1.3" };
        assert_eq!(c.line().unwrap(), want, "reply {i}");
    }
    // no network command was added after 2.8.0: newest NUT has no GET NUMATTACH
    assert_eq!(c.one("GET NUMATTACH fake"), "ERR INVALID-ARGUMENT");
}

#[test]
fn a_client_that_does_not_read_stalls_nobody() {
    let b = fake_bed("slow", "");
    let mut hog = TcpStream::connect(("127.0.0.1", b.port)).unwrap();
    hog.set_write_timeout(Some(Duration::from_millis(200))).unwrap();
    let chunk = "LIST VAR fake\n".repeat(1000);
    let t = Instant::now();
    // keep writing until the kernel buffers are full (upsd stopped reading)
    while t.elapsed() < Duration::from_secs(3) {
        if hog.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let mut c = Client::connect(b.port);
    let t = Instant::now();
    assert_eq!(c.one("GET VAR fake ups.status"), "VAR fake ups.status \"OL\"");
    assert!(t.elapsed() < Duration::from_secs(1), "other clients stalled: {:?}", t.elapsed());
    assert!(rss_kb(b.upsd.pid()) < 30_000, "RSS grew to {} kB", rss_kb(b.upsd.pid()));
    // one endless line without LF is bounded by the tokenizer limits
    let mut big = TcpStream::connect(("127.0.0.1", b.port)).unwrap();
    let junk = "x".repeat(64 * 1024);
    for _ in 0..64 {
        big.write_all(junk.as_bytes()).unwrap();
    }
    assert_eq!(c.one("NETVER"), "1.3");
    assert!(rss_kb(b.upsd.pid()) < 30_000, "RSS grew to {} kB", rss_kb(b.upsd.pid()));
}

#[test]
fn maxconn_refuses_extra_clients() {
    // 1 listener + 3 UPSes are counted, as in NUT: room for 2 clients
    let b = fake_bed("maxconn", "MAXCONN 6\n");
    let mut a = Client::connect(b.port);
    let mut b2 = Client::connect(b.port);
    assert_eq!(a.one("NETVER"), "1.3");
    assert_eq!(b2.one("NETVER"), "1.3");
    let mut c = Client::connect(b.port);
    assert!(c.closed(), "third client should be refused");
    drop(a);
    eventually("slot freed", 3, || Client::connect(b.port).one("NETVER") == "1.3");
}

#[test]
fn running_out_of_descriptors_does_not_spin() {
    let s = golden_bed("emfile");
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\n"));
    let mut cmd = env_cmd(&our_upsd(), &s);
    cmd.args(["-F", "-u", "root"]).stderr(std::process::Stdio::null());
    // SAFETY: setrlimit between fork and exec only touches the child.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            let r = libc::rlimit { rlim_cur: 32, rlim_max: 32 };
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
            Ok(())
        });
    }
    let upsd = Proc { child: cmd.spawn().unwrap(), name: "upsd".into() };
    wait_port(port);
    wait_ups(port, "fake");
    let mut held = Vec::new();
    for _ in 0..60 {
        if let Ok(c) = TcpStream::connect(("127.0.0.1", port)) {
            held.push(c);
        }
    }
    thread::sleep(Duration::from_millis(300));
    let before = proc_cpu_ticks(upsd.pid());
    thread::sleep(Duration::from_secs(2));
    let used = proc_cpu_ticks(upsd.pid()) - before;
    // clock ticks are 1/100 s: a spinning accept loop would use ~200
    assert!(used < 40, "upsd used {used} ticks in 2 s while out of descriptors");
    held.clear();
    eventually("service again", 5, || {
        TcpStream::connect(("127.0.0.1", port)).is_ok_and(|s| {
            let mut c = Client { r: std::io::BufReader::new(s.try_clone().unwrap()), w: s };
            c.one("NETVER") == "1.3"
        })
    });
}

#[test]
fn idle_clients_are_dropped_after_60_seconds() {
    let b = fake_bed("idle", "");
    let mut quiet = Client::connect(b.port);
    assert!(quiet.one("VER").starts_with("Network UPS Tools upsd"));
    let mut partial = Client::connect(b.port);
    partial.send_raw(b"GET VAR fa");
    let mut busy = Client::connect(b.port);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(58) {
        assert_eq!(busy.one("NETVER"), "1.3");
        thread::sleep(Duration::from_secs(5));
        // a partial line does not refresh the timer
        partial.send_raw(b"k");
    }
    quiet.w.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert!(quiet.closed());
    let idle = t.elapsed();
    assert!(idle > Duration::from_secs(59) && idle < Duration::from_secs(64), "closed after {idle:?}");
    partial.w.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(partial.closed());
    assert_eq!(busy.one("NETVER"), "1.3");
}
