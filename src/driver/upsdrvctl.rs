//! upsdrvctl: start, stop and shut down the drivers of ups.conf, for
//! systems without systemd and for the shutdown hook.
//!
//! `upsdrvctl [OPTIONS] (start | stop | shutdown) [<ups>]`, as NUT:
//! - `start` runs `<driver> -a <ups>` for each section in file order and
//!   waits (at most `maxstartdelay` s, global or per section) for it to go
//!   to the background, trying `maxretry` times `retrydelay` s apart;
//!   global `nowait` starts them all without waiting (unless
//!   `NUT_IGNORE_NOWAIT=true`);
//! - `stop` sends SIGTERM to the PID in `<altpidpath>/<driver>-<ups>.pid`;
//! - `shutdown` runs `<driver> -a <ups> -k` in ascending `sdorder`
//!   (sections with a negative `sdorder` are skipped);
//! - `-t` prints what would be run; `-u`/`-r` are passed to drivers; `-D`
//!   raises upsdrvctl's debug level and `-d` passes it on; `-F` (NUT 2.8.1+)
//!   runs the drivers in the foreground under upsdrvctl, which waits for
//!   them.
//!
//! A driver is run from `driverpath` (global) if set, else from this
//! program's directory; if no file of that name is there, our multi-call
//! `nut-driver` beside us is run under the driver's name.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use clap::{ArgAction, Parser};

use crate::config::ups::{UpsConf, UpsSection};

/// upsdrvctl's options (NUT's `getopt("+htu:r:DdV")` plus `-F`/`-B`).
#[derive(Debug, Parser)]
#[command(name = "upsdrvctl", disable_version_flag = true, about = "Starts and stops UPS drivers via ups.conf.")]
pub struct Args {
    /// drivers will chroot to <path>
    #[arg(short = 'r', value_name = "path")]
    pub chroot: Option<String>,
    /// testing mode - prints actions without doing them
    #[arg(short = 't')]
    pub test: bool,
    /// drivers started will switch from root to <user>
    #[arg(short = 'u', value_name = "user")]
    pub user: Option<String>,
    /// raise debugging level
    #[arg(short = 'D', action = ArgAction::Count)]
    pub debug: u8,
    /// pass debugging level from upsdrvctl to driver
    #[arg(short = 'd')]
    pub pass_debug: bool,
    /// print version, then exit
    #[arg(short = 'V')]
    pub version: bool,
    /// run the drivers in the foreground, under upsdrvctl
    #[arg(short = 'F', action = ArgAction::Count)]
    pub foreground: u8,
    /// background the drivers (the default)
    #[arg(short = 'B')]
    pub background: bool,
    /// start | stop | shutdown
    pub command: Option<String>,
    /// only this UPS
    pub ups: Option<String>,
}

/// One section as upsdrvctl sees it.
#[derive(Clone, Debug)]
pub struct Ups {
    /// Section name.
    pub name: String,
    /// `driver =`.
    pub driver: String,
    /// `port =`.
    pub port: Option<String>,
    /// `sdorder` (0 by default, negative = never shut down).
    pub sdorder: i64,
    /// Per-section `maxstartdelay`.
    pub maxstartdelay: Option<u64>,
}

/// The global settings upsdrvctl uses.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `driverpath`.
    pub driverpath: Option<PathBuf>,
    /// `maxstartdelay` (NUT: 45).
    pub maxstartdelay: u64,
    /// `maxretry` (1).
    pub maxretry: u32,
    /// `retrydelay` (5).
    pub retrydelay: u64,
    /// `nowait`.
    pub nowait: bool,
}

fn global(conf: &UpsConf, key: &str) -> Option<String> {
    conf.global_entry(key).map(|e| e.value.clone().unwrap_or_default())
}

/// Reads upsdrvctl's view of ups.conf.
pub fn settings(conf: &UpsConf) -> (Settings, Vec<Ups>) {
    use crate::model::atoi;
    let s = Settings {
        driverpath: global(conf, "driverpath").map(PathBuf::from),
        maxstartdelay: global(conf, "maxstartdelay").map_or(45, |v| atoi(&v).max(0) as u64),
        maxretry: global(conf, "maxretry").map_or(1, |v| atoi(&v).max(0) as u32),
        retrydelay: global(conf, "retrydelay").map_or(5, |v| atoi(&v).max(0) as u64),
        nowait: conf.global_entry("nowait").is_some()
            && std::env::var("NUT_IGNORE_NOWAIT").map_or(true, |v| v != "true"),
    };
    let ups = conf.sections.iter().filter_map(ups_of).collect();
    (s, ups)
}

