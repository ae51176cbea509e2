//! The driver-socket protocol between a driver and upsd: one type per message.
//!
//! Each driver instance listens on `<statepath>/<driver>-<ups>`; upsd (and
//! tools, and sibling drivers) connect to it. Two message families travel
//! on that socket (`driver-protocol.md` §3–§4):
//!
//! - [`DriverMsg`]: driver → server (`SETINFO`, `ADDENUM`, `DUMPDONE`,
//!   `TRACKING`, …), broadcast on change and sent as a dump;
//! - [`ServerMsg`]: server → driver (`DUMPALL`, `PING`, `SET`, `INSTCMD`, …).
//!
//! Both ends use the same types: the driver decodes [`ServerMsg`] and
//! encodes [`DriverMsg`], upsd the other way round. Words are split by the
//! one tokenizer ([`crate::proto::words`]) and values are written with its
//! quoter, so a message survives `encode` → `decode` unchanged.
//!
//! Two deliberate differences from NUT 2.8.0 (REQ):
//!
//! - [`DriverMsg::encode`] always escapes values, broadcasts included.
//!   Stock drivers broadcast raw values (`SETINFO v "a "q" value"`), which
//!   decoding tolerates exactly the way parseconf splits them: the third
//!   word is the value, so the receiver gets `a `.
//! - A bare `SETFLAGS <var>` decodes as "clear all flags"
//!   ([`VarFlags::NONE`]) instead of being ignored.
//!
//! ```
//! use nut::proto::driver::{DriverMsg, ServerMsg};
//! let m = DriverMsg::parse(r#"SETINFO ups.status "OL""#).unwrap();
//! assert_eq!(m.encode(), r#"SETINFO ups.status "OL""#);
//! let s = ServerMsg::parse("SET ups.id \"x y\" TRACKING 1234").unwrap();
//! assert_eq!(s.encode(), "SET ups.id \"x y\" TRACKING 1234");
//! ```

use std::fmt;

use crate::model::{atoi, CmdName, NameError, VarFlags, VarName};
use crate::proto::words::{self, AfterError, Limits, Line, Tokenizer};

/// Why a line is not a message. The peer ignores such lines (NUT logs
/// "Unknown command on socket" or nothing at all).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The line holds no word.
    #[error("empty line")]
    Empty,
    /// The first word is not a command of this direction.
    #[error("unknown command {0:?}")]
    Unknown(String),
    /// Too few words for the command (NUT ignores the line silently).
    #[error("{cmd}: needs at least {need} words, got {got}")]
    TooFew {
        /// The command word, upper-cased.
        cmd: &'static str,
        /// Words required, the command included.
        need: usize,
        /// Words present.
        got: usize,
    },
    /// The words do not fit any accepted shape (`INSTCMD c 1 2`,
    /// `SET v x FOO bar`).
    #[error("malformed {0} request")]
    Malformed(&'static str),
    /// A variable or command name that cannot be carried.
    #[error("bad name: {0}")]
    BadName(#[from] NameError),
    /// The line ended in a tokenizer error (unescaped `#` in quotes).
    #[error("parse error: {0}")]
    Parse(words::LineError),
}

/// The result code of a SET or INSTCMD handler (`drivers/upshandler.h`),
/// reported in `TRACKING <id> <code>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandlerStatus {
    /// 0: handled.
    Handled,
    /// 1: unknown, unspecified error, or not handled.
    Unknown,
    /// 2: invalid (command or variable not valid now).
    Invalid,
    /// 3: failed.
    Failed,
    /// 4: value conversion failed.
    ConversionFailed,
    /// Any other number a peer sent (upsd stores `atoi` of it).
    Other(i64),
}

impl HandlerStatus {
    /// The numeric code on the wire.
    pub fn code(self) -> i64 {
        match self {
            HandlerStatus::Handled => 0,
            HandlerStatus::Unknown => 1,
            HandlerStatus::Invalid => 2,
            HandlerStatus::Failed => 3,
            HandlerStatus::ConversionFailed => 4,
            HandlerStatus::Other(n) => n,
        }
    }

