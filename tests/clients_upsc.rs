//! Our `upsc` against Debian's 2.8.0 `upsc`, both talking to the same
//! upsd — Debian's, and again ours — serving real device dumps through
//! Debian's dummy-ups (and over TLS with our upsd): stdout,
//! stderr and exit status must be identical (normalisations listed in
//! `common/compare.rs`). Plus the `-j` output of NUT 2.8.5, which Debian's
//! 2.8.0 lacks, checked against the plain output.
//!
//! Documented differences handled here: `upsc -h` has an extra paragraph
//! for `-j`; `upsc -V` names itself `upsc` (NUT 2.8.0 says `upscmd`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;

use common::compare::{compare_all, run, Case, Run};
use common::dumps::dumps;
use common::refnut::{free_port, Bed};

const OURS: &str = env!("CARGO_BIN_EXE_upsc");
const OUR_UPSD: &str = env!("CARGO_BIN_EXE_upsd");

fn post(c: &Case, mut r: Run) -> Run {
    // the usage text's extra paragraph about -j
    r.stdout = r.stdout.replace("\nOption (from NUT 2.8.5):\n  -j         - display output in JSON format\n", "");
    if c.args.iter().any(|a| a == "-V") {
        r.stderr = r.stderr.replace("Network UPS Tools upsc ", "Network UPS Tools upscmd ");
    }
    r
}

/// Keeps a connection logged into `ups` so LIST CLIENT has an entry.
fn logged_in(port: u16, ups: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for l in ["USERNAME mon", "PASSWORD pass", &format!("LOGIN {ups}")] {
        s.write_all(format!("{l}\n").as_bytes()).unwrap();
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, "OK\n", "{l}");
    }
    s
}

#[test]
fn upsc_matches_debian_on_debian_upsd() {
    upsc_matches_debian(Bed::new(dumps()));
}

#[test]
fn upsc_matches_debian_on_our_upsd() {
    upsc_matches_debian(Bed::new(dumps()).upsd(OUR_UPSD.into()));
}

fn upsc_matches_debian(bed: Bed) {
    let bed = bed.without_driver("nodrv").start();
    let _login = logged_in(bed.port, "apc");
    let down = format!("apc@127.0.0.1:{}", free_port());
    let mut cases = Vec::new();
    for u in dumps() {
        let t = bed.target(&u.name);
        cases.push(Case::new(&[t.as_str()]));
        cases.push(Case::new(&[t.as_str(), "ups.status"]));
        cases.push(Case::new(&[t.as_str(), "device.model"]));
        cases.push(Case::new(&["-c", t.as_str()]));
    }
    let apc = bed.target("apc");
    let host = bed.host();
    for args in [
        vec![apc.as_str(), "no.such.var"],
        vec![apc.as_str(), "nodots"],
        vec![apc.as_str(), "server.version"],
        vec![apc.as_str(), "server.info"],
        vec![apc.as_str(), "ups.status", "extra"],
        vec!["--", apc.as_str(), "battery.charge"],
        vec![apc.as_str(), "-l"],
        vec!["-l", host.as_str()],
        vec!["-L", host.as_str()],
        vec!["-lL", host.as_str()],
        vec!["-l", host.as_str(), "extra"],
        vec!["-l", "127.0.0.1:"],
        vec!["-l", "[::1"],
        vec!["-l", "127.0.0.1:70000"],
        vec!["-c"],
        vec![],
        vec!["-h"],
        vec!["-x"],
        vec!["--help"],
        vec!["-V"],
        vec!["-lx"],
        vec![down.as_str()],
        vec!["-l", &down[4..]],
        vec!["-c", down.as_str()],
        vec!["apc@"],
        vec!["apc@127.0.0.1:"],
        vec!["apc@no.such.host.invalid"],
    ] {
        cases.push(Case::new(&args));
    }
    let nosuch = bed.target("nosuch");
    let nodrv = bed.target("nodrv");
    for t in [&nosuch, &nodrv] {
        cases.push(Case::new(&[t.as_str()]));
        cases.push(Case::new(&[t.as_str(), "ups.status"]));
        cases.push(Case::new(&["-c", t.as_str()]));
    }
    let upper = bed.target("APC");
    cases.push(Case::new(&[upper.as_str(), "UPS.STATUS"]));
    compare_all("upsc", Path::new(OURS), &cases, post);
}

