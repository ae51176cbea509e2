//! A Q1-family UPS simulator on one end of a socat pty pair.
//!
//! It answers from a table (command -> answer), echoes unknown commands at
//! once (so autodetection is quick, as NUT's guide advises), and can be
//! made slow, garbled or silent for a number of answers; `pull_cable`
//! kills socat (both ptys vanish) and `plug_cable` brings a new pair up
//! under the same link names.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the simulator does with the next answers.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Delay before each answer.
    pub delay: Duration,
    /// Answers to corrupt (bytes flipped, CR kept).
    pub garble: u32,
    /// Answers to drop.
    pub silent: u32,
}

/// How commands and answers are framed on the line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Framing {
    /// `CMD\r` / `answer\r`.
    #[default]
    Plain,
    /// Voltronic Axpert: a two-byte CRC before each CR, both ways; a
    /// command with a bad CRC gets a framed `(NAK`.
    VoltronicCrc,
}

/// Shared state.
#[derive(Debug, Default)]
pub struct State {
    /// command (without CR, upper case) -> answer bytes.
    pub answers: HashMap<String, Vec<u8>>,
    /// Fault injection.
    pub faults: Faults,
    /// Every command received (without framing).
    pub log: Vec<String>,
    /// Line framing.
    pub framing: Framing,
    /// A Masterguard unit's slave address (two digits): commands ending in
    /// `,NN` are answered only when NN is this address, from the
    /// `...,XX` entries of `answers` with `XX` replaced by it; `SSnn--,NN`
    /// changes it. None: no addressing.
    pub slave: Option<String>,
}

impl State {
    /// The answer to `cmd` (None: say nothing).
    fn answer(&mut self, cmd: &str) -> Option<Vec<u8>> {
        if let Some(addr) = self.slave.clone() {
            if let Some((body, to)) = cmd.rsplit_once(',') {
                if to != addr {
                    return None;
                }
                if let Some(nn) = body.strip_prefix("SS").and_then(|r| r.strip_suffix("--")) {
                    if nn.len() == 2 && nn.bytes().all(|c| c.is_ascii_digit()) {
                        self.slave = Some(nn.to_string());
                        return Some(Vec::new());
                    }
                }
                let key = format!("{},XX", body.to_ascii_uppercase());
                return Some(match self.answers.get(&key) {
                    Some(a) => String::from_utf8_lossy(a).replace("XX", &addr).into_bytes(),
                    None => format!("{cmd}\r").into_bytes(),
                });
            }
            if let Some(a) = self.answers.get(&cmd.to_ascii_uppercase()) {
                return Some(String::from_utf8_lossy(a).replacen("(XX", &format!("({addr}"), 1).into_bytes());
            }
        }
        Some(self.answers.get(&cmd.to_ascii_uppercase()).cloned().unwrap_or_else(|| {
            let mut e = cmd.as_bytes().to_vec();
            e.push(b'\r');
            e
        }))
    }
}

