//! Every dump of the DDL corpus (`tests/data/ddl`, 394 `.dev` files) is
//! served by our dummy-ups exactly as by Debian's dummy-ups 2.8.0: for
//! each dump, Debian's `upsc` through Debian's upsd shows the same
//! variables and values for both drivers, and so does our upsd (serving
//! the same driver sockets beside Debian's). The only line allowed to
//! differ is `driver.version` (the suite's version, not NUT's).
//!
//! Dumps run in batches: one ups.conf with a Debian and an our section per
//! dump, one upsd for the batch. Every section says `synchronous = yes`:
//! with the default `auto`, Debian's driver meets EAGAIN when upsd reads
//! fifty dumps at once, switches itself to `yes` and republishes
//! `driver.parameter.synchronous` (and can even abort with "bit out of
//! range 0 - FD_SETSIZE"), which made the reference nondeterministic. The
//! default value is checked against the golden dump in `driver_socket.rs`.

mod common;

use std::path::{Path, PathBuf};

use common::refnut::{require_debian_nut, Scratch};

const BATCH: usize = 25;

fn corpus() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).expect("read ddl dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "dev") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ddl"), &mut v);
    v.sort();
    v
}

/// The lines that may legitimately differ.
fn comparable(upsc: &str) -> Vec<&str> {
    upsc.lines().filter(|l| !l.starts_with("driver.version:")).collect()
}

fn diff(a: &[&str], b: &[&str]) -> String {
    let mut s = String::new();
    for l in a {
        if !b.contains(l) {
            s.push_str(&format!("  - debian: {l}\n"));
        }
    }
    for l in b {
        if !a.contains(l) {
            s.push_str(&format!("  + ours:   {l}\n"));
        }
    }
    s
}

#[test]
fn every_dump_is_served_like_debian_dummy_ups() {
    require_debian_nut();
    let dumps = corpus();
    assert_eq!(dumps.len(), 394, "the corpus has 394 dumps");
    let mut identical = 0;
    let mut failures = Vec::new();
    for (b, chunk) in dumps.chunks(BATCH).enumerate() {
        let mut bed = Scratch::new(&format!("corpus{b}"));
        let mut conf = String::from("maxretry = 1\n");
        for (i, p) in chunk.iter().enumerate() {
            bed.write(&format!("ddl/{i:03}.dev"), std::fs::read(p).expect("read dump"));
            for side in ["ref", "our"] {
                conf.push_str(&format!(
                    "[{side}{i:03}]\n\tdriver = dummy-ups\n\tport = ddl/{i:03}.dev\n\tsynchronous = yes\n"
                ));
            }
        }
        bed.write("ups.conf", conf);
        // drivers first (upsd connects to every socket present at start)
        let our = bed.our_driver("dummy-ups");
        for i in 0..chunk.len() {
            let mut c = bed.command("/lib/nut/dummy-ups");
            let log = std::fs::File::create(bed.dir.join(format!("ref{i:03}.log"))).expect("log");
            c.args(["-a", &format!("ref{i:03}"), "-F", "-u", "root"]).stdout(std::process::Stdio::null()).stderr(log);
            bed.spawn("debian dummy-ups", c);
            let mut c = bed.command(&our);
            let log = std::fs::File::create(bed.dir.join(format!("our{i:03}.log"))).expect("log");
            c.args(["-a", &format!("our{i:03}"), "-F", "-u", "root"]).stdout(std::process::Stdio::null()).stderr(log);
            bed.spawn("our dummy-ups", c);
        }
        for i in 0..chunk.len() {
            bed.wait_socket("dummy-ups", &format!("ref{i:03}"));
            bed.wait_socket("dummy-ups", &format!("our{i:03}"));
        }
        bed.start_debian_upsd("");
        let our_port = bed.start_our_upsd(common::refnut::free_port(), "");
        for (i, p) in chunk.iter().enumerate() {
            // the reference: Debian's driver through Debian's upsd
            let theirs = bed.upsc_ready(&format!("ref{i:03}"));
            let a = comparable(&theirs);
            let mut same = true;
            for (what, ups, port) in [
                ("our driver, Debian's upsd", format!("our{i:03}"), bed.port),
                ("our driver, our upsd", format!("our{i:03}"), our_port),
                ("Debian's driver, our upsd", format!("ref{i:03}"), our_port),
            ] {
                let got = bed.upsc_ready_at(&ups, port);
                let o = comparable(&got);
                if a != o {
                    same = false;
                    failures.push(format!("{} ({what}):\n{}", p.display(), diff(&a, &o)));
                }
            }
            if same {
                identical += 1;
            }
        }
    }
    eprintln!("corpus: {identical}/{} dumps served identically", dumps.len());
    assert!(failures.is_empty(), "{} dumps differ:\n{}", failures.len(), failures.join("\n"));
}
