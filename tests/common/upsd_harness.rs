//! Test harness for upsd: a scratch directory with the golden test bed's
//! config (golden-transcripts.md §0), our upsd or Debian's, Debian's
//! dummy-ups, a scripted fake driver socket, and a line client.
//! Everything started here is killed on Drop.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const FAKE_DUMP: &str = include_str!("../data/upsd/fake-dump.txt");
pub const DUMMY_DEV: &str = include_str!("../data/upsd/dummy.dev");

pub const UPS_CONF: &str = r#"maxretry = 1

[dummy]
	driver = dummy-ups
	port = dummy.dev
	desc = "Dummy \"test\" UPS \#1 with \\ backslash"

[fake]
	driver = fakedrv
	port = none
	desc = "Fake socket driver"

[nodrv]
	driver = dummy-ups
	port = nodrv.dev
"#;

pub const USERS: &str = "[admin]
	password = secret
	actions = SET
	actions = FSD
	instcmds = ALL
[mon]
	password = pass
	upsmon primary
[sec]
	password = pass2
	upsmon secondary
[limited]
	password = lim
	instcmds = test.panel.start
";

/// Our upsd binary.
pub fn our_upsd() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upsd"))
}

/// Debian's upsd; panics loudly when missing.
pub fn debian(prog: &str) -> PathBuf {
    let p = PathBuf::from(prog);
    assert!(p.exists(), "{prog} is missing: install Debian's nut-server/nut-client (tests need the reference)");
    p
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A scratch directory removed on Drop.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("upsd-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A child process killed on Drop.
pub struct Proc {
    pub child: Child,
    pub name: String,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }
    pub fn stderr_text(&mut self) -> String {
        let mut s = String::new();
        if let Some(e) = self.child.stderr.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Children are started in their own process group (see `env_cmd`),
        // so daemons that fork (upsmon) go too.
        // SAFETY: signalling the process group of our own child.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Which upsd to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Ours,
    Debian,
}

pub fn env_cmd(prog: &Path, s: &Scratch) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(prog);
    c.process_group(0);
    c.env("NUT_CONFPATH", &s.dir)
        .env("NUT_STATEPATH", &s.dir)
        .env("NUT_ALTPIDPATH", &s.dir)
        .env("NUT_DATAPATH", "/usr/share/nut")
        .stdin(Stdio::null());
    c
}

pub fn start_upsd(which: Which, s: &Scratch, port: u16, extra_conf: &str) -> Proc {
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\nMAXAGE 15\n{extra_conf}"));
    let prog = match which {
        Which::Ours => our_upsd(),
        Which::Debian => debian("/lib/nut/upsd"),
    };
    let mut c = env_cmd(&prog, s);
    c.args(["-F", "-u", "root"]).stdout(Stdio::null()).stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let p = Proc { child, name: format!("{which:?} upsd") };
    wait_port(port);
    p
}

pub fn wait_port(port: u16) {
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(10), "upsd did not listen on {port}");
        thread::sleep(Duration::from_millis(20));
    }
}

pub fn start_dummy(s: &Scratch, ups: &str) -> Proc {
    let mut c = env_cmd(&debian("/lib/nut/dummy-ups"), s);
    c.args(["-a", ups, "-F", "-u", "root"]).stdout(Stdio::null()).stderr(Stdio::null());
    let p = Proc { child: c.spawn().unwrap(), name: "dummy-ups".into() };
    let sock = s.path(&format!("dummy-ups-{ups}"));
    let t = Instant::now();
    while !sock.exists() {
        assert!(t.elapsed() < Duration::from_secs(10), "dummy-ups did not create {}", sock.display());
        thread::sleep(Duration::from_millis(20));
    }
    p
}

/// The golden test bed: config files and dummy.dev.
pub fn golden_bed(tag: &str) -> Scratch {
    let s = Scratch::new(tag);
    s.write("ups.conf", UPS_CONF);
    s.write("upsd.users", USERS);
    s.write("dummy.dev", DUMMY_DEV);
    s
}

/// Shared state of the fake driver.
#[derive(Default)]
pub struct FakeState {
    /// Lines received from upsd.
    pub log: Vec<String>,
    /// Codes to answer tracked requests with, in order (then no answer).
    pub codes: VecDeque<i64>,
    /// Answer PING.
    pub mute: bool,
    /// Answer DUMPALL.
    pub ignore_dumpall: bool,
    /// Open connections to upsd (for `send`).
    pub conns: Vec<UnixStream>,
}

