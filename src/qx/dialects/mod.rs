//! The dialects: one mapping table per protocol, and the list in NUT's
//! autodetection order.
//!
//! Most Q* devices answer `Q1` (or `QS`, `D`) with the same 47-byte status
//! line, `F` with ratings and `I` (or `FW?`) with vendor strings; the
//! [`blazer`] builders make those rows once and each dialect picks its
//! commands. Where NUT 2.8.0 (the version we replace) and newer NUT differ
//! in a layout, the 2.8.0 layout is used.

pub mod ablerex;
pub mod bestups;
pub mod blazer;
pub mod masterguard;
pub mod omron;
pub mod three_phase;
pub mod voltronic;
pub mod voltronic_axpert;
pub mod voltronic_qs_hex;

use super::item::Item;

/// How a dialect recognises its device.
#[derive(Debug, Clone, Copy)]
pub enum Claim {
    /// Status (`input.voltage`) and vendor (`ups.firmware`) unless `novendor`.
    Blazer,
    /// Status only.
    BlazerLight,
    /// Status and the `ID` model.
    Bestups,
    /// Status and `QPI` (PI98), or a `(NAK` answer to it.
    Mecer,
    /// Each variable in turn must be readable.
    Probe(&'static [&'static str]),
    /// The dialect module's own claim.
    Fn(fn(&mut super::engine::Qx, &mut dyn super::transport::Transport) -> bool),
}

/// Which ups.conf flags adjust the table.
#[derive(Debug, Clone, Copy)]
pub enum InitUps {
    /// None.
    None,
    /// `norating`, `novendor`, `ignoresab`.
    Blazer,
    /// `ignoresab` only.
    BlazerLight,
    /// `norating`, `nooutstats`, `ignoresab` (Q2/Q6).
    Q2,
}

/// One protocol dialect.
pub struct Dialect {
    /// The `protocol =` name (case-insensitive), e.g. `megatec/old`.
    pub name: &'static str,
    /// `driver.version.data`, e.g. `Megatec 0.06`.
    pub version: &'static str,
    /// Recognition.
    pub claim: Claim,
    /// The mapping table.
    pub table: fn() -> Vec<Item>,
    /// ups.conf flags handled at start.
    pub initups: InitUps,
    /// Answer value meaning a command was accepted.
    pub accepted: Option<&'static str>,
    /// Whole answer meaning a query was refused.
    pub rejected: Option<&'static [u8]>,
    /// Only tried on USB devices of this vendor.
    pub usb_vendor_gate: Option<u16>,
    /// Whether Debian's NUT 2.8.0 has this dialect (else it comes from
    /// newer NUT, and cannot be compared side by side with Debian's).
    pub nut_2_8_0: bool,
    /// Variables set once after the first walk (NUT's subdriver initinfo).
    pub init_vars: &'static [(&'static str, &'static str)],
    /// Extra ups.conf settings this dialect reads (name, is_flag, help).
    pub vars: &'static [(&'static str, bool, &'static str)],
}

impl std::fmt::Debug for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.version)
    }
}

const BLAZER_VARS: &[(&str, bool, &str)] = &[
    ("norating", true, "Skip reading rating information from UPS"),
    ("novendor", true, "Skip reading vendor information from UPS"),
    ("ignoresab", true, "Ignore 'Shutdown Active' bit in UPS status"),
];
const LIGHT_VARS: &[(&str, bool, &str)] = &[("ignoresab", true, "Ignore 'Shutdown Active' bit in UPS status")];

