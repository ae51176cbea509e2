//! Ablerex units: Megatec `Q1`/`F`/`I` with their own battery arithmetic,
//! plus binary `Q5` (output frequency/current, error code), `At` (runtime)
//! and `TR` (test result) answers.

use super::blazer;
use crate::qx::engine::{DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, Item, Pre, PreAnswer};

/// Battery charge (%) from a per-cell voltage (below 3 V, on line) or a
/// 12 V-block voltage (on battery): the device maker's curves.
pub fn charge(v: f64) -> i64 {
    const ONLINE: [(f64, i64); 56] = [
        (2.22, 100),
        (2.21, 90),
        (2.20, 88),
        (2.19, 87),
        (2.18, 85),
        (2.17, 83),
        (2.16, 82),
        (2.15, 80),
        (2.14, 78),
        (2.13, 77),
        (2.12, 75),
        (2.11, 73),
        (2.10, 72),
        (2.09, 70),
        (2.08, 68),
        (2.07, 65),
        (2.06, 65),
        (2.05, 62),
        (2.04, 62),
        (2.03, 58),
        (2.02, 58),
        (2.01, 55),
        (2.00, 55),
        (1.99, 53),
        (1.98, 52),
        (1.97, 50),
        (1.96, 48),
        (1.95, 47),
        (1.94, 45),
        (1.93, 43),
        (1.92, 42),
        (1.91, 40),
        (1.90, 38),
        (1.89, 37),
        (1.88, 35),
        (1.87, 33),
        (1.86, 32),
        (1.85, 30),
        (1.84, 28),
        (1.83, 27),
        (1.82, 25),
        (1.81, 23),
        (1.80, 22),
        (1.79, 20),
        (1.78, 18),
        (1.77, 17),
        (1.76, 15),
        (1.75, 13),
        (1.74, 12),
        (1.73, 10),
        (1.72, 8),
        (1.71, 7),
        (1.70, 5),
        (1.69, 3),
        (1.68, 2),
        (1.67, 0),
    ];
    const OFFLINE: [(f64, i64); 35] = [
        (13.5, 100),
        (13.3, 90),
        (13.2, 88),
        (13.1, 86),
        (13.0, 83),
        (12.9, 80),
        (12.8, 77),
        (12.7, 74),
        (12.6, 72),
        (12.5, 69),
        (12.4, 66),
        (12.3, 63),
        (12.2, 61),
        (12.1, 58),
        (12.0, 55),
        (11.9, 52),
        (11.8, 49),
        (11.7, 47),
        (11.6, 44),
        (11.5, 41),
        (11.4, 38),
        (11.3, 36),
        (11.2, 33),
        (11.1, 30),
        (11.0, 27),
        (10.9, 24),
        (10.8, 22),
        (10.7, 19),
        (10.6, 16),
        (10.5, 13),
        (10.4, 11),
        (10.3, 8),
        (10.2, 5),
        (10.1, 2),
        (10.0, 0),
    ];
    let table: &[(f64, i64)] = if v < 3.0 { &ONLINE } else { &OFFLINE };
    // The curves stop at the first 0% point, which never matches.
    for &(p, c) in table.iter().take_while(|&&(_, c)| c > 0) {
        if v >= p {
            return c;
        }
    }
    0
}

/// The table.
pub fn table() -> Vec<Item> {
    let q = |v, f, t, d| Item::var(v, "Q1\r", 47, b'(', f, t, d, 0);
    let bit = |v, f, t, fl, d, p| Item::var(v, "Q1\r", 47, b'(', f, t, d, fl).pre(p);
    let fr = |v, f, t| Item::var(v, "F\r", 22, b'#', f, t, "%.1f", it::QUICK_POLL);
    let mut v = vec![
        q("input.voltage", 1, 5, "%.1f"),
        q("input.voltage.fault", 7, 11, "%.1f"),
        q("output.voltage", 13, 17, "%.1f"),
        q("ups.load", 19, 21, "%.0f"),
        q("input.frequency", 23, 26, "%.1f"),
        q("battery.voltage", 28, 31, "%.2f").pre(Pre::AblerexBattery),
        q("battery.charge", 28, 31, "%.2f").pre(Pre::AblerexCharge),
        q("ups.temperature", 33, 36, "%.1f"),
        bit("ups.status", 38, 38, it::QUICK_POLL, "", Pre::StatusBits),
        bit("ups.status", 39, 39, it::QUICK_POLL, "", Pre::StatusBits),
        bit("ups.status", 40, 42, it::QUICK_POLL, "", Pre::AblerexStatus),
        bit("ups.status", 41, 41, it::QUICK_POLL, "", Pre::AblerexStatus),
        bit("ups.alarm", 41, 41, 0, "", Pre::StatusBits),
        bit("ups.type", 42, 42, it::STATIC, "%s", Pre::StatusBits),
        bit("ups.status", 43, 43, it::QUICK_POLL, "", Pre::StatusBits),
        bit("ups.status", 44, 44, it::QUICK_POLL, "", Pre::StatusBits),
        bit("ups.beeper.status", 45, 45, 0, "%s", Pre::StatusBits),
        fr("output.voltage.nominal", 1, 5),
        fr("output.current.nominal", 7, 9),
        fr("battery.voltage.nominal", 11, 15),
        fr("output.frequency.nominal", 17, 20),
        Item::var("battery.voltage.low", "F\r", 22, b'#', 1, 2, "%.2f", it::QUICK_POLL).pre(Pre::AblerexInitBattery),
        Item::var("battery.voltage.high", "F\r", 22, b'#', 2, 3, "%.2f", it::QUICK_POLL).pre(Pre::AblerexInitBattery),
        Item::var("output.frequency", "Q5\r", 22, b'(', 1, 18, "%.1f", 0)
            .pre_answer(PreAnswer::Binary)
            .pre(Pre::AblerexQ5),
        Item::var("battery.runtime", "At\r", 0, b'(', 0, 0, "%d", 0).pre_answer(PreAnswer::Binary).pre(Pre::AblerexAt),
        Item::var("ups.test.result", "TR\r", 0, b'#', 0, 0, "%s", 0).pre_answer(PreAnswer::Binary).pre(Pre::AblerexTr),
    ];
    v.extend(blazer::vendor("I\r"));
    let mut cmds = blazer::commands(false, Pre::BlazerCommand);
    cmds[1] = Item::cmd("load.off", "S.2\r");
    v.extend(cmds);
    v.extend(blazer::delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, blazer::ONDELAY, blazer::OFFDELAY));
    v
}
