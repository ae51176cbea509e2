//! OMRON (BN150T and kin; upstream NUT after 2.8.0, "Omron 0.01").
//!
//! A Q1 device with OMRON's own extras: the bypass and beeper bits of the
//! status byte are not used, readings come from OMRON queries (`Bl ?`,
//! `RTS`, `TPb`, `Lf ?`, `PSNR`, `FWV`, `BRR`, `UN`), each answer checked
//! strictly before it is published, commands are acknowledged with `OK`,
//! and the shutdown commands are OMRON's (`S<n>` / `Sf<n>`, no return
//! delay), each preceded by `An`/`Af` to set auto-restart. Only tried by
//! autodetection on USB devices of vendor 0590; `protocol = omron` skips
//! that check.

use super::blazer;
use crate::qx::engine::{latin1, Qx, DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, Item, Pre, PreAnswer};
use crate::qx::transport::Transport;

#[allow(clippy::ptr_arg)] // the PreAnswerFn signature
/// The answer must start with `OK`; it is then normalised to `OK\r`.
fn command_answer(a: &mut Vec<u8>, len: usize) -> Option<usize> {
    if len < 2 || !a.starts_with(b"OK") {
        return None;
    }
    *a = b"OK\r".to_vec();
    Some(3)
}

/// A `NAK...` answer is a refusal, not a serial number.
#[allow(clippy::ptr_arg)] // the PreAnswerFn signature
fn reject_nak(a: &mut Vec<u8>, len: usize) -> Option<usize> {
    if len >= 3 && a.starts_with(b"NAK") {
        return None;
    }
    Some(len)
}

fn charset(raw: &str, accept: &str) -> Result<(), ()> {
    if raw.is_empty() || !it::all_in(raw, accept) {
        return Err(());
    }
    Ok(())
}

/// The whole value must be one decimal number (C strtod consuming all).
fn strict_decimal(raw: &str, accept: &str) -> Result<f64, ()> {
    charset(raw, accept)?;
    full_strtod(raw).ok_or(())
}

/// strtod that must consume the whole string.
fn full_strtod(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 || i != b.len() {
        return None;
    }
    s.parse::<f64>().ok()
}

fn signed(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    Ok(format!("{:.1}", strict_decimal(raw, "0123456789.+-")?))
}

fn charge(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let r = strict_decimal(raw, "0123456789")?;
    if !(0.0..=100.0).contains(&r) {
        return Err(());
    }
    Ok(format!("{r:.1}"))
}

fn frequency(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    Ok(format!("{:.1}", strict_decimal(raw, "0123456789.")?))
}

/// The UN answer must match `ddddW/ddddVA/dddV/dddW/dddW` exactly.
fn un(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    const SHAPE: &[u8] = b"ddddW/ddddVA/dddV/dddW/dddW";
    let a = q.answer(idx);
    for (i, &s) in SHAPE.iter().enumerate() {
        let c = a.get(i).copied().unwrap_or(0);
        let ok = if s == b'd' { c.is_ascii_digit() } else { c == s };
        if !ok {
            return Err(());
        }
    }
    match a.get(SHAPE.len()).copied() {
        None | Some(0) | Some(b'\r') => {}
        _ => return Err(()),
    }
    Ok(it::strtol(raw).to_string())
}

/// RTS: whole minutes to seconds.
fn runtime(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    charset(raw, "0123456789")?;
    let m: i64 = raw.parse().map_err(|_| ())?;
    m.checked_mul(60).map(|s| s.to_string()).ok_or(())
}

