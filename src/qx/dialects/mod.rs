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
    vars: LIGHT_VARS,
};

/// Every dialect we implement, in NUT's autodetection order (the fallback
/// `q1` last).
pub fn all() -> &'static [&'static Dialect] {
    static ALL: [&Dialect; 11] = [
        &VOLTRONIC_QS,
        &VOLTRONIC_QS_HEX,
        &MUSTEK,
        &MEGATEC_OLD,
        &BESTUPS,
        &MECER,
        &MEGATEC,
        &ZINTO,
        &HUNNOX,
        &ABLEREX,
        &Q1,
    ];
    &ALL
}

/// The dialect `protocol = name` selects.
pub fn by_name(name: &str) -> Option<&'static Dialect> {
    all().iter().copied().find(|d| d.name.eq_ignore_ascii_case(name))
}
