//! Voltronic Power Axpert inverters, protocol PI30 (upstream NUT from
//! 2.8.4, "Voltronic-Axpert 0.02"; not in 2.8.0).
//!
//! Every command carries a two-byte CRC before its CR and every answer
//! must carry a valid one (removed before parsing). What is built here is
//! NUT's default build of this subdriver: its many settings, instant
//! commands and extra queries are compiled only with
//! `WITH_UNMAPPED_DATA_POINTS`, so the table reads identity (`QPI`,
//! `QVFW*`, `QID`, `QFLAG`), ratings (`QPIRI`, `QMD`, `QDI`), live values
//! (`QPIGS`, `QPIGS2`), warnings (`QPIWS`) and the mode (`QMOD`), and
//! offers no commands.

use super::voltronic::Warnings;
use crate::qx::engine::Qx;
use crate::qx::item::{self as it, Item, Pre, PreAnswer};

/// CRC-16 (polynomial 0x1021, initial 0) with the Voltronic escaping:
/// a byte equal to LF, CR or `(` is incremented.
pub fn crc(data: &[u8]) -> [u8; 2] {
    let mut r: u16 = 0;
    for &b in data {
        r ^= (b as u16) << 8;
        for _ in 0..8 {
            r = if r & 0x8000 != 0 { (r << 1) ^ 0x1021 } else { r << 1 };
        }
    }
    let esc = |b: u8| if b == 10 || b == 13 || b == 40 { b + 1 } else { b };
    [esc((r >> 8) as u8), esc(r as u8)]
}

/// The command with its CRC inserted before the CR.
pub fn with_crc(cmd: &[u8]) -> Vec<u8> {
    let (body, cr) = match cmd.iter().position(|&c| c == b'\r') {
        Some(p) => (&cmd[..p], true),
        None => (cmd, false),
    };
    let mut out = body.to_vec();
    out.extend_from_slice(&crc(body));
    if cr {
        out.push(b'\r');
    }
    out
}

/// The body of a framed message (without CRC and CR) if its CRC is valid.
pub fn check_crc(msg: &[u8]) -> Option<&[u8]> {
    let end =
        msg.iter().position(|&c| c == b'\r').unwrap_or_else(|| msg.iter().position(|&c| c == 0).unwrap_or(msg.len()));
    if end < 3 {
        return None;
    }
    let (body, sum) = (&msg[..end - 2], &msg[end - 2..end]);
    (crc(body) == sum).then_some(body)
}

fn add_crc(_q: &Qx, cmd: &mut Vec<u8>) -> Result<(), ()> {
    let body = cmd.iter().position(|&c| c == b'\r').unwrap_or(cmd.len());
    if body == 0 {
        return Err(());
    }
    *cmd = with_crc(cmd);
    Ok(())
}

fn strip_crc(a: &mut Vec<u8>, len: usize) -> Option<usize> {
    if len == 0 {
        return Some(0);
    }
    let has_cr = a.contains(&b'\r');
    let mut body = check_crc(a)?.to_vec();
    if has_cr {
        body.push(b'\r');
    }
    *a = body;
    Some(a.len())
}

fn protocol(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    if raw.len() < 2 || !raw[..2].eq_ignore_ascii_case("PI") {
        return Err(());
    }
    if !it::all_in(&raw[2..], "03") {
        q.log.push(format!("Protocol [{raw}] is not supported by this driver"));
        return Err(());
    }
    let p = it::strtol(&raw[2..]);
    if p != 30 {
        q.log.push(format!("Protocol [PI{p:02}] is not supported by this driver"));
        return Err(());
    }
    Ok(format!("P{p:02}"))
}

/// `0X` before the raw value (the rows' format is `0X%s`, so nothing is
/// converted).
fn hex(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    Ok(format!("0X{raw}"))
}

fn serial(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if it::all_in(raw, "0") {
        q.log.push(format!("{}: device reported a non-significant serial [{raw}]", q.item(idx).var));
        return Err(());
    }
    Ok(raw.to_string())
}

