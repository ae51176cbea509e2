//! upsmon scenarios on a real stack: dummy-ups playing a `.seq` file,
//! upsd on a free loopback port, and an upsmon whose SHUTDOWNCMD and
//! NOTIFYCMD are scripts that record a timestamp. Each scenario asserts
//! when SHUTDOWNCMD runs (never before it should, never later than a
//! second after it should) and which notifications came.
//!
//! Every scenario runs four ways: our upsmon and Debian's (NUT 2.8.0),
//! each against Debian's dummy-ups + upsd and against ours, with the same
//! assertions. Debian's NUT must be installed: the tests fail loudly
//! without it.
//!
//! The moment a UPS "has" a state is measured at the wire: a poller
//! asks upsd for `ups.status` every 50 ms on its own connection.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DEBIAN_UPSD: &str = "/lib/nut/upsd";
const DEBIAN_DRIVER: &str = "/lib/nut/dummy-ups";
const DEBIAN_UPSMON: &str = "/lib/nut/upsmon";

/// Timing used by every scenario (seconds).
const POLLFREQ: f64 = 2.0;
const POLLFREQALERT: f64 = 1.0;
const FINALDELAY: f64 = 2.0;
/// Slack for process start-up and for NUT's whole-second clocks.
const SLACK: f64 = 1.0;

/// Scenarios share the CPU and Debian's upsmon shares /run/nut: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

fn require(path: &Path) -> PathBuf {
    assert!(path.exists(), "{} is missing: install Debian's nut-server and nut-client", path.display());
    path.to_path_buf()
}

/// Whose driver and upsd serve the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Server {
    /// Debian's dummy-ups and upsd (or `NUT_TEST_DRIVER`/`NUT_TEST_UPSD`).
    Debian,
    /// Ours: `nut-driver` as dummy-ups, and `upsd`.
    Ours,
}

impl Server {
    fn upsd(self) -> PathBuf {
        match self {
            Server::Debian => {
                require(Path::new(&std::env::var("NUT_TEST_UPSD").unwrap_or_else(|_| DEBIAN_UPSD.into())))
            }
            Server::Ours => PathBuf::from(env!("CARGO_BIN_EXE_upsd")),
        }
    }

    /// The driver, named dummy-ups (our multi-call driver needs the name).
    fn driver(self, dir: &Path) -> PathBuf {
        match self {
            Server::Debian => {
                require(Path::new(&std::env::var("NUT_TEST_DRIVER").unwrap_or_else(|_| DEBIAN_DRIVER.into())))
            }
            Server::Ours => {
                let link = dir.join("dummy-ups");
                if !link.exists() {
                    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_nut-driver"), &link).unwrap();
                }
                link
            }
        }
    }
}

/// Which upsmon runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Ours,
    Debian,
}

