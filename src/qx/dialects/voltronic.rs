//! Voltronic Power (and rebranded) units: `QPI` protocol (PI00-PI99),
//! `QGS` status, `QRI`/`QMD`/`F` ratings, `QMF`/`QVFW`/`QID`/`I` identity,
//! `QMOD` mode, `QWS` warnings, `QFS` last fault, `QBV` battery, `QFLAG`
//! capabilities, outlets, ECO and bypass limits, three-phase readings, and
//! the P.. commands to change them. Rows a protocol does not have start
//! skipped and are enabled by the protocol or capability answers, as NUT
//! 2.8.0's voltronic subdriver does.
//!
//! The unskip conditions are kept in the shape of the protocol notes they
//! come from (one clause per protocol group), hence the lint allowances.

#![allow(clippy::nonminimal_bool, clippy::collapsible_match)]

use crate::qx::engine::{Bit, Qx, DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, all_in, format_num, format_str, strtod, strtol, Item, Pre, Rw, RwFilter};

fn protocol_of(q: &Qx) -> i64 {
    q.get("ups.firmware.aux").map(|s| strtol(s.get(1..).unwrap_or(""))).unwrap_or(0)
}

fn dfl(q: &Qx, idx: usize) -> &'static str {
    q.item(idx).dfl.unwrap_or("%s")
}

fn numeric(raw: &str) -> Result<(), ()> {
    if all_in(raw, "0123456789 .") {
        Ok(())
    } else {
        Err(())
    }
}

// ---- filters for candidate settable values ----

fn ivn(q: &Qx) -> Option<i64> {
    q.get("input.voltage.nominal").map(strtol)
}

fn ofn(q: &Qx) -> Option<f64> {
    q.get("output.frequency.nominal").map(strtod)
}

const P_GROUP: [i64; 6] = [2, 3, 10, 13, 14, 99];
const P_GROUP5: [i64; 5] = [2, 3, 10, 13, 14];

fn batt_low(q: &Qx, v: &str) -> bool {
    let (Some(ovn), Some(ocn)) = (q.get("output.voltage.nominal"), q.get("output.current.nominal")) else {
        return false;
    };
    let want = if strtol(ovn) * strtol(ocn) < 1000 { 24 } else { 28 };
    strtol(v) == want
}

fn bypass_volt_max(q: &Qx, v: &str) -> bool {
    let p = protocol_of(q);
    let Some(ivn) = ivn(q) else { return false };
    let low = ivn < 200;
    match strtol(v) {
        60 => p == 9,
        115 => low && P_GROUP.contains(&p),
        120 => low && p == 1,
        132 => low && p == 99,
        138 => low && P_GROUP5.contains(&p),
        140 => p == 9 || (low && p == 1),
        230 => !low && p == 1,
        231 => !low && P_GROUP.contains(&p),
        261 => !low && p == 99,
        264 => !low && p == 1,
        276 => !low && P_GROUP5.contains(&p),
        _ => false,
    }
}

fn bypass_volt_min(q: &Qx, v: &str) -> bool {
    let p = protocol_of(q);
    let Some(ivn) = ivn(q) else { return false };
    let low = ivn < 200;
    match strtol(v) {
        50 => low && p == 99,
        55 => low && P_GROUP5.contains(&p),
        60 | 140 => p == 9,
        85 => low && (p == 1 || p == 99),
        104 => low && P_GROUP5.contains(&p),
        110 => !low && P_GROUP5.contains(&p),
        115 => low && p == 1,
        149 => !low && p == 99,
        170 => !low && p == 1,
        209 => !low && P_GROUP.contains(&p),
        220 => !low && p == 1,
        _ => false,
    }
}

fn freq_filter(q: &Qx, v: &str, table: &[(i64, f64, &[i64])]) -> bool {
    let p = protocol_of(q);
    let Some(f) = ofn(q) else { return false };
    let val = strtol(v);
    table.iter().any(|&(x, nom, ps)| x == val && f == nom && ps.contains(&p))
}

const ALL_P: &[i64] = &[1, 2, 3, 9, 10, 13, 14, 99];
const P19: &[i64] = &[1, 9];

fn bypass_freq_max(q: &Qx, v: &str) -> bool {
    freq_filter(
        q,
        v,
        &[
            (51, 50.0, ALL_P),
            (54, 50.0, &P_GROUP),
            (60, 50.0, P19),
            (61, 60.0, ALL_P),
            (64, 60.0, &P_GROUP),
            (70, 60.0, P19),
        ],
    )
}

fn bypass_freq_min(q: &Qx, v: &str) -> bool {
    freq_filter(
        q,
        v,
        &[
            (40, 50.0, P19),
            (46, 50.0, &P_GROUP),
            (49, 50.0, ALL_P),
            (50, 60.0, P19),
            (56, 60.0, &P_GROUP),
            (59, 60.0, ALL_P),
        ],
    )
}

fn eco_freq_min(q: &Qx, v: &str) -> bool {
    freq_filter(
        q,
        v,
        &[
            (40, 50.0, P19),
            (46, 50.0, &P_GROUP),
            (47, 50.0, P19),
            (48, 50.0, &P_GROUP),
            (50, 60.0, P19),
            (56, 60.0, &P_GROUP),
            (57, 60.0, P19),
            (58, 60.0, &P_GROUP),
        ],
    )
}

fn eco_freq_max(q: &Qx, v: &str) -> bool {
    freq_filter(
        q,
        v,
        &[
            (52, 50.0, &P_GROUP),
            (53, 50.0, P19),
            (54, 50.0, &P_GROUP),
            (60, 50.0, P19),
            (62, 60.0, &P_GROUP),
            (63, 60.0, P19),
            (64, 60.0, &P_GROUP),
            (70, 60.0, P19),
        ],
    )
}

const R_BYPASS_VOLT_MAX: &[(&str, Option<RwFilter>)] = &[
    ("60", Some(bypass_volt_max)),
    ("115", Some(bypass_volt_max)),
    ("120", Some(bypass_volt_max)),
    ("132", Some(bypass_volt_max)),
    ("138", Some(bypass_volt_max)),
    ("140", Some(bypass_volt_max)),
    ("230", Some(bypass_volt_max)),
    ("231", Some(bypass_volt_max)),
    ("261", Some(bypass_volt_max)),
    ("264", Some(bypass_volt_max)),
    ("276", Some(bypass_volt_max)),
];
const R_BYPASS_VOLT_MIN: &[(&str, Option<RwFilter>)] = &[
    ("50", Some(bypass_volt_min)),
    ("55", Some(bypass_volt_min)),
    ("60", Some(bypass_volt_min)),
    ("85", Some(bypass_volt_min)),
    ("104", Some(bypass_volt_min)),
    ("110", Some(bypass_volt_min)),
    ("115", Some(bypass_volt_min)),
    ("140", Some(bypass_volt_min)),
    ("149", Some(bypass_volt_min)),
    ("170", Some(bypass_volt_min)),
    ("209", Some(bypass_volt_min)),
    ("220", Some(bypass_volt_min)),
];
const R_BYPASS_FREQ_MAX: &[(&str, Option<RwFilter>)] = &[
    ("51.0", Some(bypass_freq_max)),
    ("54.0", Some(bypass_freq_max)),
    ("60.0", Some(bypass_freq_max)),
    ("61.0", Some(bypass_freq_max)),
    ("64.0", Some(bypass_freq_max)),
    ("70.0", Some(bypass_freq_max)),
];
const R_BYPASS_FREQ_MIN: &[(&str, Option<RwFilter>)] = &[
    ("40.0", Some(bypass_freq_min)),
    ("46.0", Some(bypass_freq_min)),
    ("49.0", Some(bypass_freq_min)),
    ("50.0", Some(bypass_freq_min)),
    ("56.0", Some(bypass_freq_min)),
    ("59.0", Some(bypass_freq_min)),
];
const R_ECO_FREQ_MIN: &[(&str, Option<RwFilter>)] = &[
    ("40.0", Some(eco_freq_min)),
    ("46.0", Some(eco_freq_min)),
    ("47.0", Some(eco_freq_min)),
    ("48.0", Some(eco_freq_min)),
    ("50.0", Some(eco_freq_min)),
    ("56.0", Some(eco_freq_min)),
    ("57.0", Some(eco_freq_min)),
    ("58.0", Some(eco_freq_min)),
];
const R_ECO_FREQ_MAX: &[(&str, Option<RwFilter>)] = &[
    ("52.0", Some(eco_freq_max)),
    ("53.0", Some(eco_freq_max)),
    ("54.0", Some(eco_freq_max)),
    ("60.0", Some(eco_freq_max)),
    ("62.0", Some(eco_freq_max)),
    ("63.0", Some(eco_freq_max)),
    ("64.0", Some(eco_freq_max)),
    ("70.0", Some(eco_freq_max)),
];
const R_BATT_LOW: &[(&str, Option<RwFilter>)] = &[("20", None), ("24", Some(batt_low)), ("28", Some(batt_low))];
const E_CAP: &[&str] = &["no", "yes"];
const E_CAP_NONUT: &[&str] = &["enabled", "disabled"];
const E_BATT_TYPE: &[&str] = &["Li", "Flooded", "AGM"];
const E_WORK_RANGE: &[&str] = &["Appliance", "UPS"];
const E_PHASE: &[&str] = &["000", "120", "180", "240"];

