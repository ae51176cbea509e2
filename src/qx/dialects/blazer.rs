//! The rows shared by the Megatec-like dialects: the 47-byte status answer
//! (`(MMM.M NNN.N PPP.P QQQ RR.R S.SS TT.T b7..b0`), the `F` ratings, the
//! `I`/`FW?` vendor strings, the S/C/T commands and the driver-side delays.

use crate::qx::engine::{DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, Item, Pre};

/// ups.delay.start range of most dialects.
pub const ONDELAY: &[(i64, i64)] = &[(0, 599940)];
/// ups.delay.shutdown range of most dialects.
pub const OFFDELAY: &[(i64, i64)] = &[(12, 600)];

/// Status rows for a `(`-led 47-byte answer to `cmd`. `input_freq`: whether
/// field 5 is the input (else output) frequency.
pub fn status(cmd: &'static str, input_freq: bool) -> Vec<Item> {
    let q = |v, f, t, d| Item::var(v, cmd, 47, b'(', f, t, d, 0);
    let bit = |v: &'static str, f: usize, flags: u32, d: &'static str| {
        Item::var(v, cmd, 47, b'(', f, f, d, flags).pre(Pre::StatusBits)
    };
    vec![
        q("input.voltage", 1, 5, "%.1f"),
        q("input.voltage.fault", 7, 11, "%.1f"),
        q("output.voltage", 13, 17, "%.1f"),
        q("ups.load", 19, 21, "%.0f"),
        q(if input_freq { "input.frequency" } else { "output.frequency" }, 23, 26, "%.1f"),
        q("battery.voltage", 28, 31, "%.2f"),
        q("ups.temperature", 33, 36, "%.1f"),
        bit("ups.status", 38, it::QUICK_POLL, ""),
        bit("ups.status", 39, it::QUICK_POLL, ""),
        bit("ups.status", 40, it::QUICK_POLL, ""),
        bit("ups.alarm", 41, 0, ""),
        bit("ups.type", 42, it::STATIC, "%s"),
        bit("ups.status", 43, it::QUICK_POLL, ""),
        bit("ups.status", 44, it::QUICK_POLL, ""),
        bit("ups.beeper.status", 45, 0, "%s"),
    ]
}

/// `F` ratings (`#VVV.V CCC BB.BB FF.F`); `output`: name them output.*.
pub fn ratings(output: bool) -> Vec<Item> {
    let f = |v, a, b, d| Item::var(v, "F\r", 22, b'#', a, b, d, it::STATIC);
    if output {
        vec![
            f("output.voltage.nominal", 1, 5, "%.0f"),
            f("output.current.nominal", 7, 9, "%.1f"),
            f("battery.voltage.nominal", 11, 15, "%.1f"),
            f("output.frequency.nominal", 17, 20, "%.0f"),
        ]
    } else {
        vec![
            f("input.voltage.nominal", 1, 5, "%.0f"),
            f("input.current.nominal", 7, 9, "%.1f"),
            f("battery.voltage.nominal", 11, 15, "%.1f"),
            f("input.frequency.nominal", 17, 20, "%.0f"),
        ]
    }
}

/// Vendor strings from `cmd` (`#` + 15 mfr + 10 model + 10 firmware).
pub fn vendor(cmd: &'static str) -> Vec<Item> {
    let f = |v, a, b| Item::var(v, cmd, 39, b'#', a, b, "%s", it::STATIC | it::TRIM);
    vec![f("device.mfr", 1, 15), f("device.model", 17, 26), f("ups.firmware", 28, 37)]
}

/// The instant commands; `ack`: answers are `(ACK`/`(NAK` (value at 1..=3).
pub fn commands(ack: bool, test_pre: Pre) -> Vec<Item> {
    let c = |v, cmd| {
        let i = Item::cmd(v, cmd);
        if ack {
            i.expect(5, b'(', 1, 3)
        } else {
            i
        }
    };
    vec![
        c("beeper.toggle", "Q\r"),
        c("load.off", "S00R0000\r"),
        c("load.on", "C\r"),
        c("shutdown.return", "S%s\r").pre(Pre::BlazerCommand),
        c("shutdown.stayoff", "S%sR0000\r").pre(Pre::BlazerCommand),
        c("shutdown.stop", "C\r"),
        c("test.battery.start", if ack { "T%s\r" } else { "T%02d\r" }).pre(test_pre),
        c("test.battery.start.deep", "TL\r"),
        c("test.battery.start.quick", "T\r"),
        c("test.battery.stop", "CT\r"),
    ]
}

/// Driver-side delays.
pub fn delays(on: &'static str, off: &'static str, on_r: &[(i64, i64)], off_r: &[(i64, i64)]) -> Vec<Item> {
    vec![Item::absent_setvar("ups.delay.start", on, on_r), Item::absent_setvar("ups.delay.shutdown", off, off_r)]
}

/// megatec, megatec/old, mustek, zinto: status from `status_cmd`, ratings,
/// vendor from `vendor_cmd`.
pub fn classic(status_cmd: &'static str, vendor_cmd: &'static str) -> Vec<Item> {
    let mut v = status(status_cmd, true);
    v.extend(ratings(false));
    v.extend(vendor(vendor_cmd));
    v.extend(commands(false, Pre::BlazerCommand));
    v.extend(delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, ONDELAY, OFFDELAY));
    v
}

/// hunnox: like zinto, with delays defaulting to 0 and 60.
pub fn hunnox() -> Vec<Item> {
    let mut v = status("Q1\r", true);
    v.extend(ratings(false));
    v.extend(vendor("FW?\r"));
    v.extend(commands(false, Pre::BlazerCommand));
    v.extend(delays("0", "60", ONDELAY, OFFDELAY));
    v
}

/// q1: status only.
pub fn q1() -> Vec<Item> {
    let mut v = status("Q1\r", true);
    v.extend(commands(false, Pre::BlazerCommand));
    v.extend(delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, ONDELAY, OFFDELAY));
    v
}

/// mecer: QPI protocol row, then megatec rows with `(ACK`/`(NAK` commands.
pub fn mecer() -> Vec<Item> {
    let mut v = vec![Item::var("ups.firmware.aux", "QPI\r", 6, b'(', 1, 4, "%s", it::STATIC).pre(Pre::P98Protocol)];
    v.extend(status("Q1\r", true));
    v.extend(ratings(false));
    v.extend(vendor("I\r"));
    v.extend(commands(true, Pre::MecerTestBattery));
    v.extend(delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, ONDELAY, OFFDELAY));
    v
}

/// voltronic-qs: `M` protocol row, `QS` status (output frequency), output
/// ratings, a reduced command set.
pub fn voltronic_qs() -> Vec<Item> {
    let mut v = vec![Item::var("ups.firmware.aux", "M\r", 2, 0, 0, 0, "PM-%s", it::STATIC).pre(Pre::QsProtocol)];
    v.extend(status("QS\r", false));
    v.extend(ratings(true));
    let c = |n, cmd| Item::cmd(n, cmd).expect(0, 0, 1, 3);
    v.extend([
        c("beeper.toggle", "Q\r"),
        c("load.off", "S00R0000\r"),
        c("load.on", "C\r"),
        c("shutdown.return", "S%s\r").pre(Pre::BlazerCommand),
        c("shutdown.stayoff", "S%sR0000\r").pre(Pre::BlazerCommand),
        c("shutdown.stop", "C\r"),
        c("test.battery.start.quick", "T\r"),
    ]);
    v.extend(delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, &[(60, 599940)], &[(12, 540)]));
    v
}