/// `-j` (NUT 2.8.5): the same data as the plain output, in NUT's layout.
#[test]
fn upsc_json_output_on_debian_upsd() {
    upsc_json_output(Bed::new(vec![dumps().remove(0), dumps().remove(2)]));
}

#[test]
fn upsc_json_output_on_our_upsd() {
    upsc_json_output(Bed::new(vec![dumps().remove(0), dumps().remove(2)]).upsd(OUR_UPSD.into()));
}

/// STARTTLS: our upsd with a certificate; Debian's upsc (NSS) and ours
/// both go encrypted. Debian's NSS log lines are normalised away (see
/// common/compare.rs); libupsclient's own two lines must match.
#[test]
fn upsc_over_tls_on_our_upsd() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("upsd.pem");
    let tls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls");
    let mut both = std::fs::read(tls.join("server.pem")).unwrap();
    both.extend(std::fs::read(tls.join("server.key")).unwrap());
    std::fs::write(&pem, both).unwrap();
    let bed = Bed::new(vec![dumps().remove(0)])
        .upsd(OUR_UPSD.into())
        .upsd_conf(&format!("CERTFILE {}\n", pem.display()))
        .start();
    let t = bed.target("apc");
    let cases = vec![
        Case::new(&[t.as_str()]),
        Case::new(&[t.as_str(), "ups.status"]),
        Case::new(&["-l", &bed.host()]),
        Case::new(&[bed.target("nosuch").as_str()]),
    ];
    compare_all("upsc", Path::new(OURS), &cases, post);
    let r = run(Path::new(OURS), &[t, "ups.status".into()], b"");
    assert_eq!(r.stderr, "Connected to NUT server 127.0.0.1 in SSL\nCertificate verification is disabled\n");
}

fn upsc_json_output(bed: Bed) {
    let bed = bed.start();
    let ours = Path::new(OURS);
    let a = |args: &[&str]| run(ours, &args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), b"");

    let r = a(&["-j", "-l", &bed.host()]);
    assert_eq!((r.stdout.as_str(), r.status), ("[\n  \"apc\",\n  \"smart\"\n]\n", 0));
    let r = a(&["-j", "-L", &bed.host()]);
    assert_eq!(r.stdout, "{\n  \"apc\": \"Back-UPS CS 500\",\n  \"smart\": \"Smart \\\"UPS\\\" #5000\"\n}\n");
    let r = a(&["-j", &bed.target("apc"), "ups.status"]);
    assert_eq!(r.stdout, "\"OL\"\n");
    let r = a(&["-j", "-c", &bed.target("apc")]);
    assert_eq!(r.stdout, "[\n\n]\n");

    // list of variables: same pairs as the plain form
    let plain = a(&[&bed.target("smart")]).stdout;
    let json = a(&["-j", &bed.target("smart")]).stdout;
    let mut expect = String::from("{\n");
    let pairs: Vec<String> = plain
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            format!("  \"{}\": \"{}\"", nut::client::upsc::json_escape(k), nut::client::upsc::json_escape(v))
        })
        .collect();
    expect.push_str(&pairs.join(",\n"));
    expect.push_str("\n}\n");
    assert_eq!(json, expect);

    // errors: the JSON object on stdout and the message on stderr
    let r = a(&["-j", &bed.target("nosuch"), "ups.status"]);
    assert_eq!(r.stdout, "{\"error\": \"Unknown UPS\"}\n");
    assert_eq!(r.stderr, "Error: Unknown UPS\n");
    assert_eq!(r.status, 1);
    let r = a(&["-j", &bed.target("nosuch")]);
    assert_eq!(r.stdout, "{\n  \"error\": \"Unknown UPS\"\n}\n");
    let r = a(&["-j", &format!("apc@127.0.0.1:{}", free_port())]);
    assert_eq!(r.stdout, "{\"error\": \"Connection failure: Connection refused\"}\n");
    assert_eq!(r.status, 1);
}
