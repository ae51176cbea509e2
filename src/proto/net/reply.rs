//! Server → client: one [`Reply`] per reply line, encoded the way upsd
//! writes it and decoded (validated against the [`Request`] it answers) the
//! way libupsclient reads it.
//!
//! ## Encoding (server side)
//!
//! Names are written bare and unescaped, exactly as the client spelled
//! them; values go through [`quote_always`]. A reply line is never longer
//! than [`MAX_REPLY_LINE`] bytes including its LF (REQ, network-protocol.md
//! §3): an over-long value is clamped (never splitting an escape), and a
//! line whose names alone are too long is cut to 511 bytes plus the LF.
//!
//! ## Decoding (client side)
//!
//! [`Reply::decode`] takes the request the line answers. Any line starting
//! with `ERR` is an [`ErrorReply`]. Otherwise the line must have the shape
//! of an answer to that request: GET replies start with the query words
//! (compared case-insensitively, as libupsclient does); a LIST's lines are
//! `BEGIN LIST <query>`, items starting with the item keyword and the query
//! names, and `END LIST` (case-sensitive, as in libupsclient). Because upsd
//! echoes names raw, the query words are matched against the raw text
//! rather than against re-tokenized words; this also accepts the replies
//! NUT produces for names with spaces or quotes (`VAR a b server.version
//! "2.8.0"`), which libupsclient cannot parse. The value part after the
//! names is tokenized with the one NUT tokenizer, as leniently as
//! libupsclient reads it.
//!
//! [`quote_always`]: crate::proto::words::quote_always

use std::fmt;

use super::error::{ErrorCode, ErrorReply};
use super::request::{ListQuery, Request};
use crate::model::{Range, VarType};
use crate::proto::words;

/// Longest reply line upsd may send, LF included.
pub const MAX_REPLY_LINE: usize = 512;

/// The `NETVER`/`PROTVER` answer.
pub const PROTOCOL_VERSION: &str = "1.3";

/// The commands `HELP` lists in NUT 2.8.0.
pub const HELP_COMMANDS_2_8_0: &[&str] =
    &["HELP", "VER", "GET", "LIST", "SET", "INSTCMD", "LOGIN", "LOGOUT", "USERNAME", "PASSWORD", "STARTTLS"];

/// The commands `HELP` lists in newest NUT (with `PROTVER`), which we send.
pub const HELP_COMMANDS: &[&str] =
    &["HELP", "VER", "PROTVER", "GET", "LIST", "SET", "INSTCMD", "LOGIN", "LOGOUT", "USERNAME", "PASSWORD", "STARTTLS"];

/// The free-text `VER` line (and `server.info` value) for a version and URL.
pub fn version_line(version: &str, url: &str) -> String {
    format!("Network UPS Tools upsd {version} - {url}")
}

/// The result of `GET TRACKING <id>` when it is not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrackingStatus {
    /// `PENDING`: no result from the driver yet.
    Pending,
    /// `SUCCESS`
    Success,
}

impl TrackingStatus {
    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingStatus::Pending => "PENDING",
            TrackingStatus::Success => "SUCCESS",
        }
    }
}

/// One item line inside `BEGIN LIST … END LIST`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListItem {
    /// `UPS <u> "<desc>"`
    Ups {
        /// UPS name.
        ups: String,
        /// Description (`Description unavailable` when none is configured).
        desc: String,
    },
    /// `VAR <u> <v> "<value>"`
    Var {
        /// UPS name as the client spelled it.
        ups: String,
        /// Variable name.
        var: String,
        /// Value.
        value: String,
    },
    /// `RW <u> <v> "<value>"`
    Rw {
        /// UPS name as the client spelled it.
        ups: String,
        /// Variable name.
        var: String,
        /// Value.
        value: String,
    },
    /// `CMD <u> <c>`
    Cmd {
        /// UPS name as the client spelled it.
        ups: String,
        /// Command name.
        cmd: String,
    },
    /// `ENUM <u> <v> "<value>"`
    Enum {
        /// UPS name as the client spelled it.
        ups: String,
        /// Variable name as the client spelled it.
        var: String,
        /// One allowed value.
        value: String,
    },
    /// `RANGE <u> <v> "<min>" "<max>"`
    Range {
        /// UPS name as the client spelled it.
        ups: String,
        /// Variable name as the client spelled it.
        var: String,
        /// The range.
        range: Range,
    },
    /// `CLIENT <u> <ip>` (canonical UPS name)
    Client {
        /// Canonical UPS name.
        ups: String,
        /// The client's address as inet_ntop prints it.
        addr: String,
    },
}