/// QFLAG `(E<enabled>D<disabled>`. In NUT's default build both rows fail:
/// the beeper row looks for beeper.enable/disable commands and the
/// energy-save row for its setter, neither of which that build has.
fn capability(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    // strtok(raw + 1, "D") then the rest: leading D's are skipped.
    let rest = raw.get(1..).unwrap_or("").trim_start_matches('D');
    let (enabled, disabled) = match rest.split_once('D') {
        Some((e, d)) => (e, d),
        None => (rest, ""),
    };
    if enabled.is_empty() && disabled.is_empty() {
        return Err(());
    }
    let var = q.item(idx).var;
    let mut val = None;
    if var.eq_ignore_ascii_case("ups.beeper.status") {
        if raw.contains('a') {
            if enabled.contains('a') {
                val = Some("enabled");
            } else if disabled.contains('a') {
                val = Some("disabled");
            }
            for c in ["beeper.enable", "beeper.disable"] {
                if !q.unskip(c, it::CMD, 0) {
                    return Err(());
                }
            }
        }
    } else if var.eq_ignore_ascii_case("battery.energysave") {
        if enabled.contains('j') {
            val = Some("yes");
        } else if disabled.contains('j') {
            val = Some("no");
        }
    }
    let val = val.ok_or(())?;
    if q.item(idx).rw_flag && !q.unskip(var, it::SETVAR, 0) {
        return Err(());
    }
    Ok(val.to_string())
}

fn battery_type(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    if !it::all_in(raw, "01") {
        return Err(());
    }
    match it::strtol(raw) {
        0 => Ok("AGM".into()),
        1 => Ok("Flooded".into()),
        2 => Ok("User".into()),
        _ => Err(()),
    }
}

fn model_type(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    if !it::all_in(raw, "01") {
        return Err(());
    }
    match it::strtol(raw) {
        0 => Ok("Grid-tie".into()),
        1 => Ok("Off-grid".into()),
        10 => Ok("Hybrid".into()),
        11 => Ok("Off Grid with 2 Trackers".into()),
        20 => Ok("Off Grid with 3 Trackers".into()),
        _ => Err(()),
    }
}

fn transformer(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    match raw.as_bytes().first() {
        Some(b'0') => Ok("Transformerless".into()),
        Some(b'1') => Ok("With transformer".into()),
        _ => Err(()),
    }
}

/// QPIGS device status bits: 86 = load on (else OFF), 88 = charging.
fn status(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let it_ = q.item(idx);
    if raw.contains('-') && it_.has(it::QUICK_POLL) {
        return Ok(String::new());
    }
    if !it::all_in(raw, "01") {
        return Err(());
    }
    let one = raw.as_bytes().first() == Some(&b'1');
    match it_.from {
        86 => Ok(if one { "!OFF" } else { "OFF" }.into()),
        88 => Ok(if one { "CHRG" } else { "!CHRG" }.into()),
        24 | 25 | 83 | 84 | 85 | 87 | 89 | 90 | 104 | 105 | 106 => Ok(String::new()),
        _ => Err(()),
    }
}

/// The text of each QPIWS warning bit (None: unknown bit).
fn warning_text(i: usize) -> Option<&'static str> {
    Some(match i {
        0 => "Device has fault.",
        1 => "CPU is performing the auto-correction of AD signals.",
        2 => "An external Flash device failed.",
        3 => "Input PV is found lost.",
        4 => "PV input voltage reads low.",
        5 => "Power island.",
        6 => "An Error occurred in the CPU initialization.",
        7 => "Power grid voltage exceeds the upper threshold.",
        8 => "Power grid voltage falls below the lower threshold.",
        9 => "Power grid frequency exceeds the upper threshold.",
        10 => "Power grid frequency falls below the lower threshold.",
        11 => "Power grid-connected average voltage exceeds the maximum threshold.",
        12 => "Require power from the power grid.",
        13 => "Emergent grid disconnection.",
        14 => "Battery voltage is too low.",
        15 => "Low battery.",
        16 => "Battery disconnected.",
        17 => "End of battery discharge.",
        18 => "Overload.",
        19 => "EPO active.",
        22 => "Over temperature alarm.",
        23 => "No electrical ground.",
        24 => "Fan fault.",
        _ => return None,
    })
}

/// QPIWS: one alarm line naming every warning bit set (bit numbers only
/// when the text would not fit); bit 16 sets LB, bit 19 OVER.
fn warning(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    if !it::all_in(raw, "01-") {
        return Err(());
    }
    if it::all_in(raw, "0-") {
        return Ok(String::new());
    }
    let mut list = Warnings::default();
    for (i, c) in raw.bytes().enumerate() {
        if c != b'1' {
            continue;
        }
        let Some(w) = warning_text(i) else {
            q.log.push(format!("Warning from device: Unknown warning from device [bit: #{:02}]", i + 1));
            list.unknown(i);
            continue;
        };
        match i {
            15 => q.push_status("LB"),
            18 => q.push_status("OVER"),
            _ => {}
        }
        q.log.push(format!("Warning from device: {w}"));
        list.known(i, w);
    }
    list.alarm("Device warnings: ").ok_or(())
}