    /// The status for a numeric code.
    pub fn from_code(n: i64) -> HandlerStatus {
        match n {
            0 => HandlerStatus::Handled,
            1 => HandlerStatus::Unknown,
            2 => HandlerStatus::Invalid,
            3 => HandlerStatus::Failed,
            4 => HandlerStatus::ConversionFailed,
            n => HandlerStatus::Other(n),
        }
    }
}

impl fmt::Display for HandlerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// A message from a driver to its clients (upsd).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriverMsg {
    /// `SETINFO <var> "<value>"`: create or update a variable.
    SetInfo {
        /// The variable.
        var: VarName,
        /// Its new value (unescaped).
        value: String,
    },
    /// `DELINFO <var>`: delete a variable with its enums, ranges and flags.
    DelInfo {
        /// The variable.
        var: VarName,
    },
    /// `ADDENUM <var> "<value>"`: append an allowed value.
    AddEnum {
        /// The variable.
        var: VarName,
        /// The allowed value.
        value: String,
    },
    /// `DELENUM <var> "<value>"`: remove an allowed value.
    DelEnum {
        /// The variable.
        var: VarName,
        /// The value to remove.
        value: String,
    },
    /// `ADDRANGE <var> <min> <max>`: append an integer range.
    AddRange {
        /// The variable.
        var: VarName,
        /// Smallest allowed value (`atoi` on decode).
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// `DELRANGE <var> <min> <max>`: remove a range.
    DelRange {
        /// The variable.
        var: VarName,
        /// Its minimum.
        min: i64,
        /// Its maximum.
        max: i64,
    },
    /// `SETAUX <var> <n>`: the aux number (maximum length of a STRING).
    SetAux {
        /// The variable.
        var: VarName,
        /// The aux value.
        aux: i64,
    },
    /// `SETFLAGS <var> [RW] [STRING] [NUMBER]`: replace the flag set. A bare
    /// `SETFLAGS <var>` clears every flag (REQ).
    SetFlags {
        /// The variable.
        var: VarName,
        /// The whole new flag set.
        flags: VarFlags,
    },
    /// `ADDCMD <cmd>`: an instant command appears.
    AddCmd {
        /// The command.
        cmd: CmdName,
    },
    /// `DELCMD <cmd>`: an instant command disappears.
    DelCmd {
        /// The command.
        cmd: CmdName,
    },
    /// `DATAOK`: the data can be trusted again.
    DataOk,
    /// `DATASTALE`: the data cannot be trusted.
    DataStale,
    /// `DUMPDONE`: the end of a dump.
    DumpDone,
    /// `PONG`: the answer to `PING`.
    Pong,
    /// `TRACKING <id> <code>`: the result of a tracked SET or INSTCMD.
    Tracking {
        /// The id the server gave.
        id: String,
        /// The handler's result.
        status: HandlerStatus,
    },
    /// `PID <pid>`: the answer to `GETPID` (NUT 2.8.3+).
    Pid(i64),
    /// `OK Goodbye`: the answer to `LOGOUT` (NUT 2.8.3+).
    Goodbye,
}

fn var(w: &str) -> Result<VarName, DecodeError> {
    Ok(VarName::new(w)?)
}

fn cmd(w: &str) -> Result<CmdName, DecodeError> {
    Ok(CmdName::new(w)?)
}

fn need(cmd: &'static str, words: &[String], n: usize) -> Result<(), DecodeError> {
    if words.len() < n {
        Err(DecodeError::TooFew { cmd, need: n, got: words.len() })
    } else {
        Ok(())
    }
}

