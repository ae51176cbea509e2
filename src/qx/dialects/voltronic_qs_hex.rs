//! Voltronic-QS-Hex: `M` answers `P` or `T`; `QS` answers binary fields
//! (escaped with 0x28) that we rewrite into a fixed-width hex/binary text
//! layout before cutting the usual positions.

use super::blazer;
use crate::qx::engine::{Qx, DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, format_num, format_str, Item, Pre, PreAnswer};

fn hex_digits(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_hexdigit() || c == b' ')
}

/// The QS rewriting: `#` then each byte as two hex digits (fields 10 and
/// 11 as eight binary digits), fields separated by spaces; escapes
/// 0x28 0x00..0x04 stand for CR, XON, XOFF, LF, space.
pub fn rewrite(a: &mut Vec<u8>, len: usize) -> Option<usize> {
    if len == 0 {
        return Some(0);
    }
    if a.first() != Some(&b'#') {
        return None;
    }
    let mut out = String::from("#");
    let mut token = 1;
    let mut i = 1;
    let emit = |out: &mut String, token: i32, b: u8| {
        if token != 10 && token != 11 {
            out.push_str(&format!("{b:02x}"));
        } else {
            out.push_str(&format!("{b:08b}"));
        }
    };
    while i < len.min(a.len()) {
        let b = a[i];
        if b == 0x20 {
            out.push(' ');
            token += 1;
            i += 1;
            continue;
        }
        if b == 0x28 {
            let esc = match a.get(i + 1) {
                Some(0x00) => Some(0x0d),
                Some(0x01) => Some(0x11),
                Some(0x02) => Some(0x13),
                Some(0x03) => Some(0x0a),
                Some(0x04) => Some(0x20),
                _ => None,
            };
            match esc {
                Some(e) => {
                    out.push_str(&format!("{e:02x}"));
                    i += 2;
                }
                None => {
                    emit(&mut out, token, b);
                    i += 1;
                }
            }
            continue;
        }
        if b == 0x0d {
            break;
        }
        emit(&mut out, token, b);
        i += 1;
    }
    if !(10..=11).contains(&token) || (token == 10 && out.len() != 46) || (token == 11 && out.len() != 55) {
        return None;
    }
    out.push('\r');
    *a = out.into_bytes();
    Some(a.len())
}

fn two(raw: &str) -> (i64, i64) {
    let mut p = raw.split_whitespace();
    let a = p.next().and_then(|x| i64::from_str_radix(x, 16).ok()).unwrap_or(0);
    let b = p.next().and_then(|x| i64::from_str_radix(x, 16).ok()).unwrap_or(0);
    (a, b)
}

fn protocol(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if !raw.eq_ignore_ascii_case("P") && !raw.eq_ignore_ascii_case("T") {
        return Err(());
    }
    let v = format_str(q.item(idx).dfl.unwrap_or("%s"), raw);
    if raw.eq_ignore_ascii_case("T") {
        for (var, flag) in [
            ("test.battery.start.quick", it::CMD),
            ("output.frequency.nominal", 0),
            ("battery.voltage.nominal", 0),
            ("output.voltage.nominal", 0),
        ] {
            if !q.unskip(var, flag, 0) {
                return Err(());
            }
        }
    }
    Ok(v)
}

fn voltage(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if !hex_digits(raw) {
        return Err(());
    }
    let (a, b) = two(raw);
    let v = (a * b / 51) as f64 / 256.0;
    format_num(q.item(idx).dfl.unwrap_or("%.1f"), v).ok_or(())
}

fn load(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if !raw.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(());
    }
    format_num(q.item(idx).dfl.unwrap_or("%d"), i64::from_str_radix(raw, 16).unwrap_or(0) as f64).ok_or(())
}

fn frequency(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if !hex_digits(raw) {
        return Err(());
    }
    let (a, b) = two(raw);
    let v = (b as f64 / a as f64).min(99.9);
    format_num(q.item(idx).dfl.unwrap_or("%.1f"), v).ok_or(())
}

fn battery(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if !hex_digits(raw) {
        return Err(());
    }
    let (a, b) = two(raw);
    format_num(q.item(idx).dfl.unwrap_or("%.2f"), (a * b) as f64 / 510.0).ok_or(())
}

fn ratings(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if !raw.bytes().all(|c| c == b'0' || c == b'1') {
        return Err(());
    }
    let v: i64 = raw.parse().unwrap_or(0);
    let r = match q.item(idx).from {
        47 => {
            if v == 0 {
                50.0
            } else {
                60.0
            }
        }
        48 => match v {
            0 => 12.0,
            1 => 24.0,
            10 => 36.0,
            _ => 48.0,
        },
        52 => match v {
            0 => 110.0,
            1 => 120.0,
            10 => 220.0,
            11 => 230.0,
            100 => 240.0,
            _ => return Err(()),
        },
        _ => return Err(()),
    };
    format_num(q.item(idx).dfl.unwrap_or("%.1f"), r).ok_or(())
}

/// The table.
pub fn table() -> Vec<Item> {
    let qs = |v, len, f, t, d, fl, p: Pre| {
        Item::var(v, "QS\r", len, b'#', f, t, d, fl).pre_answer(PreAnswer::Fn(rewrite)).pre(p)
    };
    let bit = |v, f, fl, d| qs(v, 47, f, f, d, fl, Pre::StatusBits);
    let mut v = vec![
        Item::var("ups.firmware.aux", "M\r", 2, 0, 0, 0, "PM-%s", it::STATIC).pre(Pre::Fn(protocol)),
        qs("input.voltage", 47, 1, 7, "%.1f", 0, Pre::Fn(voltage)),
        qs("output.voltage", 47, 9, 15, "%.1f", 0, Pre::Fn(voltage)),
        qs("ups.load", 47, 17, 18, "%d", 0, Pre::Fn(load)),
        qs("output.frequency", 47, 20, 30, "%.1f", 0, Pre::Fn(frequency)),
        qs("battery.voltage", 47, 32, 36, "%.2f", 0, Pre::Fn(battery)),
        bit("ups.status", 38, it::QUICK_POLL, ""),
        bit("ups.status", 39, it::QUICK_POLL, ""),
        bit("ups.status", 40, it::QUICK_POLL, ""),
        bit("ups.alarm", 41, 0, ""),
        bit("ups.type", 42, it::STATIC, "%s"),
        bit("ups.status", 43, it::QUICK_POLL, ""),
        bit("ups.status", 44, it::QUICK_POLL, ""),
        bit("ups.beeper.status", 45, 0, "%s"),
        qs("output.frequency.nominal", 56, 47, 47, "%.1f", it::SKIP, Pre::Fn(ratings)),
        qs("battery.voltage.nominal", 56, 48, 49, "%.1f", it::SKIP, Pre::Fn(ratings)),
        qs("output.voltage.nominal", 56, 52, 54, "%.1f", it::SKIP, Pre::Fn(ratings)),
        Item::cmd("beeper.toggle", "Q\r"),
        Item::cmd("load.off", "S00R0000\r"),
        Item::cmd("load.on", "C\r"),
        Item::cmd("shutdown.return", "S%s\r").pre(Pre::BlazerCommand),
        Item::cmd("shutdown.stayoff", "S%sR0000\r").pre(Pre::BlazerCommand),
        Item::cmd("shutdown.stop", "C\r"),
        Item::cmd("test.battery.start.quick", "T\r").flags(it::SKIP),
    ];
    v.extend(blazer::delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, &[(60, 599940)], &[(12, 540)]));
    v
}
