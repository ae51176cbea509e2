//! The instance name of any legal section name gives the section name back,
//! and our escaping is exactly systemd's (compared with `systemd-escape`).

use nut_driver_enumerator::escape::{escape, instance_for, section_for_unit, unescape, UNIT_NAME_MAX};
use proptest::prelude::*;

/// Section names as NUT's tokenizer can produce them: printable ASCII
/// (0x20..0x7e, bytes outside are dropped by the tokenizer), no `]` inside,
/// at most 510 bytes (the 512-byte token limit minus the brackets).
fn section_name() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::char::range(' ', '~').prop_filter("no ]", |c| *c != ']'), 1..510)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn escape_round_trips(name in section_name()) {
        prop_assert_eq!(unescape(&escape(&name)), Some(name.clone()));
        let inst = instance_for(&name);
        prop_assert!(inst.unit.len() <= UNIT_NAME_MAX);
        if !inst.hashed {
            prop_assert_eq!(section_for_unit(&inst.unit), Some(name));
        }
    }

    #[test]
    fn escaped_names_use_only_unit_name_characters(name in section_name()) {
        let e = escape(&name);
        prop_assert!(e.bytes().all(|b| b.is_ascii_alphanumeric() || b":-_.\\".contains(&b)), "{}", e);
        prop_assert!(!e.starts_with('.'));
    }
}

fn systemd_escape(args: &[&str]) -> String {
    let out = std::process::Command::new("systemd-escape")
        .args(args)
        .output()
        .expect("systemd-escape (package systemd) must be installed for this test");
    assert!(out.status.success(), "systemd-escape {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim_end_matches('\n').to_string()
}

#[test]
fn same_as_systemd_escape() {
    let names = [
        "ups+1",
        "net.ups-2",
        "a:b",
        "myups",
        ".dot",
        "with space",
        "sl/ash",
        "back\\slash",
        "quo\"te",
        "per%cent",
        "dollar$",
        "under_score",
        "UPPER.lower-9",
        "~!@#^&*()=[{}|;',<>?`",
        &"long".repeat(50),
    ];
    for n in names {
        assert_eq!(escape(n), systemd_escape(&["--", n]), "escape({n:?})");
        assert_eq!(unescape(&escape(n)).as_deref(), Some(n));
        assert_eq!(systemd_escape(&["-u", "--", &escape(n)]), n, "systemd-escape -u of ours for {n:?}");
        let unit = instance_for(n).unit;
        if !instance_for(n).hashed {
            assert_eq!(unit, systemd_escape(&["--template=nut-driver@.service", "--", n]), "unit for {n:?}");
        }
    }
}