/// One reply line of the network protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `OK`
    Ok,
    /// `OK TRACKING <id>`
    OkTracking {
        /// The tracking id (upper-case UUID).
        id: String,
    },
    /// `OK Goodbye` (LOGOUT)
    OkGoodbye,
    /// `OK STARTTLS`
    OkStartTls,
    /// `OK PRIMARY-GRANTED`
    OkPrimaryGranted,
    /// `OK MASTER-GRANTED`
    OkMasterGranted,
    /// `OK FSD-SET`
    OkFsdSet,
    /// `ERR <CODE>[ <extra>]`
    Err(ErrorReply),
    /// The free-text `VER` line.
    Version(String),
    /// The `NETVER`/`PROTVER` answer (`1.3`).
    ProtocolVersion(String),
    /// `Commands: …` (HELP).
    Help(Vec<String>),
    /// `NUMLOGINS <u> <n>`
    NumLogins {
        /// UPS name as the client spelled it.
        ups: String,
        /// Connections logged into the UPS.
        count: u64,
    },
    /// `UPSDESC <u> "<desc>"`
    UpsDesc {
        /// UPS name as the client spelled it.
        ups: String,
        /// Description (`Unavailable` when none is configured).
        desc: String,
    },
    /// `VAR <u> <v> "<value>"`
    Var {
        /// UPS name as the client spelled it.
        ups: String,
        /// Variable name as the client spelled it.
        var: String,
        /// Value.
        value: String,
    },
    /// `TYPE <u> <v> <words…>`
    Type {
        /// UPS name as the client spelled it.
        ups: String,
        /// Variable name as the client spelled it.
        var: String,
        /// The type words.
        ty: VarType,
    },
    /// `DESC <u> <v> "<text>"`
    Desc {
        /// UPS name as the client spelled it.
        ups: String,
        /// Variable name as the client spelled it.
        var: String,
        /// Description.
        desc: String,
    },
    /// `CMDDESC <u> <c> "<text>"`
    CmdDesc {
        /// UPS name as the client spelled it.
        ups: String,
        /// Command name as the client spelled it.
        cmd: String,
        /// Description.
        desc: String,
    },
    /// `ON` / `OFF` (GET TRACKING without id).
    TrackingEnabled(bool),
    /// `PENDING` / `SUCCESS` (GET TRACKING with id).
    Tracking(TrackingStatus),
    /// `BEGIN LIST <query>`
    BeginList(ListQuery),
    /// An item line of a list.
    Item(ListItem),
    /// `END LIST <query>`
    EndList(ListQuery),
}

/// Why a reply line does not answer the request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The line does not have the shape of an answer to the request
    /// (libupsclient: "Protocol error").
    #[error("unexpected reply {line:?}")]
    Unexpected {
        /// The line received.
        line: String,
    },
    /// An `ERR` line with a code this protocol does not define
    /// (libupsclient: "Unknown error").
    #[error("unknown error reply {line:?}")]
    UnknownError {
        /// The line received.
        line: String,
    },
}

/// Builds a line from a head, an optional value (quoted and escaped) and a
/// tail, within [`MAX_REPLY_LINE`].
fn fit(head: &str, value: Option<&str>, tail: &str) -> String {
    let mut full = String::with_capacity(head.len() + tail.len() + 8);
    full.push_str(head);
    if let Some(v) = value {
        words::quote_always_into(v, &mut full);
    }
    full.push_str(tail);
    if full.len() < MAX_REPLY_LINE {
        full.push('\n');
        return full;
    }
    if let Some(v) = value {
        // Room for the escaped value between its quotes.
        let fixed = head.len() + 2 + tail.len() + 1;
        if fixed <= MAX_REPLY_LINE {
            let budget = MAX_REPLY_LINE - fixed;
            let mut esc = String::new();
            for c in v.chars() {
                let need = c.len_utf8() + usize::from(matches!(c, '"' | '\\' | '#'));
                if esc.len() + need > budget {
                    break;
                }
                words::escape_into(c.encode_utf8(&mut [0; 4]), &mut esc);
            }
            let mut out = String::with_capacity(MAX_REPLY_LINE);
            out.push_str(head);
            out.push('"');
            out.push_str(&esc);
            out.push('"');
            out.push_str(tail);
            out.push('\n');
            return out;
        }
    }
    let mut cut = MAX_REPLY_LINE - 1;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    full.truncate(cut);
    full.push('\n');
    full
}