// ---- value conversions ----

fn protocol(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    if raw.len() < 2 || !raw[..2].eq_ignore_ascii_case("PI") {
        return Err(());
    }
    if !all_in(&raw[2..], "0123489") {
        return Err(());
    }
    let p = strtol(&raw[2..]);
    if ![0, 1, 2, 3, 8, 9, 10, 13, 14, 31, 99].contains(&p) {
        return Err(());
    }
    massive_unskip(q, p);
    Ok(format!("P{p:02}"))
}

fn massive_unskip(q: &mut Qx, p: i64) {
    let n = q.items().len();
    for i in 0..n {
        let it = q.item(i);
        if it.command.is_none() {
            continue;
        }
        let v = it.var;
        let is = |x: &str| v.eq_ignore_ascii_case(x);
        let setvar = it.flags & it::SETVAR != 0;
        let (al, from) = (it.answer_len, it.from);
        let unskip = (p == 9
            && ((is("output.bypass.L1-N.voltage") && al == 19) || (is("output.bypass.L2-N.voltage") && al == 19)))
            || (p == 10
                && (is("output.L3-N.voltage")
                    || (is("output.L2-L3.voltage") && from == 25)
                    || (is("output.L1-L3.voltage") && from == 31)
                    || (is("output.bypass.L1-N.voltage") && al == 37)
                    || (is("output.bypass.L2-N.voltage") && al == 37)
                    || (is("output.bypass.L3-N.voltage") && al == 37)
                    || is("output.bypass.L1-L2.voltage")
                    || is("output.bypass.L2-L3.voltage")
                    || is("output.bypass.L1-L3.voltage")
                    || is("output.L3.current")
                    || is("output.L3.power.percent")))
            || ((p == 9 || p == 10)
                && (is("output.L1-N.voltage")
                    || is("output.L2-N.voltage")
                    || is("output.L1-L2.voltage")
                    || is("output.L1.current")
                    || is("output.L2.current")
                    || is("output.L1.power.percent")
                    || is("output.L2.power.percent")))
            || ((p == 3 || p == 9 || p == 10)
                && (is("input.L1-N.voltage")
                    || is("input.L2-N.voltage")
                    || is("input.L1-L2.voltage")
                    || is("input.L1.current")
                    || is("input.L2.current")))
            || ((p == 3 || p == 10)
                && (is("input.L3-N.voltage")
                    || (is("input.L2-L3.voltage") && from == 25)
                    || (is("input.L1-L3.voltage") && from == 31)
                    || is("input.L3.current")))
            || (p == 31
                && (is("battery.type")
                    || (is("work_range_type") && !setvar)
                    || (is("work_range_type") && setvar && q.param("work_range_type").is_some())))
            || (p != 0
                && p != 8
                && p != 31
                && !setvar
                && (is("max_bypass_volt") || is("min_bypass_volt") || is("max_bypass_freq") || is("min_bypass_freq")))
            || (is("reset_to_default") && q.param("reset_to_default").is_some())
            || (is("unknown.7") && q.param("testing").is_some());
        if unskip {
            q.unskip_row(i);
        }
    }
}

fn fault(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let d = dfl(q, idx);
    q.skip(idx);
    if raw.eq_ignore_ascii_case("OK") {
        return Ok(format_str(d, "No fault found"));
    }
    let b = raw.as_bytes();
    let two = raw.len() == 2 && all_in(raw, "0123456789ABC");
    let bad = !two || (b[0] != b'1' && !b[1].is_ascii_digit());
    let code = strtol(raw);
    let alarm: String = if bad {
        format!("Unknown fault [{raw}]")
    } else if protocol_of(q) == 31 {
        if raw[1..].contains(['A', 'B', 'C']) {
            format!("Unknown fault [{raw}]")
        } else {
            let s = match code {
                1 => "Fan failure.",
                2 => "Over temperature fault.",
                3 => "Battery voltage is too high.",
                4 => "Battery voltage too low.",
                5 => "Inverter relay short-circuited.",
                6 => "Inverter voltage over maximum value.",
                7 => {
                    q.push_status("OVER");
                    "Overload fault."
                }
                8 => "Bus voltage exceeds its upper limit.",
                9 => "Bus soft start fail.",
                10 => "Unknown fault [Fault code: 10]",
                51 => "Over current fault.",
                52 => "Bus voltage below its under limit.",
                53 => "Inverter soft start fail.",
                54 => "Self test fail.",
                55 => "Output DC voltage exceeds its upper limit.",
                56 => "Battery open fault.",
                57 => "Current sensor fault.",
                58 => "Battery short.",
                59 => "Inverter voltage below its lower limit.",
                _ => return Ok(format_str(d, &format!("Unknown fault [{raw}]"))),
            };
            s.to_string()
        }
    } else {
        let s = match code {
            1 => match b[1] {
                b'A' => "L1 inverter negative power out of acceptable range.",
                b'B' => "L2 inverter negative power out of acceptable range.",
                b'C' => "L3 inverter negative power out of acceptable range.",
                _ => "Bus voltage not within default setting.",
            },
            2 => "Bus voltage over maximum value.",
            3 => "Bus voltage below minimum value.",
            4 => "Bus voltage differences out of acceptable range.",
            5 => "Bus voltage of slope rate drops too fast.",
            6 => "Over current in PFC input inductor.",
            11 => "Inverter voltage not within default setting.",
            12 => "Inverter voltage over maximum value.",
            13 => "Inverter voltage below minimum value.",
            14 => "Inverter short-circuited.",
            15 => "L2 phase inverter short-circuited.",
            16 => "L3 phase inverter short-circuited.",
            17 => "L1L2 inverter short-circuited.",
            18 => "L2L3 inverter short-circuited.",
            19 => "L3L1 inverter short-circuited.",
            21 => "Battery SCR short-circuited.",
            22 => "Line SCR short-circuited.",
            23 => "Inverter relay open fault.",
            24 => "Inverter relay short-circuited.",
            25 => "Input and output wires oppositely connected.",
            26 => "Battery oppositely connected.",
            27 => "Battery voltage is too high.",
            28 => "Battery voltage too low.",
            29 => "Failure for battery fuse being open-circuited.",
            31 => "CAN-bus communication fault.",
            32 => "Host signal circuit fault.",
            33 => "Synchronous signal circuit fault.",
            34 => "Synchronous pulse signal circuit fault.",
            35 => "Parallel cable disconnected.",
            36 => "Load unbalanced.",
            41 => "Over temperature fault.",
            42 => "Communication failure between CPUs in control board.",
            43 => {
                q.push_status("OVER");
                "Overload fault."
            }
            44 => "Fan failure.",
            45 => "Charger failure.",
            46 => "Model fault.",
            47 => "MCU communication fault.",
            _ => return Ok(format_str(d, &format!("Unknown fault [{raw}]"))),
        };
        s.to_string()
    };
    Ok(format_str(d, &alarm))
}

