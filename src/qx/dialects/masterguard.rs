//! Masterguard A and E series ("Masterguard 0.05", as upstream NUT has it).
//!
//! Identity and ratings come from `WH`, readings from `Q3`; several
//! queries and commands carry the unit's slave address (`GS,XX`,
//! `SS---1,XX`...): the `,XX` is replaced, just before sending, by the
//! address the unit reported in `WH` (`ups.id`). Setting `ups.id` sends
//! `SSnn--,<old>` and only then switches to the new address.
//!
//! NUT 2.8.0 ships this dialect ("Masterguard 0.02") but its claim looks
//! up two rows by the wrong names (`series`, `output_voltages`), so it
//! never claims a device, not even with `protocol = masterguard`; such a
//! unit ends up with the `q1` fallback there. We follow upstream's fix
//! (and its later additions: `TL`, the slave-addressed `TUD`, `FCLR`, the
//! GBS ageing and calibration factors).

use crate::qx::engine::{Qx, DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, Item, Pre, PreAnswer, Rw};
use crate::qx::transport::Transport;

const SERIES: &str = "mg.series";
const ADDR: &str = "mg.slaveaddr";
const NEXT: &str = "mg.next_slaveaddr";
const POWER: &str = "mg.power";
const CELLS: &str = "mg.numcells";

fn note_num(q: &Qx, k: &str) -> f64 {
    q.noted(k).map(it::strtod).unwrap_or(0.0)
}

/// `,XX\r` at the end of the command becomes `,<slave address>\r`.
#[allow(clippy::ptr_arg)] // the PreCmdFn signature
fn add_slaveaddr(q: &Qx, cmd: &mut Vec<u8>) -> Result<(), ()> {
    let l = cmd.len();
    if l < 4 || &cmd[l - 4..] != b",XX\r" {
        return Err(());
    }
    let a = q.noted(ADDR).unwrap_or("??").as_bytes();
    cmd[l - 3] = a[0];
    cmd[l - 2] = a[1];
    Ok(())
}

/// After `SS`: the new address is used from now on.
fn new_slaveaddr(q: &mut Qx, _idx: usize, len: usize) -> Option<usize> {
    let n = it::strtol(q.noted(NEXT).unwrap_or("-1"));
    if !(0..=99).contains(&n) {
        return None;
    }
    q.note(ADDR, &format!("{n:02}"));
    Some(len)
}

fn slaveaddr(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    if raw.len() != 2 {
        return Err(());
    }
    q.note(ADDR, raw);
    Ok(raw.to_string())
}

fn series(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    match raw.as_bytes().first() {
        Some(b'A') | Some(b'E') => {
            q.note(SERIES, &raw[..1]);
            Ok(raw[..1].to_string())
        }
        _ => Err(()),
    }
}

/// One model of the WH T field.
struct Model {
    /// How the T field starts.
    t: &'static str,
    name: &'static str,
    power: i64,
    /// battery packs (min, max), plain and -19 rack variant
    packs: (i64, i64),
    packs_rack: (i64, i64),
}

const MODELS: &[Model] = &[
    Model { t: "A  700", name: "A700", power: 700, packs: (0, 0), packs_rack: (0, 0) },
    Model { t: "A 1000", name: "A1000", power: 1000, packs: (0, 2), packs_rack: (0, 2) },
    Model { t: "A 2000", name: "A2000", power: 2000, packs: (0, 2), packs_rack: (1, 5) },
    Model { t: "A 3000", name: "A3000", power: 3000, packs: (0, 2), packs_rack: (1, 5) },
    Model { t: "E 60", name: "E60", power: 6000, packs: (1, 1), packs_rack: (1, 1) },
    Model { t: "E100", name: "E100", power: 10000, packs: (1, 1), packs_rack: (1, 1) },
    Model { t: "E200", name: "E200", power: 20000, packs: (1, 1), packs_rack: (1, 1) },
];