fn ok_form(line: &str) -> Option<Reply> {
    Some(match line {
        "OK" => Reply::Ok,
        "OK Goodbye" => Reply::OkGoodbye,
        "OK STARTTLS" => Reply::OkStartTls,
        "OK PRIMARY-GRANTED" => Reply::OkPrimaryGranted,
        "OK MASTER-GRANTED" => Reply::OkMasterGranted,
        "OK FSD-SET" => Reply::OkFsdSet,
        _ => {
            let id = line.strip_prefix("OK TRACKING ")?;
            if id.is_empty() || id.contains(' ') {
                return None;
            }
            Reply::OkTracking { id: id.to_string() }
        }
    })
}

/// Strips `words` (each followed by one space) from the start of `line`,
/// comparing ASCII case-insensitively. Returns what follows and the
/// spellings found in the line.
fn strip_words<'a>(line: &'a str, ws: &[&str]) -> Option<(&'a str, Vec<&'a str>)> {
    let mut rest = line;
    let mut found = Vec::with_capacity(ws.len());
    for w in ws {
        let n = w.len();
        if rest.len() < n + 1 || !rest.is_char_boundary(n) || !rest[..n].eq_ignore_ascii_case(w) {
            return None;
        }
        if rest.as_bytes()[n] != b' ' {
            return None;
        }
        found.push(&rest[..n]);
        rest = &rest[n + 1..];
    }
    Some((rest, found))
}

/// Whether `line` is exactly `ws` joined by single spaces (ASCII
/// case-insensitively).
fn is_words(line: &str, ws: &[&str]) -> bool {
    line.eq_ignore_ascii_case(&ws.join(" "))
}

/// The words of the value part, read like libupsclient's `pconf_line`:
/// the first logical line only, and on an unescaped `#` inside quotes the
/// words up to it (`"a#b"` reads as `a`) — parseconf flags the error but
/// libupsclient never looks at the flag.
fn value_words(rest: &str) -> Vec<String> {
    words::tokenize(rest.as_bytes()).into_iter().next().map(|l| l.into_texts()).unwrap_or_default()
}

