//! The driver-socket messages recorded from Debian's NUT 2.8.0
//! (`tests/data/golden-transcripts.md` §11 and the fake driver's dump in §0)
//! decode into our message types and encode back byte for byte.
//!
//! One recorded line cannot round-trip, by design: 2.8.0's dummy-ups
//! broadcast `SETINFO device.description "a "q" value"` without escaping.
//! We decode it the way parseconf splits it (the value is the third word,
//! `a `, which is what upsd stored), and our encoder escapes instead.
//! And `ping` (lower case) decodes as `PING` and is written upper-case:
//! keywords are case-insensitive, our encoder spells them as NUT does.

use nut::model::{CmdName, VarName};
use nut::proto::driver::{DecodeError, DriverMsg, HandlerStatus, ServerMsg};

const GOLDEN: &str = include_str!("data/golden-transcripts.md");

/// The body of the first fenced block after the heading that starts with
/// `heading`.
fn block_after(heading: &str, nth_fence: usize) -> Vec<&'static str> {
    let start = GOLDEN.find(heading).unwrap_or_else(|| panic!("heading {heading:?} missing"));
    let rest = &GOLDEN[start..];
    let mut fences = rest.match_indices("```").map(|(i, _)| i);
    let mut open = 0;
    for _ in 0..=nth_fence {
        open = fences.next().expect("fence");
        fences.next().expect("closing fence");
    }
    let body = &rest[open + 3..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body.find("```").unwrap();
    body[..end].lines().collect()
}

#[test]
fn section_11_round_trips() {
    let lines = block_after("## 11. Driver socket", 0);
    let mut server = 0;
    let mut driver = 0;
    let mut quirk_seen = false;
    for l in lines {
        if let Some(text) = l.strip_prefix("upsd> ") {
            match ServerMsg::parse(text) {
                Ok(m) => {
                    if text == "ping" {
                        // keywords are case-insensitive; we write them upper-case
                        assert_eq!(m, ServerMsg::Ping);
                        assert_eq!(m.encode(), "PING");
                        continue;
                    }
                    assert_eq!(m.encode(), text, "server line re-encodes");
                    server += 1;
                }
                Err(e) => {
                    // the two lines 2.8.0 itself refuses
                    match text {
                        "BOGUS" => assert_eq!(e, DecodeError::Unknown("BOGUS".into())),
                        "INSTCMD load.off 5 6" => assert_eq!(e, DecodeError::Malformed("INSTCMD")),
                        _ => panic!("{text}: {e}"),
                    }
                }
            }
        } else if let Some(text) = l.strip_prefix("drv<  ") {
            if text == "<nothing>" {
                continue;
            }
            let m = DriverMsg::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            if text == r#"SETINFO device.description "a "q" value""# {
                quirk_seen = true;
                assert_eq!(
                    m,
                    DriverMsg::SetInfo { var: VarName::new("device.description").unwrap(), value: "a ".into() }
                );
                continue;
            }
            assert_eq!(m.encode(), text, "driver line re-encodes");
            driver += 1;
        } else if !l.trim().is_empty() {
            panic!("unexpected transcript line {l:?}");
        }
    }
    assert!(quirk_seen, "the unescaped broadcast is in the transcript");
    assert!(server >= 14 && driver >= 40, "server {server} driver {driver}");
}

#[test]
fn section_11_specific_decodes() {
    assert_eq!(
        ServerMsg::parse("INSTCMD load.off 5 TRACKING 11111111-2222-3333-4444-777777777777").unwrap(),
        ServerMsg::InstCmd {
            cmd: CmdName::new("load.off").unwrap(),
            param: Some("5".into()),
            tracking: Some("11111111-2222-3333-4444-777777777777".into())
        }
    );
    assert_eq!(
        DriverMsg::parse("TRACKING 11111111-2222-3333-4444-666666666666 1").unwrap(),
        DriverMsg::Tracking { id: "11111111-2222-3333-4444-666666666666".into(), status: HandlerStatus::Unknown }
    );
    assert_eq!(
        ServerMsg::parse(r#"SET device.description "a \"q\" value""#).unwrap(),
        ServerMsg::Set {
            var: VarName::new("device.description").unwrap(),
            value: r#"a "q" value"#.into(),
            tracking: None
        }
    );
    // our encoding of that value, escaped (REQ)
    let m = DriverMsg::SetInfo { var: VarName::new("device.description").unwrap(), value: r#"a "q" value"#.into() };
    assert_eq!(m.encode(), r#"SETINFO device.description "a \"q\" value""#);
}

#[test]
fn fake_driver_dump_round_trips() {
    let lines = block_after("## 0. Conventions", 1);
    assert_eq!(lines.first(), Some(&r#"SETINFO battery.charge "100""#));
    assert_eq!(lines.last(), Some(&"DUMPDONE"));
    for text in &lines {
        let m = DriverMsg::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(&m.encode(), text);
    }
    let m = DriverMsg::parse(lines.iter().find(|l| l.starts_with("SETINFO ups.test.result")).unwrap()).unwrap();
    assert_eq!(
        m,
        DriverMsg::SetInfo { var: VarName::new("ups.test.result").unwrap(), value: r"back\slash and # hash".into() }
    );
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9._-]{0,30}"
    }

    fn value() -> impl Strategy<Value = String> {
        "[ -~]{0,60}"
    }

    proptest! {
        #[test]
        fn setinfo_any_value(n in name(), v in value()) {
            let m = DriverMsg::SetInfo { var: VarName::new(n).unwrap(), value: v };
            prop_assert_eq!(DriverMsg::parse(&m.encode()).unwrap(), m);
        }

        #[test]
        fn enum_any_value(n in name(), v in value()) {
            let m = DriverMsg::AddEnum { var: VarName::new(n).unwrap(), value: v };
            prop_assert_eq!(DriverMsg::parse(&m.encode()).unwrap(), m);
        }

        #[test]
        fn set_any_value(n in name(), v in value(), t in proptest::option::of("[0-9a-f-]{1,36}")) {
            let m = ServerMsg::Set { var: VarName::new(n).unwrap(), value: v, tracking: t };
            prop_assert_eq!(ServerMsg::parse(&m.encode()).unwrap(), m);
        }

        #[test]
        fn instcmd_any_param(n in name(), p in proptest::option::of("[ -~]{1,40}"), t in proptest::option::of("[0-9a-f-]{1,36}")) {
            let m = ServerMsg::InstCmd { cmd: CmdName::new(n).unwrap(), param: p, tracking: t };
            let back = ServerMsg::parse(&m.encode()).unwrap();
            prop_assert_eq!(back, m);
        }
    }
}