const WARNINGS: [&str; 62] = [
    "Battery disconnected.",
    "Neutral not connected.",
    "Site fault.",
    "Phase sequence incorrect.",
    "Phase sequence incorrect in bypass.",
    "Input frequency unstable in bypass.",
    "Battery overcharged.",
    "Low battery.",
    "Overload alarm.",
    "Fan alarm.",
    "EPO enabled.",
    "Unable to turn on UPS.",
    "Over temperature alarm.",
    "Charger alarm.",
    "Remote auto shutdown.",
    "L1 input fuse not working.",
    "L2 input fuse not working.",
    "L3 input fuse not working.",
    "Positive PFC abnormal in L1.",
    "Negative PFC abnormal in L1.",
    "Positive PFC abnormal in L2.",
    "Negative PFC abnormal in L2.",
    "Positive PFC abnormal in L3.",
    "Negative PFC abnormal in L3.",
    "Abnormal in CAN-bus communication.",
    "Abnormal in synchronous signal circuit.",
    "Abnormal in synchronous pulse signal circuit.",
    "Abnormal in host signal circuit.",
    "Male connector of parallel cable not connected well.",
    "Female connector of parallel cable not connected well.",
    "Parallel cable not connected well.",
    "Battery connection not consistent in parallel systems.",
    "AC connection not consistent in parallel systems.",
    "Bypass connection not consistent in parallel systems.",
    "UPS model types not consistent in parallel systems.",
    "Capacity of UPSes not consistent in parallel systems.",
    "Auto restart setting not consistent in parallel systems.",
    "Battery cell over charge.",
    "Battery protection setting not consistent in parallel systems.",
    "Battery detection setting not consistent in parallel systems.",
    "Bypass not allowed setting not consistent in parallel systems.",
    "Converter setting not consistent in parallel systems.",
    "High loss point for frequency in bypass mode not consistent in parallel systems.",
    "Low loss point for frequency in bypass mode not consistent in parallel systems.",
    "High loss point for voltage in bypass mode not consistent in parallel systems.",
    "Low loss point for voltage in bypass mode not consistent in parallel systems.",
    "High loss point for frequency in AC mode not consistent in parallel systems.",
    "Low loss point for frequency in AC mode not consistent in parallel systems.",
    "High loss point for voltage in AC mode not consistent in parallel systems.",
    "Low loss point for voltage in AC mode not consistent in parallel systems.",
    "Warning for locking in bypass mode after 3 consecutive overloads within 30 min.",
    "Warning for three-phase AC input current unbalance.",
    "Warning for a three-phase input current unbalance detected in battery mode.",
    "Warning for Inverter inter-current unbalance.",
    "Programmable outlets cut off pre-alarm.",
    "Warning for Battery replace.",
    "Abnormal warning on input phase angle.",
    "Warning!! Cover of maintain switch is open.",
    "",
    "",
    "",
    "EEPROM operation error.",
];

fn warning(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    if !all_in(raw, "01") {
        return Err(());
    }
    if raw.bytes().all(|c| c == b'0') {
        return Ok(String::new());
    }
    let mut list = Warnings::default();
    for (i, c) in raw.bytes().enumerate() {
        if c != b'1' {
            continue;
        }
        let w = WARNINGS.get(i).copied().unwrap_or("");
        match i {
            7 => q.push_status("LB"),
            8 => q.push_status("OVER"),
            55 => q.push_status("RB"),
            _ => {}
        }
        if w.is_empty() {
            list.unknown(i);
        } else {
            list.known(i, w);
        }
    }
    list.alarm("UPS warnings: ").ok_or(())
}

/// The warning alarm of the Voltronic family (QWS, Axpert's QPIWS): the
/// texts of the known bits, or — when they would not fit in a value with
/// room for markup (ST_MAX_VALUE_LEN 256 - 32) — their bit numbers, then
/// the unknown bits' numbers.
#[derive(Default)]
pub(super) struct Warnings {
    texts: String,
    bits: String,
    unknown: String,
}

impl Warnings {
    /// Bit `i` (0-based) is set and means `text`.
    pub(super) fn known(&mut self, i: usize, text: &str) {
        if self.texts.is_empty() {
            self.bits = format!("Known (see log or manual) [bit: #{:02}", i + 1);
            self.texts = text.to_string();
        } else {
            self.bits.push_str(&format!(", #{:02}", i + 1));
            self.texts.push(' ');
            self.texts.push_str(text);
        }
    }

    /// Bit `i` (0-based) is set and has no known meaning.
    pub(super) fn unknown(&mut self, i: usize) {
        self.unknown.push_str(&format!(", #{:02}", i + 1));
    }

    /// `prefix` and the list; `None` when no bit was set.
    pub(super) fn alarm(self, prefix: &str) -> Option<String> {
        let Warnings { mut texts, mut bits, unknown } = self;
        if !texts.is_empty() {
            if !unknown.is_empty() {
                texts.push_str(&format!(" Unknown warnings [bit:{}]", &unknown[1..]));
                bits.push_str(&format!("]; Unknown warnings [bit:{}]", &unknown[1..]));
            } else {
                bits.push(']');
            }
        } else if !unknown.is_empty() {
            texts = format!("Unknown warnings [bit:{}]", &unknown[1..]);
            bits = texts.clone();
        } else {
            return None;
        }
        let body = if 256 - 32 > texts.len() { texts } else { bits };
        Some(format!("{prefix}{body}"))
    }
}

fn mode(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let (status, alarm) = match raw.bytes().next() {
        Some(b'P') => (None, Some("UPS is going ON")),
        Some(b'S') => (Some("OFF"), None),
        Some(b'Y') => (Some("BYPASS"), None),
        Some(b'L') => (Some("OL"), None),
        Some(b'B') => (Some("!OL"), None),
        Some(b'T') => (Some("CAL"), None),
        Some(b'F') => (None, Some("Fault reported by UPS.")),
        Some(b'E') => (None, Some("UPS is in ECO Mode.")),
        Some(b'C') => (None, Some("UPS is in Converter Mode.")),
        Some(b'D') => (Some("FSD"), Some("UPS is shutting down!")),
        _ => return Err(()),
    };
    let d = dfl(q, idx);
    let var = q.item(idx).var;
    if let (Some(a), true) = (alarm, var.eq_ignore_ascii_case("ups.alarm")) {
        return Ok(format_str(d, a));
    }
    if let (Some(s), true) = (status, var.eq_ignore_ascii_case("ups.status")) {
        return Ok(format_str(d, s));
    }
    Ok(String::new())
}