impl DriverMsg {
    /// Decodes one line's words the way upsd's `sstate.c` does: keywords
    /// case-insensitive, extra words ignored, too few words an error.
    pub fn decode<S: AsRef<str>>(words: &[S]) -> Result<DriverMsg, DecodeError> {
        let w: Vec<String> = words.iter().map(|s| s.as_ref().to_string()).collect();
        let Some(first) = w.first() else {
            return Err(DecodeError::Empty);
        };
        let kw = first.to_ascii_uppercase();
        Ok(match kw.as_str() {
            "SETINFO" => {
                need("SETINFO", &w, 3)?;
                DriverMsg::SetInfo { var: var(&w[1])?, value: w[2].clone() }
            }
            "DELINFO" => {
                need("DELINFO", &w, 2)?;
                DriverMsg::DelInfo { var: var(&w[1])? }
            }
            "ADDENUM" => {
                need("ADDENUM", &w, 3)?;
                DriverMsg::AddEnum { var: var(&w[1])?, value: w[2].clone() }
            }
            "DELENUM" => {
                need("DELENUM", &w, 3)?;
                DriverMsg::DelEnum { var: var(&w[1])?, value: w[2].clone() }
            }
            "ADDRANGE" => {
                need("ADDRANGE", &w, 4)?;
                DriverMsg::AddRange { var: var(&w[1])?, min: atoi(&w[2]), max: atoi(&w[3]) }
            }
            "DELRANGE" => {
                need("DELRANGE", &w, 4)?;
                DriverMsg::DelRange { var: var(&w[1])?, min: atoi(&w[2]), max: atoi(&w[3]) }
            }
            "SETAUX" => {
                need("SETAUX", &w, 3)?;
                DriverMsg::SetAux { var: var(&w[1])?, aux: atoi(&w[2]) }
            }
            "SETFLAGS" => {
                need("SETFLAGS", &w, 2)?;
                DriverMsg::SetFlags { var: var(&w[1])?, flags: VarFlags::from_words(&w[2..]) }
            }
            "ADDCMD" => {
                need("ADDCMD", &w, 2)?;
                DriverMsg::AddCmd { cmd: cmd(&w[1])? }
            }
            "DELCMD" => {
                need("DELCMD", &w, 2)?;
                DriverMsg::DelCmd { cmd: cmd(&w[1])? }
            }
            "DATAOK" => DriverMsg::DataOk,
            "DATASTALE" => DriverMsg::DataStale,
            "DUMPDONE" => DriverMsg::DumpDone,
            "PONG" => DriverMsg::Pong,
            "TRACKING" => {
                need("TRACKING", &w, 3)?;
                DriverMsg::Tracking { id: w[1].clone(), status: HandlerStatus::from_code(atoi(&w[2])) }
            }
            "PID" => {
                need("PID", &w, 2)?;
                DriverMsg::Pid(atoi(&w[1]))
            }
            "OK" if w.get(1).is_some_and(|g| g.eq_ignore_ascii_case("Goodbye")) => DriverMsg::Goodbye,
            _ => return Err(DecodeError::Unknown(first.clone())),
        })
    }

    /// Decodes one logical line from the tokenizer (a line that ended in a
    /// parse error is refused, as NUT drops it).
    pub fn decode_line(line: &Line) -> Result<DriverMsg, DecodeError> {
        if let Some(e) = line.error {
            return Err(DecodeError::Parse(e));
        }
        DriverMsg::decode(&line.texts())
    }

    /// Tokenizes and decodes one line of text (without its newline).
    pub fn parse(line: &str) -> Result<DriverMsg, DecodeError> {
        DriverMsg::decode(&words::split(line).map_err(DecodeError::Parse)?)
    }

