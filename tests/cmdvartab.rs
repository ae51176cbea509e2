//! Our shipped `data/cmdvartab`: it tokenizes cleanly with the project's
//! one tokenizer and quoting rule, describes every standard variable and
//! instant command (name lists in tests/data/cmdvartab/, taken from the
//! variables spec), and our upsd serves it when NUT_DATAPATH points at
//! data/.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Stdio;

use common::upsd_harness::*;
use nut::proto::words;
use nut::server::desc::{Descriptions, UNAVAILABLE};

const CMDVARTAB: &str = include_str!("../data/cmdvartab");
const VARS: &str = include_str!("data/cmdvartab/vars.txt");
const CMDS: &str = include_str!("data/cmdvartab/cmds.txt");

fn names(list: &str) -> Vec<&str> {
    list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// Every entry line as (keyword, name, text), checking each line on the way.
fn entries() -> Vec<(String, String, String)> {
    for line in words::tokenize(CMDVARTAB.as_bytes()) {
        assert!(line.error.is_none(), "line {}: {:?}", line.number, line.error);
        assert!(line.dropped_byte.is_none(), "line {}: non-ASCII byte", line.number);
        assert!(line.limit_hit.is_none(), "line {}: over a tokenizer limit", line.number);
    }
    let mut out = Vec::new();
    for (i, raw) in CMDVARTAB.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let lines = words::tokenize(raw.as_bytes());
        assert_eq!(lines.len(), 1, "line {n}: {raw}");
        let w = lines[0].texts();
        assert_eq!(w.len(), 3, "line {n} must be KEYWORD name \"text\": {raw}");
        assert!(w[0] == "VARDESC" || w[0] == "CMDDESC", "line {n}: unknown keyword {}", w[0]);
        assert!(!lines[0].words[1].quoted && lines[0].words[2].quoted, "line {n}: only the text is quoted");
        assert_eq!(w[1], w[1].to_ascii_lowercase(), "line {n}: names are lower case");
        assert!(!w[2].is_empty(), "line {n}: empty description");
        // The line is exactly what the project's quoter writes for it.
        assert_eq!(raw, format!("{} {} {}", w[0], w[1], words::quote_always(w[2])), "line {n}");
        out.push((w[0].to_string(), w[1].to_string(), w[2].to_string()));
    }
    out
}

#[test]
fn cmdvartab_tokenizes_cleanly_without_duplicates() {
    let e = entries();
    assert!(e.len() > 200, "only {} entries", e.len());
    let mut seen = HashSet::new();
    for (kw, name, _) in &e {
        assert!(seen.insert((kw.clone(), name.clone())), "{kw} {name} appears twice");
    }
}

#[test]
fn every_standard_name_has_a_description() {
    let d = Descriptions::parse(CMDVARTAB.as_bytes());
    let vars = names(VARS);
    let cmds = names(CMDS);
    assert!(vars.len() > 200 && cmds.len() > 40);
    let missing_vars: Vec<_> = vars.iter().filter(|n| d.var(n) == UNAVAILABLE).collect();
    let missing_cmds: Vec<_> = cmds.iter().filter(|n| d.cmd(n) == UNAVAILABLE).collect();
    assert!(missing_vars.is_empty(), "variables without a description: {missing_vars:?}");
    assert!(missing_cmds.is_empty(), "commands without a description: {missing_cmds:?}");
    // And nothing in the file that is not a listed standard name.
    let vars: HashSet<_> = vars.into_iter().collect();
    let cmds: HashSet<_> = cmds.into_iter().collect();
    for (kw, name, _) in entries() {
        let listed = if kw == "VARDESC" { vars.contains(name.as_str()) } else { cmds.contains(name.as_str()) };
        assert!(listed, "{kw} {name} is not in the standard name lists");
    }
}

#[test]
fn upsd_serves_descriptions_from_the_shipped_file() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    let d = Descriptions::load(&data).unwrap_or_else(|(p, e)| panic!("{}: {e}", p.display()));
    let s = golden_bed("cmdvartab");
    let port = free_port();
    let _dummy = start_dummy(&s, "dummy");
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\nMAXAGE 15\n"));
    let mut c = env_cmd(&our_upsd(), &s);
    c.env("NUT_DATAPATH", &data).args(["-F", "-u", "root"]).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut upsd = Proc { child: c.spawn().unwrap(), name: "our upsd".into() };
    wait_port(port);
    wait_ups(port, "dummy");

    let mut cl = Client::connect(port);
    let want = format!("DESC dummy battery.charge {}", words::quote_always(d.var("battery.charge")));
    assert_eq!(cl.one("GET DESC dummy battery.charge"), want);
    assert_eq!(cl.one("GET DESC dummy battery.charge"), "DESC dummy battery.charge \"Charge left in the battery [%]\"");
    let want = format!("CMDDESC dummy shutdown.return {}", words::quote_always(d.cmd("shutdown.return")));
    assert_eq!(cl.one("GET CMDDESC dummy shutdown.return"), want);
    assert_eq!(cl.one("GET DESC dummy no.such.var"), format!("DESC dummy no.such.var \"{UNAVAILABLE}\""));

    upsd.signal(libc::SIGTERM);
    let _ = upsd.child.wait();
    let err = upsd.stderr_text();
    assert!(!err.contains("cmdvartab"), "upsd complained about cmdvartab:\n{err}");
}