fn status(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if !all_in(raw, "01") {
        return Err(());
    }
    let one = raw.as_bytes().first() == Some(&b'1');
    let var = q.item(idx).var;
    let v: &str = match q.item(idx).from {
        63 => match strtol(raw) {
            0 => "offline",
            1 => "line-interactive",
            10 => "online",
            _ => return Err(()),
        },
        65 => {
            if one {
                "!OL"
            } else {
                "OL"
            }
        }
        66 => {
            if one {
                "LB"
            } else {
                "!LB"
            }
        }
        67 => {
            if one {
                let vi = q.get("input.voltage").map(strtod).unwrap_or(0.0);
                let vo = q.get("output.voltage").map(strtod).unwrap_or(0.0);
                if vo < 0.5 * vi {
                    return Err(());
                }
                if vo < 0.95 * vi {
                    "TRIM"
                } else if vo < 1.05 * vi {
                    let p = protocol_of(q);
                    if p == 0 || p == 8 {
                        if var.eq_ignore_ascii_case("ups.alarm") {
                            "UPS is in AVR Mode."
                        } else {
                            ""
                        }
                    } else if var.eq_ignore_ascii_case("ups.status") {
                        "BYPASS"
                    } else {
                        ""
                    }
                } else if vo < 1.5 * vi {
                    "BOOST"
                } else {
                    return Err(());
                }
            } else {
                ""
            }
        }
        // NUT 2.8.0 compares the bit with the number 1, not '1': the fault
        // query is never enabled from here. Kept as is.
        68 => "",
        70 => {
            if one {
                "CAL"
            } else {
                "!CAL"
            }
        }
        71 => {
            if one {
                "FSD"
            } else {
                "!FSD"
            }
        }
        72 => {
            if q.noted("alarm_control").is_some() {
                let b = q.get("ups.beeper.status");
                if b.is_none_or(|b| !b.eq_ignore_ascii_case("disabled")) {
                    if raw.starts_with('0') {
                        "enabled"
                    } else {
                        "muted"
                    }
                } else {
                    ""
                }
            } else if raw.starts_with('0') {
                "enabled"
            } else {
                "disabled"
            }
        }
        _ => return Err(()),
    };
    Ok(v.to_string())
}

/// QFLAG answers `(E<enabled letters>D<disabled letters>`.
fn capability(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    // strtok semantics: leading separators are skipped; the disabled part
    // is whatever follows the first 'D' after the enabled letters.
    let body = raw.get(1..).unwrap_or("").trim_start_matches('D');
    let (enabled, disabled) = match body.split_once('D') {
        Some((e, d)) => (e, d),
        None => (body, ""),
    };
    if enabled.is_empty() && disabled.is_empty() {
        return Err(());
    }
    let var = q.item(idx).var;
    let flag = |c: char| -> Option<&'static str> {
        if enabled.contains(c) {
            Some("enabled")
        } else if disabled.contains(c) {
            Some("disabled")
        } else {
            None
        }
    };
    let yes = |c: char| flag(c).map(|v| if v == "enabled" { "yes" } else { "no" });
    let val: Option<&str> = match var {
        "bypass_alarm" => flag('p'),
        "battery_alarm" => flag('b'),
        "bypass_when_off" => flag('o'),
        "alarm_control" => {
            if raw.contains('a') {
                let v = flag('a');
                match v {
                    Some("enabled") => {
                        if q.get("ups.beeper.status").is_none_or(|b| b != "muted") {
                            q.set("ups.beeper.status", "enabled");
                        }
                    }
                    Some(_) => q.set("ups.beeper.status", "disabled"),
                    None => {}
                }
                if let Some(v) = v {
                    q.note("alarm_control", v);
                }
                if !q.unskip("beeper.enable", it::CMD, 0) || !q.unskip("beeper.disable", it::CMD, 0) {
                    return Err(());
                }
                v
            } else {
                None
            }
        }
        "converter_mode" => flag('v'),
        "eco_mode" => {
            if raw.contains('e') {
                let v = flag('e');
                for (n, f) in [
                    ("bypass.start", it::CMD),
                    ("bypass.stop", it::CMD),
                    ("input.transfer.high", it::SEMI_STATIC),
                    ("input.transfer.low", it::SEMI_STATIC),
                    ("input.frequency.high", it::SEMI_STATIC),
                    ("input.frequency.low", it::SEMI_STATIC),
                ] {
                    if !q.unskip(n, f, 0) {
                        return Err(());
                    }
                }
                v
            } else {
                None
            }
        }
        "battery_open_status_check" => flag('d'),
        "bypass_forbidding" => flag('f'),
        "site_fault_detection" => flag('l'),
        "advanced_eco_mode" => flag('n'),
        "constant_phase_angle" => flag('q'),
        "limited_runtime_on_battery" => flag('w'),
        "ups.start.auto" => yes('r'),
        "battery.protection" => yes('s'),
        "battery.energysave" => yes('g'),
        "ups.start.battery" => yes('c'),
        "outlet.0.switchable" => {
            let v = yes('j');
            if v == Some("yes") {
                for i in 1..=4 {
                    if !q.unskip(&format!("outlet.{i}.switchable"), 0, 0)
                        || !q.unskip(&format!("outlet.{i}.status"), 0, 0)
                    {
                        return Err(());
                    }
                }
            }
            v
        }
        _ => None,
    };
    let Some(val) = val else { return Err(()) };
    if q.item(idx).flags & it::NONUT != 0 {
        let key: &'static str = q.item(idx).var;
        q.note(key, val);
    }
    let out = format_str(dfl(q, idx), val);
    if q.item(idx).flags & it::NONUT != 0 && q.param(&var.to_ascii_lowercase()).is_none() {
        return Ok(out);
    }
    if !q.unskip(var, it::SETVAR, 0) {
        return Err(());
    }
    Ok(out)
}

fn capability_set(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    let c = q.item(idx).command.unwrap_or("");
    if value.eq_ignore_ascii_case("yes") {
        Ok(format_str(c, "E"))
    } else if value.eq_ignore_ascii_case("no") {
        Ok(format_str(c, "D"))
    } else {
        Err(())
    }
}

fn capability_set_nonut(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    let it = q.item(idx).clone();
    let Some(cur) = q.noted(it.var) else { return Err(()) };
    if value.eq_ignore_ascii_case(cur) {
        return Err(());
    }
    let c = it.command.unwrap_or("");
    if value.eq_ignore_ascii_case("disabled") {
        Ok(format_str(c, "D"))
    } else if value.eq_ignore_ascii_case("enabled") {
        Ok(format_str(c, "E"))
    } else {
        Err(())
    }
}

fn capability_reset(q: &mut Qx, idx: usize, _value: &str) -> Result<String, ()> {
    if q.param("reset_to_default").is_none() || !q.bit(Bit::Off) {
        return Err(());
    }
    Ok(q.item(idx).command.unwrap_or("").to_string())
}

fn eco_volt(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    let out = format_num(dfl(q, idx), strtod(raw)).ok_or(())?;
    let Some(ovn) = q.get("output.voltage.nominal").map(strtol) else { return Ok(out) };
    if !(0..=i32::MAX as i64).contains(&ovn) {
        return Ok(out);
    }
    let p = protocol_of(q);
    let hi = ovn >= 200;
    let (min, max) = if p == 1 || p == 9 {
        if hi {
            ((ovn - 24, ovn - 7), (ovn + 7, ovn + 24))
        } else {
            ((ovn - 12, ovn - 3), (ovn + 3, ovn + 12))
        }
    } else if P_GROUP.contains(&p) {
        if hi {
            ((ovn - 24, ovn - 11), (ovn + 11, ovn + 24))
        } else {
            ((ovn - 12, ovn - 5), (ovn + 5, ovn + 12))
        }
    } else {
        return Ok(out);
    };
    let var = q.item(idx).var;
    if var.eq_ignore_ascii_case("input.transfer.high") {
        q.set_rw(idx, Rw::Range(vec![max]));
    } else if var.eq_ignore_ascii_case("input.transfer.low") {
        q.set_rw(idx, Rw::Range(vec![min]));
    }
    if let Some(s) = q.find(var, it::SETVAR, 0) {
        let r = if var.eq_ignore_ascii_case("input.transfer.high") { max } else { min };
        q.set_rw(s, Rw::Range(vec![r]));
    }
    for suffix in [".min", ".max"] {
        if !q.unskip(&format!("{var}{suffix}"), it::SEMI_STATIC, 0) {
            return Err(());
        }
    }
    if !q.unskip(var, it::SETVAR, 0) {
        return Err(());
    }
    Ok(out)
}

