//! Property test for every config parser: random input built from each
//! file's vocabulary never panics, and every diagnostic points inside it.

use std::path::Path;

use nut::config::diag::Diagnostic;
use nut::config::{nut_conf::NutConf, upsd::UpsdConf, upsmon::UpsmonConf, upssched::UpsschedConf, users::UsersConf};
use proptest::prelude::*;

/// Whether `line:col` names a byte of `input` or the end of its line.
fn inside(input: &[u8], d: &Diagnostic) -> bool {
    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let (line, col) = (d.pos.line as usize, d.pos.col as usize);
    line >= 1 && col >= 1 && lines.get(line - 1).is_some_and(|l| col <= l.len() + 1)
}

fn pieces(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    let vocab = proptest::sample::select(words).prop_map(str::to_string);
    let piece = prop_oneof![
        4 => vocab,
        2 => Just(" ".to_string()),
        2 => Just("\n".to_string()),
        1 => prop_oneof![Just("\"".to_string()), Just("'".to_string()), Just("\\".to_string()), Just("#".to_string()),
                         Just("=".to_string()), Just("\t".to_string()), Just("\u{e9}".to_string()), Just("$".to_string())],
        1 => "[ -~]{1,6}",
        1 => "-?[0-9]{1,6}",
    ];
    proptest::collection::vec(piece, 0..50).prop_map(|v| v.concat())
}

const NUT: &[&str] = &[
    "MODE=",
    "none",
    "standalone",
    "netserver",
    "netclient",
    "ALLOW_NO_DEVICE=",
    "POWEROFF_WAIT=",
    "NUT_DEBUG_LEVEL=",
    "NUT_DEBUG_SYSLOG=",
    "UPSD_OPTIONS=",
    "true",
    "15m",
    "'",
    "\"",
];
const UPSD: &[&str] = &[
    "LISTEN",
    "MAXAGE",
    "TRACKINGDELAY",
    "MAXCONN",
    "STATEPATH",
    "DATAPATH",
    "ALLOW_NO_DEVICE",
    "CERTFILE",
    "CERTIDENT",
    "CERTREQUEST",
    "DISABLE_WEAK_SSL",
    "DEBUG_MIN",
    "ACL",
    "ACCEPT",
    "127.0.0.1",
    "3493",
    "yes",
];
const USERS: &[&str] = &[
    "[admin]",
    "[x]",
    "password",
    "actions",
    "instcmds",
    "upsmon",
    "primary",
    "slave",
    "=",
    "SET",
    "FSD",
    "ALL",
    "user",
    "allowfrom",
];
const UPSMON: &[&str] = &[
    "MONITOR",
    "ups@localhost",
    "u@[::1]:3493",
    "1",
    "0",
    "mon",
    "pw",
    "primary",
    "NOTIFYMSG",
    "NOTIFYFLAG",
    "ONBATT",
    "SYSLOG+WALL",
    "\"%s %d\"",
    "POLLFREQ",
    "MINSUPPLIES",
    "SHUTDOWNCMD",
    "CERTHOST",
    "DEBUG_MIN",
];
const SCHED: &[&str] = &[
    "CMDSCRIPT",
    "PIPEFN",
    "LOCKFN",
    "AT",
    "ONBATT",
    "*",
    "START-TIMER",
    "CANCEL-TIMER",
    "EXECUTE",
    "START-TIMER-SHARED",
    "CANCEL-TIMER-MATCHED",
    "t",
    "30",
    "/x",
];

fn check(diags: &[Diagnostic], input: &str) -> Result<(), TestCaseError> {
    for d in diags {
        prop_assert!(inside(input.as_bytes(), d), "{d} outside {input:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn nut_conf(input in pieces(NUT)) {
        check(&NutConf::parse(Path::new("nut.conf"), input.as_bytes()).1, &input)?;
    }

    #[test]
    fn upsd_conf(input in pieces(UPSD)) {
        check(&UpsdConf::parse(Path::new("upsd.conf"), input.as_bytes()).1, &input)?;
    }

    #[test]
    fn upsd_users(input in pieces(USERS)) {
        check(&UsersConf::parse(Path::new("upsd.users"), input.as_bytes()).1, &input)?;
    }

    #[test]
    fn upsmon_conf(input in pieces(UPSMON)) {
        let (c, d) = UpsmonConf::parse(Path::new("upsmon.conf"), input.as_bytes());
        check(&d, &input)?;
        check(&c.startup_diagnostics(), &input)?;
    }

    #[test]
    fn upssched_conf(input in pieces(SCHED)) {
        check(&UpsschedConf::parse(Path::new("upssched.conf"), input.as_bytes()).1, &input)?;
    }

    #[test]
    fn any_bytes_any_parser(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let p = Path::new("f");
        let all = [
            NutConf::parse(p, &bytes).1,
            UpsdConf::parse(p, &bytes).1,
            UsersConf::parse(p, &bytes).1,
            UpsmonConf::parse(p, &bytes).1,
            UpsschedConf::parse(p, &bytes).1,
        ];
        for d in all.iter().flatten() {
            prop_assert!(inside(&bytes, d), "{d}");
        }
    }
}
