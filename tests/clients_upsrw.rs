//! Our `upsrw` against Debian's 2.8.0 `upsrw` (same upsd — Debian's, and
//! again ours — same dumps):
//! listing, setting with every kind of outcome (OK, access denied, wrong
//! password, unknown/too long, tracking results and timeout), prompts
//! for username, password and value, usage and connection errors.
//! Setting cases run Debian's program first and ours second with the same
//! value, so both meet the same server state.

mod common;

use std::path::Path;

use common::compare::{compare_all, Case, Run};
use common::dumps::dumps;
use common::refnut::{free_port, Bed};

const OURS: &str = env!("CARGO_BIN_EXE_upsrw");

fn post(_: &Case, r: Run) -> Run {
    r
}

#[test]
fn upsrw_matches_debian_on_debian_upsd() {
    upsrw_matches_debian(Bed::new(dumps()));
}

#[test]
fn upsrw_matches_debian_on_our_upsd() {
    upsrw_matches_debian(Bed::new(dumps()).upsd(env!("CARGO_BIN_EXE_upsd").into()));
}

fn upsrw_matches_debian(bed: Bed) {
    let bed = bed.without_driver("nodrv").start();
    let mut cases = Vec::new();
    for u in dumps() {
        cases.push(Case::new(&[bed.target(&u.name)]));
    }
    let t = bed.target("apc");
    let down = format!("apc@127.0.0.1:{}", free_port());
    let s = |v: &[&str]| Case::new(v);
    cases.extend([
        s(&["-l", &t]),
        s(&[&bed.target("nosuch")]),
        s(&[&bed.target("nodrv")]),
        s(&[&down]),
        s(&["-s", "ups.delay.shutdown=30", &down]),
        s(&[]),
        s(&["-h"]),
        s(&["-x"]),
        s(&["-V"]),
        s(&["-s"]),
        s(&["-t", "abc", &t]),
        s(&["-t", "-1", "-w", &t]),
        s(&["apc@127.0.0.1:"]),
        // setting
        s(&["-s", "battery.charge.low=15", "-u", "admin", "-p", "secret", &t]),
        s(&["-s", "battery.charge.low=15", "-u", "admin", "-p", "wrong", &t]),
        s(&["-s", "battery.charge.low=15", "-u", "mon", "-p", "pass", &t]),
        s(&["-s", "battery.charge.low=15", "-u", "nobody", "-p", "none", &t]),
        s(&["-s", "battery.charge.low=15", "-u", "ghost", "-p", "x", &t]),
        s(&["-s", "no.such.var=1", "-u", "admin", "-p", "secret", &t]),
        s(&["-s", "nodots=1", "-u", "admin", "-p", "secret", &t]),
        s(&["-s", "ups.mfr=this value is far longer than thirty-two characters", "-u", "admin", "-p", "secret", &t]),
        s(&["-s", "device.mfr=APC \"quoted\" #1", "-u", "admin", "-p", "secret", &t]),
        s(&["-s", "battery.charge.low=", "-u", "admin", "-p", "secret", &bed.target("smart")]),
        s(&["-s", "battery.charge.low=20", "-u", "admin", "-p", "secret", &bed.target("nosuch")]),
        s(&["-s", "battery.charge.low=20", "-u", "admin", "-p", "secret", &bed.target("nodrv")]),
        s(&["-s", "battery.charge.low=20", "-u", "admin", "-p", "secret", "-w", &t]),
        s(&["-w", "-t", "5", "-s", "battery.charge.low=25", "-u", "admin", "-p", "secret", &t]),
        s(&["-w", "-t", "0", "-s", "battery.charge.low=25", "-u", "admin", "-p", "secret", &t]),
        s(&["-w", "-s", "battery.charge.low=25", "-u", "admin", "-p", "wrong", &t]),
        s(&["-s", "battery.charge.low=15", "-l", &t]),
        s(&["-l", "-s", "battery.charge.low=15", "-u", "admin", "-p", "secret", &t]),
        s(&["-s", "battery.charge.low=15", "-u", "admin", "-p", "user with space", &t]),
        s(&["-s", "battery.charge.low=15", "-u", "user with space", "-p", "secret", &t]),
        // prompts: username and password from stdin (no terminal)
        s(&["-s", "battery.charge.low=35", &t]).stdin("admin\nsecret\n"),
        s(&["-s", "battery.charge.low=35", "-p", "secret", &t]).stdin("\n"),
        s(&["-s", "battery.charge.low=35", "-u", "admin", &t]).stdin("secret\n"),
        s(&["-s", "battery.charge.low", "-u", "admin", "-p", "secret", &t]).stdin("40\n"),
        s(&["-s", "battery.charge.low", "-u", "admin", "-p", "secret", &t]),
    ]);
    compare_all("upsrw", Path::new(OURS), &cases, post);
}