fn eco_volt_range(q: &mut Qx, idx: usize, _raw: &str) -> Result<String, ()> {
    let var = q.item(idx).var;
    let (base, i) = match var {
        "input.transfer.low.min" => ("input.transfer.low", 0),
        "input.transfer.low.max" => ("input.transfer.low", 1),
        "input.transfer.high.min" => ("input.transfer.high", 0),
        "input.transfer.high.max" => ("input.transfer.high", 1),
        _ => return Err(()),
    };
    let from = q.find(base, it::SEMI_STATIC, 0).ok_or(())?;
    match &q.item(from).rw {
        Rw::Range(r) if !r.is_empty() => Ok(if i == 0 { r[0].0 } else { r[0].1 }.to_string()),
        _ => Err(()),
    }
}

fn eco_freq(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    let out = format_num(dfl(q, idx), strtod(raw)).ok_or(())?;
    if !q.unskip(q.item(idx).var, it::SETVAR, 0) {
        return Err(());
    }
    Ok(out)
}

fn bypass(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    let var = q.item(idx).var;
    let val = match var {
        "max_bypass_volt" | "min_bypass_volt" => strtol(raw) as f64,
        "max_bypass_freq" | "min_bypass_freq" => strtod(raw),
        _ => return Err(()),
    };
    q.note(var, &val.to_string());
    let out = format_num(dfl(q, idx), val).ok_or(())?;
    if q.param(var).is_none() {
        return Ok(out);
    }
    if !q.unskip(var, it::SETVAR, 0) {
        return Err(());
    }
    Ok(out)
}

fn batt_numb(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    let n = strtol(raw);
    q.note("battery_number", &(n as f64).to_string());
    let out = format_num(dfl(q, idx), n as f64).ok_or(())?;
    if q.param("battery_number").is_none() {
        return Ok(out);
    }
    if !q.unskip("battery_number", it::SETVAR, 0) {
        return Err(());
    }
    Ok(out)
}

fn batt_runtime(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    format_num(dfl(q, idx), strtod(raw) * 60.0).ok_or(())
}

fn powerfactor(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    format_num(dfl(q, idx), strtod(raw) * 0.01).ok_or(())
}

fn serial(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    if raw.bytes().all(|c| c == b'0') {
        return Err(());
    }
    Ok(format_str(dfl(q, idx), raw))
}

fn outlet(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let var = q.item(idx).var;
    let n = var.as_bytes().get(7).copied().unwrap_or(b'0') as char;
    let (sw, st) = match raw.bytes().next() {
        Some(b'1') => ("yes", "on"),
        Some(b'0') => ("yes", "off"),
        _ => return Err(()),
    };
    let out = if var.contains("switchable") {
        format_str(dfl(q, idx), sw)
    } else if var.contains("status") {
        format_str(dfl(q, idx), st)
    } else {
        return Err(());
    };
    if !q.unskip(&format!("outlet.{n}.delay.shutdown"), it::SEMI_STATIC, 0)
        || !q.unskip(&format!("outlet.{n}.load.on"), it::CMD, 0)
        || !q.unskip(&format!("outlet.{n}.load.off"), it::CMD, 0)
    {
        return Err(());
    }
    Ok(out)
}

fn outlet_delay(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    let var = q.item(idx).var;
    let out = format_num(dfl(q, idx), strtod(raw) * 60.0).ok_or(())?;
    if !q.unskip(var, it::SETVAR, 0) {
        return Err(());
    }
    Ok(out)
}

fn outlet_delay_set(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    format_num(q.item(idx).command.unwrap_or(""), (strtol(value) / 60) as f64).ok_or(())
}

fn enum_index(q: &Qx, idx: usize, raw: &str, digits: &str) -> Result<(usize, String), ()> {
    let b = raw.as_bytes();
    if b.first() != Some(&b'0') || raw.len() < 2 || !digits.as_bytes().contains(&b[1]) {
        return Err(());
    }
    let i = strtol(raw) as usize;
    match &q.item(idx).rw {
        Rw::Enum(e) => e.get(i).map(|v| (i, v.clone())).ok_or(()),
        _ => Err(()),
    }
}

fn p31b(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let (_, v) = enum_index(q, idx, raw, "012")?;
    Ok(format_str(dfl(q, idx), &v))
}

fn p31g(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    let (i, v) = enum_index(q, idx, raw, "01")?;
    q.note("work_range_type", &i.to_string());
    Ok(format_str(dfl(q, idx), &v))
}

fn enum_position(q: &Qx, idx: usize, value: &str) -> Result<usize, ()> {
    match &q.item(idx).rw {
        Rw::Enum(e) => e.iter().position(|x| x.eq_ignore_ascii_case(value)).ok_or(()),
        _ => Err(()),
    }
}

fn p31b_set(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    let i = enum_position(q, idx, value)?;
    setvar(q, idx, &i.to_string())
}

fn p31g_set(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    let i = enum_position(q, idx, value)?;
    if q.noted("work_range_type") == Some(i.to_string().as_str()) {
        return Err(());
    }
    setvar(q, idx, &i.to_string())
}

fn phase(q: &mut Qx, idx: usize, raw: &str) -> Result<String, ()> {
    numeric(raw)?;
    let angle = strtol(raw);
    let var = q.item(idx).var;
    if var.eq_ignore_ascii_case("output_phase_angle") {
        q.note("output_phase_angle", &angle.to_string());
        if q.param(var).is_some() && !q.unskip(var, it::SETVAR, 0) {
            return Err(());
        }
    }
    if angle < 0 {
        return Err(());
    }
    format_num(dfl(q, idx), angle as f64).ok_or(())
}

fn phase_set(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    let i = enum_position(q, idx, value)?;
    let Rw::Enum(e) = &q.item(idx).rw else { return Err(()) };
    if q.noted("output_phase_angle") == Some(strtol(&e[i]).to_string().as_str()) {
        return Err(());
    }
    setvar(q, idx, &i.to_string())
}

fn parallel(q: &mut Qx, _idx: usize, raw: &str) -> Result<String, ()> {
    let _ = q;
    if !all_in(raw, "0123456789") {
        return Err(());
    }
    let t = match strtol(raw) {
        1 => "master",
        2 | 3 => "slave",
        _ => return Err(()),
    };
    Ok(format!("This UPS is *{t}* in a system of UPSes in parallel"))
}

fn setvar(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    if value.is_empty() {
        return Err(());
    }
    let mut val = strtod(value);
    let var = q.item(idx).var;
    match var {
        "ups.delay.start" => {
            val -= (val as i64 % 60) as f64;
            return Ok(format!("{val:.0}"));
        }
        "ups.delay.shutdown" => {
            if val < 60.0 {
                val -= (val as i64 % 6) as f64;
            } else {
                val -= (val as i64 % 60) as f64;
            }
            return Ok(format!("{val:.0}"));
        }
        "max_bypass_freq" | "min_bypass_freq" | "max_bypass_volt" | "min_bypass_volt" | "battery_number" => {
            if q.noted(var).map(strtod).is_some_and(|cur| (cur - val).abs() < 1e-9) {
                return Err(());
            }
        }
        _ => {}
    }
    format_num(q.item(idx).command.unwrap_or(""), val).ok_or(())
}

