//! Our nutdrv_qx (the multi-call driver) beside Debian's, each on its own
//! socat pty pair with the same Q1 simulator: dump mode, then both behind
//! Debian's upsd (upsc output, instant commands and sets reaching the
//! device as the same Megatec commands).

mod qx_sim;
#[path = "common/refnut.rs"]
mod refnut;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use qx_sim::{diff, megatec_answers, Sim, TempDir};
use refnut::{require_debian_nut, wait_within, Scratch};

fn vars(dump: &str) -> BTreeMap<String, String> {
    dump.lines()
        .filter_map(|l| l.split_once(": "))
        // Versions of the programs differ by nature; Debian's build also
        // reports its libusb.
        .filter(|(k, _)| !matches!(*k, "driver.version" | "driver.version.usb"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn dump(bed: &Scratch, exe: &Path) -> String {
    let out = bed.command(exe).args(["-a", "UPS", "-d", "1", "-u", "root"]).output().expect("run driver");
    let s = String::from_utf8_lossy(&out.stdout).replace("\\#", "#");
    assert!(s.contains("driver.name"), "{}: {}\n{}", exe.display(), s, String::from_utf8_lossy(&out.stderr));
    s
}

#[test]
fn dump_mode_matches_debian() {
    require_debian_nut();
    let simdir = TempDir::new("drv-dump");
    let sim = Sim::start(&simdir.0, megatec_answers());
    let bed = Scratch::new("qx-dump");
    bed.write("ups.conf", format!("[UPS]\n\tdriver = nutdrv_qx\n\tport = {}\n", sim.host().display()));
    let nut = vars(&dump(&bed, Path::new("/lib/nut/nutdrv_qx")));
    let ours = vars(&dump(&bed, &bed.our_driver("nutdrv_qx")));
    assert_eq!(ours, nut, "differences:\n{}", diff(&ours, &nut));
}

#[test]
fn behind_debian_upsd_same_data_commands_and_sets() {
    require_debian_nut();
    let (da, db) = (TempDir::new("drv-a"), TempDir::new("drv-b"));
    let (sim_nut, sim_ours) = (Sim::start(&da.0, megatec_answers()), Sim::start(&db.0, megatec_answers()));
    let mut bed = Scratch::new("qx-upsd");
    bed.write(
        "ups.conf",
        format!(
            "[nut]\n\tdriver = nutdrv_qx\n\tport = {}\n[ours]\n\tdriver = nutdrv_qx\n\tport = {}\n",
            sim_nut.host().display(),
            sim_ours.host().display()
        ),
    );
    bed.start_debian_upsd("");
    bed.start_debian_driver("nutdrv_qx", "nut");
    bed.start_our_driver("nutdrv_qx", "ours", &[]);
    let strip = |s: String| -> BTreeMap<String, String> {
        vars(&s).into_iter().filter(|(k, _)| k != "driver.parameter.port" && k != "driver.version.internal").collect()
    };
    let nut = strip(bed.upsc_ready("nut"));
    let ours = strip(bed.upsc_ready("ours"));
    assert_eq!(ours, nut, "upsc differences:\n{}", diff(&ours, &nut));

    // Commands and sets through upsd reach both devices the same way.
    let before = (sim_nut.log().len(), sim_ours.log().len());
    for ups in ["nut", "ours"] {
        let r = bed.talk(
            &[
                "USERNAME admin",
                "PASSWORD secret",
                &format!("SET VAR {ups} ups.delay.shutdown 120"),
                &format!("SET VAR {ups} ups.delay.start 300"),
                &format!("INSTCMD {ups} beeper.toggle"),
                &format!("INSTCMD {ups} test.battery.start.quick"),
                &format!("INSTCMD {ups} shutdown.return"),
                &format!("INSTCMD {ups} shutdown.stop"),
            ],
            |l| l.starts_with("ERR"),
        );
        assert!(!r.iter().any(|l| l.starts_with("ERR")), "{ups}: {r:?}");
    }
    let want = ["Q", "T", "S02R0005", "C"];
    let got = |sim: &Sim, from: usize| -> Vec<String> {
        sim.log()[from..].iter().filter(|c| want.contains(&c.as_str())).cloned().collect()
    };
    wait_within(Duration::from_secs(10), || got(&sim_nut, before.0).len() >= 4, "Debian's driver to send 4 commands");
    wait_within(Duration::from_secs(10), || got(&sim_ours, before.1).len() >= 4, "our driver to send 4 commands");
    assert_eq!(got(&sim_ours, before.1), got(&sim_nut, before.0));
    assert_eq!(got(&sim_ours, before.1), want);
    let nut = strip(bed.upsc_ready("nut"));
    let ours = strip(bed.upsc_ready("ours"));
    assert_eq!(ours.get("ups.delay.shutdown").map(String::as_str), Some("120"));
    assert_eq!(ours, nut, "upsc differences after the sets:\n{}", diff(&ours, &nut));
}

/// Our driver behind Debian's upsd with the cable pulled: upsd reports the
/// data stale; with the cable back the driver reopens the port and the data
/// is fresh again.
#[test]
fn cable_pulled_and_back_behind_upsd() {
    require_debian_nut();
    let d = TempDir::new("drv-cable");
    let mut sim = Sim::start(&d.0, megatec_answers());
    let mut bed = Scratch::new("qx-cable");
    bed.write(
        "ups.conf",
        format!("[ours]\n\tdriver = nutdrv_qx\n\tport = {}\n\tpollinterval = 1\n", sim.host().display()),
    );
    bed.start_debian_upsd("");
    bed.start_our_driver("nutdrv_qx", "ours", &[]);
    let out = bed.upsc_ready("ours");
    assert!(out.contains("ups.status: OL"), "{out}");
    sim.pull_cable();
    wait_within(
        Duration::from_secs(30),
        || String::from_utf8_lossy(&bed.upsc("ours").stderr).contains("Data stale"),
        "upsd to report the data stale",
    );
    sim.plug_cable();
    sim.answer("Q1", b"(000.0 140.0 229.9 021 50.1 23.0 29.0 10001001\r");
    wait_within(
        Duration::from_secs(60),
        || String::from_utf8_lossy(&bed.upsc("ours").stdout).contains("ups.status: OB"),
        "fresh data (on battery) after the cable is back",
    );
}

/// The device variables of one of the golden dumps of `tests/qx_vectors.rs`.
fn golden_device_vars(file: &str) -> BTreeMap<String, String> {
    let path = format!("{}/tests/data/qx/expected/{file}.dev", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    vars(&text).into_iter().filter(|(k, _)| !k.starts_with("driver.") || k == "driver.version.data").collect()
}

/// Our multi-call driver in dump mode on the dialects newer than (or
/// broken in) NUT 2.8.0, each autodetected on its own simulator: a CRC-
/// framed Axpert, and a Masterguard unit matched by its `slave_address`
/// (a ups.conf key only this dialect declares). The data is the vectors'
/// golden dump.
#[test]
fn dump_mode_axpert_and_masterguard() {
    let cases: [(&str, &str); 2] = [("voltronic-axpert", ""), ("masterguard", "\tslave_address = 0\n")];
    for (dialect, extra) in cases {
        let simdir = TempDir::new(&format!("drv-{dialect}"));
        let sim = if dialect == "masterguard" {
            let s = Sim::start(&simdir.0, qx_sim::masterguard_answers());
            s.slave("00");
            s
        } else {
            let s = Sim::start(
                &simdir.0,
                qx_sim::answers_from(include_str!("data/qx/nutdrv_qx-testing-vectors.tsv"), dialect),
            );
            s.framing(qx_sim::Framing::VoltronicCrc);
            s
        };
        let bed = Scratch::new(&format!("qx-{dialect}"));
        bed.write("ups.conf", format!("[UPS]\n\tdriver = nutdrv_qx\n\tport = {}\n{extra}", sim.host().display()));
        let got: BTreeMap<String, String> = vars(&dump(&bed, &bed.our_driver("nutdrv_qx")))
            .into_iter()
            .filter(|(k, _)| !k.starts_with("driver.") || k == "driver.version.data")
            .collect();
        let want = golden_device_vars(dialect);
        assert_eq!(got, want, "{dialect}: differences:\n{}", diff(&got, &want));
    }
}

/// A USB matching option that is not a valid regular expression stops the
/// driver at start, naming it (no USB needed: it fails before the bus is
/// scanned).
#[test]
fn invalid_usb_regex_is_fatal() {
    let bed = Scratch::new("qx-badregex");
    bed.write("ups.conf", "[UPS]\n\tdriver = nutdrv_qx\n\tport = auto\n\tvendor = \"USB (Cable\"\n");
    let out = bed.command(bed.our_driver("nutdrv_qx")).args(["-a", "UPS", "-d", "1", "-u", "root"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Invalid regular expression: USB (Cable (vendor: unclosed group)"), "{err}");
}
