//! One row of a dialect's mapping table: how to get (or set, or command) one
//! NUT variable from a Megatec/Q1-family device.
//!
//! The model follows what nutdrv_qx does with its rows: a command is sent,
//! the answer is checked (minimum length, leading byte, rejection string),
//! the bytes `from..=to` are cut out as the raw value, and then either a
//! plain conversion (trim, numeric check, printf-like format) or a named
//! preprocessing step ([`Pre`]) turns it into the NUT value.

/// Retrieve once, at initialisation.
pub const STATIC: u32 = 2;
/// Retrieve again only after an instant command or a set succeeded.
pub const SEMI_STATIC: u32 = 4;
/// Not in the device: a driver-side variable holding `dfl` as its value.
pub const ABSENT: u32 = 8;
/// Mandatory: polled on quick updates; a failure means the data is stale.
pub const QUICK_POLL: u32 = 16;
/// An instant command.
pub const CMD: u32 = 32;
/// How to set a variable.
pub const SETVAR: u32 = 64;
/// Trim leading/trailing spaces and hashes from the raw value.
pub const TRIM: u32 = 128;
/// `rw` holds an enumeration of accepted values.
pub const ENUM: u32 = 256;
/// `rw` holds ranges of accepted values.
pub const RANGE: u32 = 512;
/// Not a NUT variable: only logged (or a ups.conf setting to push once).
pub const NONUT: u32 = 1024;
/// Do not process this row.
pub const SKIP: u32 = 2048;

