//! Property tests: every [`Request`] survives encode → tokenize → decode,
//! and every [`Reply`] survives encode → decode against the request it
//! answers (within the 512-byte line limit).

use nut::model::{Range, VarType};
use nut::proto::net::{ErrorCode, ErrorReply, ListItem, ListQuery, Reply, Request, TrackingStatus};
use nut::proto::words::tokenize;
use proptest::prelude::*;

/// Any printable ASCII (DEL included: the tokenizer keeps it), spaces,
/// quotes, backslashes, `#` and `=` included; possibly empty.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(0x20u8..=0x7f, 0..24).prop_map(|b| String::from_utf8(b).unwrap())
}

/// USERNAME/PASSWORD are sent raw like NUT's clients do, so only words that
/// survive raw survive the round trip (no separators, quotes, escapes,
/// comments or `=`).
fn raw_word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._@!$%&*+,/:;<>?^|~'()\\[\\]{}-]{1,20}"
}

/// A bare word as upsd echoes names in list items (no space).
fn bare() -> impl Strategy<Value = String> {
    "[!-~]{1,20}"
}

fn list_query() -> impl Strategy<Value = ListQuery> {
    prop_oneof![
        Just(ListQuery::Ups),
        text().prop_map(|ups| ListQuery::Var { ups }),
        text().prop_map(|ups| ListQuery::Rw { ups }),
        text().prop_map(|ups| ListQuery::Cmd { ups }),
        text().prop_map(|ups| ListQuery::Client { ups }),
        (text(), text()).prop_map(|(ups, var)| ListQuery::Enum { ups, var }),
        (text(), text()).prop_map(|(ups, var)| ListQuery::Range { ups, var }),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        Just(Request::Ver),
        Just(Request::Netver),
        Just(Request::Protver),
        Just(Request::Help),
        Just(Request::StartTls),
        Just(Request::Logout),
        text().prop_map(|ups| Request::GetNumLogins { ups }),
        text().prop_map(|ups| Request::GetUpsDesc { ups }),
        (text(), text()).prop_map(|(ups, var)| Request::GetVar { ups, var }),
        (text(), text()).prop_map(|(ups, var)| Request::GetType { ups, var }),
        (text(), text()).prop_map(|(ups, var)| Request::GetDesc { ups, var }),
        (text(), text()).prop_map(|(ups, cmd)| Request::GetCmdDesc { ups, cmd }),
        proptest::option::of(text()).prop_map(|id| Request::GetTracking { id }),
        list_query().prop_map(Request::List),
        (text(), text(), text()).prop_map(|(ups, var, value)| Request::SetVar { ups, var, value }),
        any::<bool>().prop_map(|on| Request::SetTracking { on }),
        (text(), text(), proptest::option::of(text())).prop_map(|(ups, cmd, param)| Request::Instcmd {
            ups,
            cmd,
            param
        }),
        raw_word().prop_map(Request::Username),
        raw_word().prop_map(Request::Password),
        text().prop_map(|ups| Request::Login { ups }),
        text().prop_map(|ups| Request::Primary { ups }),
        text().prop_map(|ups| Request::Master { ups }),
        text().prop_map(|ups| Request::Fsd { ups }),
    ]
}

fn var_type() -> impl Strategy<Value = VarType> {
    (any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of(0i64..100000))
        .prop_map(|(rw, has_enum, has_range, string_len)| VarType { rw, has_enum, has_range, string_len })
}