/// Splits off a bare word (up to the next space).
fn take_word(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

impl Reply {
    /// Whether this is one of the `OK` forms.
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            Reply::Ok
                | Reply::OkTracking { .. }
                | Reply::OkGoodbye
                | Reply::OkStartTls
                | Reply::OkPrimaryGranted
                | Reply::OkMasterGranted
                | Reply::OkFsdSet
        )
    }

    /// An `ERR` reply without extra text.
    pub fn err(code: ErrorCode) -> Reply {
        Reply::Err(code.into())
    }

    /// The `HELP` reply we send (newest NUT's list).
    pub fn help() -> Reply {
        Reply::Help(HELP_COMMANDS.iter().map(|s| s.to_string()).collect())
    }

    /// The line upsd writes, LF included, at most [`MAX_REPLY_LINE`] bytes.
    pub fn encode(&self) -> String {
        let (head, value, tail): (String, Option<&String>, String) = match self {
            Reply::Ok => ("OK".into(), None, String::new()),
            Reply::OkTracking { id } => (format!("OK TRACKING {id}"), None, String::new()),
            Reply::OkGoodbye => ("OK Goodbye".into(), None, String::new()),
            Reply::OkStartTls => ("OK STARTTLS".into(), None, String::new()),
            Reply::OkPrimaryGranted => ("OK PRIMARY-GRANTED".into(), None, String::new()),
            Reply::OkMasterGranted => ("OK MASTER-GRANTED".into(), None, String::new()),
            Reply::OkFsdSet => ("OK FSD-SET".into(), None, String::new()),
            Reply::Err(e) => (e.to_string(), None, String::new()),
            Reply::Version(s) | Reply::ProtocolVersion(s) => (s.clone(), None, String::new()),
            Reply::Help(cmds) => (format!("Commands: {}", cmds.join(" ")), None, String::new()),
            Reply::NumLogins { ups, count } => (format!("NUMLOGINS {ups} {count}"), None, String::new()),
            Reply::UpsDesc { ups, desc } => (format!("UPSDESC {ups} "), Some(desc), String::new()),
            Reply::Var { ups, var, value } => (format!("VAR {ups} {var} "), Some(value), String::new()),
            Reply::Type { ups, var, ty } => (format!("TYPE {ups} {var} {}", ty.words().join(" ")), None, String::new()),
            Reply::Desc { ups, var, desc } => (format!("DESC {ups} {var} "), Some(desc), String::new()),
            Reply::CmdDesc { ups, cmd, desc } => (format!("CMDDESC {ups} {cmd} "), Some(desc), String::new()),
            Reply::TrackingEnabled(on) => ((if *on { "ON" } else { "OFF" }).into(), None, String::new()),
            Reply::Tracking(t) => (t.as_str().into(), None, String::new()),
            Reply::BeginList(q) => (format!("BEGIN LIST {}", q.echo()), None, String::new()),
            Reply::EndList(q) => (format!("END LIST {}", q.echo()), None, String::new()),
            Reply::Item(item) => match item {
                ListItem::Ups { ups, desc } => (format!("UPS {ups} "), Some(desc), String::new()),
                ListItem::Var { ups, var, value } => (format!("VAR {ups} {var} "), Some(value), String::new()),
                ListItem::Rw { ups, var, value } => (format!("RW {ups} {var} "), Some(value), String::new()),
                ListItem::Cmd { ups, cmd } => (format!("CMD {ups} {cmd}"), None, String::new()),
                ListItem::Enum { ups, var, value } => (format!("ENUM {ups} {var} "), Some(value), String::new()),
                ListItem::Range { ups, var, range } => {
                    (format!("RANGE {ups} {var} \"{}\" \"{}\"", range.min, range.max), None, String::new())
                }
                ListItem::Client { ups, addr } => (format!("CLIENT {ups} {addr}"), None, String::new()),
            },
        };
        fit(&head, value.map(|v| v.as_str()), &tail)
    }

    /// Decodes `line` (with or without its LF) as the answer to `req`.
    pub fn decode(req: &Request, line: &str) -> Result<Reply, ReplyError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let unexpected = || ReplyError::Unexpected { line: line.to_string() };
        if line.starts_with("ERR") {
            let rest = line.strip_prefix("ERR ").ok_or_else(|| ReplyError::UnknownError { line: line.into() })?;
            let (code, extra) = take_word(rest);
            let code = ErrorCode::from_wire(code).ok_or_else(|| ReplyError::UnknownError { line: line.into() })?;
            let extra = (!extra.is_empty()).then(|| extra.to_string());
            return Ok(Reply::Err(ErrorReply { code, extra }));
        }
        // One value word after the names; extra words are ignored like
        // libupsclient's callers do.
        let value =
            |rest: &str| -> Result<String, ReplyError> { value_words(rest).into_iter().next().ok_or_else(unexpected) };
        match req {
            Request::Ver => Ok(Reply::Version(line.to_string())),
            Request::Netver | Request::Protver => {
                if line.is_empty() || line.contains(' ') {
                    return Err(unexpected());
                }
                Ok(Reply::ProtocolVersion(line.to_string()))
            }
            Request::Help => {
                let rest = line.strip_prefix("Commands:").ok_or_else(unexpected)?;
                Ok(Reply::Help(rest.split(' ').filter(|s| !s.is_empty()).map(String::from).collect()))
            }
            Request::StartTls
            | Request::SetVar { .. }
            | Request::SetTracking { .. }
            | Request::Instcmd { .. }
            | Request::Username(_)
            | Request::Password(_)
            | Request::Login { .. }
            | Request::Logout
            | Request::Primary { .. }
            | Request::Master { .. }
            | Request::Fsd { .. } => ok_form(line).ok_or_else(unexpected),
            Request::GetTracking { id: None } => match line {
                "ON" => Ok(Reply::TrackingEnabled(true)),
                "OFF" => Ok(Reply::TrackingEnabled(false)),
                _ => Err(unexpected()),
            },
            Request::GetTracking { id: Some(_) } => match line {
                "PENDING" => Ok(Reply::Tracking(TrackingStatus::Pending)),
                "SUCCESS" => Ok(Reply::Tracking(TrackingStatus::Success)),
                _ => Err(unexpected()),
            },
            Request::GetNumLogins { ups } => {
                let (rest, f) = strip_words(line, &["NUMLOGINS", ups]).ok_or_else(unexpected)?;
                let count = take_word(rest).0.parse().map_err(|_| unexpected())?;
                Ok(Reply::NumLogins { ups: f[1].into(), count })
            }
            Request::GetUpsDesc { ups } => {
                let (rest, f) = strip_words(line, &["UPSDESC", ups]).ok_or_else(unexpected)?;
                Ok(Reply::UpsDesc { ups: f[1].into(), desc: value(rest)? })
            }
            Request::GetVar { ups, var } => {
                let (rest, f) = strip_words(line, &["VAR", ups, var]).ok_or_else(unexpected)?;
                Ok(Reply::Var { ups: f[1].into(), var: f[2].into(), value: value(rest)? })
            }
            Request::GetType { ups, var } => {
                let (rest, f) = strip_words(line, &["TYPE", ups, var]).ok_or_else(unexpected)?;
                let ws = value_words(rest);
                if ws.is_empty() {
                    return Err(unexpected());
                }
                Ok(Reply::Type { ups: f[1].into(), var: f[2].into(), ty: VarType::from_words(&ws) })
            }
            Request::GetDesc { ups, var } => {
                let (rest, f) = strip_words(line, &["DESC", ups, var]).ok_or_else(unexpected)?;
                Ok(Reply::Desc { ups: f[1].into(), var: f[2].into(), desc: value(rest)? })
            }
            Request::GetCmdDesc { ups, cmd } => {
                let (rest, f) = strip_words(line, &["CMDDESC", ups, cmd]).ok_or_else(unexpected)?;
                Ok(Reply::CmdDesc { ups: f[1].into(), cmd: f[2].into(), desc: value(rest)? })
            }
            Request::List(q) => {
                let qw = q.words();
                let mut begin = vec!["BEGIN", "LIST"];
                begin.extend(qw.iter().copied());
                if is_words(line, &begin) || strip_words(line, &begin).is_some() {
                    return Ok(Reply::BeginList(q.clone()));
                }
                if line == "END LIST" || line.starts_with("END LIST ") {
                    return Ok(Reply::EndList(q.clone()));
                }
                let item = match q {
                    ListQuery::Ups => {
                        let rest = strip_words(line, &["UPS"]).ok_or_else(unexpected)?.0;
                        let (ups, rest) = take_word(rest);
                        ListItem::Ups { ups: ups.into(), desc: value(rest)? }
                    }
                    ListQuery::Var { ups } | ListQuery::Rw { ups } => {
                        let (rest, f) = strip_words(line, &[q.keyword(), ups]).ok_or_else(unexpected)?;
                        let (var, rest) = take_word(rest);
                        let (ups, var, value) = (f[1].to_string(), var.to_string(), value(rest)?);
                        if matches!(q, ListQuery::Var { .. }) {
                            ListItem::Var { ups, var, value }
                        } else {
                            ListItem::Rw { ups, var, value }
                        }
                    }
                    ListQuery::Cmd { ups } => {
                        let f =
                            strip_words(line, &["CMD", ups]).map(|(rest, f)| (rest, f[1])).ok_or_else(unexpected)?;
                        let cmd = take_word(f.0).0;
                        if cmd.is_empty() {
                            return Err(unexpected());
                        }
                        ListItem::Cmd { ups: f.1.into(), cmd: cmd.into() }
                    }
                    ListQuery::Enum { ups, var } => {
                        let (rest, f) = strip_words(line, &["ENUM", ups, var]).ok_or_else(unexpected)?;
                        ListItem::Enum { ups: f[1].into(), var: f[2].into(), value: value(rest)? }
                    }
                    ListQuery::Range { ups, var } => {
                        let (rest, f) = strip_words(line, &["RANGE", ups, var]).ok_or_else(unexpected)?;
                        let ws = value_words(rest);
                        if ws.len() < 2 {
                            return Err(unexpected());
                        }
                        let min = ws[0].parse().map_err(|_| unexpected())?;
                        let max = ws[1].parse().map_err(|_| unexpected())?;
                        ListItem::Range { ups: f[1].into(), var: f[2].into(), range: Range { min, max } }
                    }
                    ListQuery::Client { ups } => {
                        let (rest, f) = strip_words(line, &["CLIENT", ups]).ok_or_else(unexpected)?;
                        let addr = take_word(rest).0;
                        if addr.is_empty() {
                            return Err(unexpected());
                        }
                        ListItem::Client { ups: f[1].into(), addr: addr.into() }
                    }
                };
                Ok(Reply::Item(item))
            }
        }
    }
}

