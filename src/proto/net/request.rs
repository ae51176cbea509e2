//! Client → server: one [`Request`] per command line, decoded from the
//! tokenizer's words exactly the way upsd dispatches them, and encoded the
//! way libupsclient builds them.
//!
//! ## Decoding and upsd's order of checks
//!
//! [`Request::decode`] returns `Err(DecodeError { command, code })` when
//! the words are not a valid request. `command` is the recognised command
//! word (if any), so a server can reproduce NUT's order of checks: for a
//! command whose [`CommandWord::needs_credentials`] is true (LOGIN,
//! PRIMARY, MASTER, FSD, SET — including SET TRACKING — and INSTCMD),
//! upsd answers `USERNAME-REQUIRED`/`PASSWORD-REQUIRED` *before* it looks
//! at the arguments, so the server must check credentials first whenever
//! `command` needs them, whether decoding succeeded or not:
//!
//! ```
//! use nut::proto::net::{CommandWord, ErrorCode, Request};
//! let e = Request::decode(&["LOGIN"]).unwrap_err();
//! assert_eq!(e.command, Some(CommandWord::Login));
//! assert!(e.command.unwrap().needs_credentials()); // answer USERNAME-REQUIRED first
//! assert_eq!(e.code, ErrorCode::InvalidArgument);  // ... and this only once logged in
//! ```
//!
//! `code` is `UNKNOWN-COMMAND` (no or unknown command word; `command` is
//! `None`) or `INVALID-ARGUMENT` (arity or unknown sub-command).
//!
//! Argument rules (network-protocol.md §2, §6): keywords are
//! case-insensitive; VER/NETVER/PROTVER/HELP/LOGOUT take no argument;
//! USERNAME/PASSWORD/LOGIN/PRIMARY/MASTER/FSD exactly one; STARTTLS ignores
//! its arguments; GET/LIST/SET/INSTCMD ignore extra trailing arguments;
//! `SET VAR` uses only its 4th argument as the value; `INSTCMD` takes a
//! parameter only when exactly 3 arguments are given.
//!
//! ## Names are raw strings
//!
//! UPS, variable and command names are kept as the client spelled them, in
//! plain `String`s, because the wire allows what [`crate::model`] names
//! refuse: the empty name (`GET VAR "" server.version` is answered by
//! NUT). Convert with [`UpsName::new`](crate::model::UpsName::new) etc. for
//! lookups — a name that fails validation can never match a configured
//! UPS, variable or command — and echo the raw string in replies.
//!
//! ## Encoding
//!
//! [`Request::encode`] produces the line libupsclient would send (LF
//! included): keywords in upper case, each argument escaped (`"`, `\`, `#`)
//! and quoted when it holds a space. Two deliberate improvements over
//! libupsclient, which never change a line it gets right: an argument that
//! is empty or holds another separator (TAB, CR, `=`…) is quoted too, so
//! that every request round-trips. `SET VAR` always quotes the value (as
//! upsrw does). USERNAME and PASSWORD are sent raw, unescaped and unquoted,
//! exactly like NUT's clients — a password with a space therefore reaches
//! upsd as two words and gets `INVALID-ARGUMENT`, as with NUT.

use std::fmt;

use super::error::ErrorCode;
use crate::proto::words::{self, Line, Word};

/// The command word of a request line (the first word), recognised
/// case-insensitively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandWord {
    /// `VER`
    Ver,
    /// `NETVER`
    Netver,
    /// `PROTVER`
    Protver,
    /// `HELP`
    Help,
    /// `STARTTLS`
    StartTls,
    /// `GET`
    Get,
    /// `LIST`
    List,
    /// `USERNAME`
    Username,
    /// `PASSWORD`
    Password,
    /// `LOGIN`
    Login,
    /// `LOGOUT`
    Logout,
    /// `PRIMARY`
    Primary,
    /// `MASTER`
    Master,
    /// `FSD`
    Fsd,
    /// `SET`
    Set,
    /// `INSTCMD`
    Instcmd,
}