fn command(q: &mut Qx, idx: usize, value: &str) -> Result<String, ()> {
    let var = q.item(idx).var;
    let off = q.get("ups.delay.shutdown").map(strtol).unwrap_or(0);
    let buf = match var {
        "shutdown.return" => {
            let on = q.get("ups.delay.start").map(strtol).unwrap_or(0) / 60;
            if on == 0 {
                it::delay_word(off)
            } else {
                format!("{}R{on:04}", it::delay_word(off))
            }
        }
        "shutdown.stayoff" => it::delay_word(off),
        "test.battery.start" => {
            if !all_in(value, "0123456789") {
                return Err(());
            }
            let d = if value.is_empty() { 600 } else { strtol(value) };
            if !(12..=5940).contains(&d) {
                return Err(());
            }
            it::delay_word(d)
        }
        "beeper.toggle" => {
            let b = q.get("ups.beeper.status").unwrap_or("");
            if q.noted("alarm_control").is_some() {
                match b {
                    "enabled" => "OFF".into(),
                    "muted" => "ON".into(),
                    _ => return Err(()),
                }
            } else {
                match b {
                    "enabled" => "OFF".into(),
                    "disabled" => "ON".into(),
                    _ => String::new(),
                }
            }
        }
        _ => return Err(()),
    };
    Ok(format_str(q.item(idx).command.unwrap_or(""), &buf))
}

const IN_V: [&str; 6] = [
    "input.L1-N.voltage",
    "input.L2-N.voltage",
    "input.L3-N.voltage",
    "input.L1-L2.voltage",
    "input.L2-L3.voltage",
    "input.L1-L3.voltage",
];
const OUT_V: [&str; 6] = [
    "output.L1-N.voltage",
    "output.L2-N.voltage",
    "output.L3-N.voltage",
    "output.L1-L2.voltage",
    "output.L2-L3.voltage",
    "output.L1-L3.voltage",
];
const IN_C: [&str; 3] = ["input.L1.current", "input.L2.current", "input.L3.current"];
const OUT_C: [&str; 3] = ["output.L1.current", "output.L2.current", "output.L3.current"];
const OUT_P: [&str; 3] = ["output.L1.power.percent", "output.L2.power.percent", "output.L3.power.percent"];

struct Outlet {
    switchable: &'static str,
    status: &'static str,
    delay: &'static str,
    on: &'static str,
    off: &'static str,
    qsk: &'static str,
    qskt: &'static str,
    psk: &'static str,
    skon: &'static str,
    skoff: &'static str,
}

macro_rules! outlet {
    ($n:literal) => {
        Outlet {
            switchable: concat!("outlet.", $n, ".switchable"),
            status: concat!("outlet.", $n, ".status"),
            delay: concat!("outlet.", $n, ".delay.shutdown"),
            on: concat!("outlet.", $n, ".load.on"),
            off: concat!("outlet.", $n, ".load.off"),
            qsk: concat!("QSK", $n, "\r"),
            qskt: concat!("QSKT", $n, "\r"),
            psk: concat!("PSK", $n, "%03d\r"),
            skon: concat!("SKON", $n, "\r"),
            skoff: concat!("SKOFF", $n, "\r"),
        }
    };
}

const OUTLETS: [Outlet; 4] = [outlet!("1"), outlet!("2"), outlet!("3"), outlet!("4")];