/// BRR: YYYYMMDD, a real calendar date, published as YYYY-MM-DD.
fn batt_date(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    charset(raw, "0123456789")?;
    if raw.len() != 8 {
        return Err(());
    }
    let n = |r: std::ops::Range<usize>| raw[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    if !(1..=12).contains(&m) {
        return Err(());
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let len = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if d < 1 || d > len {
        return Err(());
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// FWV: `M:<main>(S:<aux>)`, trailing spaces allowed; both versions must
/// parse; the aux one goes to ups.firmware.aux.
fn firmware(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    charset(raw, "0123456789MS.:() ")?;
    let open = raw.find('(').ok_or(())?;
    let close = raw.find(')').ok_or(())?;
    let tail = &raw[close + 1..];
    if close < open + 4
        || open < 3
        || !raw.starts_with("M:")
        || !raw[open + 1..].starts_with("S:")
        || raw[open + 1..].contains('(')
        || tail.contains(')')
        || !tail.bytes().all(|c| c == b' ')
    {
        return Err(());
    }
    let main = full_strtod(&raw[2..open]).ok_or(())?;
    let aux = full_strtod(&raw[open + 3..close]).ok_or(())?;
    q.set("ups.firmware.aux", &format!("{aux:.2}"));
    Ok(format!("{main:.2}"))
}

/// `An`/`Af` first (must be acknowledged), then the OMRON delay encoding:
/// `.n` (tenths of a minute) below 60 s, whole minutes from there.
fn command(q: &mut Qx, t: &mut dyn Transport, idx: usize, _value: &str) -> Result<String, ()> {
    let off = q.get("ups.delay.shutdown").ok_or(())?;
    let off = it::strtol(off);
    if off < 0 {
        return Err(());
    }
    let buf = it::delay_word(off);
    let name = q.item(idx).var;
    let on = if name.eq_ignore_ascii_case("shutdown.return") {
        Some(true)
    } else if name.eq_ignore_ascii_case("shutdown.stayoff") {
        Some(false)
    } else {
        None
    };
    if let Some(on) = on {
        let cmd: &[u8] = if on { b"An\r" } else { b"Af\r" };
        let ok = t.command(cmd).is_ok_and(|a| a.len() >= 2 && a.starts_with(b"OK"));
        if !ok {
            q.log.push(format!("omron_start_auto: [{}] failed or was not acknowledged", latin1(&cmd[..2])));
            return Err(());
        }
        q.set("ups.start.auto", if on { "yes" } else { "no" });
    }
    Ok(it::format_str(q.item(idx).command.unwrap_or(""), &buf))
}

/// The mapping table.
pub fn table() -> Vec<Item> {
    let mut st = blazer::status("Q1\r", true);
    st[5] = st[5].clone().pre(Pre::MultiplyBattvolt);
    // no bypass/boost/buck bit (40), no beeper bit (45)
    st.remove(14);
    st.remove(9);
    let mut v = st;
    let ext = |var, cmd, len, dfl, flags, f| Item::var(var, cmd, len, 0, 0, 0, dfl, flags).pre(Pre::Fn(f));
    v.push(ext("battery.charge", "Bl ?\r", 4, "%.1f", 0, charge));
    v.push(ext("battery.runtime", "RTS\r", 4, "%.0f", 0, runtime));
    v.push(ext("battery.temperature", "TPb\r", 5, "%s", 0, signed));
    v.push(ext("output.frequency", "Lf ?\r", 4, "%.1f", 0, frequency));
    v.push(
        Item::var("ups.serial", "PSNR\r", 17, 0, 0, 0, "%s", it::STATIC | it::TRIM)
            .pre_answer(PreAnswer::Fn(reject_nak)),
    );
    v.push(ext("ups.firmware", "FWV\r", 15, "%s", it::STATIC, firmware));
    v.push(ext("battery.date", "BRR\r", 9, "%s", it::STATIC, batt_date));
    let u = |var, from, to| Item::var(var, "UN\r", 27, 0, from, to, "%.0f", it::STATIC).pre(Pre::Fn(un));
    v.push(u("ups.realpower.nominal", 0, 3));
    v.push(u("ups.power.nominal", 6, 9));
    v.push(u("battery.voltage.nominal", 13, 15));
    let ack = PreAnswer::Fn(command_answer);
    v.push(Item::cmd("shutdown.return", "S%s\r").pre_answer(ack).pre(Pre::FnT(command)));
    v.push(Item::cmd("shutdown.stayoff", "Sf%s\r").pre_answer(ack).pre(Pre::FnT(command)));
    v.push(Item::cmd("shutdown.stop", "C\r").pre_answer(ack));
    v.push(Item::absent_setvar("ups.delay.start", DEFAULT_ONDELAY, blazer::ONDELAY));
    v.push(Item::absent_setvar("ups.delay.shutdown", DEFAULT_OFFDELAY, blazer::OFFDELAY));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parsers() {
        assert_eq!(full_strtod("+22.5"), Some(22.5));
        assert_eq!(full_strtod("22.5x"), None);
        assert_eq!(full_strtod("."), None);
        let mut q = Qx::new(&crate::qx::dialects::OMRON, Default::default());
        assert_eq!(batt_date(&mut q, 0, "20240229").as_deref(), Ok("2024-02-29"));
        assert!(batt_date(&mut q, 0, "20230229").is_err());
        assert!(batt_date(&mut q, 0, "20231301").is_err());
        assert_eq!(firmware(&mut q, 0, "M:0.17(S:2.00)  ").as_deref(), Ok("0.17"));
        assert_eq!(q.get("ups.firmware.aux"), Some("2.00"));
        assert!(firmware(&mut q, 0, "S:0.17(M:2.00)").is_err());
        assert!(firmware(&mut q, 0, "M:0.17(S:2.00)x").is_err());
        assert!(charge(&mut q, 0, "101").is_err());
        assert_eq!(runtime(&mut q, 0, "0699").as_deref(), Ok("41940"));
        let mut a = b"OKn\r".to_vec();
        assert_eq!(command_answer(&mut a, 4), Some(3));
        assert_eq!(a, b"OK\r");
        assert_eq!(command_answer(&mut b"NAK\r".to_vec(), 4), None);
    }
}