impl fmt::Display for Reply {
    /// The encoded line without its LF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.encode();
        f.write_str(e.strip_suffix('\n').unwrap_or(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gv(ups: &str, var: &str) -> Request {
        Request::GetVar { ups: ups.into(), var: var.into() }
    }

    #[test]
    fn value_escaping() {
        let r =
            Reply::Var { ups: "fake".into(), var: "ups.test.result".into(), value: "back\\slash and # hash".into() };
        assert_eq!(r.encode(), "VAR fake ups.test.result \"back\\\\slash and \\# hash\"\n");
        assert_eq!(Reply::decode(&gv("fake", "ups.test.result"), &r.encode()), Ok(r));
    }

    #[test]
    fn hash_in_quotes_reads_like_libupsclient() {
        let r = Reply::decode(&gv("u", "v"), "VAR u v \"a#b\" rest").unwrap();
        assert_eq!(r, Reply::Var { ups: "u".into(), var: "v".into(), value: "a".into() });
    }

    #[test]
    fn names_are_raw() {
        let r = Reply::Var { ups: "a b".into(), var: "server.version".into(), value: "2.8.0".into() };
        assert_eq!(r.encode(), "VAR a b server.version \"2.8.0\"\n");
        assert_eq!(Reply::decode(&gv("a b", "server.version"), &r.encode()), Ok(r));
        let r = Reply::Var { ups: "".into(), var: "server.version".into(), value: "2.8.0".into() };
        assert_eq!(r.encode(), "VAR  server.version \"2.8.0\"\n");
        assert_eq!(Reply::decode(&gv("", "server.version"), &r.encode()), Ok(r));
    }

    #[test]
    fn get_reply_must_echo_query() {
        assert!(matches!(
            Reply::decode(&gv("fake", "ups.status"), "VAR other ups.status \"OL\""),
            Err(ReplyError::Unexpected { .. })
        ));
        assert!(matches!(
            Reply::decode(&gv("fake", "ups.status"), "VAR fake ups.statusx \"OL\""),
            Err(ReplyError::Unexpected { .. })
        ));
        assert!(Reply::decode(&gv("fake", "ups.status"), "VAR fake ups.status").is_err());
        // case-insensitive echo, reply's spelling kept
        assert_eq!(
            Reply::decode(&gv("fake", "ups.status"), "var FAKE UPS.STATUS \"OL\""),
            Ok(Reply::Var { ups: "FAKE".into(), var: "UPS.STATUS".into(), value: "OL".into() })
        );
    }

    #[test]
    fn errors() {
        let req = gv("u", "v");
        assert_eq!(Reply::decode(&req, "ERR UNKNOWN-UPS\n"), Ok(Reply::err(ErrorCode::UnknownUps)));
        let e = Reply::decode(&req, "ERR ACCESS-DENIED \"SSL trust failed\"").unwrap();
        assert_eq!(e.encode(), "ERR ACCESS-DENIED \"SSL trust failed\"\n");
        assert!(matches!(Reply::decode(&req, "ERR BOGUS"), Err(ReplyError::UnknownError { .. })));
        assert!(matches!(Reply::decode(&req, "ERR"), Err(ReplyError::UnknownError { .. })));
    }

    #[test]
    fn ok_forms() {
        let r = Request::Instcmd { ups: "u".into(), cmd: "c".into(), param: None };
        assert_eq!(Reply::decode(&r, "OK"), Ok(Reply::Ok));
        assert_eq!(Reply::decode(&r, "OK TRACKING ABC"), Ok(Reply::OkTracking { id: "ABC".into() }));
        assert!(Reply::decode(&r, "OKAY").is_err());
        assert!(Reply::decode(&r, "VAR u v \"x\"").is_err());
        for rep in [
            Reply::Ok,
            Reply::OkGoodbye,
            Reply::OkStartTls,
            Reply::OkPrimaryGranted,
            Reply::OkMasterGranted,
            Reply::OkFsdSet,
            Reply::OkTracking { id: "98C489FD-821C-4132-9D93-4F6590B55E63".into() },
        ] {
            assert_eq!(Reply::decode(&Request::Logout, &rep.encode()), Ok(rep.clone()));
            assert!(rep.is_ok());
        }
    }

    #[test]
    fn lists() {
        let q = ListQuery::Var { ups: "FAKE".into() };
        let req = Request::List(q.clone());
        assert_eq!(Reply::decode(&req, "BEGIN LIST VAR FAKE"), Ok(Reply::BeginList(q.clone())));
        assert_eq!(Reply::decode(&req, "begin list var fake"), Ok(Reply::BeginList(q.clone())));
        assert_eq!(Reply::decode(&req, "END LIST VAR FAKE"), Ok(Reply::EndList(q.clone())));
        assert!(Reply::decode(&req, "BEGIN LIST VAR other").is_err());
        assert!(Reply::decode(&req, "end list VAR FAKE").is_err());
        assert_eq!(
            Reply::decode(&req, "VAR fake battery.charge \"100\""),
            Ok(Reply::Item(ListItem::Var { ups: "fake".into(), var: "battery.charge".into(), value: "100".into() }))
        );
        assert!(Reply::decode(&req, "RW fake battery.charge \"100\"").is_err());
        let rq = Request::List(ListQuery::Range { ups: "f".into(), var: "v".into() });
        let item =
            Reply::Item(ListItem::Range { ups: "f".into(), var: "v".into(), range: Range { min: 120, max: 135 } });
        assert_eq!(item.encode(), "RANGE f v \"120\" \"135\"\n");
        assert_eq!(Reply::decode(&rq, &item.encode()), Ok(item));
        let cq = Request::List(ListQuery::Client { ups: "FAKE".into() });
        assert_eq!(
            Reply::decode(&cq, "CLIENT fake 127.0.0.1"),
            Ok(Reply::Item(ListItem::Client { ups: "fake".into(), addr: "127.0.0.1".into() }))
        );
        let uq = Request::List(ListQuery::Ups);
        assert_eq!(Reply::decode(&uq, "BEGIN LIST UPS"), Ok(Reply::BeginList(ListQuery::Ups)));
        assert!(Reply::decode(&uq, "BEGIN LIST UPSX").is_err());
    }

    #[test]
    fn clamp_to_512() {
        let long = "x\"".repeat(400);
        let r = Reply::Var { ups: "u".into(), var: "v".into(), value: long.clone() };
        let line = r.encode();
        assert!(line.len() <= MAX_REPLY_LINE, "{}", line.len());
        assert!(line.ends_with("\"\n"));
        // the clamped value is a prefix of the original, decodable
        let Reply::Var { value, .. } = Reply::decode(&gv("u", "v"), &line).unwrap() else { panic!() };
        assert!(long.starts_with(&value));
        assert!(value.len() > 300);
        // names alone too long: still bounded, still LF-terminated
        let r = Reply::Var { ups: "u".repeat(512), var: "server.info".into(), value: "x".into() };
        let line = r.encode();
        assert_eq!(line.len(), MAX_REPLY_LINE);
        assert!(line.ends_with('\n'));
        // exactly at the limit is fine
        let v = "y".repeat(MAX_REPLY_LINE - "VAR u v \"\"\n".len());
        let r = Reply::Var { ups: "u".into(), var: "v".into(), value: v.clone() };
        assert_eq!(r.encode().len(), MAX_REPLY_LINE);
        assert_eq!(r.encode(), format!("VAR u v \"{v}\"\n"));
    }

    #[test]
    fn informational() {
        assert_eq!(
            Reply::help().encode(),
            "Commands: HELP VER PROTVER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS\n"
        );
        assert_eq!(Reply::ProtocolVersion(PROTOCOL_VERSION.into()).encode(), "1.3\n");
        assert_eq!(
            version_line("2.8.0", "http://www.networkupstools.org/"),
            "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"
        );
        assert_eq!(Reply::decode(&Request::GetTracking { id: None }, "ON"), Ok(Reply::TrackingEnabled(true)));
        assert_eq!(
            Reply::decode(&Request::GetTracking { id: Some("x".into()) }, "PENDING"),
            Ok(Reply::Tracking(TrackingStatus::Pending))
        );
    }
}