fn ups_of(s: &UpsSection) -> Option<Ups> {
    Some(Ups {
        name: s.name.clone(),
        driver: s.driver()?.to_string(),
        port: s.port().map(str::to_string),
        sdorder: s.value("sdorder").map_or(0, crate::model::atoi),
        maxstartdelay: s.value("maxstartdelay").map(|v| crate::model::atoi(v).max(0) as u64),
    })
}

/// How to run a driver: the program and the name it is called by.
pub fn driver_command(driverpath: Option<&Path>, driver: &str) -> (PathBuf, OsString) {
    let dir = driverpath
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)));
    let dir = dir.unwrap_or_else(|| PathBuf::from("/lib/nut"));
    let direct = dir.join(driver);
    if direct.exists() {
        return (direct.clone(), direct.into_os_string());
    }
    let multi = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|p| p.join("nut-driver")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| dir.join("nut-driver"));
    (multi, direct.into_os_string())
}

struct Ctl {
    args: Args,
    settings: Settings,
    errors: u32,
    children: Vec<Child>,
}

impl Ctl {
    fn argv(&self, ups: &Ups, extra: &[&str]) -> (PathBuf, OsString, Vec<String>) {
        let (prog, arg0) = driver_command(self.settings.driverpath.as_deref(), &ups.driver);
        let mut a = Vec::new();
        if self.args.pass_debug && self.args.debug > 0 {
            a.push(format!("-{}", "D".repeat(self.args.debug as usize)));
        }
        a.push("-a".to_string());
        a.push(ups.name.clone());
        a.extend(extra.iter().map(|s| s.to_string()));
        if let Some(r) = &self.args.chroot {
            a.push("-r".into());
            a.push(r.clone());
        }
        if let Some(u) = &self.args.user {
            a.push("-u".into());
            a.push(u.clone());
        }
        if self.args.foreground > 0 {
            a.push("-F".into());
        }
        (prog, arg0, a)
    }

    fn show(&self, arg0: &OsString, a: &[String]) {
        if self.args.test || self.args.debug >= 2 {
            eprintln!("exec: {} {}", arg0.to_string_lossy(), a.join(" "));
        }
    }