/// Settable-value description of a row.
#[derive(Debug, Clone)]
pub enum Rw {
    /// Nothing.
    None,
    /// Pairs of inclusive bounds.
    Range(Vec<(i64, i64)>),
    /// Accepted values.
    Enum(Vec<String>),
    /// Maximum string length.
    StrLen(i64),
    /// Candidate values, each kept only if its filter (if any) accepts it
    /// for this device: read in pairs for RANGE, one by one for ENUM.
    List(Vec<(&'static str, Option<RwFilter>)>),
}

/// Whether a candidate settable value applies to this device.
pub type RwFilter = fn(&super::engine::Qx, &str) -> bool;

/// A named conversion step, applied instead of the plain conversion.
///
/// The engine ([`super::engine::Qx`]) implements each; dialect tables only
/// name them.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub enum Pre {
    /// Megatec status bit at position `from` of a Q1/QS/D answer.
    StatusBits,
    /// Truncate ups.delay.start/shutdown to what the device can do.
    BlazerSetvar,
    /// Build S.. / S..R.... / T.. commands from the delays.
    BlazerCommand,
    /// Mecer: QPI answer must be PI98.
    P98Protocol,
    /// Mecer: test time .n (x6 s) or nn minutes.
    MecerTestBattery,
    BestupsBbb,
    BestupsMfr,
    BestupsModel,
    BestupsRuntime,
    BestupsPacks,
    BestupsPinsShutdownMode,
    BestupsVoltageSettings,
    BestupsSetvar,
    AblerexQ5,
    AblerexAt,
    AblerexTr,
    AblerexStatus,
    AblerexBattery,
    AblerexCharge,
    AblerexInitBattery,
    /// battery.voltage of one pack times battery.packs when the device
    /// reports one pack (`battery_voltage_reports_one_pack`), else as is.
    MultiplyBattvolt,
    /// Seconds from a value in minutes.
    MinutesToSeconds,
    /// Kilo-units to units.
    TimesThousand,
    /// Voltronic-QS: the `M` answer must be `V`.
    QsProtocol,
    /// String value copied as-is (with `%s`).
    Copy,
    /// A dialect module's own step (value conversion, or command/set
    /// building for CMD/SETVAR rows): given the engine, the row and the raw
    /// value (or the user's argument).
    Fn(PreFn),
    /// The same for CMD/SETVAR rows whose step needs its own exchange with
    /// the device first.
    FnT(PreFnT),
}

/// A dialect-defined conversion step.
pub type PreFn = fn(&mut super::engine::Qx, usize, &str) -> Result<String, ()>;

/// A dialect-defined step that talks to the device itself (an extra
/// transaction before the row's own command): engine, transport, row,
/// value.
pub type PreFnT = fn(&mut super::engine::Qx, &mut dyn super::transport::Transport, usize, &str) -> Result<String, ()>;

/// A dialect-defined rewriting of the command bytes just before they are
/// sent (NUT's preprocess_command: a slave address, a CRC...).
pub type PreCmdFn = fn(&super::engine::Qx, &mut Vec<u8>) -> Result<(), ()>;

/// A dialect-defined answer rewriting that may look at or change the
/// engine's state: engine, row, answer length; the new length or None.
pub type PreAnswerQxFn = fn(&mut super::engine::Qx, usize, usize) -> Option<usize>;

/// A dialect-defined answer rewriting: the answer bytes and their length;
/// the new length, or None on error.
pub type PreAnswerFn = fn(&mut Vec<u8>, usize) -> Option<usize>;

/// How the raw answer is rewritten before anything else.
#[derive(Debug, Clone, Copy)]
pub enum PreAnswer {
    /// BestUPS `ID`: pad the comma-separated fields to fixed widths.
    BestupsId,
    /// Ablerex binary answers (Q5/At/TR): keep them as they are.
    Binary,
    /// A dialect module's own rewriting.
    Fn(PreAnswerFn),
    /// A dialect module's own rewriting that uses the engine's state.
    Qx(PreAnswerQxFn),
}

/// One row of a mapping table.
#[derive(Debug, Clone)]
pub struct Item {
    /// NUT variable or command name (or a ups.conf name with NONUT).
    pub var: &'static str,
    /// Whether the variable is RW in NUT.
    pub rw_flag: bool,
    /// Whether the variable is a STRING in NUT.
    pub string_flag: bool,
    /// Settable values.
    pub rw: Rw,
    /// Command sent to the device (may carry one printf-like directive).
    pub command: Option<&'static str>,
    /// Minimum answer length (0: none).
    pub answer_len: usize,
    /// Expected first byte of the answer.
    pub leading: Option<u8>,
    /// Position of the first byte of the value.
    pub from: usize,
    /// Position of the last byte of the value (0: up to the CR).
    pub to: usize,
    /// Format (`%s`, `%.1f`, `%.0f`, `%d`), default value (ABSENT) or
    /// default argument (CMD).
    pub dfl: Option<&'static str>,
    /// Driver flags (see the constants of this module).
    pub flags: u32,
    /// Answer rewriting.
    pub pre_answer: Option<PreAnswer>,
    /// Value conversion.
    pub pre: Option<Pre>,
    /// Command rewriting just before sending.
    pub pre_cmd: Option<PreCmdFn>,
}

impl Item {
    /// A variable read with `cmd`, value at `from..=to`, formatted with `dfl`.
    #[allow(clippy::too_many_arguments)]
    pub fn var(
        var: &'static str,
        cmd: &'static str,
        answer_len: usize,
        leading: u8,
        from: usize,
        to: usize,
        dfl: &'static str,
        flags: u32,
    ) -> Item {
        Item {
            var,
            rw_flag: false,
            string_flag: false,
            rw: Rw::None,
            command: Some(cmd),
            answer_len,
            leading: if leading == 0 { None } else { Some(leading) },
            from,
            to,
            dfl: if dfl.is_empty() { None } else { Some(dfl) },
            flags,
            pre_answer: None,
            pre: None,
            pre_cmd: None,
        }
    }

    /// An instant command.
    pub fn cmd(var: &'static str, cmd: &'static str) -> Item {
        Item::var(var, cmd, 0, 0, 0, 0, "", CMD)
    }