    /// The line on the wire, without the newline. Values are always quoted
    /// and escaped (REQ, also in broadcasts).
    pub fn encode(&self) -> String {
        let mut s = String::new();
        match self {
            DriverMsg::SetInfo { var, value } => {
                s.push_str("SETINFO ");
                push_name(&mut s, var.as_str());
                s.push(' ');
                words::quote_always_into(value, &mut s);
            }
            DriverMsg::DelInfo { var } => {
                s.push_str("DELINFO ");
                push_name(&mut s, var.as_str());
            }
            DriverMsg::AddEnum { var, value } => {
                s.push_str("ADDENUM ");
                push_name(&mut s, var.as_str());
                s.push(' ');
                words::quote_always_into(value, &mut s);
            }
            DriverMsg::DelEnum { var, value } => {
                s.push_str("DELENUM ");
                push_name(&mut s, var.as_str());
                s.push(' ');
                words::quote_always_into(value, &mut s);
            }
            DriverMsg::AddRange { var, min, max } => {
                s.push_str("ADDRANGE ");
                push_name(&mut s, var.as_str());
                s.push_str(&format!(" {min} {max}"));
            }
            DriverMsg::DelRange { var, min, max } => {
                s.push_str("DELRANGE ");
                push_name(&mut s, var.as_str());
                s.push_str(&format!(" {min} {max}"));
            }
            DriverMsg::SetAux { var, aux } => {
                s.push_str("SETAUX ");
                push_name(&mut s, var.as_str());
                s.push_str(&format!(" {aux}"));
            }
            DriverMsg::SetFlags { var, flags } => {
                s.push_str("SETFLAGS ");
                push_name(&mut s, var.as_str());
                for f in flags.words() {
                    s.push(' ');
                    s.push_str(f);
                }
            }
            DriverMsg::AddCmd { cmd } => {
                s.push_str("ADDCMD ");
                push_name(&mut s, cmd.as_str());
            }
            DriverMsg::DelCmd { cmd } => {
                s.push_str("DELCMD ");
                push_name(&mut s, cmd.as_str());
            }
            DriverMsg::DataOk => s.push_str("DATAOK"),
            DriverMsg::DataStale => s.push_str("DATASTALE"),
            DriverMsg::DumpDone => s.push_str("DUMPDONE"),
            DriverMsg::Pong => s.push_str("PONG"),
            DriverMsg::Tracking { id, status } => {
                s.push_str("TRACKING ");
                push_name(&mut s, id);
                s.push_str(&format!(" {}", status.code()));
            }
            DriverMsg::Pid(p) => s.push_str(&format!("PID {p}")),
            DriverMsg::Goodbye => s.push_str("OK Goodbye"),
        }
        s
    }

    /// [`encode`](Self::encode) plus the terminating newline.
    pub fn encode_line(&self) -> String {
        let mut s = self.encode();
        s.push('\n');
        s
    }
}

impl fmt::Display for DriverMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// Names (variables, commands, ids) go out as the shortest form that
/// tokenizes back to them; for every real name that is the name itself.
fn push_name(s: &mut String, name: &str) {
    s.push_str(&words::quote(name));
}

/// A message from upsd (or a tool) to a driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMsg {
    /// `DUMPALL`: send the whole state to this connection.
    DumpAll,
    /// `PING`: answer `PONG`.
    Ping,
    /// `SET <var> "<value>" [TRACKING <id>]`.
    Set {
        /// The variable, in the client's spelling.
        var: VarName,
        /// The requested value (unescaped).
        value: String,
        /// The tracking id, when the server tracks this request.
        tracking: Option<String>,
    },
    /// `INSTCMD <cmd> [<param>] [TRACKING <id>]`.
    InstCmd {
        /// The command, in the client's case.
        cmd: CmdName,
        /// The optional parameter.
        param: Option<String>,
        /// The tracking id, when the server tracks this request.
        tracking: Option<String>,
    },
    /// `NOBROADCAST` (2.8.1+): stop sending broadcasts to this connection.
    NoBroadcast,
    /// `BROADCAST [<n>]` (2.8.1+): re-enable broadcasts; `n <= 0` disables.
    Broadcast(Option<i64>),
    /// `GETPID` (2.8.3+): answer `PID <pid>`.
    GetPid,
    /// `DUMPVALUE <var>` (2.8.3+): that variable's dump lines, then the
    /// data state and `DUMPDONE`.
    DumpValue {
        /// The variable.
        var: VarName,
    },
    /// `DUMPSTATUS` (2.8.3+): `DUMPVALUE ups.status`.
    DumpStatus,
    /// `LOGOUT` (2.8.3+): answer `OK Goodbye` and close.
    Logout,
}

