//! The systemd-shutdown hook (`shutdown-hook/nutshutdown`) with our
//! upsmon's `-K` and a recording stand-in for upsdrvctl: the UPS is told
//! to shut down only when POWERDOWNFLAG holds upsmon's magic string, never
//! with MODE=none, and POWEROFF_WAIT reboots a machine still alive.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(tag: &str, nut_conf: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("nut-hook-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_upsmon"), dir.join("bin/upsmon")).unwrap();
        let log = dir.join("calls.log");
        for (name, body) in [("upsdrvctl", "upsdrvctl $*"), ("reboot", "reboot $*")] {
            let p = dir.join("bin").join(name);
            std::fs::write(&p, format!("#!/bin/sh\necho \"{body}\" >> {}\n", log.display())).unwrap();
            Command::new("chmod").arg("+x").arg(&p).status().unwrap();
        }
        std::fs::write(
            dir.join("upsmon.conf"),
            format!("MONITOR ups@localhost 1 mon pass primary\nPOWERDOWNFLAG {}/killpower\n", dir.display()),
        )
        .unwrap();
        std::fs::write(dir.join("nut.conf"), nut_conf).unwrap();
        Env { dir }
    }

    fn run(&self) -> (i32, String) {
        let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("shutdown-hook/nutshutdown");
        let st = Command::new("/bin/sh")
            .arg(hook)
            .arg("poweroff")
            .env("NUT_CONFPATH", &self.dir)
            .env("NUT_SBINDIR", self.dir.join("bin"))
            .env("NUT_REBOOT", format!("{}/bin/reboot -f", self.dir.display()))
            .status()
            .unwrap();
        (st.code().unwrap_or(-1), std::fs::read_to_string(self.dir.join("calls.log")).unwrap_or_default())
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn ordinary_shutdown_leaves_the_ups_alone() {
    let e = Env::new("plain", "MODE=standalone\n");
    assert_eq!(e.run(), (0, String::new()));
}

#[test]
fn power_fail_shutdown_tells_the_ups_to_cut_the_load() {
    let e = Env::new("flag", "MODE=standalone\n");
    std::fs::write(e.dir.join("killpower"), "upsmon-shutdown-file").unwrap();
    assert_eq!(e.run(), (0, "upsdrvctl shutdown\n".to_string()));
}

#[test]
fn a_foreign_flag_file_is_not_ours() {
    let e = Env::new("foreign", "MODE=standalone\n");
    std::fs::write(e.dir.join("killpower"), "something else").unwrap();
    assert_eq!(e.run(), (0, String::new()));
}

#[test]
fn mode_none_never_powers_off() {
    let e = Env::new("none", "MODE=none\n");
    std::fs::write(e.dir.join("killpower"), "upsmon-shutdown-file").unwrap();
    assert_eq!(e.run(), (0, String::new()));
}

#[test]
fn poweroff_wait_reboots_when_the_power_came_back() {
    let e = Env::new("race", "MODE=standalone\nPOWEROFF_WAIT=1\nPOWEROFF_QUIET=true\n");
    std::fs::write(e.dir.join("killpower"), "upsmon-shutdown-file").unwrap();
    assert_eq!(e.run(), (0, "upsdrvctl shutdown\nreboot -f\n".to_string()));
}