    /// Runs the driver; with `wait`, until it exits or `delay` passes.
    fn exec(&mut self, ups: &Ups, extra: &[&str], wait: bool, delay: u64) -> bool {
        use std::os::unix::process::CommandExt;
        let (prog, arg0, a) = self.argv(ups, extra);
        self.show(&arg0, &a);
        if self.args.test {
            return true;
        }
        let mut cmd = Command::new(&prog);
        cmd.arg0(&arg0).args(&a);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("Can't start {}: {e}", prog.display());
                return false;
            }
        };
        if !wait {
            self.children.push(child);
            return true;
        }
        let t0 = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(st)) => {
                    return match st.code() {
                        Some(0) => true,
                        Some(c) => {
                            eprintln!("Driver failed to start (exit status={c})");
                            false
                        }
                        None => {
                            eprintln!("Driver exited abnormally");
                            false
                        }
                    };
                }
                Ok(None) => {}
                Err(e) => {
                    eprintln!("waitpid: {e}");
                    return false;
                }
            }
            if t0.elapsed() >= Duration::from_secs(delay) {
                eprintln!("Startup timer elapsed, continuing...");
                self.children.push(child);
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn start(&mut self, ups: &Ups) {
        tracing::debug!("Starting UPS: {}", ups.name);
        let fg = self.args.foreground > 0;
        let wait = !fg && !self.settings.nowait;
        let delay = ups.maxstartdelay.unwrap_or(self.settings.maxstartdelay);
        let mut left = self.settings.maxretry.max(1);
        while left > 0 {
            left -= 1;
            if self.exec(ups, &[], wait, delay) {
                return;
            }
            if left > 0 {
                std::thread::sleep(Duration::from_secs(self.settings.retrydelay));
            }
        }
        self.errors += 1;
    }

    fn stop(&mut self, ups: &Ups) {
        use nix::sys::signal::{kill, Signal};
        let dir = crate::config::paths::altpidpath();
        let mut pidfile = dir.join(format!("{}-{}.pid", ups.driver, ups.name));
        if !pidfile.exists() {
            if let Some(p) = &ups.port {
                let base = Path::new(p).file_name().map(|b| b.to_string_lossy().into_owned()).unwrap_or_default();
                let alt = dir.join(format!("{}-{base}.pid", ups.driver));
                if alt.exists() {
                    pidfile = alt;
                }
            }
        }
        let pid = std::fs::read_to_string(&pidfile).ok().and_then(|s| s.trim().parse::<i32>().ok());
        let Some(pid) = pid else {
            eprintln!("Can't open {}", pidfile.display());
            self.errors += 1;
            return;
        };
        if self.args.test || self.args.debug >= 2 {
            eprintln!("Sending signal to {}", pidfile.display());
        }
        if self.args.test {
            return;
        }
        let pid = nix::unistd::Pid::from_raw(pid);
        if let Err(e) = kill(pid, Signal::SIGTERM) {
            eprintln!("Stopping {} failed: {e}", pidfile.display());
            self.errors += 1;
            return;
        }
        let t0 = Instant::now();
        while kill(pid, None).is_ok() && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn shutdown(&mut self, ups: &Ups) {
        tracing::debug!("Shutdown UPS: {}", ups.name);
        let delay = ups.maxstartdelay.unwrap_or(self.settings.maxstartdelay);
        // -k runs in the foreground and returns; never pass -F twice
        let fg = self.args.foreground;
        self.args.foreground = 0;
        if !self.exec(ups, &["-k"], true, delay) {
            self.errors += 1;
        }
        self.args.foreground = fg;
    }
}

/// The shutdown order: ascending `sdorder`, file order within one value,
/// negative values left out.
pub fn shutdown_order(ups: &[Ups]) -> Vec<&Ups> {
    let mut v: Vec<&Ups> = ups.iter().filter(|u| u.sdorder >= 0).collect();
    v.sort_by_key(|u| u.sdorder);
    v
}

/// Runs upsdrvctl; returns the exit status.
pub fn main(argv: Vec<OsString>) -> i32 {
    println!("Network UPS Tools - UPS driver controller {}", crate::VERSION);
    let args = match Args::try_parse_from(&argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if args.version {
        return 0;
    }
    crate::logging::init(crate::logging::LogConfig::new("upsdrvctl").debug(args.debug));
    let Some(command) = args.command.clone() else {
        eprintln!("usage: upsdrvctl [OPTIONS] (start | stop | shutdown) [<ups>]");
        return 1;
    };
    let path = crate::config::paths::confpath().join("ups.conf");
    let conf = match UpsConf::load(&path) {
        Ok((c, diags)) => {
            for d in diags.iter().filter(|d| d.is_error()) {
                eprintln!("{d}");
            }
            c
        }
        Err(e) => {
            eprintln!("Can't open {}: {e}", path.display());
            return 1;
        }
    };
    let (settings, all) = settings(&conf);
    if args.test {
        println!("*** Testing mode: not calling exec/kill");
    }
    if all.is_empty() {
        eprintln!("Error: no UPS definitions found in ups.conf!");
        return 1;
    }
    let selected: Vec<Ups> = match &args.ups {
        Some(name) => match all.iter().find(|u| &u.name == name) {
            Some(u) => vec![u.clone()],
            None => {
                eprintln!("UPS {name} not found in ups.conf");
                return 1;
            }
        },
        None => all.clone(),
    };
    let mut ctl = Ctl { args, settings, errors: 0, children: Vec::new() };
    match command.as_str() {
        "start" => {
            for u in &selected {
                ctl.start(u);
            }
        }
        "stop" => {
            for u in &selected {
                ctl.stop(u);
            }
        }
        "shutdown" => {
            let order: Vec<Ups> = if ctl.args.ups.is_some() {
                selected.clone()
            } else {
                shutdown_order(&selected).into_iter().cloned().collect()
            };
            for u in &order {
                ctl.shutdown(u);
            }
        }
        other => {
            eprintln!("Error: unrecognized command [{other}]");
            return 1;
        }
    }
    // -F: stay with the drivers until they end
    for mut c in std::mem::take(&mut ctl.children) {
        if ctl.args.foreground > 0 {
            let _ = c.wait();
        }
    }
    if ctl.errors > 0 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdorder() {
        let u =
            |n: &str, o: i64| Ups { name: n.into(), driver: "d".into(), port: None, sdorder: o, maxstartdelay: None };
        let all = [u("a", 2), u("b", 0), u("c", -1), u("d", 1), u("e", 0)];
        let names: Vec<&str> = shutdown_order(&all).iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["b", "e", "d", "a"]);
    }
}