/// A request and a reply that answers it.
fn exchange() -> impl Strategy<Value = (Request, Reply)> {
    prop_oneof![
        (text(), text(), text()).prop_map(|(ups, var, value)| (
            Request::GetVar { ups: ups.clone(), var: var.clone() },
            Reply::Var { ups, var, value }
        )),
        (text(), text(), var_type()).prop_map(|(ups, var, ty)| (
            Request::GetType { ups: ups.clone(), var: var.clone() },
            Reply::Type { ups, var, ty }
        )),
        (text(), text(), text()).prop_map(|(ups, var, desc)| (
            Request::GetDesc { ups: ups.clone(), var: var.clone() },
            Reply::Desc { ups, var, desc }
        )),
        (text(), text(), text()).prop_map(|(ups, cmd, desc)| (
            Request::GetCmdDesc { ups: ups.clone(), cmd: cmd.clone() },
            Reply::CmdDesc { ups, cmd, desc }
        )),
        (text(), text())
            .prop_map(|(ups, desc)| (Request::GetUpsDesc { ups: ups.clone() }, Reply::UpsDesc { ups, desc })),
        (text(), any::<u64>())
            .prop_map(|(ups, count)| (Request::GetNumLogins { ups: ups.clone() }, Reply::NumLogins { ups, count })),
        (list_query(), any::<bool>()).prop_map(|(q, begin)| (
            Request::List(q.clone()),
            if begin { Reply::BeginList(q) } else { Reply::EndList(q) }
        )),
        (bare(), text())
            .prop_map(|(ups, desc)| (Request::List(ListQuery::Ups), Reply::Item(ListItem::Ups { ups, desc }))),
        (text(), bare(), text()).prop_map(|(ups, var, value)| (
            Request::List(ListQuery::Var { ups: ups.clone() }),
            Reply::Item(ListItem::Var { ups, var, value })
        )),
        (text(), bare(), text()).prop_map(|(ups, var, value)| (
            Request::List(ListQuery::Rw { ups: ups.clone() }),
            Reply::Item(ListItem::Rw { ups, var, value })
        )),
        (text(), bare()).prop_map(|(ups, cmd)| (
            Request::List(ListQuery::Cmd { ups: ups.clone() }),
            Reply::Item(ListItem::Cmd { ups, cmd })
        )),
        (text(), text(), text()).prop_map(|(ups, var, value)| (
            Request::List(ListQuery::Enum { ups: ups.clone(), var: var.clone() }),
            Reply::Item(ListItem::Enum { ups, var, value })
        )),
        (text(), text(), any::<i64>(), any::<i64>()).prop_map(|(ups, var, min, max)| (
            Request::List(ListQuery::Range { ups: ups.clone(), var: var.clone() }),
            Reply::Item(ListItem::Range { ups, var, range: Range { min, max } })
        )),
        (text(), bare()).prop_map(|(ups, addr)| (
            Request::List(ListQuery::Client { ups: ups.clone() }),
            Reply::Item(ListItem::Client { ups, addr })
        )),
        (request(), proptest::sample::select(ErrorCode::ALL)).prop_map(|(r, code)| (r, Reply::err(code))),
        (request(), proptest::sample::select(ErrorCode::ALL), bare())
            .prop_map(|(r, code, x)| (r, Reply::Err(ErrorReply { code, extra: Some(x) }))),
        "[0-9A-F-]{1,36}".prop_map(|id| (
            Request::Instcmd { ups: "u".into(), cmd: "c".into(), param: None },
            Reply::OkTracking { id }
        )),
        any::<bool>().prop_map(|on| (Request::GetTracking { id: None }, Reply::TrackingEnabled(on))),
        any::<bool>().prop_map(|p| (
            Request::GetTracking { id: Some("x".into()) },
            Reply::Tracking(if p { TrackingStatus::Pending } else { TrackingStatus::Success })
        )),
        Just((Request::Logout, Reply::OkGoodbye)),
        Just((Request::Fsd { ups: "u".into() }, Reply::OkFsdSet)),
        Just((Request::Help, Reply::help())),
        Just((Request::Netver, Reply::ProtocolVersion("1.3".into()))),
        text().prop_map(|t| (Request::Ver, Reply::Version(format!("Network UPS Tools upsd {t}")))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn request_round_trips(req in request()) {
        let line = req.encode();
        prop_assert!(line.ends_with('\n'));
        prop_assert_eq!(line.matches('\n').count(), 1, "one line: {:?}", line);
        let lines = tokenize(line.as_bytes());
        prop_assert_eq!(lines.len(), 1, "{:?}", line);
        prop_assert!(lines[0].error.is_none());
        prop_assert_eq!(Request::decode_line(&lines[0]), Ok(req.clone()), "line {:?}", line);
    }

    #[test]
    fn reply_round_trips((req, reply) in exchange()) {
        let line = reply.encode();
        prop_assert!(line.len() <= 512);
        prop_assert!(line.ends_with('\n'));
        prop_assert_eq!(Reply::decode(&req, &line), Ok(reply), "line {:?}", line);
    }

    #[test]
    fn reply_never_exceeds_512(ups in "[a-z]{0,600}", value in proptest::collection::vec(0x20u8..=0x7e, 0..700)) {
        let value = String::from_utf8(value).unwrap();
        let r = Reply::Var { ups, var: "v".into(), value };
        let line = r.encode();
        prop_assert!(line.len() <= 512);
        prop_assert!(line.ends_with('\n'));
    }
}
