//! Running Debian's NUT 2.8.0 daemons (upsd, dummy-ups) in a scratch
//! directory on a free loopback port, for tests that compare our programs
//! with the reference. Everything is killed and removed on drop.
//!
//! The upsd binary is a parameter ([`Bed::upsd`]), so the same bed can run
//! our upsd against Debian's drivers once it exists.
//!
//! Missing Debian NUT is a loud failure, never a skip.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Debian's upsd.
pub const DEBIAN_UPSD: &str = "/lib/nut/upsd";
/// Debian's dummy-ups.
pub const DEBIAN_DUMMY_UPS: &str = "/lib/nut/dummy-ups";

/// Panics with an explanation when a reference binary is missing.
pub fn require(path: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.exists(),
        "{path} is missing: these tests compare against Debian's NUT 2.8.0 \
         (apt-get install -y nut-server nut-client) and must not be skipped"
    );
    p
}

/// A free TCP port on 127.0.0.1 (bound once and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().unwrap().port()
}

/// The project's copy of a DDL dump (`tests/data/ddl/<rel>`).
pub fn ddl(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ddl").join(rel);
    assert!(p.exists(), "missing test data {}", p.display());
    p
}

/// One UPS section served by a dummy-ups reading a `.dev` file.
#[derive(Clone, Debug)]
pub struct Ups {
    /// Section name.
    pub name: String,
    /// The dump to serve (copied into the scratch dir).
    pub dev: PathBuf,
    /// `desc =`, if any.
    pub desc: Option<String>,
}

impl Ups {
    /// A UPS section.
    pub fn new(name: &str, dev: PathBuf) -> Ups {
        Ups { name: name.into(), dev, desc: None }
    }

    /// With a description.
    pub fn desc(mut self, d: &str) -> Ups {
        self.desc = Some(d.into());
        self
    }
}

/// What to start.
#[derive(Clone, Debug)]
pub struct Bed {
    /// UPS sections with a driver.
    pub ups: Vec<Ups>,
    /// Sections listed in ups.conf whose driver is never started.
    pub no_driver: Vec<String>,
    /// upsd.users content.
    pub users: String,
    /// The upsd binary.
    pub upsd: PathBuf,
    /// Extra upsd.conf lines.
    pub upsd_conf: String,
}

/// The default users: an admin with every right, a monitor, a user with
/// no rights.
pub const USERS: &str = "[admin]\n\tpassword = secret\n\tactions = SET\n\tactions = FSD\n\tinstcmds = ALL\n\
[mon]\n\tpassword = pass\n\tupsmon primary\n[nobody]\n\tpassword = none\n";

impl Bed {
    /// Debian's upsd with the default users.
    pub fn new(ups: Vec<Ups>) -> Bed {
        Bed { ups, no_driver: Vec::new(), users: USERS.into(), upsd: require(DEBIAN_UPSD), upsd_conf: String::new() }
    }

    /// Adds a section without a running driver.
    pub fn without_driver(mut self, name: &str) -> Bed {
        self.no_driver.push(name.into());
        self
    }

    /// Adds upsd.conf lines.
    pub fn upsd_conf(mut self, lines: &str) -> Bed {
        self.upsd_conf.push_str(lines);
        self
    }

    /// Uses another upsd binary (ours).
    pub fn upsd(mut self, p: PathBuf) -> Bed {
        self.upsd = p;
        self
    }