fn model_of(raw: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| raw.starts_with(m.t))
}

/// The T field of WH: a readable model name; the battery-pack range.
fn model(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let rack = raw.contains("-19");
    let m = model_of(raw).ok_or(())?;
    let (lo, hi) = if rack { m.packs_rack } else { m.packs };
    if let Some(i) = q.find("battery.packs", it::RANGE, it::SETVAR) {
        q.set_rw(i, Rw::Range(vec![(lo, hi)]));
    }
    Ok(format!("{}{}", m.name, if rack { "-19" } else { "" }))
}

fn power(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let p = model_of(raw).ok_or(())?.power;
    q.note(POWER, &p.to_string());
    Ok(p.to_string())
}

/// C `sscanf("%d")` on a prefix.
fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let st = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == st {
        return None;
    }
    t[..i].parse().ok()
}

/// `%d<sep>%d<sep>...`: the integers before each separator.
fn scan_ints(s: &str, seps: &[char]) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let mut rest = s;
    for (n, sep) in seps.iter().chain(std::iter::once(&'\0')).enumerate() {
        let v = scan_int(rest)?;
        out.push(v);
        if n == seps.len() {
            break;
        }
        let t = rest.trim_start();
        let skip = t.find(|c: char| !(c.is_ascii_digit() || c == '+' || c == '-')).unwrap_or(t.len());
        let after = &t[skip..];
        rest = after.strip_prefix(*sep)?;
    }
    Some(out)
}

fn mmm_ss(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let v = scan_ints(raw, &['.']).ok_or(())?;
    Ok((60 * v[0] + v[1]).to_string())
}

fn hhh(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    Ok((3600 * scan_int(raw).ok_or(())?).to_string())
}

fn tttt_hh_mm_ss(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let v = scan_ints(raw, &[':', ':', ':']).ok_or(())?;
    Ok((86400 * v[0] + 3600 * v[1] + 60 * v[2] + v[3]).to_string())
}

fn numcells(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let v = scan_int(raw).ok_or(())?;
    q.note(CELLS, &v.to_string());
    Ok(v.to_string())
}

/// C `sscanf("%f")` into a float.
fn scan_f32(raw: &str) -> Result<f32, ()> {
    let t = raw.trim_start();
    if !t.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'+') {
        return Err(());
    }
    if !t.bytes().any(|c| c.is_ascii_digit()) {
        return Err(());
    }
    Ok(it::strtod(t) as f32)
}

/// Cell voltage times the number of cells (a float product, as in C).
fn battvolt(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let s = scan_f32(raw)?;
    let cells = note_num(q, CELLS) as f32;
    Ok(format!("{:.2}", (cells * s) as f64))
}

fn ups_power(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let l = scan_int(raw).ok_or(())? as f64;
    Ok(format!("{:.0}", l / 100.0 * note_num(q, POWER) + 0.5))
}

fn current_fraction(q: &Qx, fraction: f64) -> String {
    let vo = q.get("output.voltage").map(it::strtod).unwrap_or(0.0);
    format!("{:.2}", fraction * note_num(q, POWER) / vo + 0.005)
}

fn output_current(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let l = scan_int(raw).ok_or(())?;
    Ok(current_fraction(q, l as f64 / 100.0))
}

fn output_current_nominal(q: &mut Qx, _idx: usize, _raw: &str) -> Result<String, ()> {
    Ok(current_fraction(q, 1.0))
}