/// The scripted fake driver of golden-transcripts.md §0, listening on
/// `<dir>/fakedrv-<ups>`.
pub struct FakeDriver {
    pub state: Arc<Mutex<FakeState>>,
    pub path: PathBuf,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl FakeDriver {
    pub fn start(s: &Scratch, ups: &str) -> FakeDriver {
        FakeDriver::start_at(s.path(&format!("fakedrv-{ups}")), Arc::new(Mutex::new(FakeState::default())))
    }

    pub fn start_at(path: PathBuf, state: Arc<Mutex<FakeState>>) -> FakeDriver {
        let _ = std::fs::remove_file(&path);
        let l = UnixListener::bind(&path).unwrap();
        l.set_nonblocking(true).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (st, stp) = (state.clone(), stop.clone());
        thread::spawn(move || {
            while !stp.load(std::sync::atomic::Ordering::Relaxed) {
                match l.accept() {
                    Ok((c, _)) => {
                        c.set_nonblocking(false).unwrap();
                        st.lock().unwrap().conns.push(c.try_clone().unwrap());
                        let (st2, stp2) = (st.clone(), stp.clone());
                        thread::spawn(move || serve_fake(c, st2, stp2));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FakeDriver { state, path, stop }
    }

    /// Sends a line to every connected upsd.
    pub fn send(&self, line: &str) {
        let mut st = self.state.lock().unwrap();
        for c in &mut st.conns {
            let _ = c.write_all(format!("{line}\n").as_bytes());
        }
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn wait_connected(&self) {
        let t = Instant::now();
        while self.state.lock().unwrap().conns.is_empty() {
            assert!(t.elapsed() < Duration::from_secs(10), "upsd never connected to the fake driver");
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops listening and closes every connection (the driver "dies").
    pub fn kill(self) -> Arc<Mutex<FakeState>> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut st = self.state.lock().unwrap();
        for c in st.conns.drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
        drop(st);
        let _ = std::fs::remove_file(&self.path);
        thread::sleep(Duration::from_millis(50));
        self.state.clone()
    }
}

impl Drop for FakeDriver {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut st) = self.state.lock() {
            for c in st.conns.drain(..) {
                let _ = c.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

fn serve_fake(c: UnixStream, st: Arc<Mutex<FakeState>>, stop: Arc<std::sync::atomic::AtomicBool>) {
    let mut w = c.try_clone().unwrap();
    let r = BufReader::new(c);
    for line in r.lines() {
        let Ok(line) = line else { break };
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let words = nut::proto::words::split(&line).unwrap_or_default();
        let kw = words.first().map(|w| w.to_ascii_uppercase()).unwrap_or_default();
        let mut s = st.lock().unwrap();
        s.log.push(line.clone());
        let reply = match kw.as_str() {
            "DUMPALL" if !s.ignore_dumpall => Some(FAKE_DUMP.to_string()),
            "PING" if !s.mute => Some("PONG\n".to_string()),
            "SET" | "INSTCMD" => {
                let id = words.iter().position(|w| w.eq_ignore_ascii_case("TRACKING")).and_then(|i| words.get(i + 1));
                match id {
                    Some(id) => s.codes.pop_front().map(|code| format!("TRACKING {id} {code}\n")),
                    None => None,
                }
            }
            _ => None,
        };
        drop(s);
        if let Some(r) = reply {
            if w.write_all(r.as_bytes()).is_err() {
                break;
            }
        }
    }
}

/// A line client.
pub struct Client {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Client { r: BufReader::new(s.try_clone().unwrap()), w: s }
    }

    pub fn send_raw(&mut self, b: &[u8]) {
        self.w.write_all(b).unwrap();
    }

    /// Reads one line (without LF); None on EOF or timeout.
    pub fn line(&mut self) -> Option<String> {
        let mut b = Vec::new();
        match self.r.read_until(b'\n', &mut b) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                if b.last() == Some(&b'\n') {
                    b.pop();
                }
                Some(String::from_utf8_lossy(&b).into_owned())
            }
        }
    }

    /// Sends a request and reads its whole reply (a list up to END LIST).
    pub fn cmd(&mut self, line: &str) -> Vec<String> {
        self.send_raw(format!("{line}\n").as_bytes());
        self.reply()
    }

    pub fn reply(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(first) = self.line() else { return out };
        let list = first.starts_with("BEGIN LIST");
        out.push(first);
        if list {
            while let Some(l) = self.line() {
                let end = l.starts_with("END LIST");
                out.push(l);
                if end {
                    break;
                }
            }
        }
        out
    }

    pub fn one(&mut self, line: &str) -> String {
        self.cmd(line).join("\n")
    }

    /// True when nothing arrives within `d`.
    pub fn silent_for(&mut self, d: Duration) -> bool {
        self.w.set_read_timeout(Some(d)).unwrap();
        let mut b = [0u8; 1];
        let r = self.r.get_mut().peek(&mut b);
        self.w.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        matches!(r, Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut)
            && self.r.buffer().is_empty()
    }

    /// True when the server closed the connection.
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b), Ok(0))
    }
}

/// Waits until `GET VAR <ups> ups.status` gives a real status (not
/// DRIVER-NOT-CONNECTED or WAIT).
pub fn wait_ups(port: u16, ups: &str) {
    let t = Instant::now();
    loop {
        let mut c = Client::connect(port);
        let r = c.one(&format!("GET VAR {ups} ups.status"));
        if r.starts_with("VAR") && !r.contains("WAIT") {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(15), "UPS {ups} never became ready: {r}");
        thread::sleep(Duration::from_millis(50));
    }
}