    /// A driver-side settable variable with a default and ranges.
    pub fn absent_setvar(var: &'static str, dfl: &'static str, ranges: &[(i64, i64)]) -> Item {
        Item {
            var,
            rw_flag: true,
            string_flag: false,
            rw: Rw::Range(ranges.to_vec()),
            command: None,
            answer_len: 0,
            leading: None,
            from: 0,
            to: 0,
            dfl: Some(dfl),
            flags: ABSENT | SETVAR | RANGE,
            pre_answer: None,
            pre: Some(Pre::BlazerSetvar),
            pre_cmd: None,
        }
    }

    /// Builder: set the conversion step.
    pub fn pre(mut self, p: Pre) -> Item {
        self.pre = Some(p);
        self
    }

    /// Builder: set the command rewriting step.
    pub fn pre_cmd(mut self, p: PreCmdFn) -> Item {
        self.pre_cmd = Some(p);
        self
    }

    /// Builder: set the answer rewriting step.
    pub fn pre_answer(mut self, p: PreAnswer) -> Item {
        self.pre_answer = Some(p);
        self
    }

    /// Builder: settable ranges (sets RW).
    pub fn ranges(mut self, r: &[(i64, i64)]) -> Item {
        self.rw = Rw::Range(r.to_vec());
        self
    }

    /// Builder: candidate values with filters (sets the flag's meaning by
    /// RANGE or ENUM in `flags`).
    pub fn list(mut self, l: &[(&'static str, Option<RwFilter>)]) -> Item {
        self.rw = Rw::List(l.to_vec());
        self
    }

    /// Builder: an enumeration.
    pub fn enums(mut self, e: &[&str]) -> Item {
        self.rw = Rw::Enum(e.iter().map(|s| s.to_string()).collect());
        self
    }

    /// Builder: mark RW.
    pub fn rw(mut self) -> Item {
        self.rw_flag = true;
        self
    }

    /// Builder: set the expected answer (length, leading) for commands.
    pub fn expect(mut self, answer_len: usize, leading: u8, from: usize, to: usize) -> Item {
        self.answer_len = answer_len;
        self.leading = if leading == 0 { None } else { Some(leading) };
        self.from = from;
        self.to = to;
        self
    }

    /// Builder: add flags.
    pub fn flags(mut self, f: u32) -> Item {
        self.flags |= f;
        self
    }

    /// Whether all of `f` are set.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f == f
    }
}

/// Format a number the way printf does with `fmt` (`%.Nf`, `%d`, `%ld`,
/// `%02d`, `%s`); `None` for a format we do not know.
pub fn format_num(fmt: &str, v: f64) -> Option<String> {
    let (prefix, spec, suffix) = split_directive(fmt)?;
    let conv = spec.chars().last()?;
    let mut rest = &spec[..spec.len() - 1];
    rest = rest.trim_end_matches('l');
    let zero = rest.starts_with('0');
    let left = rest.starts_with('-');
    let flags_end = rest.find(|c: char| !"0-+ #".contains(c)).unwrap_or(rest.len());
    let (width, prec) = match rest[flags_end..].split_once('.') {
        Some((w, p)) => (w.parse::<usize>().unwrap_or(0), Some(p.parse::<usize>().unwrap_or(0))),
        None => (rest[flags_end..].parse::<usize>().unwrap_or(0), None),
    };
    let body = match conv {
        's' => fmt_g(v),
        'f' => format!("{v:.*}", prec.unwrap_or(6)),
        'd' | 'i' | 'u' => format!("{}", v as i64),
        'x' => format!("{:x}", v as i64),
        'X' => format!("{:X}", v as i64),
        _ => return None,
    };
    let body = if body.len() >= width {
        body
    } else if left {
        format!("{body:<width$}")
    } else if zero && conv != 's' {
        let (sign, digits) = match body.strip_prefix('-') {
            Some(d) => ("-", d.to_string()),
            None => ("", body.clone()),
        };
        format!("{sign}{digits:0>w$}", w = width - sign.len())
    } else {
        format!("{body:>width$}")
    };
    Some(format!("{prefix}{body}{suffix}"))
}

/// Substitute the first directive of `fmt` with a string.
pub fn format_str(fmt: &str, s: &str) -> String {
    match split_directive(fmt) {
        Some((p, _, x)) => format!("{p}{s}{x}"),
        None => fmt.to_string(),
    }
}

fn fmt_g(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// (text before, directive without '%', text after)
fn split_directive(fmt: &str) -> Option<(String, String, String)> {
    let b = fmt.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if b.get(i + 1) == Some(&b'%') {
                i += 2;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < b.len() && !(b[j] as char).is_ascii_alphabetic() {
                j += 1;
            }
            while j < b.len() && b[j] == b'l' {
                j += 1;
            }
            if j >= b.len() {
                return None;
            }
            return Some((fmt[..i].replace("%%", "%"), fmt[start..=j].to_string(), fmt[j + 1..].replace("%%", "%")));
        }
        i += 1;
    }
    None
}

/// C `strtod` on a prefix: leading blanks, sign, digits, one dot, exponent.
pub fn strtod(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut end = 0;
    if end < b.len() && (b[end] == b'-' || b[end] == b'+') {
        end += 1;
    }
    let mut seen_digit = false;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
        seen_digit = true;
    }
    if end < b.len() && b[end] == b'.' {
        end += 1;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
            seen_digit = true;
        }
    }
    if !seen_digit {
        return 0.0;
    }
    if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'-' || b[e] == b'+') {
            e += 1;
        }
        if e < b.len() && b[e].is_ascii_digit() {
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            end = e;
        }
    }
    t[..end].parse().unwrap_or(0.0)
}