/// The B and T status bits of Q3.
fn status(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let from = q.item(idx).from;
    let mut neg = match raw.as_bytes().first() {
        Some(b'0') => true,
        Some(b'1') => false,
        _ => return Err(()),
    };
    let s: &str = match from {
        53 => {
            neg = !neg;
            "OL"
        }
        54 => "LB",
        55 => "BYPASS",
        56 => {
            let s = if neg { "" } else { "UPS Failed" };
            neg = false;
            s
        }
        57 => {
            let s = if neg { "online" } else { "offline" };
            neg = false;
            s
        }
        58 => "CAL",
        59 => "FSD",
        63 => {
            let s = if neg { "" } else { "problems in parallel operation mode" };
            neg = false;
            s
        }
        65 => "RB",
        66 => {
            let s = if neg { "" } else { "no battery connected" };
            neg = false;
            s
        }
        67 => {
            neg = false;
            match raw.get(..3) {
                Some("000") => "no test in progress",
                Some("001") => "in progress",
                Some("010") => "OK",
                Some("011") => "failed",
                Some("100") => "not possible",
                Some("101") => "aborted",
                Some("110") => "autonomy time calibration in progress",
                Some("111") => "unknown",
                _ => return Err(()),
            }
        }
        _ => return Err(()),
    };
    Ok(format!("{}{s}", if neg { "!" } else { "" }))
}

fn beeper_status(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    match raw.as_bytes().first() {
        Some(b'0') => Ok("disabled".into()),
        Some(b'1') => Ok("enabled".into()),
        _ => Err(()),
    }
}

/// MSO: the output voltages the unit can be set to (the enumeration of
/// output.voltage.nominal).
fn output_voltages(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let list: Vec<String> = raw.split(' ').filter(|w| !w.is_empty()).map(|w| w.to_string()).collect();
    if let Some(i) = q.find("output.voltage.nominal", it::ENUM, it::SETVAR) {
        q.set_rw(i, Rw::Enum(list));
    }
    Ok(raw.to_string())
}

/// One FLT record: `<id> <value> TTTT:hh:mm:ss`.
fn fault(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let mut it_ = raw.chars();
    let c = it_.next().ok_or(())?;
    let rest: String = it_.collect();
    let rest = rest.trim_start();
    let (num, time) = rest.split_once(' ').ok_or(())?;
    let f = scan_f32(num)? as f64;
    let v = scan_ints(time.trim_start(), &[':', ':', ':']).ok_or(())?;
    let l = 86400 * v[0] + 3600 * v[1] + 60 * v[2] + v[3];
    let what = match c {
        '0' => "none".to_string(),
        '1' => format!("bus fault ({f:.0}V)"),
        '2' => format!("inverter fault ({f:.0}V)"),
        '3' => format!("overheat fault ({f:.0}C)"),
        '4' => format!("battery overvoltage fault ({f:.2}V)"),
        '5' => format!("battery mode overload fault ({f:.0}%)"),
        '6' => format!("bypass mode overload fault ({f:.0}%)"),
        '7' => format!("inverter mode outpt short-circuit fault ({f:.0}V)"),
        '8' => "fan lock fault".to_string(),
        '9' => format!("battery fault ({f:.0}V)"),
        'A' => "charger fault".to_string(),
        'B' => "EPO activated".to_string(),
        'C' => "parallel error".to_string(),
        'D' => "MCU communication error".to_string(),
        _ => return Err(()),
    };
    Ok(format!("{l}: {what}"))
}

/// `S<off>` / `S<off>R<on>`: the delays as the unit wants them (on delay
/// in seconds, four digits).
fn shutdown(q: &Qx, stayoff: bool) -> Result<String, ()> {
    let off: i64 = q.get("ups.delay.shutdown").ok_or(())?.parse().map_err(|_| ())?;
    let offstr = if off < 0 {
        return Err(());
    } else if off <= 99 * 60 {
        it::delay_word(off)
    } else {
        return Err(());
    };
    if stayoff {
        return Ok(format!("S{offstr}\r"));
    }
    let on: i64 = q.get("ups.delay.start").ok_or(())?.parse().map_err(|_| ())?;
    if !(0..=9999 * 60).contains(&on) {
        return Err(());
    }
    Ok(format!("S{offstr}R{on:04}\r"))
}

fn shutdown_return(q: &mut Qx, _idx: usize, _v: &str) -> Result<String, ()> {
    shutdown(q, false)
}

