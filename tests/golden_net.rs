//! The network-protocol golden transcripts (tests/data/golden-transcripts.md,
//! captured from Debian's NUT 2.8.0) run through `nut::proto::net`.
//!
//! Every `C:` / `C(raw bytes):` / `S:` line of the network sections (all but
//! §11 and §12, which are the driver socket) is checked:
//!
//! - client lines are fed, per connection, through the incremental tokenizer
//!   (so partial and pipelined raw-bytes lines behave as on the wire) and
//!   decoded into a [`Request`]; a line NUT answers with `ERR` must fail to
//!   decode with that code (or need credentials, for USERNAME/PASSWORD-
//!   REQUIRED). Text `C:` lines in libupsclient's canonical form must
//!   re-encode byte for byte; the others are listed in [`NON_CANONICAL`]
//!   with the reason, or are hand-typed `SET VAR` lines whose value upsrw
//!   would have quoted. `C(raw bytes):` lines are only decoded (they
//!   exercise the tokenizer, not an encoding).
//! - server lines are decoded against the request they answer and must
//!   re-encode byte for byte. The exception is the deliberately truncated
//!   512-byte reply of §8.2: we clamp instead of dropping the LF (REQ), and
//!   that is what is checked for it.

use std::collections::VecDeque;

use nut::proto::net::{DecodeError, ErrorCode, Reply, Request, MAX_REPLY_LINE};
use nut::proto::words::{AfterError, Limits, Tokenizer};

const GOLDEN: &str = include_str!("data/golden-transcripts.md");

/// Text client lines that decode but are not what libupsclient sends, and why.
const NON_CANONICAL: &[(&str, &str)] = &[
    ("get var fake ups.status", "lower-case keywords"),
    ("GET VAR fake ups.status extra", "extra argument ignored"),
    ("GET VAR fake \"ups.status\"", "needless quotes"),
    ("GET VAR \"fake\" ups\\.status", "needless quotes and escape"),
    ("GET VAR fake ups.status # trailing comment", "comment"),
    ("GET VAR fake ups.status#nospace", "comment"),
    ("GET VAR fake a=b", "bare = splits the word"),
    ("GET\tVAR\tfake\tups.status", "TAB separators"),
    ("SET VAR fake ups.id two words", "unquoted two-word value, only the first is used"),
    ("STARTTLS extra-args-ignored", "extra argument ignored"),
    ("SET TRACKING on", "lower-case keyword"),
    ("GET TRACKING EC36A221-9C2E-4F36-8A18-C6711BC5C571 extra", "extra argument ignored"),
    ("USERNAME \"user with space\"", "NUT's clients send USERNAME raw (unquoted)"),
    ("PASSWORD \"pw with space\"", "NUT's clients send PASSWORD raw (unquoted)"),
    ("INSTCMD fake load.off.delay 1 2", "four arguments: the parameter is dropped"),
];

#[derive(Debug)]
enum Pending {
    Ok(Request),
    Bad(DecodeError, String),
}

struct Conn {
    tok: Tokenizer,
    pending: VecDeque<Pending>,
}

impl Conn {
    fn new() -> Conn {
        Conn { tok: Tokenizer::new(Limits::NUT, AfterError::SkipLine), pending: VecDeque::new() }
    }
}

#[derive(Default)]
struct Stats {
    client_lines: usize,
    raw_lines: usize,
    canonical: usize,
    non_canonical: usize,
    decode_errors: usize,
    server_lines: usize,
    used_non_canonical: Vec<&'static str>,
}

/// Parses a Python bytes literal body (`GET VAR \\\n x\n`).
fn py_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 1;
            match b[i] {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'\'' => out.push(b'\''),
                b'"' => out.push(b'"'),
                b'x' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => panic!("unknown escape \\{}", c as char),
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    out
}

fn bytes_literal(s: &str) -> Option<Vec<u8>> {
    let body = s.strip_prefix("b'")?.strip_suffix('\'')?;
    Some(py_bytes(body))
}

fn client_bytes(conn: &mut Conn, bytes: &[u8], text: Option<&str>, st: &mut Stats, at: &str) {
    for line in conn.tok.feed(bytes) {
        if line.error.is_some() {
            // upsd stays silent for this line.
            continue;
        }
        match Request::decode_line(&line) {
            Ok(req) => {
                if let Some(text) = text {
                    let enc = req.encode();
                    if enc == format!("{text}\n") {
                        st.canonical += 1;
                    } else if let Some((l, _)) = NON_CANONICAL.iter().find(|(l, _)| *l == text) {
                        st.non_canonical += 1;
                        st.used_non_canonical.push(l);
                    } else if let Request::SetVar { ups, var, value } = &req {
                        // hand-typed `SET VAR u v value`: upsrw would quote the value
                        assert_eq!(
                            text,
                            format!("SET VAR {ups} {var} {value}"),
                            "{at}: {text:?} re-encodes as {enc:?}"
                        );
                        st.non_canonical += 1;
                    } else {
                        panic!("{at}: client line {text:?} re-encodes as {enc:?}");
                    }
                }
                conn.pending.push_back(Pending::Ok(req));
            }
            Err(e) => {
                st.decode_errors += 1;
                conn.pending.push_back(Pending::Bad(e, line.texts().join(" ")));
            }
        }
    }
}

