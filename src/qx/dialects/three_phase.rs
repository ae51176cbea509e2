//! Dialects NUT added after 2.8.0 (upstream 2.8.x): the three-phase `Q2`
//! and `Q6` units, Innova RT 3/1 and 3/3 (`Q6` + `WA` + `BPS`, INNOVART31
//! and INNOVART33), Innova T/AE (INNOVATAE, Ippon) and G-Tec (`Q4` with
//! status letters). They share the Megatec commands and status bits.

use super::blazer;
use crate::qx::engine::{Qx, DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, Item, Pre};

fn topology(_q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    match raw {
        "1" => Ok("star".into()),
        "0" => Ok("delta".into()),
        _ => Err(()),
    }
}

/// `WA` output power rows (kW/kVA reported, W/VA published).
fn wa(per_phase: bool, current: bool) -> Vec<Item> {
    let w = |v, f, t, p: Option<Pre>| {
        let i = Item::var(v, "WA\r", 80, b'(', f, t, "%.1f", 0);
        match p {
            Some(p) => i.pre(p),
            None => i,
        }
    };
    let mut v = Vec::new();
    if per_phase {
        v.extend([
            w("output.L1.realpower", 1, 5, Some(Pre::TimesThousand)),
            w("output.L2.realpower", 7, 11, Some(Pre::TimesThousand)),
            w("output.L3.realpower", 13, 17, Some(Pre::TimesThousand)),
            w("output.L1.power", 19, 23, Some(Pre::TimesThousand)),
            w("output.L2.power", 25, 29, Some(Pre::TimesThousand)),
            w("output.L3.power", 31, 35, Some(Pre::TimesThousand)),
            w("output.L1.current", 49, 53, None),
            w("output.L2.current", 55, 59, None),
            w("output.L3.current", 61, 65, None),
        ]);
    }
    if current {
        v.push(w("output.current", 49, 53, None));
    }
    v.push(w("ups.realpower", 37, 41, Some(Pre::TimesThousand)));
    v.push(w("ups.power", 43, 47, Some(Pre::TimesThousand)));
    if per_phase {
        v.push(Item::var("ups.load", "WA\r", 80, b'(', 67, 69, "%.0f", 0));
    }
    v
}

fn q1_bits() -> Vec<Item> {
    blazer::status("Q1\r", true).into_iter().filter(|i| i.var.starts_with("ups.")).collect()
}

fn tail(beeper: bool) -> Vec<Item> {
    let mut c = blazer::commands(false, Pre::BlazerCommand);
    if !beeper {
        c.retain(|i| i.var != "beeper.toggle");
    }
    c.extend(blazer::delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, blazer::ONDELAY, blazer::OFFDELAY));
    c
}

/// Q2 (three phase in and out).
pub fn q2() -> Vec<Item> {
    let q = |v, f, t, d| Item::var(v, "Q2\r", 118, b'(', f, t, d, 0);
    let mut v = vec![
        q("input.L1-N.voltage", 1, 5, "%.1f"),
        q("input.L2-N.voltage", 7, 11, "%.1f"),
        q("input.L3-N.voltage", 13, 17, "%.1f"),
        q("input.voltage.fault", 19, 23, "%.1f"),
        q("input.frequency", 55, 58, "%.1f"),
        q("output.L1-N.voltage", 25, 29, "%.1f"),
        q("output.L2-N.voltage", 31, 35, "%.1f"),
        q("output.L3-N.voltage", 37, 41, "%.1f"),
        q("output.L1.load", 43, 45, "%.0f"),
        q("output.L2.load", 47, 49, "%.0f"),
        q("output.L3.load", 51, 53, "%.0f"),
        q("ups.temperature", 66, 69, "%.1f"),
        q("battery.voltage", 60, 64, "%.1f").pre(Pre::MultiplyBattvolt),
        q("battery.runtime", 80, 85, "%.2f").pre(Pre::MinutesToSeconds),
        q("battery.charge", 87, 89, "%.0f"),
        q("experimental.input.topology", 115, 115, "%s").flags(it::STATIC).pre(Pre::Fn(topology)),
        q("experimental.output.topology", 116, 116, "%s").flags(it::STATIC).pre(Pre::Fn(topology)),
    ];
    v.extend(wa(true, false));
    v.extend(q1_bits());
    v.extend(tail(true));
    v
}

fn q6_rows(three_out: bool) -> Vec<Item> {
    let q = |v, f, t, d| Item::var(v, "Q6\r", 110, b'(', f, t, d, 0);
    let mut v = vec![
        q("input.L1-N.voltage", 1, 5, "%.1f"),
        q("input.L2-N.voltage", 7, 11, "%.1f"),
        q("input.L3-N.voltage", 13, 17, "%.1f"),
        q("input.frequency", 19, 22, "%.1f"),
    ];
    if three_out {
        v.extend([
            q("output.L1-N.voltage", 24, 28, "%.1f"),
            q("output.L2-N.voltage", 30, 34, "%.1f"),
            q("output.L3-N.voltage", 36, 40, "%.1f"),
            q("output.frequency", 42, 45, "%.1f"),
            q("output.L1.load", 47, 49, "%.0f"),
            q("output.L2.load", 51, 53, "%.0f"),
            q("output.L3.load", 55, 57, "%.0f"),
        ]);
    } else {
        v.extend([
            q("output.voltage", 24, 28, "%.1f"),
            q("output.frequency", 42, 45, "%.1f"),
            q("ups.load", 47, 49, "%.0f"),
        ]);
    }
    v.extend([
        q("ups.temperature", 71, 74, "%.1f"),
        q("battery.voltage", 59, 63, "%.1f").pre(Pre::MultiplyBattvolt),
        q("battery.runtime", 76, 80, "%.0f"),
        q("battery.charge", 82, 84, "%.0f"),
    ]);
    v
}