fn shutdown_stayoff(q: &mut Qx, _idx: usize, _v: &str) -> Result<String, ()> {
    shutdown(q, true)
}

/// `T` for 10 s, `Tnn` minutes for 60..5940 s.
fn test_battery(_q: &mut Qx, _idx: usize, v: &str) -> Result<String, ()> {
    let d: i64 = v.parse().map_err(|_| ())?;
    if d == 10 {
        return Ok("T\r".into());
    }
    if !(60..=99 * 60).contains(&d) {
        return Err(());
    }
    Ok(format!("T{:02}\r", d / 60))
}

/// Format the row's command with the value read as `dfl` says: `d`
/// (integer), `s` (string), `thms` (seconds to TTTT:hh:mm:ss).
fn setvar(q: &mut Qx, idx: usize, v: &str) -> Result<String, ()> {
    let item = q.item(idx);
    let cmd = item.command.unwrap_or("");
    match item.dfl.unwrap_or("") {
        "d" => {
            let i: i64 = v.parse().map_err(|_| ())?;
            it::format_num(cmd, i as f64).ok_or(())
        }
        "s" => {
            if v.len() >= 80 {
                return Err(());
            }
            Ok(it::format_str(cmd, v))
        }
        "thms" => {
            // NUT first tries the row's own last answer as TTTT:hh:mm:ss
            // (never set for a SETVAR row), then the value as seconds.
            let mut l: i64 = v.parse().map_err(|_| ())?;
            let s = l % 60;
            l /= 60;
            let m = l % 60;
            l /= 60;
            let h = l % 24;
            l /= 24;
            if l > 9999 {
                return Err(());
            }
            Ok(it::format_str(cmd, &format!("{l:04}:{h:02}:{m:02}:{s:02}")))
        }
        _ => Err(()),
    }
}

fn set_slaveaddr(q: &mut Qx, idx: usize, v: &str) -> Result<String, ()> {
    let n: i64 = v.parse().map_err(|_| ())?;
    q.note(NEXT, &n.to_string());
    setvar(q, idx, v)
}

const COMMANDS_A: &[&str] = &[
    "Q", "Q1", "Q3", "T", "TL", "S", "C", "CT", "WH", "M", "N", "O", "DECO", "DRC", "SRC", "FLT", "FCLR", "G", "SS",
    "GS", "MSO", "PNV", "FOFF", "FON", "TUD", "GBS", "SSN", "GSN",
];
const COMMANDS_E: &[&str] = &[
    "Q", "Q1", "Q3", "PSR", "T", "TL", "S", "C", "CT", "WH", "DRC", "SRC", "FLT", "FCLR", "SS", "GS", "MSO", "PNV",
    "FOFF", "FON", "TUD", "GBS", "SSN", "GSN", "BUS", "V", "INVDC", "BUSP", "BUSN",
];

/// The leading capital letters of a command name `c` are exactly `name`.
fn command_is(c: &str, name: &str) -> bool {
    let lead: String = c.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    lead == name
}

/// NUT's claim: `slave_address` (if set) must be valid; series, model,
/// power, slave address and output voltages must be readable (processed
/// without publishing); the address must match `slave_address`; commands
/// the series lacks are skipped.
pub fn claim(q: &mut Qx, t: &mut dyn Transport) -> bool {
    let want = match q.param("slave_address").map(|s| s.to_string()) {
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (0..=99).contains(&n) => Some(n),
            _ => return false,
        },
        None => None,
    };
    for var in ["experimental.series", "device.model", "ups.power.nominal", "ups.id", "experimental.output_voltages"] {
        let Some(i) = q.find(var, 0, it::SETVAR) else { return false };
        if q.process(t, i, None).is_err() || q.preprocess(i).is_err() {
            return false;
        }
    }
    if let Some(n) = want {
        if it::strtol(q.noted(ADDR).unwrap_or("")) != n {
            return false;
        }
    }
    let commands = match q.noted(SERIES) {
        Some("A") => COMMANDS_A,
        Some("E") => COMMANDS_E,
        _ => return false,
    };
    for i in 0..q.items().len() {
        let Some(c) = q.item(i).command else { continue };
        if c.is_empty() {
            continue;
        }
        if !commands.iter().any(|n| command_is(c, n)) {
            q.skip(i);
        }
    }
    true
}