/// Voltronic Power (`QGS` + `QPI`).
pub static VOLTRONIC: Dialect = Dialect {
    name: "voltronic",
    version: "Voltronic 0.06",
    claim: Claim::Probe(&["input.voltage", "ups.firmware.aux"]),
    table: voltronic::table,
    initups: InitUps::None,
    accepted: Some("ACK"),
    rejected: Some(b"(NAK\r"),
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: &[
        ("reset_to_default", true, "Reset capability options and their limits to safe default values"),
        ("bypass_alarm", false, "Alarm (BEEP!) at Bypass Mode [enabled/disabled]"),
        ("battery_alarm", false, "Alarm (BEEP!) at Battery Mode [enabled/disabled]"),
        ("bypass_when_off", false, "Bypass when the UPS is Off [enabled/disabled]"),
        ("alarm_control", false, "Alarm (BEEP!) Control [enabled/disabled]"),
        ("converter_mode", false, "Converter Mode [enabled/disabled]"),
        ("eco_mode", false, "ECO Mode [enabled/disabled]"),
        ("battery_open_status_check", false, "Battery Open Status Check [enabled/disabled]"),
        ("bypass_forbidding", false, "Bypass not allowed (Bypass Forbidding) [enabled/disabled]"),
        ("site_fault_detection", false, "Site fault detection [enabled/disabled]"),
        ("advanced_eco_mode", false, "Advanced ECO Mode [enabled/disabled]"),
        ("constant_phase_angle", false, "Constant Phase Angle Function [enabled/disabled]"),
        ("limited_runtime_on_battery", false, "Limited runtime on battery mode [enabled/disabled]"),
        ("max_bypass_volt", false, "Maximum voltage for Bypass Mode"),
        ("min_bypass_volt", false, "Minimum voltage for Bypass Mode"),
        ("max_bypass_freq", false, "Maximum frequency for Bypass Mode"),
        ("min_bypass_freq", false, "Minimum frequency for Bypass Mode"),
        ("work_range_type", false, "Device grid working range for P31 UPSes [Appliance/UPS]"),
        ("output_phase_angle", false, "Change output phase angle to the provided value [000, 120, 180, 240]"),
        ("battery_number", false, "Set number of batteries that make a pack to n (integer, 1-9)"),
        ("testing", true, "If invoked the driver will exec also commands that still need testing"),
    ],
};
/// Voltronic-QS (`M` -> `V`, then `QS`).
pub static VOLTRONIC_QS: Dialect = Dialect {
    name: "voltronic-qs",
    version: "Voltronic-QS 0.07",
    claim: Claim::Probe(&["ups.firmware.aux", "input.voltage"]),
    table: blazer::voltronic_qs,
    initups: InitUps::BlazerLight,
    accepted: None,
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: LIGHT_VARS,
};
/// Voltronic-QS-Hex (`M` -> `P`/`T`, binary `QS`).
pub static VOLTRONIC_QS_HEX: Dialect = Dialect {
    name: "voltronic-qs-hex",
    version: "Voltronic-QS-Hex 0.10",
    claim: Claim::Probe(&["ups.firmware.aux", "input.voltage"]),
    table: voltronic_qs_hex::table,
    initups: InitUps::BlazerLight,
    accepted: None,
    rejected: Some(b"N\r"),
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: LIGHT_VARS,
};
/// Mustek (`QS`).
pub static MUSTEK: Dialect = Dialect {
    name: "mustek",
    version: "Mustek 0.07",
    claim: Claim::BlazerLight,
    table: || blazer::classic("QS\r", "I\r"),
    initups: InitUps::Blazer,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: BLAZER_VARS,
};
/// Megatec/old (`D`).
pub static MEGATEC_OLD: Dialect = Dialect {
    name: "megatec/old",
    version: "Megatec/old 0.07",
    claim: Claim::BlazerLight,
    table: || blazer::classic("D\r", "I\r"),
    initups: InitUps::Blazer,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: BLAZER_VARS,
};
/// Best Power / Sola (`Q1` + `ID`).
pub static BESTUPS: Dialect = Dialect {
    name: "bestups",
    version: "BestUPS 0.06",
    claim: Claim::Bestups,
    table: bestups::table,
    initups: InitUps::BlazerLight,
    accepted: None,
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: &[
        ("pins_shutdown_mode", false, "Set shutdown mode functionality of Pin 1 and Pin 7 (0-6)"),
        ("ignoresab", true, "Ignore 'Shutdown Active' bit in UPS status"),
    ],
};
/// Mecer / Voltronic P98 (`Q1` + `QPI`, `(ACK`/`(NAK` answers).
pub static MECER: Dialect = Dialect {
    name: "mecer",
    version: "Mecer 0.07",
    claim: Claim::Mecer,
    table: blazer::mecer,
    initups: InitUps::Blazer,
    accepted: Some("ACK"),
    rejected: Some(b"(NAK\r"),
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: BLAZER_VARS,
};
/// Megatec (`Q1` + `I`).
pub static MEGATEC: Dialect = Dialect {
    name: "megatec",
    version: "Megatec 0.06",
    claim: Claim::Blazer,
    table: || blazer::classic("Q1\r", "I\r"),
    initups: InitUps::Blazer,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: BLAZER_VARS,
};
/// Zinto (`Q1` + `FW?`).
pub static ZINTO: Dialect = Dialect {
    name: "zinto",
    version: "Zinto 0.06",
    claim: Claim::Blazer,
    table: || blazer::classic("Q1\r", "FW?\r"),
    initups: InitUps::Blazer,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: BLAZER_VARS,
};
/// Hunnox (`Q1` + `FW?`, delays 0/60).
pub static HUNNOX: Dialect = Dialect {
    name: "hunnox",
    version: "Hunnox 0.01",
    claim: Claim::Blazer,
    table: blazer::hunnox,
    initups: InitUps::Blazer,
    accepted: Some("UPS No Ack"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: BLAZER_VARS,
};
/// Ablerex (`Q1`, `F`, `I`, binary `Q5`/`At`/`TR`).
pub static ABLEREX: Dialect = Dialect {
    name: "ablerex",
    version: "Ablerex 0.01",
    claim: Claim::Blazer,
    table: ablerex::table,
    initups: InitUps::Blazer,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: BLAZER_VARS,
};
/// Plain Q1 (the fallback).
pub static Q1: Dialect = Dialect {
    name: "q1",
    version: "Q1 0.07",
    claim: Claim::BlazerLight,
    table: blazer::q1,
    initups: InitUps::BlazerLight,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: LIGHT_VARS,
};

const Q2_VARS: &[(&str, bool, &str)] = &[
    ("norating", true, "Skip reading rating information from UPS"),
    ("nooutstats", true, "Skip reading output load stats information from UPS"),
    ("ignoresab", true, "Ignore 'Shutdown Active' bit in UPS status"),
];
const THREE: &[(&str, &str)] = &[("input.phases", "3"), ("output.phases", "3")];

/// Innova RT 3/1 (upstream NUT, not in 2.8.0).
pub static INNOVART31: Dialect = Dialect {
    name: "innovart31",
    version: "INNOVART31 0.02",
    claim: Claim::Probe(&[
        "input.L1-N.voltage",
        "ups.type",
        "output.current",
        "input.bypass.voltage",
        "input.voltage.nominal",
        "ups.firmware",
        "ups.serial",
    ]),
    table: three_phase::innovart31,
    initups: InitUps::BlazerLight,
    accepted: Some("ACK"),
    rejected: Some(b"NAK\r"),
    usb_vendor_gate: None,
    nut_2_8_0: false,
    init_vars: &[("input.phases", "3"), ("input.bypass.phases", "1"), ("output.phases", "1")],
    vars: LIGHT_VARS,
};
/// Innova RT 3/3 (upstream NUT, not in 2.8.0). NUT's claim asks for
/// `output.current` and `input.bypass.voltage`, which this table does not
/// have (so NUT never claims it); we ask for the L1 rows instead.
pub static INNOVART33: Dialect = Dialect {
    name: "innovart33",
    version: "INNOVART33 0.01",
    claim: Claim::Probe(&[
        "input.L1-N.voltage",
        "ups.type",
        "output.L1.current",
        "input.bypass.L1-N.voltage",
        "input.voltage.nominal",
        "ups.firmware",
        "ups.serial",
    ]),
    table: three_phase::innovart33,
    initups: InitUps::BlazerLight,
    accepted: Some("ACK"),
    rejected: Some(b"NAK\r"),
    usb_vendor_gate: None,
    nut_2_8_0: false,
    init_vars: &[("input.phases", "3"), ("input.bypass.phases", "3"), ("output.phases", "3")],
    vars: LIGHT_VARS,
};
/// Innova T/AE (upstream NUT, not in 2.8.0).
pub static INNOVATAE: Dialect = Dialect {
    name: "innovatae",
    version: "INNOVATAE 0.01",
    claim: Claim::BlazerLight,
    table: three_phase::innovatae,
    initups: InitUps::BlazerLight,
    accepted: Some("ACK"),
    rejected: Some(b"NAK\r"),
    usb_vendor_gate: None,
    nut_2_8_0: false,
    init_vars: &[],
    vars: LIGHT_VARS,
};
/// Q2 three-phase units (upstream NUT, not in 2.8.0).
pub static Q2: Dialect = Dialect {
    name: "q2",
    version: "Q2 0.01",
    claim: Claim::Probe(&["input.L1-N.voltage", "ups.type", "output.L1.current"]),
    table: three_phase::q2,
    initups: InitUps::Q2,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: false,
    init_vars: THREE,
    vars: Q2_VARS,
};
/// Q6 three-phase units (upstream NUT, not in 2.8.0).
pub static Q6: Dialect = Dialect {
    name: "q6",
    version: "Q6 0.01",
    claim: Claim::Probe(&["input.L1-N.voltage", "ups.type", "output.L1.current"]),
    table: three_phase::q6,
    initups: InitUps::Q2,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: false,
    init_vars: THREE,
    vars: Q2_VARS,
};
/// G-Tec (upstream NUT, not in 2.8.0).
pub static GTEC: Dialect = Dialect {
    name: "gtec",
    version: "Gtec 0.01",
    claim: Claim::Blazer,
    table: three_phase::gtec,
    initups: InitUps::Blazer,
    accepted: Some("ACK"),
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: false,
    init_vars: &[],
    vars: BLAZER_VARS,
};

/// OMRON (upstream NUT, not in 2.8.0): autodetected on USB vendor 0590
/// only.
pub static OMRON: Dialect = Dialect {
    name: "omron",
    version: "Omron 0.01",
    claim: Claim::BlazerLight,
    table: omron::table,
    initups: InitUps::BlazerLight,
    accepted: Some("OK"),
    rejected: Some(b"NAK\r"),
    usb_vendor_gate: Some(0x0590),
    nut_2_8_0: false,
    init_vars: &[],
    vars: LIGHT_VARS,
};
/// Voltronic Axpert PI30 inverters (upstream NUT from 2.8.4, not in 2.8.0).
pub static VOLTRONIC_AXPERT: Dialect = Dialect {
    name: "voltronic-axpert",
    version: "Voltronic-Axpert 0.02",
    claim: Claim::Probe(&["device.firmware.aux"]),
    table: voltronic_axpert::table,
    initups: InitUps::None,
    accepted: Some("ACK"),
    rejected: Some(b"(NAK\r"),
    usb_vendor_gate: None,
    nut_2_8_0: false,
    init_vars: &[("device.type", "scd")],
    vars: &[],
};
/// Masterguard A/E (`WH`, `Q3`, slave-addressed `GS,XX`...). In NUT 2.8.0
/// but unable to claim there (see [`masterguard`]).
pub static MASTERGUARD: Dialect = Dialect {
    name: "masterguard",
    version: "Masterguard 0.05",
    claim: Claim::Fn(masterguard::claim),
    table: masterguard::table,
    initups: InitUps::None,
    accepted: None,
    rejected: None,
    usb_vendor_gate: None,
    nut_2_8_0: true,
    init_vars: &[],
    vars: &[
        ("series", false, "Series (A/E)"),
        ("slave_address", false, "Slave address (UPS id) to match"),
        ("input_fault_voltage", false, "Input fault voltage (whatever that means)"),
        ("number_of_battery_cells", false, "Number of battery cells in series"),
        ("nominal_cell_voltage", false, "Nominal battery cell voltage"),
        ("runtime_half", false, "Nominal battery run time at 50% load (seconds)"),
        ("runtime_full", false, "Nominal battery run time at 100% load (seconds)"),
        ("recharge_time", false, "Nominal battery recharge time to 95% capacity (seconds)"),
        ("output_voltages", false, "Possible output voltages (volts)"),
        ("fault_1", false, "Fault record 1 (newest)"),
        ("fault_2", false, "Fault record 2"),
        ("fault_3", false, "Fault record 3"),
        ("fault_4", false, "Fault record 4"),
        ("fault_5", false, "Fault record 5 (oldest)"),
        ("experimental.battery.ageing.factor", false, "Battery ageing factor (promille, 1000=new)"),
        ("experimental.battery.calibration.factor", false, "Battery calibration factor (percent)"),
    ],
};

/// Every dialect we implement, in upstream NUT's autodetection order (the
/// fallback `q1` last). NUT 2.8.0's order is the same without omron,
/// voltronic-axpert and the dialects added after it (innovart31 to gtec).
pub fn all() -> &'static [&'static Dialect] {
    static ALL: [&Dialect; 21] = [
        &OMRON,
        &VOLTRONIC,
        &VOLTRONIC_AXPERT,
        &VOLTRONIC_QS,
        &VOLTRONIC_QS_HEX,
        &MUSTEK,
        &MEGATEC_OLD,
        &BESTUPS,
        &MECER,
        &MEGATEC,
        &ZINTO,
        &MASTERGUARD,
        &HUNNOX,
        &ABLEREX,
        &INNOVART31,
        &INNOVART33,
        &INNOVATAE,
        &Q2,
        &Q6,
        &GTEC,
        &Q1,
    ];
    &ALL
}

/// The dialect `protocol = name` selects.
pub fn by_name(name: &str) -> Option<&'static Dialect> {
    all().iter().copied().find(|d| d.name.eq_ignore_ascii_case(name))
}