    /// Starts the drivers, then upsd, and waits until every UPS with a
    /// driver serves data.
    pub fn start(self) -> RefNut {
        let dummy = require(DEBIAN_DUMMY_UPS);
        let dir = tempfile::Builder::new().prefix("refnut").tempdir().expect("tempdir");
        let port = free_port();
        let mut ups_conf = String::from("maxretry = 1\n");
        for u in &self.ups {
            let file = format!("{}.dev", u.name);
            std::fs::copy(&u.dev, dir.path().join(&file)).expect("copy dev file");
            ups_conf.push_str(&format!("[{}]\n\tdriver = dummy-ups\n\tport = {file}\n", u.name));
            if let Some(d) = &u.desc {
                ups_conf.push_str(&format!("\tdesc = \"{d}\"\n"));
            }
        }
        for n in &self.no_driver {
            ups_conf.push_str(&format!("[{n}]\n\tdriver = dummy-ups\n\tport = {n}.dev\n"));
        }
        write(dir.path(), "ups.conf", &ups_conf, 0o640);
        write(dir.path(), "upsd.conf", &format!("LISTEN 127.0.0.1 {port}\nMAXAGE 15\n{}", self.upsd_conf), 0o640);
        write(dir.path(), "upsd.users", &self.users, 0o640);
        let mut nut = RefNut { dir, port, children: Vec::new() };
        for u in &self.ups {
            let child = nut.spawn(&dummy, &["-a", &u.name, "-F", "-u", "root"], &format!("dummy-{}", u.name));
            nut.children.push((format!("dummy-ups {}", u.name), child));
        }
        for u in &self.ups {
            let sock = nut.dir.path().join(format!("dummy-ups-{}", u.name));
            if !poll(|| sock.exists()) {
                panic!(
                    "driver for {} did not create {}; its log:\n{}",
                    u.name,
                    sock.display(),
                    nut.log(&format!("dummy-{}", u.name))
                );
            }
        }
        let upsd = self.upsd.clone();
        let child = nut.spawn(&upsd, &["-F", "-u", "root"], "upsd");
        nut.children.push(("upsd".into(), child));
        if !poll(|| TcpStream::connect(("127.0.0.1", port)).is_ok()) {
            panic!("upsd did not listen on {port}; its log:\n{}", nut.log("upsd"));
        }
        for u in &self.ups {
            let ok = poll(|| {
                nut.ask(&format!("GET VAR {} ups.status", u.name))
                    .is_some_and(|l| l.starts_with("VAR ") && !l.ends_with("\"WAIT\""))
            });
            if !ok {
                panic!("upsd serves no data for {}; upsd log:\n{}", u.name, nut.log("upsd"));
            }
        }
        nut
    }
}