impl ServerMsg {
    /// Decodes one line's words the way a driver's `sock_arg` does
    /// (NUT 2.8.0 shapes, plus the 2.8.1+/2.8.3+ commands).
    ///
    /// `SET` with four words runs ignoring the fourth, and more than five
    /// words are ignored past the fifth (as 2.8.0); five words whose fourth
    /// is not `TRACKING` are malformed. `INSTCMD` accepts exactly the four
    /// shapes of §4.2.
    pub fn decode<S: AsRef<str>>(words: &[S]) -> Result<ServerMsg, DecodeError> {
        let w: Vec<&str> = words.iter().map(|s| s.as_ref()).collect();
        let Some(first) = w.first() else {
            return Err(DecodeError::Empty);
        };
        let kw = first.to_ascii_uppercase();
        let is_tracking = |s: &str| s.eq_ignore_ascii_case("TRACKING");
        Ok(match kw.as_str() {
            "DUMPALL" => ServerMsg::DumpAll,
            "PING" => ServerMsg::Ping,
            "INSTCMD" => {
                let owned: Vec<String> = w.iter().map(|s| s.to_string()).collect();
                need("INSTCMD", &owned, 2)?;
                let c = cmd(w[1])?;
                let (param, tracking) = match w.len() {
                    2 => (None, None),
                    3 => (Some(w[2].to_string()), None),
                    4 if is_tracking(w[2]) => (None, Some(w[3].to_string())),
                    5 if is_tracking(w[3]) => (Some(w[2].to_string()), Some(w[4].to_string())),
                    _ => return Err(DecodeError::Malformed("INSTCMD")),
                };
                ServerMsg::InstCmd { cmd: c, param, tracking }
            }
            "SET" => {
                let owned: Vec<String> = w.iter().map(|s| s.to_string()).collect();
                need("SET", &owned, 3)?;
                let tracking = if w.len() == 5 {
                    if is_tracking(w[3]) {
                        Some(w[4].to_string())
                    } else {
                        return Err(DecodeError::Malformed("SET"));
                    }
                } else {
                    None
                };
                ServerMsg::Set { var: var(w[1])?, value: w[2].to_string(), tracking }
            }
            "NOBROADCAST" => ServerMsg::NoBroadcast,
            "BROADCAST" => ServerMsg::Broadcast(w.get(1).map(|n| atoi(n))),
            "GETPID" => ServerMsg::GetPid,
            "DUMPVALUE" => {
                let owned: Vec<String> = w.iter().map(|s| s.to_string()).collect();
                need("DUMPVALUE", &owned, 2)?;
                ServerMsg::DumpValue { var: var(w[1])? }
            }
            "DUMPSTATUS" => ServerMsg::DumpStatus,
            "LOGOUT" => ServerMsg::Logout,
            _ => return Err(DecodeError::Unknown(first.to_string())),
        })
    }

    /// Decodes one logical line from the tokenizer.
    pub fn decode_line(line: &Line) -> Result<ServerMsg, DecodeError> {
        if let Some(e) = line.error {
            return Err(DecodeError::Parse(e));
        }
        ServerMsg::decode(&line.texts())
    }

    /// Tokenizes and decodes one line of text (without its newline).
    pub fn parse(line: &str) -> Result<ServerMsg, DecodeError> {
        ServerMsg::decode(&words::split(line).map_err(DecodeError::Parse)?)
    }