/// The mapping table.
pub fn table() -> Vec<Item> {
    use it::{ABSENT, CMD, ENUM, NONUT, QUICK_POLL, RANGE, SEMI_STATIC, SETVAR, STATIC, TRIM};
    let absent = |var, dfl| Item { command: None, dfl: Some(dfl), flags: STATIC | ABSENT, ..Item::cmd(var, "") };
    let wh = |var, from, to, dfl, flags| Item::var(var, "WH\r", 113, b'(', from, to, dfl, flags);
    let whf = |var, from, to, flags, f| wh(var, from, to, "%s", flags).pre(Pre::Fn(f));
    let q3 = |var, from, to, dfl| Item::var(var, "Q3\r", 71, b'(', from, to, dfl, 0);
    let q3f = |var, from, to, f| q3(var, from, to, "%s").pre(Pre::Fn(f));
    let bit = |var, from, to, flags| Item::var(var, "Q3\r", 71, b'(', from, to, "", flags).pre(Pre::Fn(status));
    let sa = |i: Item| i.pre_cmd(add_slaveaddr);
    let setter = |var, cmd, dfl, flags, f| {
        sa(Item { dfl: Some(dfl), flags: SETVAR | flags, ..Item::cmd(var, cmd) }.pre(Pre::Fn(f)))
    };
    let cmd = |var, c| Item::cmd(var, c);
    let with = |var, f| Item { command: None, ..Item::cmd(var, "") }.pre(Pre::Fn(f));
    vec![
        absent("device.mfr", "Masterguard"),
        absent("load.high", "140"),
        absent("battery.type", "PbAc"),
        // > WH  < (00 10.06 03.09 A  700  + 0 Bat Pack-19        0 230 50.00 012 02.30 006.00 012.00 018 10 40 160 276 47.00 53.00
        whf("ups.id", 1, 2, SEMI_STATIC | RANGE, slaveaddr).rw().ranges(&[(0, 99)]),
        wh("ups.firmware", 4, 8, "%s", STATIC),
        wh("ups.firmware.aux", 10, 14, "%s", STATIC),
        whf("experimental.series", 16, 16, STATIC | NONUT, series),
        whf("device.model", 16, 45, STATIC, model),
        whf("ups.power.nominal", 16, 45, STATIC, power),
        wh("input.voltage.nominal", 49, 51, "%.0f", STATIC),
        wh("input.frequency.nominal", 53, 57, "%.2f", STATIC),
        whf("experimental.number_of_battery_cells", 59, 61, STATIC | NONUT, numcells),
        wh("experimental.nominal_cell_voltage", 63, 67, "%.2f", STATIC | NONUT),
        whf("battery.voltage.nominal", 63, 67, STATIC, battvolt),
        whf("experimental.runtime_half", 69, 74, STATIC | NONUT, mmm_ss),
        whf("experimental.runtime_full", 76, 81, STATIC | NONUT, mmm_ss),
        whf("experimental.recharge_time", 83, 85, STATIC | NONUT, hhh),
        wh("ambient.0.temperature.low", 87, 88, "%.0f", STATIC),
        wh("ambient.0.temperature.high", 90, 91, "%.0f", STATIC),
        wh("input.voltage.low.critical", 93, 95, "%.0f", STATIC),
        wh("input.voltage.high.critical", 97, 99, "%.0f", STATIC),
        wh("input.frequency.low", 101, 105, "%.2f", STATIC),
        wh("input.frequency.high", 107, 111, "%.2f", STATIC),
        // > Q3  < (00 225.9 225.9 229.3 043 50.0 02.27 23.4 017.03 100 00000000 00000000
        q3("input.voltage", 4, 8, "%.1f"),
        q3("experimental.input_fault_voltage", 10, 14, "%.1f").flags(NONUT),
        q3("output.voltage", 16, 20, "%.1f"),
        q3("ups.load", 22, 24, "%.0f"),
        q3f("ups.power", 22, 24, ups_power),
        q3f("output.current", 22, 24, output_current),
        q3("input.frequency", 26, 29, "%.1f"),
        q3f("battery.voltage", 31, 35, battvolt),
        q3("ups.temperature", 37, 40, "%.1f"),
        q3("ambient.0.temperature", 37, 40, "%.1f"),
        q3f("battery.runtime", 42, 47, mmm_ss),
        q3("battery.charge", 49, 51, "%.0f"),
        bit("ups.status", 53, 53, QUICK_POLL),
        bit("ups.status", 54, 54, QUICK_POLL),
        bit("ups.status", 55, 55, QUICK_POLL),
        bit("ups.alarm", 56, 56, QUICK_POLL),
        bit("ups.type", 57, 57, STATIC),
        bit("ups.status", 58, 58, QUICK_POLL),
        bit("ups.status", 59, 59, QUICK_POLL),
        Item { answer_len: 69, ..bit("ups.alarm", 63, 63, QUICK_POLL) },
        bit("ups.status", 65, 65, QUICK_POLL),
        bit("ups.alarm", 66, 66, QUICK_POLL),
        bit("ups.test.result", 67, 69, QUICK_POLL),
        // > GS,XX  < (00,00 0 1
        Item {
            pre_answer: Some(PreAnswer::Qx(new_slaveaddr)),
            ..setter("ups.id", "SS%02d--,XX\r", "d", RANGE, set_slaveaddr)
        },
        sa(Item::var("battery.packs", "GS,XX\r", 0, b'(', 7, 7, "%.0f", SEMI_STATIC | RANGE).rw().ranges(&[(0, 9)])),
        setter("battery.packs", "SS--%1d-,XX\r", "d", RANGE, setvar),
        sa(Item::var("ups.beeper.status", "GS,XX\r", 11, b'(', 9, 9, "", SEMI_STATIC).pre(Pre::Fn(beeper_status))),
        // > GBS,XX  < (00,100 0017 0000 0708 0712 0994 115 02.28
        sa(Item::var("battery.charge", "GBS,XX\r", 43, b'(', 4, 6, "%.0f", 0)),
        sa(Item::var("experimental.battery.ageing.factor", "GBS,XX\r", 43, b'(', 18, 21, "%.0f", NONUT)),
        sa(Item::var("experimental.battery.calibration.factor", "GBS,XX\r", 43, b'(', 33, 35, "%.0f", NONUT)),
        // > GSN,XX  < (00,SSN=6A1212      2782
        sa(Item::var("device.part", "GSN,XX\r", 25, b'(', 8, 18, "%s", STATIC | TRIM)),
        sa(Item::var("device.serial", "GSN,XX\r", 25, b'(', 20, 23, "%s", STATIC)),
        // > DRC,XX  < (00,1869:19:06:37
        sa(Item::var("device.uptime", "DRC,XX\r", 17, b'(', 4, 16, "%.0f", SEMI_STATIC)
            .rw()
            .pre(Pre::Fn(tttt_hh_mm_ss))),
        setter("device.uptime", "SRC%s,XX\r", "thms", 0, setvar),
        // > MSO  < (220 230 240
        Item::var("experimental.output_voltages", "MSO\r", 5, b'(', 1, 0, "%s", STATIC | NONUT)
            .pre(Pre::Fn(output_voltages)),
        // > PNV  < (PNV=230
        Item::var("output.voltage.nominal", "PNV\r", 8, b'(', 5, 7, "%.0f", SEMI_STATIC | ENUM).rw().enums(&[]),
        Item { dfl: Some("d"), flags: SETVAR, ..Item::cmd("output.voltage.nominal", "PNV=%03d\r") }
            .pre(Pre::Fn(setvar)),
        Item::var("output.current.nominal", "PNV\r", 8, b'(', 5, 7, "%.0f", SEMI_STATIC)
            .pre(Pre::Fn(output_current_nominal)),
        // > FLT,XX  < (00,7 0043 0000:16:48:06 0 0000 0000:00:00:00 ...
        sa(Item::var("experimental.fault_1", "FLT,XX\r", 108, b'(', 4, 23, "%s", NONUT).pre(Pre::Fn(fault))),
        sa(Item::var("experimental.fault_2", "FLT,XX\r", 108, b'(', 25, 44, "%s", NONUT).pre(Pre::Fn(fault))),
        sa(Item::var("experimental.fault_3", "FLT,XX\r", 108, b'(', 46, 65, "%s", NONUT).pre(Pre::Fn(fault))),
        sa(Item::var("experimental.fault_4", "FLT,XX\r", 108, b'(', 67, 86, "%s", NONUT).pre(Pre::Fn(fault))),
        sa(Item::var("experimental.fault_5", "FLT,XX\r", 108, b'(', 88, 107, "%s", NONUT).pre(Pre::Fn(fault))),
        Item { flags: CMD, ..with("shutdown.return", shutdown_return) },
        Item { flags: CMD, ..with("shutdown.stayoff", shutdown_stayoff) },
        cmd("shutdown.stop", "C\r"),
        Item { flags: CMD, ..with("test.battery.start", test_battery) },
        cmd("test.battery.start.quick", "T\r"),
        cmd("test.battery.start.low", "TL\r"),
        sa(cmd("test.battery.start.deep", "TUD,XX\r")),
        cmd("test.battery.stop", "CT\r"),
        sa(cmd("clear.fault.record", "FCLR,XX\r")),
        cmd("bypass.start", "FOFF\r"),
        cmd("bypass.stop", "FON\r"),
        sa(cmd("beeper.enable", "SS---1,XX\r")),
        sa(cmd("beeper.disable", "SS---0,XX\r")),
        Item { pre: None, ..Item::absent_setvar("ups.delay.shutdown", DEFAULT_OFFDELAY, &[(0, 5940)]) },
        Item { pre: None, ..Item::absent_setvar("ups.delay.start", DEFAULT_ONDELAY, &[(0, 599940)]) },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_and_builders() {
        let mut q = Qx::new(&crate::qx::dialects::MASTERGUARD, Default::default());
        assert_eq!(mmm_ss(&mut q, 0, "017.03").as_deref(), Ok("1023"));
        assert_eq!(tttt_hh_mm_ss(&mut q, 0, "1869:19:06:37").as_deref(), Ok("161550397"));
        assert_eq!(
            fault(&mut q, 0, "7 0043 0000:16:48:06").as_deref(),
            Ok("60486: inverter mode outpt short-circuit fault (43V)")
        );
        assert_eq!(fault(&mut q, 0, "0 0000 0000:00:00:00").as_deref(), Ok("0: none"));
        assert!(fault(&mut q, 0, "F 0000 0000:00:00:00").is_err());
        q.note(ADDR, "07");
        let mut c = b"GS,XX\r".to_vec();
        add_slaveaddr(&q, &mut c).unwrap();
        assert_eq!(c, b"GS,07\r");
        assert!(add_slaveaddr(&q, &mut b"GS\r".to_vec()).is_err());
        assert_eq!(test_battery(&mut q, 0, "10").as_deref(), Ok("T\r"));
        assert_eq!(test_battery(&mut q, 0, "120").as_deref(), Ok("T02\r"));
        assert!(test_battery(&mut q, 0, "30").is_err());
        assert!(command_is("GBS,XX\r", "GBS") && !command_is("GBS,XX\r", "GB") && command_is("Q3\r", "Q"));
    }
}