fn write(dir: &Path, name: &str, content: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write config");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Polls `f` every 50 ms for up to 20 s.
pub fn poll(mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// [`poll`], panicking with `what` on timeout.
pub fn wait_for(what: &str, f: impl FnMut() -> bool) {
    assert!(poll(f), "timed out waiting for {what}");
}

/// A running reference bed.
pub struct RefNut {
    /// The scratch directory (config and state).
    pub dir: tempfile::TempDir,
    /// upsd's port on 127.0.0.1.
    pub port: u16,
    children: Vec<(String, Child)>,
}

impl RefNut {
    fn spawn(&self, bin: &Path, args: &[&str], log: &str) -> Child {
        let out = std::fs::File::create(self.dir.path().join(format!("{log}.log"))).unwrap();
        let err = out.try_clone().unwrap();
        Command::new(bin)
            .args(args)
            .env("NUT_CONFPATH", self.dir.path())
            .env("NUT_STATEPATH", self.dir.path())
            .env("NUT_ALTPIDPATH", self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()))
    }

    /// `ups@127.0.0.1:port`.
    pub fn target(&self, ups: &str) -> String {
        format!("{ups}@127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:port`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends one request line on a fresh connection and returns the first
    /// reply line (None on connection failure).
    pub fn ask(&self, line: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        s.write_all(format!("{line}\n").as_bytes()).ok()?;
        let mut r = BufReader::new(s.try_clone().ok()?);
        let mut l = String::new();
        r.read_line(&mut l).ok()?;
        let _ = s.write_all(b"LOGOUT\n");
        Some(l.trim_end_matches('\n').to_string())
    }

    /// The combined output of one daemon (`upsd`, `dummy-<ups>`).
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }
}

impl Drop for RefNut {
    fn drop(&mut self) {
        for (_, c) in self.children.iter_mut().rev() {
            // SAFETY: sending SIGTERM to a child we started and still own.
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM);
            }
        }
        for (_, c) in self.children.iter_mut() {
            let start = Instant::now();
            loop {
                match c.try_wait() {
                    Ok(Some(_)) => break,
                    _ if start.elapsed() > Duration::from_secs(5) => {
                        let _ = c.kill();
                        let _ = c.wait();
                        break;
                    }
                    _ => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------
// A lower-level bed for driver tests: a scratch directory where tests
// start any mix of Debian's and our daemons themselves.
// ---------------------------------------------------------------------

/// Where Debian's daemons live.
pub const NUT_LIB: &str = "/lib/nut";

/// Panics unless Debian's NUT is installed.
pub fn require_debian_nut() {
    for p in ["/lib/nut/upsd", "/lib/nut/dummy-ups", "/usr/bin/upsc"] {
        assert!(
            Path::new(p).exists(),
            "{p} is missing: these tests compare against Debian's NUT 2.8.0 (apt-get install nut-server nut-client)"
        );
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A scratch directory holding the config and state of one test bed, and
/// the processes started in it.
pub struct Scratch {
    /// The directory (NUT_CONFPATH and NUT_STATEPATH).
    pub dir: PathBuf,
    /// The upsd port, once started.
    pub port: u16,
    children: Vec<(String, Child)>,
}

impl Scratch {
    /// A fresh, empty directory under the system temp dir.
    pub fn new(name: &str) -> Scratch {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("nut-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch { dir, port: 0, children: Vec::new() }
    }

    /// Writes a file in the bed.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
        p
    }

    /// A command with the bed's environment.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("NUT_CONFPATH", &self.dir)
            .env("NUT_STATEPATH", &self.dir)
            .env("NUT_ALTPIDPATH", &self.dir)
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("INVOCATION_ID")
            .env_remove("NUT_DEBUG_LEVEL");
        c
    }

    /// Starts a process and keeps it for cleanup.
    pub fn spawn(&mut self, what: &str, mut cmd: Command) -> u32 {
        let child = cmd.stdin(Stdio::null()).spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
        let pid = child.id();
        self.children.push((what.to_string(), child));
        pid
    }

    /// Stops one process started here (SIGTERM, then SIGKILL), returning
    /// its exit status.
    pub fn stop(&mut self, pid: u32) -> Option<std::process::ExitStatus> {
        let i = self.children.iter().position(|(_, c)| c.id() == pid)?;
        let (_, mut c) = self.children.remove(i);
        terminate(&mut c)
    }

    /// Whether a started process is still running.
    pub fn running(&mut self, pid: u32) -> bool {
        self.children.iter_mut().any(|(_, c)| c.id() == pid && matches!(c.try_wait(), Ok(None)))
    }

    /// The path of a link named `driver` to our multi-call driver.
    pub fn our_driver(&self, driver: &str) -> PathBuf {
        let link = self.dir.join("bin").join(driver);
        if !link.exists() {
            std::fs::create_dir_all(link.parent().unwrap()).expect("mkdir bin");
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_nut-driver"), &link).expect("symlink");
        }
        link
    }

    /// Starts Debian's upsd on a free port (`LISTEN 127.0.0.1 <port>`),
    /// with `extra_users` appended to upsd.users, and waits until it
    /// accepts connections.
    pub fn start_debian_upsd(&mut self, extra_users: &str) -> u16 {
        self.start_debian_upsd_on(free_port(), extra_users)
    }

    /// [`start_debian_upsd`](Self::start_debian_upsd) on a given port.
    pub fn start_debian_upsd_on(&mut self, port: u16, extra_users: &str) -> u16 {
        self.port = port;
        self.write("upsd.conf", format!("LISTEN 127.0.0.1 {port}\nMAXAGE 15\n"));
        self.write(
            "upsd.users",
            format!("[admin]\n\tpassword = secret\n\tactions = SET\n\tinstcmds = ALL\n{extra_users}"),
        );
        let mut c = self.command(format!("{NUT_LIB}/upsd"));
        let log = std::fs::File::create(self.dir.join("upsd.log")).expect("upsd.log");
        c.args(["-F", "-u", "root"]).stdout(Stdio::null()).stderr(log);
        self.spawn("upsd", c);
        wait_within(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok(), "upsd to listen");
        port
    }

    /// Starts our upsd on `port`, serving the same ups.conf and driver
    /// sockets as the bed but from a config directory of its own
    /// (`<bed>/ours-upsd`), so that it can run beside Debian's upsd.
    pub fn start_our_upsd(&mut self, port: u16, extra_users: &str) -> u16 {
        let conf = self.dir.join("ours-upsd");
        std::fs::create_dir_all(&conf).expect("mkdir");
        std::fs::copy(self.dir.join("ups.conf"), conf.join("ups.conf")).expect("copy ups.conf");
        std::fs::write(conf.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\nMAXAGE 15\n")).unwrap();
        std::fs::write(
            conf.join("upsd.users"),
            format!("[admin]\n\tpassword = secret\n\tactions = SET\n\tinstcmds = ALL\n{extra_users}"),
        )
        .unwrap();
        let mut c = self.command(env!("CARGO_BIN_EXE_upsd"));
        let log = std::fs::File::create(self.dir.join("our-upsd.log")).expect("log");
        c.env("NUT_CONFPATH", &conf).args(["-F", "-u", "root"]).stdout(Stdio::null()).stderr(log);
        self.spawn("our upsd", c);
        wait_within(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok(), "our upsd to listen");
        port
    }

    /// Starts Debian's driver for a section (`-F -u root`), waiting for its
    /// socket.
    pub fn start_debian_driver(&mut self, driver: &str, ups: &str) -> u32 {
        let mut c = self.command(format!("{NUT_LIB}/{driver}"));
        c.args(["-a", ups, "-F", "-u", "root"]).stdout(Stdio::null()).stderr(Stdio::null());
        let pid = self.spawn(&format!("debian {driver} {ups}"), c);
        self.wait_socket(driver, ups);
        pid
    }

    /// Starts our driver for a section (`-F -u root`), waiting for its
    /// socket.
    pub fn start_our_driver(&mut self, driver: &str, ups: &str, extra: &[&str]) -> u32 {
        let mut c = self.command(self.our_driver(driver));
        c.args(["-a", ups, "-F", "-u", "root"]).args(extra).stdout(Stdio::null()).stderr(Stdio::null());
        let pid = self.spawn(&format!("our {driver} {ups}"), c);
        self.wait_socket(driver, ups);
        pid
    }

    /// Waits until the socket `<driver>-<ups>` exists. (It is not
    /// connected to: a connection closed at once makes Debian's 2.8.0
    /// drivers disconnect it later, and under load that path can abort
    /// them with "bit out of range 0 - FD_SETSIZE on fd_set".)
    pub fn wait_socket(&self, driver: &str, ups: &str) {
        use std::os::unix::fs::FileTypeExt;
        let p = self.dir.join(format!("{driver}-{ups}"));
        wait_within(
            Duration::from_secs(15),
            || std::fs::metadata(&p).is_ok_and(|m| m.file_type().is_socket()),
            &format!("socket {}", p.display()),
        );
    }

    /// Runs Debian's `upsc <ups>@127.0.0.1:<port>`.
    pub fn upsc(&self, ups: &str) -> Output {
        self.upsc_at(ups, self.port)
    }

    /// Runs Debian's `upsc` against the upsd on `port`.
    pub fn upsc_at(&self, ups: &str, port: u16) -> Output {
        Command::new("/usr/bin/upsc")
            .arg(format!("{ups}@127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .output()
            .expect("run upsc")
    }

    /// `upsc` once it answers with data (retrying while the driver is not
    /// connected yet or upsd still has only `WAIT`).
    pub fn upsc_ready(&self, ups: &str) -> String {
        self.upsc_ready_at(ups, self.port)
    }

    /// [`upsc_ready`](Self::upsc_ready) against the upsd on `port`.
    pub fn upsc_ready_at(&self, ups: &str, port: u16) -> String {
        let t0 = Instant::now();
        loop {
            let o = self.upsc_at(ups, port);
            let out = String::from_utf8_lossy(&o.stdout).into_owned();
            if o.status.success() && !out.contains("ups.status: WAIT") && out.contains("driver.name:") {
                return out;
            }
            if t0.elapsed() > Duration::from_secs(20) {
                let drv = std::fs::read_to_string(self.dir.join(format!("{ups}.log"))).unwrap_or_default();
                eprintln!("driver log of {ups}:\n{drv}");
                let log = std::fs::read_to_string(self.dir.join("upsd.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                panic!(
                    "upsc {ups}: no data after 20 s: {} {}\nupsd.log (last lines, newest first):\n{}",
                    out,
                    String::from_utf8_lossy(&o.stderr),
                    tail.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One request/response exchange with upsd on a fresh connection:
    /// sends `lines`, returns every line received until `until` matches
    /// a line (inclusive) or 5 s pass.
    pub fn talk(&self, lines: &[&str], until: impl Fn(&str) -> bool) -> Vec<String> {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect upsd");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = s.try_clone().unwrap();
        for l in lines {
            w.write_all(format!("{l}\n").as_bytes()).unwrap();
        }
        let mut out = Vec::new();
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { break };
            let done = until(&line);
            out.push(line);
            if done {
                break;
            }
        }
        out
    }
}

fn terminate(c: &mut Child) -> Option<std::process::ExitStatus> {
    let pid = nix::unistd::Pid::from_raw(c.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        if let Ok(Some(st)) = c.try_wait() {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = c.kill();
    c.wait().ok()
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // SIGTERM everyone first, then reap: drivers take up to a second
        for (_, c) in self.children.iter() {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(c.id() as i32), nix::sys::signal::Signal::SIGTERM);
        }
        let t0 = Instant::now();
        for (_, c) in self.children.iter_mut() {
            while t0.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if let Ok(None) = c.try_wait() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `cond` every 20 ms until it holds or `limit` passes (then panics).
pub fn wait_within(limit: Duration, mut cond: impl FnMut() -> bool, what: &str) {
    let t0 = Instant::now();
    while !cond() {
        if t0.elapsed() > limit {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