/// The table (NUT 2.8.0's order).
pub fn table() -> Vec<Item> {
    use it::{ENUM, NONUT, QUICK_POLL, RANGE, SEMI_STATIC, SETVAR, SKIP, STATIC, TRIM};
    let v = |var, cmd, len, lead, f, t, d, fl| Item::var(var, cmd, len, lead, f, t, d, fl);
    let c = |var, cmd, fl: u32| Item::cmd(var, cmd).expect(5, b'(', 1, 3).flags(fl);
    let mut rows = vec![
        v("ups.firmware.aux", "QPI\r", 6, b'(', 1, 4, "%s", STATIC).pre(Pre::Fn(protocol)),
        v("output.voltage.nominal", "QRI\r", 22, b'(', 1, 5, "%.1f", STATIC),
        v("output.current.nominal", "QRI\r", 22, b'(', 7, 9, "%.0f", STATIC),
        v("battery.voltage.nominal", "QRI\r", 22, b'(', 11, 15, "%.1f", SEMI_STATIC),
        v("output.frequency.nominal", "QRI\r", 22, b'(', 17, 20, "%.1f", STATIC),
        v("device.model", "QMD\r", 48, b'(', 1, 15, "%s", STATIC | TRIM),
        v("ups.power.nominal", "QMD\r", 48, b'(', 17, 23, "%s", STATIC | TRIM),
        v("output.powerfactor", "QMD\r", 48, b'(', 25, 26, "%.1f", STATIC).pre(Pre::Fn(powerfactor)),
        v("input.phases", "QMD\r", 48, b'(', 28, 28, "%.0f", STATIC),
        v("output.phases", "QMD\r", 48, b'(', 30, 30, "%.0f", STATIC),
        v("input.voltage.nominal", "QMD\r", 48, b'(', 32, 34, "%.1f", STATIC),
        v("output.voltage.nominal", "QMD\r", 48, b'(', 36, 38, "%.1f", STATIC),
        v("input.voltage.nominal", "F\r", 22, b'#', 1, 5, "%.1f", STATIC),
        v("input.current.nominal", "F\r", 22, b'#', 7, 9, "%.1f", STATIC),
        v("battery.voltage.nominal", "F\r", 22, b'#', 11, 15, "%.1f", STATIC),
        v("input.frequency.nominal", "F\r", 22, b'#', 17, 20, "%.1f", STATIC),
        v("device.mfr", "QMF\r", 2, b'(', 1, 0, "%s", STATIC | TRIM),
        v("ups.firmware", "QVFW\r", 16, b'(', 7, 14, "%s", STATIC),
        v("device.serial", "QID\r", 2, b'(', 1, 0, "%s", STATIC).pre(Pre::Fn(serial)),
        v("device.mfr", "I\r", 39, b'#', 1, 15, "%s", STATIC | TRIM),
        v("device.model", "I\r", 39, b'#', 17, 26, "%s", STATIC | TRIM),
        v("ups.firmware", "I\r", 39, b'#', 28, 37, "%s", STATIC | TRIM),
        v("input.voltage", "QGS\r", 76, b'(', 1, 5, "%.1f", 0),
        v("input.frequency", "QGS\r", 76, b'(', 7, 10, "%.1f", 0),
        v("output.voltage", "QGS\r", 76, b'(', 12, 16, "%.1f", 0),
        v("output.frequency", "QGS\r", 76, b'(', 18, 21, "%.1f", 0),
        v("output.current", "QGS\r", 76, b'(', 23, 27, "%.1f", 0),
        v("ups.load", "QGS\r", 76, b'(', 29, 31, "%.0f", 0),
        v("battery.voltage", "QGS\r", 76, b'(', 45, 49, "%.2f", 0),
        v("ups.temperature", "QGS\r", 76, b'(', 57, 61, "%.1f", 0),
    ];
    let st = |var, f, t, fl| Item::var(var, "QGS\r", 76, b'(', f, t, "%s", fl).pre(Pre::Fn(status));
    rows.extend([
        st("ups.type", 63, 64, SEMI_STATIC),
        st("ups.status", 65, 65, QUICK_POLL),
        st("ups.status", 66, 66, QUICK_POLL),
        st("ups.status", 67, 67, QUICK_POLL),
        st("ups.alarm", 67, 67, 0),
        st("ups.alarm", 68, 68, 0),
        st("ups.status", 70, 70, QUICK_POLL),
        st("ups.status", 71, 71, QUICK_POLL),
        st("ups.beeper.status", 72, 72, 0),
        v("ups.alarm", "QMOD\r", 3, b'(', 1, 1, "%s", 0).pre(Pre::Fn(mode)),
        v("ups.status", "QMOD\r", 3, b'(', 1, 1, "%s", 0).pre(Pre::Fn(mode)),
        v("ups.alarm", "QFS\r", 4, b'(', 1, 2, "%s", SKIP).pre(Pre::Fn(fault)),
        v("ups.alarm", "QWS\r", 66, b'(', 1, 64, "%s", 0).pre(Pre::Fn(warning)),
        v("battery.voltage", "QBV\r", 21, b'(', 1, 5, "%.2f", 0),
        v("battery_number", "QBV\r", 21, b'(', 7, 9, "%d", SEMI_STATIC | RANGE | NONUT)
            .rw()
            .ranges(&[(1, 9)])
            .pre(Pre::Fn(batt_numb)),
        v("battery.packs", "QBV\r", 21, b'(', 10, 11, "%.0f", SEMI_STATIC | RANGE).rw().ranges(&[(1, 99)]),
        v("battery.charge", "QBV\r", 21, b'(', 13, 15, "%.0f", 0),
        v("battery.runtime", "QBV\r", 21, b'(', 17, 19, "%.0f", 0).pre(Pre::Fn(batt_runtime)),
        v("output.power.minimum.percent", "QLDL\r", 9, b'(', 1, 3, "%.0f", 0),
        v("output.power.maximum.percent", "QLDL\r", 9, b'(', 5, 7, "%.0f", 0),
    ]);
    let three = |var, cmd, len, f, t, d| Item::var(var, cmd, len, b'(', f, t, d, SKIP);
    for (names, cmd) in [(&IN_V, "Q3PV\r"), (&OUT_V, "Q3OV\r")] {
        let (currents, ccmd) = if cmd == "Q3PV\r" { (&IN_C, "Q3PC\r") } else { (&OUT_C, "Q3OC\r") };
        for (i, n) in names.iter().enumerate() {
            rows.push(three(n, cmd, 37, 1 + 6 * i, 5 + 6 * i, "%.1f"));
        }
        for (i, n) in currents.iter().enumerate() {
            rows.push(three(n, ccmd, 13, 1 + 4 * i, 3 + 4 * i, "%.0f"));
        }
    }
    for (i, n) in OUT_P.iter().enumerate() {
        rows.push(three(n, "Q3LD\r", 13, 1 + 4 * i, 3 + 4 * i, "%.0f"));
    }
    rows.extend([
        three("output.bypass.L1-N.voltage", "Q3YV\r", 37, 1, 5, "%.1f"),
        three("output.bypass.L2-N.voltage", "Q3YV\r", 37, 7, 11, "%.1f"),
        three("output.bypass.L3-N.voltage", "Q3YV\r", 37, 13, 17, "%.1f"),
        three("output.bypass.L1-N.voltage", "Q3YV\r", 19, 1, 5, "%.1f"),
        three("output.bypass.L2-N.voltage", "Q3YV\r", 19, 7, 11, "%.1f"),
        three("output.bypass.L1-L2.voltage", "Q3YV\r", 37, 19, 23, "%.1f"),
        three("output.bypass.L2-L3.voltage", "Q3YV\r", 37, 25, 29, "%.1f"),
        three("output.bypass.L1-L3.voltage", "Q3YV\r", 37, 31, 35, "%.1f"),
    ]);
    let cap =
        |var| v(var, "QFLAG\r", 4, b'(', 1, 0, "%s", SEMI_STATIC | ENUM).rw().enums(E_CAP).pre(Pre::Fn(capability));
    rows.extend(
        ["ups.start.auto", "battery.protection", "battery.energysave", "ups.start.battery", "outlet.0.switchable"]
            .map(cap),
    );
    const NONUT_CAPS: [(&str, &str); 12] = [
        ("bypass_alarm", "P%sP\r"),
        ("battery_alarm", "P%sB\r"),
        ("bypass_when_off", "P%sO\r"),
        ("alarm_control", "P%sA\r"),
        ("converter_mode", "P%sV\r"),
        ("eco_mode", "P%sE\r"),
        ("battery_open_status_check", "P%sD\r"),
        ("bypass_forbidding", "P%sF\r"),
        ("site_fault_detection", "P%sL\r"),
        ("advanced_eco_mode", "P%sN\r"),
        ("constant_phase_angle", "P%sQ\r"),
        ("limited_runtime_on_battery", "P%sW\r"),
    ];
    for (n, _) in NONUT_CAPS {
        rows.push(v(n, "QFLAG\r", 4, b'(', 1, 0, "%s", SEMI_STATIC | NONUT).pre(Pre::Fn(capability)));
    }
    let setc = |var, cmd, fl, rw: &[&str], p| {
        Item::var(var, cmd, 5, b'(', 1, 3, "", SETVAR | fl | SKIP).enums(rw).pre(Pre::Fn(p))
    };
    rows.extend([
        setc("ups.start.auto", "P%sR\r", ENUM, E_CAP, capability_set),
        setc("battery.protection", "P%sS\r", ENUM, E_CAP, capability_set),
        setc("battery.energysave", "P%sG\r", ENUM, E_CAP, capability_set),
        setc("ups.start.battery", "P%sC\r", ENUM, E_CAP, capability_set),
        setc("outlet.0.switchable", "P%sJ\r", ENUM, E_CAP, capability_set),
        Item::var("reset_to_default", "PF\r", 5, b'(', 1, 3, "", SETVAR | NONUT | SKIP).pre(Pre::Fn(capability_reset)),
    ]);
    for (n, cmd) in NONUT_CAPS {
        rows.push(setc(n, cmd, ENUM | NONUT, E_CAP_NONUT, capability_set_nonut));
    }
    for o in &OUTLETS {
        rows.push(v(o.switchable, o.qsk, 3, b'(', 1, 1, "%s", SEMI_STATIC | SKIP).pre(Pre::Fn(outlet)));
        rows.push(v(o.status, o.qsk, 3, b'(', 1, 1, "%s", SEMI_STATIC | SKIP).pre(Pre::Fn(outlet)));
    }
    for o in &OUTLETS {
        let (n, cmd) = (o.delay, o.qskt);
        rows.push(
            v(n, cmd, 5, b'(', 1, 3, "%.0f", SEMI_STATIC | RANGE | SKIP)
                .rw()
                .ranges(&[(0, 59940)])
                .pre(Pre::Fn(outlet_delay)),
        );
    }
    for o in &OUTLETS {
        let (n, cmd) = (o.delay, o.psk);
        rows.push(
            Item::var(n, cmd, 5, b'(', 1, 3, "", SETVAR | RANGE | SKIP)
                .ranges(&[(0, 59940)])
                .pre(Pre::Fn(outlet_delay_set)),
        );
    }
    let sv = |var, cmd, fl, p: Pre| Item::var(var, cmd, 5, b'(', 1, 3, "", SETVAR | fl).pre(p);
    rows.extend([
        v("input.transfer.high", "QHE\r", 9, b'(', 1, 3, "%.0f", SEMI_STATIC | RANGE | SKIP)
            .rw()
            .ranges(&[])
            .pre(Pre::Fn(eco_volt)),
        v("input.transfer.low", "QHE\r", 9, b'(', 5, 7, "%.0f", SEMI_STATIC | RANGE | SKIP)
            .rw()
            .ranges(&[])
            .pre(Pre::Fn(eco_volt)),
        v("input.transfer.low.min", "QHE\r", 9, b'(', 5, 7, "%.0f", SEMI_STATIC | SKIP).pre(Pre::Fn(eco_volt_range)),
        v("input.transfer.low.max", "QHE\r", 9, b'(', 5, 7, "%.0f", SEMI_STATIC | SKIP).pre(Pre::Fn(eco_volt_range)),
        v("input.transfer.high.min", "QHE\r", 9, b'(', 1, 3, "%.0f", SEMI_STATIC | SKIP).pre(Pre::Fn(eco_volt_range)),
        v("input.transfer.high.max", "QHE\r", 9, b'(', 1, 3, "%.0f", SEMI_STATIC | SKIP).pre(Pre::Fn(eco_volt_range)),
        sv("input.transfer.high", "HEH%03.0f\r", RANGE | SKIP, Pre::Fn(setvar)).ranges(&[]),
        sv("input.transfer.low", "HEL%03.0f\r", RANGE | SKIP, Pre::Fn(setvar)).ranges(&[]),
        v("input.frequency.high", "QFRE\r", 11, b'(', 1, 4, "%.1f", SEMI_STATIC | RANGE | SKIP)
            .rw()
            .list(R_ECO_FREQ_MAX)
            .pre(Pre::Fn(eco_freq)),
        v("input.frequency.low", "QFRE\r", 11, b'(', 6, 9, "%.1f", SEMI_STATIC | RANGE | SKIP)
            .rw()
            .list(R_ECO_FREQ_MIN)
            .pre(Pre::Fn(eco_freq)),
        sv("input.frequency.high", "FREH%04.1f\r", RANGE | SKIP, Pre::Fn(setvar)).list(R_ECO_FREQ_MAX),
        sv("input.frequency.low", "FREL%04.1f\r", RANGE | SKIP, Pre::Fn(setvar)).list(R_ECO_FREQ_MIN),
        v("max_bypass_volt", "QBYV\r", 9, b'(', 1, 3, "%.0f", SEMI_STATIC | RANGE | NONUT | SKIP)
            .rw()
            .list(R_BYPASS_VOLT_MAX)
            .pre(Pre::Fn(bypass)),
        v("min_bypass_volt", "QBYV\r", 9, b'(', 5, 7, "%.0f", SEMI_STATIC | RANGE | NONUT | SKIP)
            .rw()
            .list(R_BYPASS_VOLT_MIN)
            .pre(Pre::Fn(bypass)),
        sv("max_bypass_volt", "PHV%03.0f\r", RANGE | NONUT | SKIP, Pre::Fn(setvar)).list(R_BYPASS_VOLT_MAX),
        sv("min_bypass_volt", "PLV%03.0f\r", RANGE | NONUT | SKIP, Pre::Fn(setvar)).list(R_BYPASS_VOLT_MIN),
        v("max_bypass_freq", "QBYF\r", 11, b'(', 1, 4, "%.1f", SEMI_STATIC | RANGE | NONUT | SKIP)
            .rw()
            .list(R_BYPASS_FREQ_MAX)
            .pre(Pre::Fn(bypass)),
        v("min_bypass_freq", "QBYF\r", 11, b'(', 6, 9, "%.1f", SEMI_STATIC | RANGE | NONUT | SKIP)
            .rw()
            .list(R_BYPASS_FREQ_MIN)
            .pre(Pre::Fn(bypass)),
        sv("max_bypass_freq", "PGF%04.1f\r", RANGE | NONUT | SKIP, Pre::Fn(setvar)).list(R_BYPASS_FREQ_MAX),
        sv("min_bypass_freq", "PSF%04.1f\r", RANGE | NONUT | SKIP, Pre::Fn(setvar)).list(R_BYPASS_FREQ_MIN),
        sv("battery_number", "BATN%1.0f\r", RANGE | NONUT, Pre::Fn(setvar)).ranges(&[(1, 9)]),
        sv("battery.packs", "BATGN%02.0f\r", RANGE, Pre::Fn(setvar)).ranges(&[(1, 99)]),
        v("battery.type", "QBT\r", 4, b'(', 1, 2, "%s", SEMI_STATIC | ENUM | SKIP)
            .rw()
            .enums(E_BATT_TYPE)
            .pre(Pre::Fn(p31b)),
        sv("battery.type", "PBT%02.0f\r", ENUM | SKIP, Pre::Fn(p31b_set)).enums(E_BATT_TYPE),
        v("work_range_type", "QGR\r", 4, b'(', 1, 2, "%s", SEMI_STATIC | ENUM | NONUT | SKIP)
            .rw()
            .enums(E_WORK_RANGE)
            .pre(Pre::Fn(p31g)),
        sv("work_range_type", "PGR%02.0f\r", ENUM | NONUT | SKIP, Pre::Fn(p31g_set)).enums(E_WORK_RANGE),
        v("battery.voltage.low", "RE0\r", 3, b'#', 1, 2, "%.1f", SEMI_STATIC | RANGE).rw().list(R_BATT_LOW),
        sv("battery.voltage.low", "W0E%02.0f\r", RANGE, Pre::Fn(setvar)).list(R_BATT_LOW),
        v("input_phase_angle", "QPD\r", 9, b'(', 1, 3, "%03d", SEMI_STATIC | NONUT).pre(Pre::Fn(phase)),
        v("output_phase_angle", "QPD\r", 9, b'(', 5, 7, "%03d", SEMI_STATIC | ENUM | NONUT)
            .rw()
            .enums(E_PHASE)
            .pre(Pre::Fn(phase)),
        sv("output_phase_angle", "PPD%03.0f\r", ENUM | NONUT | SKIP, Pre::Fn(phase_set)).enums(E_PHASE),
        v("voltronic_parallel", "QPAR\r", 5, b'(', 1, 3, "%s", STATIC | NONUT).pre(Pre::Fn(parallel)),
        v("unknown.7", "QBDR\r", 5, b'(', 1, 0, "%s", STATIC | NONUT | SKIP),
        c("load.off", "SOFF\r", 0),
        c("load.on", "SON\r", 0),
        c("shutdown.return", "S%s\r", 0).pre(Pre::Fn(command)),
        c("shutdown.stayoff", "S%sR0000\r", 0).pre(Pre::Fn(command)),
        c("shutdown.stop", "CS\r", 0),
        c("test.battery.start", "T%s\r", 0).pre(Pre::Fn(command)),
        c("test.battery.start.deep", "TL\r", 0),
        c("test.battery.start.quick", "T\r", 0),
        c("test.battery.stop", "CT\r", 0),
        c("beeper.toggle", "BZ%s\r", 0).pre(Pre::Fn(command)),
        c("beeper.enable", "PEA\r", SKIP),
        c("beeper.disable", "PDA\r", SKIP),
    ]);
    for o in &OUTLETS {
        rows.push(c(o.off, o.skoff, SKIP));
        rows.push(c(o.on, o.skon, SKIP));
    }
    rows.extend([c("bypass.start", "PEE\r", SKIP), c("bypass.stop", "PDE\r", SKIP)]);
    let mut d = super::blazer::delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, &[(0, 599940)], &[(12, 5940)]);
    for r in &mut d {
        r.pre = Some(Pre::Fn(setvar));
    }
    rows.extend(d);
    rows
}
