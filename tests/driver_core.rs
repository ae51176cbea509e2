//! The driver core around a scripted device (a fake [`Driver`] in this
//! test): full and status-only polls (`pollinterval`/`pollfreq`), device
//! loss with back-off reconnects and `DATASTALE`/`DATAOK`, SET/INSTCMD
//! dispatch with TRACKING replies, and a device that never answers at
//! start (ready with stale data after the connect timeout).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nut::driver::core::{self, Ctx, Paths, RunOpts};
use nut::driver::params::{Params, RawEntry, VarDecl};
use nut::driver::{DeviceError, Driver};
use nut::proto::driver::HandlerStatus;

#[derive(Default)]
struct Device {
    answering: AtomicBool,
    full: AtomicU32,
    partial: AtomicU32,
    reconnects: AtomicU32,
}

struct Fake(Arc<Device>);

impl Driver for Fake {
    fn name(&self) -> &'static str {
        "fake-ups"
    }
    fn description(&self) -> &'static str {
        "scripted test device"
    }
    fn version(&self) -> &'static str {
        "1.0"
    }
    fn declare(&self) -> Vec<VarDecl> {
        vec![VarDecl::value("pollfreq", "full poll period")]
    }
    fn init_ups(&mut self, _ctx: &mut Ctx) -> Result<(), DeviceError> {
        if self.0.answering.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(DeviceError::Lost("no answer".into()))
        }
    }
    fn init_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        let mut st = ctx.store();
        st.set_info("ups.status", "OL");
        st.set_info("ups.delay.shutdown", "20");
        st.set_flags("ups.delay.shutdown", nut::model::VarFlags::from_words(&["RW"]));
        st.add_cmd("test.battery.start");
        Ok(())
    }
    fn update_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        if !self.0.answering.load(Ordering::SeqCst) {
            return Err(DeviceError::Lost("no answer".into()));
        }
        if ctx.full_poll { &self.0.full } else { &self.0.partial }.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn reconnect(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        self.0.reconnects.fetch_add(1, Ordering::SeqCst);
        self.init_ups(ctx)
    }
    fn connect_timeout(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn set_var(&mut self, ctx: &mut Ctx, var: &str, value: &str) -> HandlerStatus {
        if var != "ups.delay.shutdown" {
            return HandlerStatus::Invalid;
        }
        ctx.set_info(var, value);
        HandlerStatus::Handled
    }
    fn instcmd(&mut self, _ctx: &mut Ctx, cmd: &str, _param: Option<&str>) -> HandlerStatus {
        if cmd == "test.battery.start" {
            HandlerStatus::Handled
        } else {
            HandlerStatus::Invalid
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nut-core-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn start(name: &str, dev: Arc<Device>, extra: &[&str]) -> (PathBuf, std::thread::JoinHandle<i32>) {
    let dir = scratch(name);
    let driver = Fake(dev);
    let mut params = Params::new("fake-ups", "f", driver.declare());
    for e in ["port=none", "pollinterval=1"].iter().chain(extra) {
        params.entry(&RawEntry::from_x(e), false).unwrap();
    }
    params.set_cli_user("root");
    let paths = Paths { confpath: dir.clone(), statepath: dir.clone(), altpidpath: dir.clone() };
    let t = std::thread::spawn(move || core::run(Box::new(driver), params, RunOpts::default(), paths));
    let sock = dir.join("fake-ups-f");
    let t0 = Instant::now();
    while UnixStream::connect(&sock).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(10), "no socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    (sock, t)
}

struct Conn(BufReader<UnixStream>, UnixStream);

impl Conn {
    fn open(sock: &PathBuf) -> Conn {
        let s = UnixStream::connect(sock).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        Conn(BufReader::new(s.try_clone().unwrap()), s)
    }
    fn send(&mut self, l: &str) {
        self.1.write_all(format!("{l}\n").as_bytes()).unwrap();
    }
    fn until(&mut self, want: &str, limit: Duration) -> Vec<String> {
        let t0 = Instant::now();
        let mut seen = Vec::new();
        while t0.elapsed() < limit {
            let mut l = String::new();
            if self.0.read_line(&mut l).is_ok() && !l.is_empty() {
                let l = l.trim_end().to_string();
                let done = l == want;
                seen.push(l);
                if done {
                    return seen;
                }
            }
        }
        panic!("no {want:?} within {limit:?}: {seen:?}");
    }
}

fn stop(sock: &PathBuf, t: std::thread::JoinHandle<i32>) {
    Conn::open(sock).send("INSTCMD driver.exit");
    assert_eq!(t.join().unwrap(), 0);
    assert!(!sock.exists(), "socket removed");
}

#[test]
fn polls_loss_reconnect_and_dispatch() {
    let dev = Arc::new(Device::default());
    dev.answering.store(true, Ordering::SeqCst);
    let (sock, t) = start("loss", dev.clone(), &["pollfreq=3"]);
    let mut c = Conn::open(&sock);
    c.send("DUMPALL");
    let dump = c.until("DUMPDONE", Duration::from_secs(5));
    assert!(dump.contains(&"DATAOK".to_string()), "{dump:?}");
    assert!(dump.contains(&r#"SETINFO driver.parameter.pollfreq "3""#.to_string()), "{dump:?}");
    assert!(dump.contains(&r#"SETINFO driver.name "fake-ups""#.to_string()), "{dump:?}");

    // SET / INSTCMD go to the driver; TRACKING carries its result
    c.send(r#"SET ups.delay.shutdown "30" TRACKING a"#);
    let r = c.until("TRACKING a 0", Duration::from_secs(2));
    assert_eq!(r, [r#"SETINFO ups.delay.shutdown "30""#, "TRACKING a 0"]);
    c.send(r#"SET ups.status "OB" TRACKING b"#);
    c.until("TRACKING b 2", Duration::from_secs(2));
    c.send("INSTCMD test.battery.start TRACKING c");
    c.until("TRACKING c 0", Duration::from_secs(2));

    // every second a poll, every third one full
    std::thread::sleep(Duration::from_millis(4500));
    let (full, partial) = (dev.full.load(Ordering::SeqCst), dev.partial.load(Ordering::SeqCst));
    assert!(full >= 2 && partial >= 2 && partial > full, "full {full} partial {partial}");

    // the device stops answering: DATASTALE, reconnect attempts with back-off
    dev.answering.store(false, Ordering::SeqCst);
    c.until("DATASTALE", Duration::from_secs(3));
    c.send(r#"SET ups.delay.shutdown "40" TRACKING d"#);
    c.until("TRACKING d 3", Duration::from_secs(2));
    std::thread::sleep(Duration::from_millis(3500));
    let tries = dev.reconnects.load(Ordering::SeqCst);
    // after 1 s, then 2 s: two attempts in 3.5 s, not one a second
    assert!((1..=3).contains(&tries), "{tries} reconnect attempts");
    // it answers again: DATAOK, and the first poll after it is a full one
    let full_before = dev.full.load(Ordering::SeqCst);
    dev.answering.store(true, Ordering::SeqCst);
    c.until("DATAOK", Duration::from_secs(6));
    assert!(dev.full.load(Ordering::SeqCst) > full_before);
    stop(&sock, t);
}

#[test]
fn silent_device_at_start_is_ready_stale() {
    let dev = Arc::new(Device::default());
    // never answers: the socket still appears after the 1 s connect timeout
    let t0 = Instant::now();
    let (sock, t) = start("silent", dev.clone(), &[]);
    assert!(t0.elapsed() >= Duration::from_millis(900), "{:?}", t0.elapsed());
    let mut c = Conn::open(&sock);
    c.send("DUMPALL");
    let dump = c.until("DUMPDONE", Duration::from_secs(5));
    assert_eq!(dump[0], "DATASTALE", "{dump:?}");
    // the device shows up: initial data, then DATAOK
    dev.answering.store(true, Ordering::SeqCst);
    c.until(r#"SETINFO ups.status "OL""#, Duration::from_secs(6));
    c.until("DATAOK", Duration::from_secs(2));
    stop(&sock, t);
}