impl CommandWord {
    /// Every command word, in upsd's table order.
    pub const ALL: &'static [CommandWord] = &[
        CommandWord::Ver,
        CommandWord::Netver,
        CommandWord::Protver,
        CommandWord::Help,
        CommandWord::StartTls,
        CommandWord::Get,
        CommandWord::List,
        CommandWord::Username,
        CommandWord::Password,
        CommandWord::Login,
        CommandWord::Logout,
        CommandWord::Primary,
        CommandWord::Master,
        CommandWord::Fsd,
        CommandWord::Set,
        CommandWord::Instcmd,
    ];

    /// The canonical (upper-case) word.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandWord::Ver => "VER",
            CommandWord::Netver => "NETVER",
            CommandWord::Protver => "PROTVER",
            CommandWord::Help => "HELP",
            CommandWord::StartTls => "STARTTLS",
            CommandWord::Get => "GET",
            CommandWord::List => "LIST",
            CommandWord::Username => "USERNAME",
            CommandWord::Password => "PASSWORD",
            CommandWord::Login => "LOGIN",
            CommandWord::Logout => "LOGOUT",
            CommandWord::Primary => "PRIMARY",
            CommandWord::Master => "MASTER",
            CommandWord::Fsd => "FSD",
            CommandWord::Set => "SET",
            CommandWord::Instcmd => "INSTCMD",
        }
    }

    /// Recognises a command word, case-insensitively.
    pub fn parse(word: &str) -> Option<CommandWord> {
        CommandWord::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(word))
    }

    /// Whether upsd requires USERNAME and PASSWORD to have been sent before
    /// it even looks at this command's arguments (NUT's `FLAG_USER`).
    pub fn needs_credentials(self) -> bool {
        matches!(
            self,
            CommandWord::Login
                | CommandWord::Primary
                | CommandWord::Master
                | CommandWord::Fsd
                | CommandWord::Set
                | CommandWord::Instcmd
        )
    }
}

