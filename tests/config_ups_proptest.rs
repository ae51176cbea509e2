//! Property test: ups.conf-like input never panics the parser, and every
//! diagnostic points inside the input.

use std::path::Path;

use nut::config::ups::UpsConf;
use proptest::prelude::*;

/// Whether `line:col` names a byte of `input` (or the end of its line).
fn inside(input: &[u8], line: u32, col: u32) -> bool {
    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let Some(l) = lines.get(line as usize - 1) else { return false };
    // col may point at the line terminator itself (a LF dropped inside quotes).
    line >= 1 && col >= 1 && (col as usize) <= l.len() + 1
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[ups]".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("=".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("#".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("driver".to_string()),
        Just("port".to_string()),
        Just("pollinterval".to_string()),
        Just("STATEPATH".to_string()),
        Just("nowait".to_string()),
        Just("é".to_string()),
        "[a-z0-9._-]{1,8}",
        "[ -~]{1,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_positions_inside(pieces in proptest::collection::vec(piece(), 0..60)) {
        let input = pieces.concat();
        let (conf, diags) = UpsConf::parse(Path::new("ups.conf"), input.as_bytes());
        let all = diags.iter().chain(conf.upsd_diagnostics().iter()).cloned().collect::<Vec<_>>();
        for d in &all {
            prop_assert!(inside(input.as_bytes(), d.pos.line, d.pos.col), "{d} outside {input:?}");
        }
        for s in &conf.sections {
            for e in &s.entries {
                prop_assert!(inside(input.as_bytes(), e.key_pos.line, e.key_pos.col));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let (_, diags) = UpsConf::parse(Path::new("ups.conf"), &bytes);
        for d in &diags {
            prop_assert!(inside(&bytes, d.pos.line, d.pos.col), "{d}");
        }
    }
}
