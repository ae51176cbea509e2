//! Our `upscmd` against Debian's 2.8.0 `upscmd` (same upsd — Debian's, and
//! again ours — same dumps):
//! listing commands, running them with and without parameter, tracking
//! (`-w`, `-t`: dummy-ups answers every INSTCMD with result 1, so the
//! tracked outcome is `ERR UNKNOWN`), every refusal, prompts, usage and
//! connection errors.

mod common;

use std::path::Path;

use common::compare::{compare_all, Case, Run};
use common::dumps::dumps;
use common::refnut::{free_port, Bed};

const OURS: &str = env!("CARGO_BIN_EXE_upscmd");

fn post(_: &Case, r: Run) -> Run {
    r
}

#[test]
fn upscmd_matches_debian_on_debian_upsd() {
    upscmd_matches_debian(Bed::new(dumps()));
}

#[test]
fn upscmd_matches_debian_on_our_upsd() {
    upscmd_matches_debian(Bed::new(dumps()).upsd(env!("CARGO_BIN_EXE_upsd").into()));
}

fn upscmd_matches_debian(bed: Bed) {
    let bed = bed.without_driver("nodrv").start();
    let mut cases = Vec::new();
    for u in dumps() {
        cases.push(Case::new(&["-l", &bed.target(&u.name)]));
    }
    let t = bed.target("apc");
    let down = format!("apc@127.0.0.1:{}", free_port());
    let s = |v: &[&str]| Case::new(v);
    cases.extend([
        s(&["-l", &bed.target("nosuch")]),
        s(&["-l", &bed.target("nodrv")]),
        s(&["-l", &down]),
        s(&["-u", "admin", "-p", "secret", &down, "load.off"]),
        s(&[]),
        s(&["-h"]),
        s(&["-x"]),
        s(&["-V"]),
        s(&["-u"]),
        s(&[&t]),
        s(&["-t", "abc", &t, "load.off"]),
        s(&["apc@[::1", "load.off"]),
        s(&["-u", "admin", "-p", "secret", &t, "load.off"]),
        s(&["-u", "admin", "-p", "secret", &t, "LOAD.OFF"]),
        s(&["-u", "admin", "-p", "secret", &t, "load.off", "10"]),
        s(&["-u", "admin", "-p", "secret", &t, "load.off", "1 2"]),
        s(&["-u", "admin", "-p", "secret", &t, "load.off", "1", "2"]),
        s(&["-u", "admin", "-p", "secret", &t, "no.such.cmd"]),
        s(&["-u", "admin", "-p", "secret", &t, "nodots"]),
        s(&["-u", "admin", "-p", "wrong", &t, "load.off"]),
        s(&["-u", "mon", "-p", "pass", &t, "load.off"]),
        s(&["-u", "nobody", "-p", "none", &t, "no.such.cmd"]),
        s(&["-u", "admin", "-p", "secret", &bed.target("nosuch"), "load.off"]),
        s(&["-u", "admin", "-p", "secret", &bed.target("nodrv"), "load.off"]),
        s(&["-w", "-u", "admin", "-p", "secret", &t, "load.off"]),
        s(&["-w", "-t", "3", "-u", "admin", "-p", "secret", &t, "load.off", "5"]),
        s(&["-w", "-t", "0", "-u", "admin", "-p", "secret", &t, "load.off"]),
        s(&["-w", "-u", "admin", "-p", "wrong", &t, "load.off"]),
        s(&["-w", "-u", "nobody", "-p", "none", &t, "load.off"]),
        s(&[&t, "load.off"]).stdin("admin\nsecret\n"),
        s(&[&t, "load.off"]).stdin("\nsecret\n"),
        s(&[&t, "load.off"]),
        s(&["-p", "secret", &t, "load.off"]).stdin("admin\n"),
        s(&["-u", "admin", &t, "load.off"]).stdin("secret\n"),
        s(&["-u", "admin", "-p", "pw with space", &t, "load.off"]),
    ]);
    compare_all("upscmd", Path::new(OURS), &cases, post);
}