    /// The line on the wire, without the newline. The SET value is always
    /// quoted; an INSTCMD parameter is quoted only when it has to be (REQ:
    /// `INSTCMD c "1 2"` where NUT 2.8.0 upsd wrote `INSTCMD c 1 2`), and an
    /// empty parameter is left out, as NUT does.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        match self {
            ServerMsg::DumpAll => s.push_str("DUMPALL"),
            ServerMsg::Ping => s.push_str("PING"),
            ServerMsg::Set { var, value, tracking } => {
                s.push_str("SET ");
                push_name(&mut s, var.as_str());
                s.push(' ');
                words::quote_always_into(value, &mut s);
                if let Some(id) = tracking {
                    s.push_str(" TRACKING ");
                    push_name(&mut s, id);
                }
            }
            ServerMsg::InstCmd { cmd, param, tracking } => {
                s.push_str("INSTCMD ");
                push_name(&mut s, cmd.as_str());
                if let Some(p) = param.as_deref().filter(|p| !p.is_empty()) {
                    s.push(' ');
                    s.push_str(&words::quote(p));
                }
                if let Some(id) = tracking {
                    s.push_str(" TRACKING ");
                    push_name(&mut s, id);
                }
            }
            ServerMsg::NoBroadcast => s.push_str("NOBROADCAST"),
            ServerMsg::Broadcast(n) => {
                s.push_str("BROADCAST");
                if let Some(n) = n {
                    s.push_str(&format!(" {n}"));
                }
            }
            ServerMsg::GetPid => s.push_str("GETPID"),
            ServerMsg::DumpValue { var } => {
                s.push_str("DUMPVALUE ");
                push_name(&mut s, var.as_str());
            }
            ServerMsg::DumpStatus => s.push_str("DUMPSTATUS"),
            ServerMsg::Logout => s.push_str("LOGOUT"),
        }
        s
    }

    /// [`encode`](Self::encode) plus the terminating newline.
    pub fn encode_line(&self) -> String {
        let mut s = self.encode();
        s.push('\n');
        s
    }
}

impl fmt::Display for ServerMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// The longest line a NUT driver writes (its format buffer is 512 bytes,
/// the terminating NUL included, so 511 bytes with the newline).
pub const MAX_LINE: usize = 511;

/// Framing for one driver-socket connection: bytes in, logical lines out,
/// with NUT's recovery from a parse error (the bad line and the rest of the
/// bytes of that same read are dropped, `driver-protocol.md` §2).
#[derive(Clone, Debug)]
pub struct LineReader {
    tok: Tokenizer,
}

impl Default for LineReader {
    fn default() -> Self {
        LineReader::new()
    }
}

impl LineReader {
    /// A reader with NUT's limits.
    pub fn new() -> Self {
        LineReader { tok: Tokenizer::new(Limits::NUT, AfterError::SkipLine) }
    }