impl fmt::Display for CommandWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a `LIST` asks for; echoed after `BEGIN LIST`/`END LIST`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListQuery {
    /// `LIST UPS`
    Ups,
    /// `LIST VAR <u>`
    Var {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `LIST RW <u>`
    Rw {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `LIST CMD <u>`
    Cmd {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `LIST ENUM <u> <v>`
    Enum {
        /// UPS name as spelled by the client.
        ups: String,
        /// Variable name as spelled by the client.
        var: String,
    },
    /// `LIST RANGE <u> <v>`
    Range {
        /// UPS name as spelled by the client.
        ups: String,
        /// Variable name as spelled by the client.
        var: String,
    },
    /// `LIST CLIENT <u>`
    Client {
        /// UPS name as spelled by the client.
        ups: String,
    },
}

impl ListQuery {
    /// The canonical sub-command keyword (`VAR`).
    pub fn keyword(&self) -> &'static str {
        match self {
            ListQuery::Ups => "UPS",
            ListQuery::Var { .. } => "VAR",
            ListQuery::Rw { .. } => "RW",
            ListQuery::Cmd { .. } => "CMD",
            ListQuery::Enum { .. } => "ENUM",
            ListQuery::Range { .. } => "RANGE",
            ListQuery::Client { .. } => "CLIENT",
        }
    }

    /// The query words: keyword, then the names (raw).
    pub fn words(&self) -> Vec<&str> {
        let mut v = vec![self.keyword()];
        match self {
            ListQuery::Ups => {}
            ListQuery::Var { ups } | ListQuery::Rw { ups } | ListQuery::Cmd { ups } | ListQuery::Client { ups } => {
                v.push(ups)
            }
            ListQuery::Enum { ups, var } | ListQuery::Range { ups, var } => {
                v.push(ups);
                v.push(var);
            }
        }
        v
    }

    /// The UPS the list is about (`None` for `LIST UPS`).
    pub fn ups(&self) -> Option<&str> {
        match self {
            ListQuery::Ups => None,
            ListQuery::Var { ups }
            | ListQuery::Rw { ups }
            | ListQuery::Cmd { ups }
            | ListQuery::Client { ups }
            | ListQuery::Enum { ups, .. }
            | ListQuery::Range { ups, .. } => Some(ups),
        }
    }

    /// The words as upsd echoes them in `BEGIN LIST`/`END LIST`: canonical
    /// keyword, names bare and unescaped.
    pub fn echo(&self) -> String {
        self.words().join(" ")
    }
}

/// One request line of the network protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// `VER`
    Ver,
    /// `NETVER`
    Netver,
    /// `PROTVER` (same answer as NETVER)
    Protver,
    /// `HELP`
    Help,
    /// `STARTTLS`
    StartTls,
    /// `GET NUMLOGINS <u>`
    GetNumLogins {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `GET UPSDESC <u>`
    GetUpsDesc {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `GET VAR <u> <v>`
    GetVar {
        /// UPS name as spelled by the client.
        ups: String,
        /// Variable name as spelled by the client.
        var: String,
    },
    /// `GET TYPE <u> <v>`
    GetType {
        /// UPS name as spelled by the client.
        ups: String,
        /// Variable name as spelled by the client.
        var: String,
    },
    /// `GET DESC <u> <v>`
    GetDesc {
        /// UPS name as spelled by the client.
        ups: String,
        /// Variable name as spelled by the client.
        var: String,
    },
    /// `GET CMDDESC <u> <c>`
    GetCmdDesc {
        /// UPS name as spelled by the client.
        ups: String,
        /// Command name as spelled by the client.
        cmd: String,
    },
    /// `GET TRACKING` (this connection's flag) or `GET TRACKING <id>`.
    GetTracking {
        /// The tracking id asked about, if any.
        id: Option<String>,
    },
    /// `LIST …`
    List(ListQuery),
    /// `SET VAR <u> <v> <value>`
    SetVar {
        /// UPS name as spelled by the client.
        ups: String,
        /// Variable name as spelled by the client.
        var: String,
        /// The new value (unescaped).
        value: String,
    },
    /// `SET TRACKING ON|OFF`
    SetTracking {
        /// ON (true) or OFF.
        on: bool,
    },
    /// `INSTCMD <u> <c> [<param>]`
    Instcmd {
        /// UPS name as spelled by the client.
        ups: String,
        /// Command name as spelled by the client.
        cmd: String,
        /// The parameter, present only when exactly three arguments were
        /// given (it may be empty).
        param: Option<String>,
    },
    /// `USERNAME <name>`
    Username(String),
    /// `PASSWORD <pw>`
    Password(String),
    /// `LOGIN <u>`
    Login {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `LOGOUT`
    Logout,
    /// `PRIMARY <u>`
    Primary {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `MASTER <u>`
    Master {
        /// UPS name as spelled by the client.
        ups: String,
    },
    /// `FSD <u>`
    Fsd {
        /// UPS name as spelled by the client.
        ups: String,
    },
}

/// Why a line is not a valid request; see the module documentation for how
/// a server uses `command` to keep NUT's order of checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ERR {code}")]
pub struct DecodeError {
    /// The command word, when the first word was one.
    pub command: Option<CommandWord>,
    /// `UNKNOWN-COMMAND` or `INVALID-ARGUMENT`.
    pub code: ErrorCode,
}

/// A request word as [`Request::decode_args`] sees it: its text, and the
/// text as an owned string (copied from a borrowed word, moved out of an
/// owned one).
trait Arg {
    fn text(&self) -> &str;
    fn take(&mut self) -> String;
}

impl Arg for &str {
    fn text(&self) -> &str {
        self
    }
    fn take(&mut self) -> String {
        (*self).to_owned()
    }
}

impl Arg for Word {
    fn text(&self) -> &str {
        &self.text
    }
    fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }
}

impl Request {
    /// Decodes the words of one request line (from the tokenizer).
    pub fn decode<S: AsRef<str>>(words: &[S]) -> Result<Request, DecodeError> {
        let mut borrowed: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        Request::decode_args(&mut borrowed)
    }

    /// [`Request::decode`] that moves the argument strings out of the
    /// tokenizer's words instead of copying them (the words it uses are
    /// left empty): the server's path, one allocation less per argument.
    pub fn decode_taking(words: &mut [Word]) -> Result<Request, DecodeError> {
        Request::decode_args(words)
    }

    fn decode_args<A: Arg>(words: &mut [A]) -> Result<Request, DecodeError> {
        let Some((first, args)) = words.split_first_mut() else {
            return Err(DecodeError { command: None, code: ErrorCode::UnknownCommand });
        };
        let Some(cmd) = CommandWord::parse(first.text()) else {
            return Err(DecodeError { command: None, code: ErrorCode::UnknownCommand });
        };
        let bad = Err(DecodeError { command: Some(cmd), code: ErrorCode::InvalidArgument });
        // Macros, not closures: `s!` takes from `args` while `kw!` reads it.
        macro_rules! s {
            ($i:expr) => {
                args[$i].take()
            };
        }
        macro_rules! kw {
            ($i:expr, $k:expr) => {
                args[$i].text().eq_ignore_ascii_case($k)
            };
        }
        let n = args.len();
        Ok(match cmd {
            CommandWord::Ver | CommandWord::Netver | CommandWord::Protver | CommandWord::Help | CommandWord::Logout => {
                if n != 0 {
                    return bad;
                }
                match cmd {
                    CommandWord::Ver => Request::Ver,
                    CommandWord::Netver => Request::Netver,
                    CommandWord::Protver => Request::Protver,
                    CommandWord::Help => Request::Help,
                    _ => Request::Logout,
                }
            }
            CommandWord::StartTls => Request::StartTls,
            CommandWord::Username | CommandWord::Password => {
                if n != 1 {
                    return bad;
                }
                if cmd == CommandWord::Username {
                    Request::Username(s!(0))
                } else {
                    Request::Password(s!(0))
                }
            }
            CommandWord::Login | CommandWord::Primary | CommandWord::Master | CommandWord::Fsd => {
                if n != 1 {
                    return bad;
                }
                let ups = s!(0);
                match cmd {
                    CommandWord::Login => Request::Login { ups },
                    CommandWord::Primary => Request::Primary { ups },
                    CommandWord::Master => Request::Master { ups },
                    _ => Request::Fsd { ups },
                }
            }
            CommandWord::Get => {
                if n < 1 {
                    return bad;
                }
                if kw!(0, "TRACKING") {
                    Request::GetTracking { id: (n >= 2).then(|| s!(1)) }
                } else if n < 2 {
                    return bad;
                } else if kw!(0, "NUMLOGINS") {
                    Request::GetNumLogins { ups: s!(1) }
                } else if kw!(0, "UPSDESC") {
                    Request::GetUpsDesc { ups: s!(1) }
                } else if n < 3 {
                    return bad;
                } else if kw!(0, "VAR") {
                    Request::GetVar { ups: s!(1), var: s!(2) }
                } else if kw!(0, "TYPE") {
                    Request::GetType { ups: s!(1), var: s!(2) }
                } else if kw!(0, "DESC") {
                    Request::GetDesc { ups: s!(1), var: s!(2) }
                } else if kw!(0, "CMDDESC") {
                    Request::GetCmdDesc { ups: s!(1), cmd: s!(2) }
                } else {
                    return bad;
                }
            }
            CommandWord::List => {
                if n < 1 {
                    return bad;
                }
                let q = if kw!(0, "UPS") {
                    ListQuery::Ups
                } else if n < 2 {
                    return bad;
                } else if kw!(0, "VAR") {
                    ListQuery::Var { ups: s!(1) }
                } else if kw!(0, "RW") {
                    ListQuery::Rw { ups: s!(1) }
                } else if kw!(0, "CMD") {
                    ListQuery::Cmd { ups: s!(1) }
                } else if kw!(0, "CLIENT") {
                    ListQuery::Client { ups: s!(1) }
                } else if n < 3 {
                    return bad;
                } else if kw!(0, "ENUM") {
                    ListQuery::Enum { ups: s!(1), var: s!(2) }
                } else if kw!(0, "RANGE") {
                    ListQuery::Range { ups: s!(1), var: s!(2) }
                } else {
                    return bad;
                };
                Request::List(q)
            }
            CommandWord::Set => {
                if n < 2 {
                    return bad;
                }
                if kw!(0, "VAR") {
                    if n < 4 {
                        return bad;
                    }
                    Request::SetVar { ups: s!(1), var: s!(2), value: s!(3) }
                } else if kw!(0, "TRACKING") {
                    if kw!(1, "ON") {
                        Request::SetTracking { on: true }
                    } else if kw!(1, "OFF") {
                        Request::SetTracking { on: false }
                    } else {
                        return bad;
                    }
                } else {
                    return bad;
                }
            }
            CommandWord::Instcmd => {
                if n < 2 {
                    return bad;
                }
                Request::Instcmd { ups: s!(0), cmd: s!(1), param: (n == 3).then(|| s!(2)) }
            }
        })
    }

    /// Decodes a tokenized line. Lines the tokenizer flagged with an error
    /// get no reply from upsd at all; callers must check `line.error`
    /// first (this function decodes the words regardless).
    pub fn decode_line(line: &Line) -> Result<Request, DecodeError> {
        Request::decode(&line.words)
    }

    /// Tokenizes one line of text and decodes it (for tests and tools).
    /// The tokenizer's error (unescaped `#` in quotes) is reported as
    /// `None`, matching upsd's silence.
    pub fn parse(text: &str) -> Option<Result<Request, DecodeError>> {
        words::split(text).ok().map(|w| Request::decode(&w))
    }

    /// The command word of this request.
    pub fn command(&self) -> CommandWord {
        match self {
            Request::Ver => CommandWord::Ver,
            Request::Netver => CommandWord::Netver,
            Request::Protver => CommandWord::Protver,
            Request::Help => CommandWord::Help,
            Request::StartTls => CommandWord::StartTls,
            Request::GetNumLogins { .. }
            | Request::GetUpsDesc { .. }
            | Request::GetVar { .. }
            | Request::GetType { .. }
            | Request::GetDesc { .. }
            | Request::GetCmdDesc { .. }
            | Request::GetTracking { .. } => CommandWord::Get,
            Request::List(_) => CommandWord::List,
            Request::SetVar { .. } | Request::SetTracking { .. } => CommandWord::Set,
            Request::Instcmd { .. } => CommandWord::Instcmd,
            Request::Username(_) => CommandWord::Username,
            Request::Password(_) => CommandWord::Password,
            Request::Login { .. } => CommandWord::Login,
            Request::Logout => CommandWord::Logout,
            Request::Primary { .. } => CommandWord::Primary,
            Request::Master { .. } => CommandWord::Master,
            Request::Fsd { .. } => CommandWord::Fsd,
        }
    }

    /// Whether upsd checks USERNAME/PASSWORD before handling this request.
    pub fn needs_credentials(&self) -> bool {
        self.command().needs_credentials()
    }

    /// For a `GET` other than TRACKING: the words the reply must start
    /// with (`VAR <u> <v>`), raw.
    pub fn get_query_words(&self) -> Option<Vec<&str>> {
        Some(match self {
            Request::GetNumLogins { ups } => vec!["NUMLOGINS", ups],
            Request::GetUpsDesc { ups } => vec!["UPSDESC", ups],
            Request::GetVar { ups, var } => vec!["VAR", ups, var],
            Request::GetType { ups, var } => vec!["TYPE", ups, var],
            Request::GetDesc { ups, var } => vec!["DESC", ups, var],
            Request::GetCmdDesc { ups, cmd } => vec!["CMDDESC", ups, cmd],
            _ => return None,
        })
    }

    /// The line libupsclient would send for this request, LF included (see
    /// the module documentation).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let mut push = |w: &str| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        };
        let arg = |w: &str| words::quote(w);
        match self {
            Request::Ver | Request::Netver | Request::Protver | Request::Help | Request::StartTls | Request::Logout => {
                push(self.command().as_str())
            }
            Request::GetTracking { id } => {
                push("GET");
                push("TRACKING");
                if let Some(id) = id {
                    push(&arg(id));
                }
            }
            Request::List(q) => {
                push("LIST");
                for (i, w) in q.words().into_iter().enumerate() {
                    push(&if i == 0 { w.to_string() } else { arg(w) });
                }
            }
            Request::SetVar { ups, var, value } => {
                push("SET");
                push("VAR");
                push(&arg(ups));
                push(&arg(var));
                push(&words::quote_always(value));
            }
            Request::SetTracking { on } => {
                push("SET");
                push("TRACKING");
                push(if *on { "ON" } else { "OFF" });
            }
            Request::Instcmd { ups, cmd, param } => {
                push("INSTCMD");
                push(&arg(ups));
                push(&arg(cmd));
                if let Some(p) = param {
                    push(&arg(p));
                }
            }
            Request::Username(u) => {
                push("USERNAME");
                push(u);
            }
            Request::Password(p) => {
                push("PASSWORD");
                push(p);
            }
            Request::Login { ups } | Request::Primary { ups } | Request::Master { ups } | Request::Fsd { ups } => {
                push(self.command().as_str());
                push(&arg(ups));
            }
            other => {
                let q = other.get_query_words().unwrap_or_default();
                push("GET");
                for (i, w) in q.into_iter().enumerate() {
                    push(&if i == 0 { w.to_string() } else { arg(w) });
                }
            }
        }
        out.push('\n');
        out
    }
}

impl fmt::Display for Request {
    /// The encoded line without its LF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.encode();
        f.write_str(e.strip_suffix('\n').unwrap_or(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(line: &str) -> Result<Request, DecodeError> {
        Request::parse(line).expect("tokenizes")
    }
    fn err(line: &str) -> (Option<CommandWord>, ErrorCode) {
        let e = dec(line).unwrap_err();
        (e.command, e.code)
    }
    const INVALID: ErrorCode = ErrorCode::InvalidArgument;

    #[test]
    fn unknown_and_empty() {
        assert_eq!(err(""), (None, ErrorCode::UnknownCommand));
        assert_eq!(err("   "), (None, ErrorCode::UnknownCommand));
        assert_eq!(err("# comment"), (None, ErrorCode::UnknownCommand));
        assert_eq!(err("FOO"), (None, ErrorCode::UnknownCommand));
        assert_eq!(err("FOO VAR x y"), (None, ErrorCode::UnknownCommand));
    }

    #[test]
    fn fixed_arity() {
        for c in ["VER", "NETVER", "PROTVER", "HELP", "LOGOUT"] {
            let w = CommandWord::parse(c);
            assert_eq!(err(&format!("{c} x")), (w, INVALID), "{c}");
            assert!(dec(c).is_ok());
            assert!(dec(&c.to_lowercase()).is_ok());
        }
        for c in ["USERNAME", "PASSWORD", "LOGIN", "PRIMARY", "MASTER", "FSD"] {
            let w = CommandWord::parse(c);
            assert_eq!(err(c), (w, INVALID), "{c}");
            assert_eq!(err(&format!("{c} a b")), (w, INVALID), "{c}");
            assert!(dec(&format!("{c} a")).is_ok());
        }
        assert_eq!(dec("STARTTLS extra-args-ignored"), Ok(Request::StartTls));
    }

    #[test]
    fn get_dispatch() {
        let g = Some(CommandWord::Get);
        assert_eq!(err("GET"), (g, INVALID));
        assert_eq!(err("GET FOO"), (g, INVALID));
        assert_eq!(err("GET FOO a"), (g, INVALID));
        assert_eq!(err("GET FOO a b"), (g, INVALID));
        assert_eq!(err("GET VAR"), (g, INVALID));
        assert_eq!(err("GET VAR fake"), (g, INVALID));
        assert_eq!(err("GET NUMLOGINS"), (g, INVALID));
        assert_eq!(err("GET CMDDESC u"), (g, INVALID));
        assert_eq!(dec("GET TRACKING"), Ok(Request::GetTracking { id: None }));
        assert_eq!(dec("get tracking ID extra"), Ok(Request::GetTracking { id: Some("ID".into()) }));
        assert_eq!(dec("GET NUMLOGINS u extra"), Ok(Request::GetNumLogins { ups: "u".into() }));
        assert_eq!(dec("GET UPSDESC U"), Ok(Request::GetUpsDesc { ups: "U".into() }));
        assert_eq!(
            dec("get var DUMMY UPS.STATUS extra"),
            Ok(Request::GetVar { ups: "DUMMY".into(), var: "UPS.STATUS".into() })
        );
        assert_eq!(
            dec("GET VAR \"\" server.version"),
            Ok(Request::GetVar { ups: "".into(), var: "server.version".into() })
        );
        assert_eq!(dec("GET TYPE u v"), Ok(Request::GetType { ups: "u".into(), var: "v".into() }));
        assert_eq!(dec("GET DESC u v"), Ok(Request::GetDesc { ups: "u".into(), var: "v".into() }));
        assert_eq!(dec("GET CMDDESC u c"), Ok(Request::GetCmdDesc { ups: "u".into(), cmd: "c".into() }));
    }

    #[test]
    fn list_dispatch() {
        let l = Some(CommandWord::List);
        assert_eq!(err("LIST"), (l, INVALID));
        assert_eq!(err("LIST FOO"), (l, INVALID));
        assert_eq!(err("LIST FOO a"), (l, INVALID));
        assert_eq!(err("LIST FOO a b"), (l, INVALID));
        assert_eq!(err("LIST VAR"), (l, INVALID));
        assert_eq!(err("LIST ENUM fake"), (l, INVALID));
        assert_eq!(err("LIST RANGE fake"), (l, INVALID));
        assert_eq!(dec("list ups extra"), Ok(Request::List(ListQuery::Ups)));
        assert_eq!(dec("LIST CLIENT FAKE"), Ok(Request::List(ListQuery::Client { ups: "FAKE".into() })));
        assert_eq!(dec("LIST rw u x"), Ok(Request::List(ListQuery::Rw { ups: "u".into() })));
        assert_eq!(dec("LIST CMD u"), Ok(Request::List(ListQuery::Cmd { ups: "u".into() })));
        assert_eq!(dec("LIST VAR u"), Ok(Request::List(ListQuery::Var { ups: "u".into() })));
        assert_eq!(dec("LIST ENUM u v"), Ok(Request::List(ListQuery::Enum { ups: "u".into(), var: "v".into() })));
        assert_eq!(dec("LIST RANGE u v x"), Ok(Request::List(ListQuery::Range { ups: "u".into(), var: "v".into() })));
    }

    #[test]
    fn set_dispatch() {
        let s = Some(CommandWord::Set);
        assert_eq!(err("SET"), (s, INVALID));
        assert_eq!(err("SET VAR"), (s, INVALID));
        assert_eq!(err("SET VAR fake"), (s, INVALID));
        assert_eq!(err("SET VAR fake ups.id"), (s, INVALID));
        assert_eq!(err("SET FOO bar"), (s, INVALID));
        assert_eq!(err("SET TRACKING"), (s, INVALID));
        assert_eq!(err("SET TRACKING maybe"), (s, INVALID));
        assert_eq!(dec("SET TRACKING on"), Ok(Request::SetTracking { on: true }));
        assert_eq!(dec("set tracking OFF x"), Ok(Request::SetTracking { on: false }));
        // only the 4th argument is the value
        assert_eq!(
            dec("SET VAR fake ups.id two words"),
            Ok(Request::SetVar { ups: "fake".into(), var: "ups.id".into(), value: "two".into() })
        );
        assert_eq!(
            dec("SET VAR fake ups.id \"\""),
            Ok(Request::SetVar { ups: "fake".into(), var: "ups.id".into(), value: "".into() })
        );
    }

    #[test]
    fn instcmd_param_only_with_three_args() {
        let i = Some(CommandWord::Instcmd);
        assert_eq!(err("INSTCMD"), (i, INVALID));
        assert_eq!(err("INSTCMD fake"), (i, INVALID));
        let r = |p: Option<&str>| Request::Instcmd { ups: "u".into(), cmd: "c".into(), param: p.map(Into::into) };
        assert_eq!(dec("INSTCMD u c"), Ok(r(None)));
        assert_eq!(dec("INSTCMD u c 120"), Ok(r(Some("120"))));
        assert_eq!(dec("INSTCMD u c \"1 2\""), Ok(r(Some("1 2"))));
        assert_eq!(dec("INSTCMD u c 1 2"), Ok(r(None)));
        assert_eq!(dec("INSTCMD u c \"\""), Ok(r(Some(""))));
    }

    #[test]
    fn credentials_before_arguments() {
        // What a server must answer first for each privileged command: the
        // command word is known even when its arguments are wrong.
        for line in [
            "LOGIN",
            "LOGIN a b",
            "PRIMARY",
            "MASTER a b",
            "FSD",
            "SET",
            "SET TRACKING",
            "SET TRACKING maybe",
            "SET VAR u",
            "SET FOO bar",
            "INSTCMD",
            "INSTCMD u",
        ] {
            let e = dec(line).unwrap_err();
            assert!(e.command.expect(line).needs_credentials(), "{line}");
        }
        for line in ["LOGIN fake", "SET VAR fake ups.id x", "SET TRACKING ON", "INSTCMD fake load.off", "FSD u"] {
            assert!(dec(line).unwrap().needs_credentials(), "{line}");
        }
        for line in ["GET", "LIST", "USERNAME", "VER x", "HELP x"] {
            assert!(!dec(line).unwrap_err().command.unwrap().needs_credentials(), "{line}");
        }
        assert!(!dec("USERNAME a").unwrap().needs_credentials());
    }

    #[test]
    fn hash_in_quotes_is_silence() {
        assert_eq!(Request::parse("SET VAR fake ups.id \"a#b\""), None);
    }

    #[test]
    fn encoding_like_libupsclient() {
        let e = |r: Request| r.encode();
        assert_eq!(e(Request::GetVar { ups: "fake".into(), var: "ups.status".into() }), "GET VAR fake ups.status\n");
        assert_eq!(e(Request::List(ListQuery::Ups)), "LIST UPS\n");
        assert_eq!(
            e(Request::SetVar { ups: "fake".into(), var: "ups.id".into(), value: "a\"b\\c".into() }),
            "SET VAR fake ups.id \"a\\\"b\\\\c\"\n"
        );
        assert_eq!(
            e(Request::Instcmd { ups: "u".into(), cmd: "c".into(), param: Some("1 2".into()) }),
            "INSTCMD u c \"1 2\"\n"
        );
        assert_eq!(e(Request::GetVar { ups: "a#b".into(), var: "".into() }), "GET VAR a\\#b \"\"\n");
        assert_eq!(e(Request::Password("pw with space".into())), "PASSWORD pw with space\n");
        assert_eq!(e(Request::SetTracking { on: true }), "SET TRACKING ON\n");
        assert_eq!(e(Request::GetTracking { id: None }), "GET TRACKING\n");
        assert_eq!(Request::Logout.to_string(), "LOGOUT");
    }
}