fn upsmon_bin(w: Which) -> PathBuf {
    match w {
        Which::Ours => PathBuf::from(env!("CARGO_BIN_EXE_upsmon")),
        Which::Debian => require(Path::new(DEBIAN_UPSMON)),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios").join(name)
}

/// A process group we started; killed (the whole group) on drop.
struct Proc {
    name: String,
    child: Child,
}

impl Proc {
    fn spawn(name: &str, mut cmd: Command, log: &Path) -> Proc {
        let out = std::fs::File::create(log).unwrap();
        cmd.stdin(Stdio::null()).stdout(out.try_clone().unwrap()).stderr(out).process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"));
        Proc { name: name.to_string(), child }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn kill(&mut self) {
        let pg = nix::unistd::Pid::from_raw(-self.pid());
        let _ = nix::sys::signal::kill(pg, nix::sys::signal::Signal::SIGTERM);
        for _ in 0..50 {
            if !self.running() {
                break;
            }
            sleep(Duration::from_millis(20));
        }
        let _ = nix::sys::signal::kill(pg, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
        // Children that left the group (none expected) are not ours to chase.
        let _ = &self.name;
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `ups.status` of one UPS every 50 ms on its own connection.
struct Poller {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<(f64, String)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Poller {
    fn start(port: u16, ups: &str) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s2, seen2, ups) = (stop.clone(), seen.clone(), ups.to_string());
        let thread = std::thread::spawn(move || {
            let mut conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
            while !s2.load(Ordering::Relaxed) {
                if conn.is_none() {
                    if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                        let r = BufReader::new(s.try_clone().unwrap());
                        conn = Some((s, r));
                    }
                }
                let mut answer = String::from("<no connection>");
                if let Some((s, r)) = conn.as_mut() {
                    let mut line = String::new();
                    let ok = s.write_all(format!("GET VAR {ups} ups.status\n").as_bytes()).is_ok()
                        && r.read_line(&mut line).is_ok_and(|n| n > 0);
                    if ok {
                        answer = line.trim_end().to_string();
                    } else {
                        conn = None;
                    }
                }
                seen2.lock().unwrap().push((now(), answer));
                sleep(Duration::from_millis(50));
            }
        });
        Poller { stop, seen, thread: Some(thread) }
    }

    /// When a status containing all `tokens` was first seen.
    fn first(&self, pred: impl Fn(&str) -> bool) -> Option<f64> {
        self.seen.lock().unwrap().iter().find(|(_, a)| pred(a)).map(|(t, _)| *t)
    }

    fn first_with(&self, token: &str) -> Option<f64> {
        self.first(|a| {
            a.strip_prefix("VAR ").is_some_and(|rest| {
                let v = rest.split_once('"').map(|(_, v)| v.trim_end_matches('"')).unwrap_or("");
                v.split(' ').any(|t| t == token)
            })
        })
    }

    fn transcript(&self) -> String {
        let seen = self.seen.lock().unwrap();
        let mut out = String::new();
        let mut last = "";
        for (t, a) in seen.iter() {
            if a != last {
                out.push_str(&format!("{t:.3} {a}\n"));
                last = a;
            }
        }
        out
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The server side: drivers and upsd in a scratch directory.
struct Stack {
    dir: PathBuf,
    port: u16,
    server: Server,
    drivers: Vec<(String, Proc)>,
    upsd: Option<Proc>,
}

impl Stack {
    /// One dummy-ups per `(ups, seq file)`.
    fn start(tag: &str, server: Server, upses: &[(&str, &str)]) -> Stack {
        let dir = std::env::temp_dir().join(format!("nut-scn-{tag}-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut ups_conf = String::new();
        for (ups, seq) in upses {
            std::fs::copy(data(seq), dir.join(format!("{ups}.seq"))).unwrap();
            ups_conf.push_str(&format!("[{ups}]\n  driver = dummy-ups\n  port = {ups}.seq\n  desc = \"scenario\"\n"));
        }
        std::fs::write(dir.join("ups.conf"), ups_conf).unwrap();
        std::fs::write(dir.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\nMAXAGE 5\n")).unwrap();
        std::fs::write(
            dir.join("upsd.users"),
            "[mon]\n  password = pass\n  upsmon primary\n[sec]\n  password = pass\n  upsmon secondary\n",
        )
        .unwrap();
        let mut st = Stack { dir, port, server, drivers: Vec::new(), upsd: None };
        for (ups, _) in upses {
            let mut c = Command::new(server.driver(&st.dir));
            c.args(["-a", ups, "-F", "-u", "root"]);
            st.env(&mut c);
            let p = Proc::spawn(&format!("driver {ups}"), c, &st.dir.join(format!("driver-{ups}.log")));
            st.drivers.push((ups.to_string(), p));
        }
        // upsd connects to the driver sockets at start: wait for them.
        for (ups, _) in upses {
            let sock = st.dir.join(format!("dummy-ups-{ups}"));
            wait_for(|| sock.exists(), 10.0, &format!("driver socket {}", sock.display()));
        }
        let mut c = Command::new(server.upsd());
        c.args(["-F", "-u", "root"]);
        st.env(&mut c);
        st.upsd = Some(Proc::spawn("upsd", c, &st.dir.join("upsd.log")));
        wait_for(|| TcpStream::connect(("127.0.0.1", port)).is_ok(), 10.0, "upsd listening");
        st
    }

    fn env(&self, c: &mut Command) {
        c.env("NUT_CONFPATH", &self.dir).env("NUT_STATEPATH", &self.dir).env("NUT_ALTPIDPATH", &self.dir);
    }

    fn kill_driver(&mut self, ups: &str) {
        let p = self.drivers.iter_mut().find(|(u, _)| u == ups).unwrap();
        p.1.kill();
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.upsd.take();
        self.drivers.clear();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("scenario files kept in {}", self.dir.display());
        }
    }
}

fn wait_for(mut f: impl FnMut() -> bool, secs: f64, what: &str) {
    let until = now() + secs;
    while now() < until {
        if f() {
            return;
        }
        sleep(Duration::from_millis(25));
    }
    panic!("timed out waiting for {what}");
}

/// One upsmon with its own config directory.
struct Upsmon {
    which: Which,
    name: String,
    dir: PathBuf,
    proc: Proc,
}

/// A MONITOR line: ups, power value, role.
struct Mon<'a>(&'a str, u32, &'a str);

impl Upsmon {
    fn start(st: &Stack, which: Which, name: &str, monitors: &[Mon<'_>], extra: &str) -> Upsmon {
        let dir = st.dir.join(format!("upsmon-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        let sd = dir.join("sd.sh");
        std::fs::write(&sd, format!("#!/bin/sh\necho \"$(date +%s.%N) {name}\" >> {}/sd.log\n", st.dir.display()))
            .unwrap();
        let notify = dir.join("notify.sh");
        std::fs::write(
            &notify,
            format!(
                "#!/bin/sh\necho \"$(date +%s.%N) {name} $NOTIFYTYPE $UPSNAME $1\" >> {}/notify.log\n",
                st.dir.display()
            ),
        )
        .unwrap();
        for f in [&sd, &notify] {
            Command::new("chmod").arg("+x").arg(f).status().unwrap();
        }
        let mut conf = String::new();
        for Mon(ups, pv, role) in monitors {
            let user = if *role == "primary" { "mon" } else { "sec" };
            conf.push_str(&format!("MONITOR {ups}@127.0.0.1:{} {pv} {user} pass {role}\n", st.port));
        }
        conf.push_str(&format!(
            "SHUTDOWNCMD \"{}\"\nNOTIFYCMD {}\nPOLLFREQ {POLLFREQ}\nPOLLFREQALERT {POLLFREQALERT}\nFINALDELAY {FINALDELAY}\n\
             POWERDOWNFLAG {}/killpower\n",
            sd.display(),
            notify.display(),
            dir.display()
        ));
        for t in
            ["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "REPLBATT", "NOCOMM", "NOPARENT"]
        {
            conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
        }
        conf.push_str(extra);
        std::fs::write(dir.join("upsmon.conf"), conf).unwrap();
        let mut c = Command::new(upsmon_bin(which));
        // -P with a PID that cannot exist: Debian's 2.8.0 would otherwise look
        // at /run/nut/upsmon.pid for a competitor.
        c.args(["-F", "-u", "root"]);
        if which == Which::Debian {
            c.args(["-P", "999999"]);
        }
        c.env("NUT_CONFPATH", &dir).env("NUT_STATEPATH", &dir).env("NUT_ALTPIDPATH", &dir);
        c.env("PATH", quiet_path(&st.dir));
        let proc = Proc::spawn(&format!("upsmon {name}"), c, &dir.join("upsmon.log"));
        Upsmon { which, name: name.to_string(), dir, proc }
    }

    /// `upsmon -c fsd` the way an admin would do it.
    fn admin_fsd(&self) {
        let mut c = Command::new(upsmon_bin(self.which));
        c.args(["-c", "fsd"]);
        c.env("NUT_CONFPATH", &self.dir).env("NUT_STATEPATH", &self.dir).env("NUT_ALTPIDPATH", &self.dir);
        if self.which == Which::Debian {
            // 2.8.0's PID file is the unprivileged child's; find it.
            let kids = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.proc.pid())).unwrap();
            let child = kids.split_whitespace().next().expect("upsmon child").to_string();
            c.args(["-P", &child]);
        }
        let st = c.status().unwrap();
        assert!(st.success(), "upsmon -c fsd failed");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("upsmon.log")).unwrap_or_default()
    }
}

/// A PATH whose `wall` only records: NUT's upsmon walls "Executing
/// automatic power-fail shutdown" unconditionally, and tests must not
/// write on the terminals of this machine.
fn quiet_path(stack_dir: &Path) -> String {
    let bin = stack_dir.join("quiet-bin");
    if !bin.join("wall").exists() {
        std::fs::create_dir_all(&bin).unwrap();
        let w = bin.join("wall");
        std::fs::write(&w, format!("#!/bin/sh\ncat >> {}/wall.log\n", stack_dir.display())).unwrap();
        Command::new("chmod").arg("+x").arg(&w).status().unwrap();
    }
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()))
}

/// `(time, upsmon name, type, ups)` from the notify log.
fn notifications(st: &Stack) -> Vec<(f64, String, String, String)> {
    st.log("notify.log")
        .lines()
        .filter_map(|l| {
            let mut w = l.splitn(5, ' ');
            let t = w.next()?.parse().ok()?;
            Some((t, w.next()?.to_string(), w.next()?.to_string(), w.next().unwrap_or("").to_string()))
        })
        .collect()
}

/// The notification types one upsmon raised, in the order its NOTIFYCMDs
/// ran (they run in the background, so events raised together may swap).
fn types_of(st: &Stack, upsmon: &str) -> Vec<String> {
    notifications(st).into_iter().filter(|n| n.1 == upsmon).map(|n| n.2).collect()
}

/// The same, sorted: for comparing what was raised, not the order.
fn sorted_types(st: &Stack, upsmon: &str) -> Vec<String> {
    let mut t = types_of(st, upsmon);
    t.sort();
    t
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn wait_notified(st: &Stack, upsmon: &str, kind: &str, secs: f64) {
    wait_for(|| types_of(st, upsmon).iter().any(|t| t == kind), secs, &format!("{kind} from {upsmon}"));
}

/// When each upsmon's SHUTDOWNCMD ran.
fn shutdowns(st: &Stack) -> Vec<(f64, String)> {
    st.log("sd.log")
        .lines()
        .filter_map(|l| {
            let (t, n) = l.split_once(' ')?;
            Some((t.parse().ok()?, n.to_string()))
        })
        .collect()
}

fn shutdown_of(st: &Stack, name: &str) -> Option<f64> {
    shutdowns(st).into_iter().find(|(_, n)| n == name).map(|(t, _)| t)
}

fn wait_shutdown(st: &Stack, name: &str, secs: f64) -> f64 {
    let until = now() + secs;
    while now() < until {
        if let Some(t) = shutdown_of(st, name) {
            return t;
        }
        sleep(Duration::from_millis(50));
    }
    panic!("no SHUTDOWNCMD from {name} within {secs} s\nnotify log:\n{}\n", st.log("notify.log"));
}

fn assert_window(what: &str, t: f64, earliest: f64, latest: f64) {
    assert!(
        t >= earliest - 0.05 && t <= latest,
        "{what}: at {:+.3} s, expected between {:+.3} and {:+.3} (relative to the earliest)",
        t - earliest,
        0.0,
        latest - earliest
    );
}

fn report(st: &Stack, scenario: &str, which: Which, what: &str, delay: f64) {
    eprintln!("MEASURE scenario={scenario} upsmon={which:?} server={:?} {what}={delay:.3}s", st.server);
}

fn context(st: &Stack, polls: &Poller, mons: &[&Upsmon]) -> String {
    let mut s = format!(
        "status at the wire:\n{}\nnotify log:\n{}\nsd log:\n{}\n",
        polls.transcript(),
        st.log("notify.log"),
        st.log("sd.log")
    );
    for m in mons {
        s.push_str(&format!("upsmon {} log:\n{}\n", m.name, m.log()));
    }
    s
}

// ---------------------------------------------------------------- scenarios

/// OL → OB → OB LB: a lone primary sets FSD and shuts down FINALDELAY
/// after it sees LB.
fn power_failure(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("pf", server, &[("ups", "power-failure.seq")]);
    let polls = Poller::start(st.port, "ups");
    let m = Upsmon::start(&st, which, "primary", &[Mon("ups", 1, "primary")], "");
    let sd = wait_shutdown(&st, "primary", 20.0);
    let ctx = context(&st, &polls, &[&m]);
    let lb = polls.first_with("LB").unwrap_or_else(|| panic!("LB never seen\n{ctx}"));
    assert_window("SHUTDOWNCMD after LB", sd, lb + FINALDELAY, lb + POLLFREQALERT + FINALDELAY + SLACK);
    report(&st, "power-failure", which, "LB->SHUTDOWNCMD", sd - lb);
    assert!(polls.first_with("FSD").is_some(), "the primary must set FSD\n{ctx}");
    assert_eq!(sorted_types(&st, "primary"), sorted(&["ONBATT", "LOWBATT", "SHUTDOWN"]), "{ctx}");
    let flag = std::fs::read_to_string(m.dir.join("killpower")).unwrap_or_default();
    assert_eq!(flag, "upsmon-shutdown-file", "POWERDOWNFLAG\n{ctx}");
}

/// A primary and a secondary on one UPS: the primary sets FSD; the
/// secondary sees it, shuts down and logs out; only then (well before
/// HOSTSYNC) the primary shuts down.
fn fsd_coordination(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("fsd", server, &[("ups", "power-failure.seq")]);
    let polls = Poller::start(st.port, "ups");
    let hostsync = "HOSTSYNC 20\n";
    let p = Upsmon::start(&st, which, "primary", &[Mon("ups", 1, "primary")], hostsync);
    let s = Upsmon::start(&st, which, "secondary", &[Mon("ups", 1, "secondary")], hostsync);
    let psd = wait_shutdown(&st, "primary", 30.0);
    let ctx = context(&st, &polls, &[&p, &s]);
    let ssd = shutdown_of(&st, "secondary").unwrap_or_else(|| panic!("secondary never shut down\n{ctx}"));
    let lb = polls.first_with("LB").unwrap_or_else(|| panic!("LB never seen\n{ctx}"));
    let fsd = polls.first_with("FSD").unwrap_or_else(|| panic!("FSD never set\n{ctx}"));
    assert_window("FSD after LB", fsd, lb, lb + POLLFREQALERT + SLACK);
    assert_window(
        "secondary SHUTDOWNCMD after FSD",
        ssd,
        fsd + FINALDELAY - 0.1,
        fsd + POLLFREQALERT + FINALDELAY + SLACK,
    );
    // The secondary logs out right after its SHUTDOWNCMD; the primary then
    // sees one login within 250 ms and waits FINALDELAY.
    assert_window("primary SHUTDOWNCMD after the secondary's", psd, ssd + FINALDELAY - 0.2, ssd + FINALDELAY + SLACK);
    report(&st, "fsd-coordination", which, "LB->primary SHUTDOWNCMD", psd - lb);
    report(&st, "fsd-coordination", which, "LB->secondary SHUTDOWNCMD", ssd - lb);
    // Whether the secondary saw OB LB before FSD depends on its poll phase.
    let sec = sorted_types(&st, "secondary");
    assert!(
        sec == sorted(&["FSD", "ONBATT", "LOWBATT", "SHUTDOWN"])
            || sec == sorted(&["FSD", "ONBATT", "SHUTDOWN", "LOWBATT"]),
        "{ctx}"
    );
    assert_eq!(sorted_types(&st, "primary"), sorted(&["ONBATT", "LOWBATT", "SHUTDOWN"]), "{ctx}");
}

/// On battery, then the driver dies: COMMBAD, and once the UPS has been
/// silent for DEADTIME it counts as OB+LB and the primary shuts down.
fn comm_loss(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut st = Stack::start("comm", server, &[("ups", "on-battery.seq")]);
    let polls = Poller::start(st.port, "ups");
    let deadtime = 6.0;
    let m = Upsmon::start(&st, which, "primary", &[Mon("ups", 1, "primary")], &format!("DEADTIME {deadtime}\n"));
    wait_notified(&st, "primary", "ONBATT", 15.0);
    sleep(Duration::from_secs(1));
    st.kill_driver("ups");
    let killed = now();
    let sd = wait_shutdown(&st, "primary", 20.0);
    let ctx = context(&st, &polls, &[&m]);
    // The last good poll was at most POLLFREQALERT before the kill; NUT
    // counts whole seconds ("more than DEADTIME").
    assert_window(
        "SHUTDOWNCMD after the driver died",
        sd,
        killed - POLLFREQALERT + deadtime + FINALDELAY,
        killed + deadtime + 1.0 + POLLFREQALERT + FINALDELAY + SLACK,
    );
    report(&st, "comm-loss", which, "driver death->SHUTDOWNCMD", sd - killed);
    assert_eq!(sorted_types(&st, "primary"), sorted(&["ONBATT", "COMMBAD", "SHUTDOWN"]), "{ctx}");
}

/// A secondary sees OB LB without FSD: it gives the primary HOSTSYNC to
/// act. The power returns during that countdown: no shutdown.
fn power_returns(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("ret", server, &[("ups", "power-returns.seq")]);
    let polls = Poller::start(st.port, "ups");
    let hostsync = 15.0;
    let m = Upsmon::start(&st, which, "secondary", &[Mon("ups", 1, "secondary")], &format!("HOSTSYNC {hostsync}\n"));
    wait_for(|| polls.first_with("CHRG").is_some(), 20.0, "power back");
    // Stay past the moment HOSTSYNC would have expired.
    let lb = polls.first_with("LB").unwrap();
    while now() < lb + hostsync + POLLFREQ + SLACK {
        sleep(Duration::from_millis(100));
    }
    let ctx = context(&st, &polls, &[&m]);
    assert!(shutdowns(&st).is_empty(), "no shutdown expected\n{ctx}");
    let types = types_of(&st, "secondary");
    assert_eq!(sorted_types(&st, "secondary"), sorted(&["ONBATT", "LOWBATT", "ONLINE"]), "{ctx}");
    assert_eq!(types.last().map(String::as_str), Some("ONLINE"), "{ctx}");
}

/// Two UPSes feeding one PSU each, MINSUPPLIES 1: the first reaching
/// OB LB is not enough; the second is.
fn two_upses(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("two", server, &[("a", "low-early.seq"), ("b", "low-late.seq")]);
    let pa = Poller::start(st.port, "a");
    let pb = Poller::start(st.port, "b");
    let m = Upsmon::start(&st, which, "primary", &[Mon("a", 1, "primary"), Mon("b", 1, "primary")], "MINSUPPLIES 1\n");
    let sd = wait_shutdown(&st, "primary", 30.0);
    let ctx = context(&st, &pb, &[&m]);
    let a_lb = pa.first_with("LB").unwrap_or_else(|| panic!("a never LB\n{ctx}"));
    let b_lb = pb.first_with("LB").unwrap_or_else(|| panic!("b never LB\n{ctx}"));
    assert!(b_lb > a_lb + 4.0, "the scenario needs b well after a\n{ctx}");
    assert_window("SHUTDOWNCMD after the second LB", sd, b_lb + FINALDELAY, b_lb + POLLFREQALERT + FINALDELAY + SLACK);
    report(&st, "two-upses", which, "second LB->SHUTDOWNCMD", sd - b_lb);
    // FSD is set on both (we are primary for both).
    assert!(pa.first_with("FSD").is_some_and(|t| t > b_lb), "FSD on a only at the end\n{ctx}");
    assert!(pb.first_with("FSD").is_some(), "FSD on b\n{ctx}");
}

/// The same two UPSes with MINSUPPLIES 2 (both PSUs needed): the first
/// OB LB already shuts down.
fn two_upses_minsupplies_2(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("two2", server, &[("a", "low-early.seq"), ("b", "low-late.seq")]);
    let pa = Poller::start(st.port, "a");
    let m = Upsmon::start(&st, which, "primary", &[Mon("a", 1, "primary"), Mon("b", 1, "primary")], "MINSUPPLIES 2\n");
    let sd = wait_shutdown(&st, "primary", 20.0);
    let ctx = context(&st, &pa, &[&m]);
    let a_lb = pa.first_with("LB").unwrap_or_else(|| panic!("a never LB\n{ctx}"));
    // Straight from OL: seen within POLLFREQ.
    assert_window("SHUTDOWNCMD after the first LB", sd, a_lb + FINALDELAY, a_lb + POLLFREQ + FINALDELAY + SLACK);
    report(&st, "two-upses-minsupplies-2", which, "LB->SHUTDOWNCMD", sd - a_lb);
}

/// Mains flapping every 2 s: every change is notified in turn, no
/// shutdown, and the last word is ONLINE.
fn flapping(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("flap", server, &[("ups", "flapping.seq")]);
    let polls = Poller::start(st.port, "ups");
    let m = Upsmon::start(&st, which, "primary", &[Mon("ups", 1, "primary")], "");
    // 2 s of OL, ten 2 s flips, then OL for good.
    sleep(Duration::from_secs(26));
    let ctx = context(&st, &polls, &[&m]);
    assert!(shutdowns(&st).is_empty(), "no shutdown expected\n{ctx}");
    let types = types_of(&st, "primary");
    assert!(types.len() >= 6, "at least three outages seen\n{ctx}");
    for (i, t) in types.iter().enumerate() {
        assert_eq!(t, if i % 2 == 0 { "ONBATT" } else { "ONLINE" }, "alternating\n{ctx}");
    }
    assert_eq!(types.last().map(String::as_str), Some("ONLINE"), "{ctx}");
}

/// An admin runs `upsmon -c fsd` on the primary while on line power.
fn admin_fsd(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("admin", server, &[("ups", "online.seq")]);
    let polls = Poller::start(st.port, "ups");
    let m = Upsmon::start(&st, which, "primary", &[Mon("ups", 1, "primary")], "");
    wait_for(|| polls.first_with("OL").is_some(), 10.0, "OL");
    sleep(Duration::from_secs(3));
    let asked = now();
    m.admin_fsd();
    let sd = wait_shutdown(&st, "primary", 10.0);
    let ctx = context(&st, &polls, &[&m]);
    assert_window("SHUTDOWNCMD after -c fsd", sd, asked + FINALDELAY, asked + FINALDELAY + SLACK);
    report(&st, "admin-fsd", which, "-c fsd->SHUTDOWNCMD", sd - asked);
    assert!(polls.first_with("FSD").is_some(), "FSD set in upsd\n{ctx}");
    assert_eq!(sorted_types(&st, "primary"), ["SHUTDOWN"], "{ctx}");
}

/// An admin sets FSD in upsd directly (`FSD ups` with primary rights):
/// a secondary sees it at its next poll and shuts down.
fn admin_fsd_in_upsd(which: Which, server: Server) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("upsdfsd", server, &[("ups", "online.seq")]);
    let polls = Poller::start(st.port, "ups");
    let m = Upsmon::start(&st, which, "secondary", &[Mon("ups", 1, "secondary")], "");
    wait_for(|| polls.first_with("OL").is_some(), 10.0, "OL");
    sleep(Duration::from_secs(3));
    let mut s = TcpStream::connect(("127.0.0.1", st.port)).unwrap();
    s.write_all(b"USERNAME mon\nPASSWORD pass\nFSD ups\n").unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for _ in 0..3 {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        assert!(l.starts_with("OK"), "admin FSD: {l}");
    }
    let set = now();
    let sd = wait_shutdown(&st, "secondary", 15.0);
    let ctx = context(&st, &polls, &[&m]);
    assert_window("SHUTDOWNCMD after FSD in upsd", sd, set + FINALDELAY, set + POLLFREQ + FINALDELAY + SLACK);
    report(&st, "admin-fsd-in-upsd", which, "FSD->SHUTDOWNCMD", sd - set);
    assert_eq!(sorted_types(&st, "secondary"), sorted(&["FSD", "SHUTDOWN"]), "{ctx}");
}

/// Every scenario four ways: our upsmon and Debian's, each against
/// Debian's driver + upsd and against ours.
macro_rules! matrix {
    ($($name:ident),* $(,)?) => {
        mod ours_on_debian {
            $( #[test] fn $name() { super::$name(super::Which::Ours, super::Server::Debian) } )*
        }
        mod debian_on_debian {
            $( #[test] fn $name() { super::$name(super::Which::Debian, super::Server::Debian) } )*
        }
        mod ours_on_ours {
            $( #[test] fn $name() { super::$name(super::Which::Ours, super::Server::Ours) } )*
        }
        mod debian_on_ours {
            $( #[test] fn $name() { super::$name(super::Which::Debian, super::Server::Ours) } )*
        }
    };
}

matrix!(
    power_failure,
    fsd_coordination,
    comm_loss,
    power_returns,
    two_upses,
    two_upses_minsupplies_2,
    flapping,
    admin_fsd,
    admin_fsd_in_upsd
);

// ------------------------------------------------- the daemon's interfaces

fn our_upsmon_cmd(dir: &Path) -> Command {
    let mut c = Command::new(upsmon_bin(Which::Ours));
    c.env("NUT_CONFPATH", dir).env("NUT_STATEPATH", dir).env("NUT_ALTPIDPATH", dir);
    c.env("PATH", quiet_path(dir.parent().unwrap()));
    c
}

/// Without systemd: a PID file, and `-c reload|stop` reach the daemon by
/// signal; `-K` reports the flag.
#[test]
fn pid_file_and_signals_without_systemd() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("pid", Server::Debian, &[("ups", "online.seq")]);
    let mut m = Upsmon::start(&st, Which::Ours, "primary", &[Mon("ups", 1, "primary")], "");
    let pid_file = m.dir.join("upsmon.pid");
    wait_for(|| pid_file.exists(), 10.0, "PID file");
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    // The PID file names the monitoring process (the child of the split).
    assert_ne!(pid, m.proc.pid());
    // A second instance refuses to start.
    let out = our_upsmon_cmd(&m.dir).args(["-F", "-u", "root"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("already running"), "{out:?}");
    assert!(our_upsmon_cmd(&m.dir).args(["-c", "reload"]).status().unwrap().success());
    wait_for(|| m.log().contains("Reloading configuration"), 5.0, "reload");
    // -K: no flag yet.
    assert_eq!(our_upsmon_cmd(&m.dir).arg("-K").status().unwrap().code(), Some(1));
    assert!(our_upsmon_cmd(&m.dir).args(["-c", "stop"]).status().unwrap().success());
    wait_for(|| !m.proc.running(), 5.0, "upsmon to stop");
    assert!(!pid_file.exists(), "PID file removed on exit");
    assert!(shutdowns(&st).is_empty());
    std::fs::write(m.dir.join("killpower"), "upsmon-shutdown-file").unwrap();
    assert_eq!(our_upsmon_cmd(&m.dir).arg("-K").status().unwrap().code(), Some(0));
}

/// Under systemd: the control socket comes by socket activation
/// (`systemd-socket-activate` plays the manager), `-c fsd` goes through
/// it, no PID file is written, and `STATUS=` tells each UPS's state.
#[test]
fn control_socket_by_socket_activation_and_status() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("sock", Server::Debian, &[("ups", "online.seq")]);
    let polls = Poller::start(st.port, "ups");
    // Write the config through the usual helper, then replace the process.
    let m = Upsmon::start(&st, Which::Ours, "primary", &[Mon("ups", 1, "primary")], "");
    drop(m.proc);
    let dir = m.dir.clone();
    let _ = std::fs::remove_file(dir.join("upsmon.pid"));
    let notify_path = dir.join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let sock = dir.join("upsmon.sock");
    let activate = Path::new("/usr/bin/systemd-socket-activate");
    assert!(activate.exists(), "systemd-socket-activate is needed (package systemd)");
    let mut c = Command::new(activate);
    c.arg("-l").arg(&sock);
    for (k, v) in
        [("NUT_CONFPATH", &dir), ("NUT_STATEPATH", &dir), ("NUT_ALTPIDPATH", &dir), ("NOTIFY_SOCKET", &notify_path)]
    {
        c.arg("-E").arg(format!("{k}={}", v.display()));
    }
    c.arg(upsmon_bin(Which::Ours)).args(["-F", "-u", "root"]);
    let _act = Proc::spawn("socket-activate", c, &dir.join("activate.log"));
    wait_for(|| sock.exists(), 5.0, "listening socket");
    // The first -c starts upsmon (activation) and is answered by it.
    assert!(our_upsmon_cmd(&dir).args(["-c", "reload"]).status().unwrap().success(), "reload over the socket");
    let mut status = String::new();
    let until = now() + 15.0;
    let mut buf = [0u8; 4096];
    while now() < until && !status.contains(&format!("ups@127.0.0.1:{}: OL", st.port)) {
        if let Ok(n) = notify.recv(&mut buf) {
            status.push_str(&String::from_utf8_lossy(&buf[..n]));
            status.push('\n');
        }
    }
    assert!(status.contains("READY=1"), "{status}");
    assert!(status.contains(&format!("STATUS=ups@127.0.0.1:{}: OL", st.port)), "{status}");
    assert!(!dir.join("upsmon.pid").exists(), "no PID file under socket activation");
    let asked = now();
    assert!(our_upsmon_cmd(&dir).args(["-c", "fsd"]).status().unwrap().success(), "fsd over the socket");
    let sd = wait_shutdown(&st, "primary", 10.0);
    assert_window("SHUTDOWNCMD after -c fsd over the socket", sd, asked + FINALDELAY, asked + FINALDELAY + SLACK);
    assert!(polls.first_with("FSD").is_some());
}

// ------------------------------------------------------------ logind path

/// A stand-in for logind on a private bus: records Inhibit and PowerOff,
/// and when the delay lock it handed out is released.
mod fake_logind {
    use std::sync::{Arc, Mutex};

    #[derive(Default, Debug)]
    pub struct Calls {
        pub inhibit: Option<(String, String, String, f64)>,
        pub power_off: Option<f64>,
        pub released: Option<f64>,
    }

    pub struct Manager {
        pub calls: Arc<Mutex<Calls>>,
    }

    #[zbus::interface(name = "org.freedesktop.login1.Manager")]
    impl Manager {
        fn inhibit(&self, what: String, who: String, _why: String, mode: String) -> zbus::zvariant::OwnedFd {
            let (r, w) = nix::unistd::pipe().unwrap();
            self.calls.lock().unwrap().inhibit = Some((what, who, mode, super::now()));
            let calls = self.calls.clone();
            std::thread::spawn(move || {
                use std::io::Read;
                let mut f = std::fs::File::from(r);
                let mut b = [0u8; 8];
                while matches!(f.read(&mut b), Ok(n) if n > 0) {}
                calls.lock().unwrap().released = Some(super::now());
            });
            zbus::zvariant::OwnedFd::from(w)
        }

        fn power_off(&self, _interactive: bool) {
            self.calls.lock().unwrap().power_off = Some(super::now());
        }
    }
}

/// Without SHUTDOWNCMD, the privileged parent asks logind to power off,
/// holding a delay inhibitor until the unprivileged child has finished
/// (logged out and exited).
#[test]
fn no_shutdowncmd_powers_off_through_logind_with_a_delay_lock() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let st = Stack::start("logind", Server::Debian, &[("ups", "online.seq")]);
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon (package dbus) is needed");
    let mut addr = String::new();
    BufReader::new(bus.stdout.take().unwrap()).read_line(&mut addr).unwrap();
    let addr = addr.trim().to_string();
    let calls = Arc::new(Mutex::new(fake_logind::Calls::default()));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let _conn = rt
        .block_on(async {
            zbus::connection::Builder::address(addr.as_str())?
                .name("org.freedesktop.login1")?
                .serve_at("/org/freedesktop/login1", fake_logind::Manager { calls: calls.clone() })?
                .build()
                .await
        })
        .unwrap();
    // An upsmon.conf without SHUTDOWNCMD.
    let m = Upsmon::start(&st, Which::Ours, "primary", &[Mon("ups", 1, "primary")], "");
    drop(m.proc);
    let dir = m.dir.clone();
    let conf = std::fs::read_to_string(dir.join("upsmon.conf")).unwrap();
    let conf: String = conf.lines().filter(|l| !l.starts_with("SHUTDOWNCMD")).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("upsmon.conf"), conf).unwrap();
    let _ = std::fs::remove_file(dir.join("upsmon.pid"));
    let mut c = our_upsmon_cmd(&dir);
    c.args(["-F", "-u", "root"]).env("DBUS_SYSTEM_BUS_ADDRESS", &addr);
    let mut p = Proc::spawn("upsmon logind", c, &dir.join("upsmon.log"));
    wait_for(|| dir.join("upsmon.pid").exists(), 10.0, "PID file");
    sleep(Duration::from_secs(1));
    let asked = now();
    assert!(our_upsmon_cmd(&dir).args(["-c", "fsd"]).status().unwrap().success());
    wait_for(|| calls.lock().unwrap().released.is_some(), 15.0, "the delay lock released");
    wait_for(|| !p.running(), 5.0, "upsmon to exit");
    let c = calls.lock().unwrap();
    let (what, who, mode, t_inhibit) = c.inhibit.clone().expect("Inhibit called");
    assert_eq!((what.as_str(), who.as_str(), mode.as_str()), ("shutdown", "upsmon", "delay"));
    let t_off = c.power_off.expect("PowerOff called");
    let t_rel = c.released.unwrap();
    assert!(t_inhibit <= t_off && t_off <= t_rel, "inhibit {t_inhibit}, poweroff {t_off}, released {t_rel}");
    assert_window("PowerOff after -c fsd", t_off, asked + FINALDELAY, asked + FINALDELAY + SLACK);
    assert_eq!(std::fs::read_to_string(dir.join("killpower")).unwrap(), "upsmon-shutdown-file");
    drop(c);
    let _ = bus.kill();
    let _ = bus.wait();
}