/// QMOD: P(ower on), S(tandby), L(ine), B(attery), F(ault), H (ECO).
fn mode(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let (status, alarm) = match raw.as_bytes().first() {
        Some(b'P') => (None, Some("Device is going ON.")),
        Some(b'S') => (Some("OFF"), None),
        Some(b'L') => (Some("OL"), None),
        Some(b'B') => (Some("!OL"), None),
        Some(b'F') => (None, Some("Fault reported by device.")),
        Some(b'H') => (Some("ECO"), None),
        _ => (None, None),
    };
    let var = q.item(idx).var;
    if let (Some(a), true) = (alarm, var.eq_ignore_ascii_case("ups.alarm")) {
        return Ok(a.to_string());
    }
    if let (Some(s), true) = (status, var.eq_ignore_ascii_case("ups.status")) {
        return Ok(s.to_string());
    }
    Ok(String::new())
}

/// The mapping table (NUT's default build).
pub fn table() -> Vec<Item> {
    use it::{ENUM, QUICK_POLL, SEMI_STATIC, STATIC, TRIM};
    let row = |var, cmd, len, from, to, dfl, flags| {
        Item::var(var, cmd, len, b'(', from, to, dfl, flags).pre_cmd(add_crc).pre_answer(PreAnswer::Fn(strip_crc))
    };
    let rowf = |var, cmd, len, from, to, flags, f| row(var, cmd, len, from, to, "%s", flags).pre(Pre::Fn(f));
    let hexrow = |var, cmd, len, from, to| rowf(var, cmd, len, from, to, STATIC, hex);
    let qpiri = |var, from, to| row(var, "QPIRI\r", 99, from, to, "%.1f", STATIC);
    let qmd = |var, from, to, dfl| row(var, "QMD\r", 48, from, to, dfl, STATIC);
    let qdi = |var, from, to| row(var, "QDI\r", 80, from, to, "%.1f", STATIC);
    let qpigs = |var, from, to, dfl, flags| row(var, "QPIGS\r", 108, from, to, dfl, flags);
    let qpigs2 = |var, from, to, dfl| row(var, "QPIGS2\r", 69, from, to, dfl, 0);
    vec![
        rowf("device.firmware.aux", "QPI\r", 6, 1, 4, STATIC, protocol),
        // > QVFW  < (VERFW:00074.50
        hexrow("device.firmware", "QVFW\r", 16, 7, 14),
        hexrow("device.firmware.main", "QVFW\r", 16, 7, 14),
        hexrow("device.firmware.scc1", "QVFW2\r", 17, 8, 15),
        hexrow("device.firmware.scc2", "QVFW3\r", 17, 8, 15),
        hexrow("device.firmware.scc3", "QVFW4\r", 17, 8, 15),
        rowf("device.serial", "QID\r", 2, 1, 0, STATIC, serial),
        rowf("battery.energysave", "QFLAG\r", 4, 1, 0, ENUM | SEMI_STATIC, capability).rw().enums(&["no", "yes"]),
        rowf("ups.beeper.status", "QFLAG\r", 4, 1, 0, SEMI_STATIC, capability),
        // > QPIRI  < (230.0 21.7 230.0 50.0 21.7 5000 5000 48.0 46.0 42.0 56.4 54.0 0 30 060 0 0 2 9 01 0 1 54.0 0 1 000
        qpiri("input.voltage.nominal", 1, 5)
            .flags(ENUM)
            .rw()
            .enums(&["101", "110", "120", "127", "202", "208", "220", "230", "240"]),
        qpiri("input.current.nominal", 7, 10),
        qpiri("output.voltage.nominal", 12, 16),
        qpiri("output.frequency.nominal", 18, 21),
        qpiri("output.current.nominal", 23, 26),
        qpiri("output.power.nominal", 28, 31),
        qpiri("output.realpower.nominal", 33, 36),
        qpiri("battery.voltage.nominal", 38, 41),
        qpiri("battery.voltage.recharge", 43, 46),
        qpiri("battery.voltage.under", 48, 51),
        qpiri("battery.voltage.bulk", 53, 56),
        qpiri("battery.voltage.float", 58, 61),
        rowf("battery.type", "QPIRI\r", 99, 63, 63, STATIC, battery_type),
        qpiri("battery.charging.current.ac.high", 65, 66),
        qpiri("battery.charging.current.high", 68, 70),
        rowf("device.model.type", "QPIRI\r", 99, 80, 81, STATIC, model_type),
        rowf("device.description", "QPIRI\r", 99, 83, 83, STATIC, transformer),
        // > QMD  < (#####INVERTEX5K ###5000 99 1/1 230 230 04 12.0
        qmd("device.model", 1, 15, "%s").flags(TRIM),
        qmd("output.powerfactor.nominal", 25, 26, "%.0f"),
        qmd("input.phases", 28, 28, "%.0f"),
        qmd("output.phases", 30, 30, "%.0f"),
        qmd("battery.number", 40, 41, "%.0f"),
        // > QDI  < (230.0 50.0 0030 42.0 54.0 56.4 46.0 60 0 0 2 0 0 0 0 0 1 1 0 0 1 0 54.0 0 1 000
        qdi("output.voltage.default", 1, 5),
        qdi("output.frequency.default", 7, 10),
        qdi("experimental.battery.charging.current.ac.high.default", 12, 15),
        qdi("experimental.battery.voltage.under.default", 17, 20),
        qdi("experimental.battery.voltage.float.default", 22, 25),
        qdi("experimental.battery.voltage.bulk.default", 27, 30),
        qdi("experimental.battery.voltage.recharge.default", 32, 35),
        qdi("experimental.battery.charging.current.high.default", 37, 38),
        rowf("experimental.battery.type.default", "QDI\r", 80, 46, 46, STATIC, battery_type),
        // > QPIGS  < (233.5 50.1 233.5 50.1 0467 0396 009 440 54.00 000 100 0033 0000 000.0 00.00 00000 00010101 00 00 00000 110
        qpigs("input.voltage", 1, 5, "%.1f", 0),
        qpigs("input.frequency", 7, 10, "%.1f", 0),
        qpigs("output.voltage", 12, 16, "%.1f", STATIC),
        qpigs("output.frequency", 18, 21, "%.1f", STATIC),
        qpigs("output.power", 23, 26, "%.1f", STATIC),
        qpigs("output.realpower", 28, 31, "%.1f", STATIC),
        qpigs("ups.load", 33, 35, "%.0f", 0),
        qpigs("battery.voltage", 41, 45, "%.1f", 0),
        qpigs("battery.charge", 51, 53, "%.1f", 0),
        qpigs("ups.temperature", 55, 58, "%.1f", 0),
        qpigs("experimental.input.pv1.current", 60, 63, "%.0f", 0),
        qpigs("experimental.input.pv1.voltage", 65, 69, "%.0f", 0),
        qpigs("experimental.battery.voltage.scc1", 71, 75, "%.1f", 0),
        qpigs("battery.current", 77, 81, "%.1f", 0),
        rowf("ups.status", "QPIGS\r", 108, 86, 86, QUICK_POLL, status),
        rowf("ups.status", "QPIGS\r", 108, 88, 88, QUICK_POLL, status),
        qpigs2("experimental.input.pv2.current", 1, 4, "%.0f"),
        qpigs2("experimental.input.pv2.voltage", 6, 10, "%.0f"),
        qpigs2("experimental.battery.voltage.scc2", 12, 16, "%.1f"),
        qpigs2("experimental.input.pv3.current", 42, 45, "%.0f"),
        qpigs2("experimental.input.pv3.voltage", 47, 51, "%.0f"),
        qpigs2("experimental.battery.voltage.scc3", 53, 57, "%.1f"),
        rowf("ups.alarm", "QPIWS\r", 27, 1, 0, QUICK_POLL, warning),
        rowf("ups.alarm", "QMOD\r", 3, 1, 1, 0, mode),
        rowf("ups.status", "QMOD\r", 3, 1, 1, QUICK_POLL, mode),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_frames() {
        // The well-known QPIGS frame of these inverters.
        assert_eq!(with_crc(b"QPIGS\r"), b"QPIGS\xb7\xa9\r");
        assert_eq!(check_crc(&with_crc(b"(PI30\r")), Some(b"(PI30".as_slice()));
        let mut bad = with_crc(b"(PI30\r");
        bad[1] = b'X';
        assert_eq!(check_crc(&bad), None);
        for b in 0..=255u8 {
            let c = crc(&[b]);
            assert!(!c.contains(&b'\r') && !c.contains(&b'\n') && !c.contains(&b'('));
        }
    }
}