    /// Feeds the bytes of one `read()`; returns the complete non-empty lines
    /// that carry no parse error. After a parse error the rest of `chunk`
    /// is discarded.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        // Feed line by line so that an error stops the chunk right there.
        let mut rest = chunk;
        while !rest.is_empty() {
            let cut = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
            let (piece, tail) = rest.split_at(cut);
            rest = tail;
            for line in self.tok.feed(piece) {
                if line.error.is_some() {
                    // NUT drops the remainder of the read and starts the
                    // next read with a fresh parser state
                    self.tok = Tokenizer::new(Limits::NUT, AfterError::SkipLine);
                    return out;
                }
                if !line.is_empty() {
                    out.push(line);
                }
            }
        }
        out
    }

    /// Whether a partial line is buffered.
    pub fn is_idle(&self) -> bool {
        self.tok.is_idle()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_messages_round_trip() {
        for l in [
            r#"SETINFO battery.charge "100""#,
            r#"SETINFO ups.test.result "back\\slash and \# hash""#,
            r#"SETINFO ups.id "Fake \"quoted\" id""#,
            "DELINFO ups.serial",
            r#"ADDENUM input.transfer.low "97""#,
            r#"DELENUM input.transfer.low "97""#,
            "ADDRANGE input.transfer.high 120 135",
            "DELRANGE input.transfer.high -5 999",
            "SETAUX ups.id 16",
            "SETFLAGS ups.id RW STRING",
            "SETFLAGS ups.id",
            "ADDCMD load.off",
            "DELCMD load.off",
            "DATAOK",
            "DATASTALE",
            "DUMPDONE",
            "PONG",
            "TRACKING 11111111-2222-3333-4444-555555555555 0",
            "TRACKING x 7",
            "PID 42",
            "OK Goodbye",
        ] {
            let m = DriverMsg::parse(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            assert_eq!(m.encode(), l);
            assert_eq!(DriverMsg::parse(&m.encode()).unwrap(), m);
        }
    }

    #[test]
    fn server_messages_round_trip() {
        for l in [
            "DUMPALL",
            "PING",
            r#"SET ups.serial "SN 0002" TRACKING 11111111-2222-3333-4444-555555555555"#,
            r#"SET ups.serial """#,
            "INSTCMD load.off",
            "INSTCMD load.off 5",
            r#"INSTCMD load.off "1 2""#,
            "INSTCMD load.off TRACKING abc",
            "INSTCMD load.off 5 TRACKING abc",
            "NOBROADCAST",
            "BROADCAST",
            "BROADCAST 0",
            "GETPID",
            "DUMPVALUE ups.status",
            "DUMPSTATUS",
            "LOGOUT",
        ] {
            let m = ServerMsg::parse(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            assert_eq!(m.encode(), l);
        }
    }

    #[test]
    fn keywords_are_case_insensitive_and_spelling_kept() {
        assert_eq!(ServerMsg::parse("ping").unwrap(), ServerMsg::Ping);
        let m = DriverMsg::parse(r#"setinfo UPS.Status "OL""#).unwrap();
        assert_eq!(m.encode(), r#"SETINFO UPS.Status "OL""#);
    }

    #[test]
    fn nut_shapes() {
        assert_eq!(ServerMsg::parse("INSTCMD load.off 5 6"), Err(DecodeError::Malformed("INSTCMD")));
        assert_eq!(ServerMsg::parse("INSTCMD load.off 5 6 7 8"), Err(DecodeError::Malformed("INSTCMD")));
        assert_eq!(ServerMsg::parse(r#"SET v "x" FOO bar"#), Err(DecodeError::Malformed("SET")));
        // four words: the fourth is ignored
        assert_eq!(
            ServerMsg::parse(r#"SET v "x" extra"#).unwrap(),
            ServerMsg::Set { var: VarName::new("v").unwrap(), value: "x".into(), tracking: None }
        );
        assert!(matches!(ServerMsg::parse("SET v"), Err(DecodeError::TooFew { .. })));
        assert!(matches!(DriverMsg::parse("SETINFO v"), Err(DecodeError::TooFew { .. })));
        assert!(matches!(DriverMsg::parse("BOGUS"), Err(DecodeError::Unknown(_))));
        assert_eq!(ServerMsg::parse("BOGUS"), Err(DecodeError::Unknown("BOGUS".into())));
        // unknown flag words clear everything
        assert_eq!(
            DriverMsg::parse("SETFLAGS v FOO").unwrap(),
            DriverMsg::SetFlags { var: VarName::new("v").unwrap(), flags: VarFlags::NONE }
        );
        // an empty INSTCMD parameter is dropped on encode
        let m = ServerMsg::InstCmd { cmd: CmdName::new("c").unwrap(), param: Some(String::new()), tracking: None };
        assert_eq!(m.encode(), "INSTCMD c");
    }

    #[test]
    fn unescaped_broadcast_splits_like_parseconf() {
        let m = DriverMsg::parse(r#"SETINFO device.description "a "q" value""#).unwrap();
        assert_eq!(m, DriverMsg::SetInfo { var: VarName::new("device.description").unwrap(), value: "a ".into() });
    }

    #[test]
    fn reader_drops_rest_of_chunk_after_error() {
        let mut r = LineReader::new();
        let lines = r.feed(b"PING\nSET v \"a#b\"\nPING\n");
        assert_eq!(lines.len(), 1);
        let lines = r.feed(b"DUMPALL\n");
        assert_eq!(lines[0].texts(), ["DUMPALL"]);
        // partial lines across reads
        assert!(r.feed(b"PI").is_empty());
        assert_eq!(r.feed(b"NG\n\n")[0].texts(), ["PING"]);
    }
}