/// A running simulator with its socat.
pub struct Sim {
    dir: PathBuf,
    socat: Option<Child>,
    /// Shared with the serving thread.
    pub state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sim {
    /// Start socat in `dir` and serve `answers` on `dir/ups`; the driver
    /// opens `dir/host`.
    pub fn start(dir: &Path, answers: HashMap<String, Vec<u8>>) -> Sim {
        let state = Arc::new(Mutex::new(State { answers, ..State::default() }));
        let mut s =
            Sim { dir: dir.to_path_buf(), socat: None, state, stop: Arc::new(AtomicBool::new(false)), thread: None };
        s.plug_cable();
        s
    }

    /// The path the driver opens.
    pub fn host(&self) -> PathBuf {
        self.dir.join("host")
    }

    /// Bring the pty pair (back) up and serve it.
    pub fn plug_cable(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("ups"));
        let _ = std::fs::remove_file(self.dir.join("host"));
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", self.dir.join("ups").display()))
            .arg(format!("pty,raw,echo=0,link={}", self.dir.join("host").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat must be installed (apt-get install socat)");
        self.socat = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(self.dir.join("ups").exists() && self.dir.join("host").exists()) {
            assert!(Instant::now() < deadline, "socat did not create the ptys");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop = Arc::new(AtomicBool::new(false));
        let port = std::fs::OpenOptions::new().read(true).write(true).open(self.dir.join("ups")).expect("open ups pty");
        let state = self.state.clone();
        let stop = self.stop.clone();
        self.thread = Some(std::thread::spawn(move || serve(port, state, stop)));
    }

    /// Kill socat: both ends disappear.
    pub fn pull_cable(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(mut c) = self.socat.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Change the fault injection.
    pub fn faults(&self, f: Faults) {
        self.state.lock().unwrap().faults = f;
    }

    /// Replace one answer.
    pub fn answer(&self, cmd: &str, a: &[u8]) {
        self.state.lock().unwrap().answers.insert(cmd.to_ascii_uppercase(), a.to_vec());
    }

    /// Change the line framing.
    pub fn framing(&self, f: Framing) {
        self.state.lock().unwrap().framing = f;
    }

    /// Answer as a Masterguard unit at slave address `addr`.
    pub fn slave(&self, addr: &str) {
        self.state.lock().unwrap().slave = Some(addr.to_string());
    }

    /// The Masterguard unit's current slave address.
    pub fn slave_address(&self) -> Option<String> {
        self.state.lock().unwrap().slave.clone()
    }

    /// Commands received so far.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.pull_cable();
    }
}

fn set_nonblocking_read_timeout(f: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // Poll-based reads: VMIN=0, VTIME=1 (0.1 s) so the thread can stop.
    unsafe {
        let fd = f.as_raw_fd();
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            t.c_cc[libc::VMIN] = 0;
            t.c_cc[libc::VTIME] = 1;
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
    }
}

fn serve(mut port: std::fs::File, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    set_nonblocking_read_timeout(&port);
    let mut line = Vec::new();
    let mut buf = [0u8; 64];
    while !stop.load(Ordering::SeqCst) {
        let n = match port.read(&mut buf) {
            Ok(0) => continue,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        for &b in &buf[..n] {
            if b != b'\r' {
                line.push(b);
                continue;
            }
            let framing = state.lock().unwrap().framing;
            let (cmd, crc_ok) = match framing {
                Framing::Plain => (String::from_utf8_lossy(&line).to_string(), true),
                Framing::VoltronicCrc => {
                    let mut framed = line.clone();
                    framed.push(b'\r');
                    match nut::qx::dialects::voltronic_axpert::check_crc(&framed) {
                        Some(body) => (String::from_utf8_lossy(body).to_string(), true),
                        None => (String::from_utf8_lossy(&line).to_string(), false),
                    }
                }
            };
            line.clear();
            let (answer, delay) = {
                let mut s = state.lock().unwrap();
                s.log.push(cmd.clone());
                let a = if crc_ok { s.answer(&cmd) } else { Some(b"(NAK\r".to_vec()) };
                let a = match (a, framing) {
                    (Some(a), Framing::VoltronicCrc) if !a.is_empty() => {
                        Some(nut::qx::dialects::voltronic_axpert::with_crc(&a))
                    }
                    (a, _) => a,
                };
                let d = s.faults.delay;
                match a {
                    None => (None, d),
                    Some(_) if s.faults.silent > 0 => {
                        s.faults.silent -= 1;
                        (None, d)
                    }
                    Some(mut a) => {
                        if s.faults.garble > 0 {
                            s.faults.garble -= 1;
                            let l = a.len();
                            for (i, c) in a.iter_mut().enumerate() {
                                if i + 1 < l {
                                    *c = b'?';
                                }
                            }
                        }
                        (Some(a), d)
                    }
                }
            };
            if let Some(a) = answer {
                std::thread::sleep(delay);
                let _ = port.write_all(&a);
                let _ = port.flush();
            }
        }
    }
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory under the system temp dir.
    pub fn new(tag: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("nut-qx-{tag}-{}-{:?}", std::process::id(), std::thread::current().id()));
        let p = PathBuf::from(p.to_string_lossy().replace(['(', ')'], ""));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The three answers of the simulator NUT's golden dump was made with.
pub fn megatec_answers() -> HashMap<String, Vec<u8>> {
    HashMap::from([
        ("Q1".to_string(), b"(230.4 140.0 229.9 021 50.1 27.3 29.0 00001001\r".to_vec()),
        ("F".to_string(), b"#230.0 004 024.0 50.0\r".to_vec()),
        ("I".to_string(), b"#SimVendor       SIM-1000K  V1.0      \r".to_vec()),
    ])
}

/// Answers of a vector file (`protocol` column), keyed as the simulator
/// wants them (no CR, upper case); empty answers kept (the unit says
/// nothing).
pub fn answers_from(tsv: &str, protocol: &str) -> HashMap<String, Vec<u8>> {
    nut::qx::transport::parse_vectors(tsv)
        .into_iter()
        .filter(|v| v.protocol == protocol)
        .map(|v| (String::from_utf8_lossy(&v.command).trim_end_matches('\r').to_ascii_uppercase(), v.answer))
        .collect()
}

/// Our Masterguard device file with the slave address as `XX`, for a
/// simulator with [`Sim::slave`] set.
pub fn masterguard_answers() -> HashMap<String, Vec<u8>> {
    answers_from(include_str!("../data/qx/masterguard-device.tsv"), "masterguard")
        .into_iter()
        .map(|(k, v)| {
            let k = match k.rsplit_once(',') {
                Some((b, n)) if n.len() == 2 && n.bytes().all(|c| c.is_ascii_digit()) => format!("{b},XX"),
                _ => k,
            };
            let v = if v.starts_with(b"(00") {
                let mut v = v;
                v[1] = b'X';
                v[2] = b'X';
                v
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

/// The entries that differ between our variables (`a`) and NUT's (`b`),
/// one per line, for a readable assertion message.
pub fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> String {
    let mut s = String::new();
    for (k, v) in a {
        if b.get(k) != Some(v) {
            s.push_str(&format!("  ours  {k}: {v}\n"));
        }
    }
    for (k, v) in b {
        if a.get(k) != Some(v) {
            s.push_str(&format!("  NUT   {k}: {v}\n"));
        }
    }
    s
}