/// The Megatec delay word for `secs` seconds: `.N` (tenths of a minute)
/// under a minute, otherwise two-digit minutes (`S`, `T` and the shutdown
/// commands of every dialect that takes a delay). Callers check the range.
pub fn delay_word(secs: i64) -> String {
    if secs < 60 {
        format!(".{}", secs / 6)
    } else {
        format!("{:02}", secs / 60)
    }
}

/// C `strtol(s, NULL, 10)`.
pub fn strtol(s: &str) -> i64 {
    crate::model::atoi(s)
}

/// Whether every byte of `s` is in `set` (C `strspn(s, set) == strlen(s)`).
pub fn all_in(s: &str, set: &str) -> bool {
    s.bytes().all(|c| set.as_bytes().contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_printf() {
        assert_eq!(format_num("%.1f", 230.44).unwrap(), "230.4");
        assert_eq!(format_num("%.0f", 21.0).unwrap(), "21");
        assert_eq!(format_num("%.2f", 27.3).unwrap(), "27.30");
        assert_eq!(format_num("T%02d\r", 4.0).unwrap(), "T04\r");
        assert_eq!(format_num("BP%.0f\r", 1.0).unwrap(), "BP1\r");
        assert_eq!(format_num("W0E%02.0f\r", 24.0).unwrap(), "W0E24\r");
        assert_eq!(format_num("BATGN%02.0f\r", 4.0).unwrap(), "BATGN04\r");
        assert_eq!(format_num("FREH%04.1f\r", 54.0).unwrap(), "FREH54.0\r");
        assert_eq!(format_num("HEH%03.0f\r", 99.0).unwrap(), "HEH099\r");
        assert_eq!(format_num("%03d", 0.0).unwrap(), "000");
        assert_eq!(format_num("BATN%1.0f\r", 2.0).unwrap(), "BATN2\r");
        assert_eq!(format_str("S%sR0000\r", ".5"), "S.5R0000\r");
        assert_eq!(strtod(" 024.0"), 24.0);
        assert_eq!(strtod("12abc"), 12.0);
        assert_eq!(strtod("abc"), 0.0);
    }
}