/// Q6 (three phase in and out, with negative battery and topology).
pub fn q6() -> Vec<Item> {
    let q = |v, f, t, d| Item::var(v, "Q6\r", 110, b'(', f, t, d, 0);
    let mut v = q6_rows(true);
    v.extend([
        q("experimental.battery.voltage.negative", 65, 69, "%.1f").pre(Pre::MultiplyBattvolt),
        q("experimental.input.topology", 107, 107, "%s").flags(it::STATIC).pre(Pre::Fn(topology)),
        q("experimental.output.topology", 108, 108, "%s").flags(it::STATIC).pre(Pre::Fn(topology)),
    ]);
    v.extend(wa(true, false));
    v.extend(q1_bits());
    v.extend(tail(true));
    v
}

fn innova_info() -> Vec<Item> {
    let mut v = blazer::ratings(false);
    v.push(Item::var("ups.firmware", "FW?\r", 0, 0, 0, 0, "%s", it::STATIC));
    v.push(Item::var("ups.serial", "SASV07?\r", 28, 0, 7, 0, "%s", it::STATIC | it::TRIM));
    v
}

/// Innova RT 3/1 (three phase in, one out).
pub fn innovart31() -> Vec<Item> {
    let b = |v, f, t| Item::var(v, "BPS\r", 24, b'(', f, t, "%.1f", 0);
    let mut v = q6_rows(false);
    v.extend(wa(false, true));
    v.extend([b("input.bypass.voltage", 1, 5), b("input.bypass.frequency", 19, 22)]);
    v.extend(innova_info());
    v.extend(q1_bits());
    v.extend(tail(false));
    v
}

/// Innova RT 3/3 (three phase in and out).
pub fn innovart33() -> Vec<Item> {
    let b = |v, f, t| Item::var(v, "BPS\r", 24, b'(', f, t, "%.1f", 0);
    let mut v = q6_rows(true);
    v.extend(wa(true, false));
    v.extend([
        b("input.bypass.L1-N.voltage", 1, 5),
        b("input.bypass.L2-N.voltage", 7, 11),
        b("input.bypass.L3-N.voltage", 13, 17),
        b("input.bypass.frequency", 19, 22),
    ]);
    v.extend(innova_info());
    v.extend(q1_bits());
    v.extend(tail(false));
    v
}

/// Innova T/AE (Ippon): Megatec Q1 and F, firmware from I.
pub fn innovatae() -> Vec<Item> {
    let mut v = vec![Item {
        var: "device.mfr",
        command: None,
        dfl: Some("Ippon"),
        flags: it::STATIC | it::ABSENT,
        ..Item::cmd("device.mfr", "")
    }];
    let mut st = blazer::status("Q1\r", true);
    st[5] = st[5].clone().pre(Pre::MultiplyBattvolt);
    v.extend(st);
    v.extend(blazer::ratings(false));
    v.push(Item::var("ups.firmware", "I\r", 38, b'#', 28, 35, "%s", it::STATIC));
    v.extend(tail(true));
    v
}

fn gtec_status(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let mut val = "OFF";
    q.push_status("OL");
    for c in raw.chars() {
        match c {
            'A' => val = "!OL",
            'B' => q.push_status("LB"),
            'C' => val = "BYPASS",
            'D' => q.alarm("UPS failed"),
            'E' => q.set("battery.test.status", "Test in progress"),
            'F' => q.push_status("FSD"),
            'G' => q.alarm("Site fault"),
            'H' => q.alarm("EPROM fail"),
            'I' => q.set("battery.test.status", "Test passed - Result: OK"),
            'J' => {
                q.set("battery.test.status", "Test passed - Result: Failed");
                q.push_status("RB");
            }
            'K' => q.set("battery.test.status", "Battery disconnected"),
            'L' => q.set("battery.test.status", "Test status unknown"),
            'M' => val = "OL",
            'N' => q.push_status("OVER"),
            'P' => q.alarm("Battery disconnected"),
            _ => {}
        }
    }
    Ok(val.to_string())
}

/// G-Tec (`Q4`).
pub fn gtec() -> Vec<Item> {
    let q = |v, f, t, d| Item::var(v, "Q4\r", 64, b'(', f, t, d, 0);
    let mut v = vec![
        q("input.voltage", 1, 5, "%.1f"),
        q("input.voltage.fault", 19, 23, "%.1f"),
        q("output.voltage", 25, 29, "%.1f"),
        q("ups.load", 35, 37, "%.0f"),
        q("input.frequency", 39, 42, "%.1f"),
        q("battery.voltage", 52, 56, "%.1f"),
        q("ups.temperature", 58, 61, "%.1f"),
        q("ups.status", 63, 0, "").pre(Pre::Fn(gtec_status)),
    ];
    v.extend(blazer::ratings(false));
    v.extend(blazer::vendor("I\r"));
    v.extend(tail(true));
    v
}
