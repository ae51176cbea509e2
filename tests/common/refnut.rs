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
use std::process::{Child, Command, Stdio};
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
}

/// The default users: an admin with every right, a monitor, a user with
/// no rights.
pub const USERS: &str = "[admin]\n\tpassword = secret\n\tactions = SET\n\tactions = FSD\n\tinstcmds = ALL\n\
[mon]\n\tpassword = pass\n\tupsmon primary\n[nobody]\n\tpassword = none\n";

impl Bed {
    /// Debian's upsd with the default users.
    pub fn new(ups: Vec<Ups>) -> Bed {
        Bed { ups, no_driver: Vec::new(), users: USERS.into(), upsd: require(DEBIAN_UPSD) }
    }

    /// Adds a section without a running driver.
    pub fn without_driver(mut self, name: &str) -> Bed {
        self.no_driver.push(name.into());
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
        write(dir.path(), "upsd.conf", &format!("LISTEN 127.0.0.1 {port}\nMAXAGE 15\n"), 0o640);
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