fn client_line(conn: &mut Conn, rest: &str, raw: bool, st: &mut Stats, at: &str) {
    if raw {
        st.raw_lines += 1;
        let bytes = bytes_literal(rest).unwrap_or_else(|| panic!("{at}: bad bytes literal {rest}"));
        client_bytes(conn, &bytes, None, st, at);
    } else if rest.starts_with('<') && rest.ends_with('>') {
        // `C: <closed>`: a marker, not a line
    } else {
        st.client_lines += 1;
        if rest == "GET VAR <600 x 'u'> server.info" {
            let line = format!("GET VAR {} server.info", "u".repeat(600));
            client_bytes(conn, format!("{line}\n").as_bytes(), None, st, at);
        } else {
            client_bytes(conn, format!("{rest}\n").as_bytes(), Some(rest), st, at);
        }
    }
}

fn server_line(conn: &mut Conn, rest: &str, st: &mut Stats, at: &str) {
    if rest == "<no reply>" {
        conn.pending.clear();
        return;
    }
    if rest.starts_with('<') {
        return; // connection closed markers
    }
    st.server_lines += 1;
    let front = conn.pending.front().unwrap_or_else(|| panic!("{at}: server line {rest:?} without a request"));
    if rest.starts_with("(512 bytes") {
        // §8.2: NUT cut the line to 512 bytes without LF; we clamp instead.
        let Pending::Ok(req) = front else { panic!("{at}: no request") };
        let Request::GetVar { ups, var } = req else { panic!("{at}: {req:?}") };
        assert_eq!(ups.len(), 512, "tokenizer cuts the 600-char word to 512");
        let r = Reply::Var {
            ups: ups.clone(),
            var: var.clone(),
            value: "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/".into(),
        };
        let line = r.encode();
        assert_eq!(line.len(), MAX_REPLY_LINE, "{at}");
        assert!(line.ends_with('\n'), "{at}");
        // NUT's 512 bytes were `VAR ` and 508 `u`; ours keep the LF instead.
        assert_eq!(line, format!("VAR {}\n", "u".repeat(507)), "{at}");
        conn.pending.pop_front();
        return;
    }
    let text = match bytes_literal(rest) {
        Some(b) => {
            let s = String::from_utf8(b).unwrap();
            s.strip_suffix('\n').expect("bytes reply ends with LF").to_string()
        }
        None => rest.to_string(),
    };
    match front {
        Pending::Bad(e, words) => {
            let r = Reply::decode(&Request::Ver, &text).unwrap();
            let Reply::Err(er) = &r else {
                panic!("{at}: {words:?} failed to decode ({e:?}) but NUT replied {text:?}")
            };
            let ok = er.code == e.code
                || (matches!(er.code, ErrorCode::UsernameRequired | ErrorCode::PasswordRequired)
                    && e.command.is_some_and(|c| c.needs_credentials()));
            assert!(ok, "{at}: {words:?} decodes to {e:?} but NUT replied {text:?}");
            assert_eq!(r.encode(), format!("{text}\n"), "{at}");
            conn.pending.pop_front();
        }
        Pending::Ok(req) => {
            let r = Reply::decode(req, &text).unwrap_or_else(|e| panic!("{at}: reply {text:?} to {req:?}: {e}"));
            assert_eq!(r.encode(), format!("{text}\n"), "{at}: reply to {req:?} re-encodes differently");
            let done = match (&r, req) {
                (Reply::BeginList(_) | Reply::Item(_), Request::List(_)) => false,
                (Reply::EndList(_) | Reply::Err(_), Request::List(_)) => true,
                (_, Request::List(_)) => panic!("{at}: {r:?} inside a list"),
                _ => true,
            };
            if done {
                conn.pending.pop_front();
            }
        }
    }
}

#[test]
fn golden_network_transcripts() {
    let mut st = Stats::default();
    let mut section = String::new();
    let mut conn = Conn::new();
    for (n, line) in GOLDEN.lines().enumerate() {
        let at = format!("golden-transcripts.md:{}", n + 1);
        if let Some(h) = line.strip_prefix("## ") {
            section = h.split('.').next().unwrap_or("").to_string();
            conn = Conn::new();
            continue;
        }
        if section == "11" || section == "12" || section == "0" {
            continue;
        }
        if line.starts_with("```") || line.starts_with("-- ") || line.starts_with("$ ") {
            conn = Conn::new();
            continue;
        }
        // §9 writes `C: x | S: y` on one line.
        let parts: Vec<&str> = line.split(" | ").collect();
        for part in parts {
            if let Some(rest) = part.strip_prefix("C: ") {
                client_line(&mut conn, rest, false, &mut st, &at);
            } else if let Some(rest) = part.strip_prefix("C(raw bytes): ") {
                client_line(&mut conn, rest, true, &mut st, &at);
            } else if let Some(rest) = part.strip_prefix("S: ") {
                server_line(&mut conn, rest, &mut st, &at);
            } else if part == "S:" {
                panic!("{at}: empty server line");
            }
        }
    }
    eprintln!(
        "client lines {} (canonical {}, non-canonical {}), raw-bytes lines {}, decode errors {}, server lines {}",
        st.client_lines, st.canonical, st.non_canonical, st.raw_lines, st.decode_errors, st.server_lines
    );
    // Guard against an extraction that silently finds nothing.
    assert!(st.client_lines > 300, "only {} client lines found", st.client_lines);
    assert!(st.server_lines > 450, "only {} server lines found", st.server_lines);
    assert!(st.raw_lines >= 25, "only {} raw lines found", st.raw_lines);
    assert!(st.canonical > 250);
    for (l, why) in NON_CANONICAL {
        assert!(st.used_non_canonical.contains(l), "NON_CANONICAL entry {l:?} ({why}) is not needed any more");
    }
}
