//! Best Power Fortress/Patriot and Sola Australia units: Megatec `Q1`
//! status plus `ID` (model, power, voltages), `RT` runtime, `BP` battery
//! packs, `SS` pin shutdown mode and `M` voltage-setting index.

use super::blazer;
use crate::qx::engine::{DEFAULT_OFFDELAY, DEFAULT_ONDELAY};
use crate::qx::item::{self as it, Item, Pre, PreAnswer};

/// Per `M` index (0-9 for 120 V units, 10-19 for 230 V): low, boost,
/// nominal, buck, high transfer voltages.
pub const VOLTAGE_SETTINGS: [(i64, i64, i64, i64, i64); 20] = [
    (96, 109, 120, 130, 146),
    (96, 109, 120, 138, 156),
    (90, 104, 120, 130, 146),
    (90, 104, 120, 138, 156),
    (90, 104, 110, 120, 130),
    (90, 104, 110, 130, 146),
    (90, 96, 110, 120, 130),
    (90, 96, 110, 130, 146),
    (96, 109, 128, 146, 156),
    (90, 104, 128, 146, 156),
    (200, 222, 240, 250, 284),
    (200, 222, 240, 264, 290),
    (188, 210, 240, 250, 284),
    (188, 210, 240, 264, 290),
    (188, 210, 230, 244, 270),
    (188, 210, 230, 250, 284),
    (180, 200, 230, 244, 270),
    (180, 200, 230, 250, 284),
    (165, 188, 208, 222, 244),
    (165, 188, 208, 244, 270),
];

/// The table.
pub fn table() -> Vec<Item> {
    let mut st = blazer::status("Q1\r", true);
    // No beeper status bit on these units.
    st.retain(|i| i.var != "ups.beeper.status");
    // Bypass/boost/buck bit last: it needs the other bits first.
    let bbb = st.remove(9).pre(Pre::BestupsBbb);
    st.push(bbb);
    let id = |v, f, t, d, fl| Item::var(v, "ID\r", 28, 0, f, t, d, fl).pre_answer(PreAnswer::BestupsId);
    st.extend([
        id("device.mfr", 0, 2, "%s", it::STATIC).pre(Pre::BestupsMfr),
        id("device.model", 0, 2, "%s", it::STATIC).pre(Pre::BestupsModel),
        id("ups.power.nominal", 4, 7, "%.0f", it::STATIC),
        id("input.voltage.nominal", 9, 11, "%.0f", it::STATIC),
        id("output.voltage.nominal", 13, 15, "%.0f", it::STATIC),
        id("battery.voltage.low", 17, 20, "%.1f", it::SEMI_STATIC),
        id("battery.voltage.high", 22, 26, "%.1f", it::SEMI_STATIC),
        Item::var("battery.runtime", "RT\r", 4, 0, 0, 2, "%.0f", it::SKIP).pre(Pre::BestupsRuntime),
        Item::var("battery.packs", "BP?\r", 3, 0, 0, 1, "%d", it::SEMI_STATIC | it::RANGE | it::SKIP)
            .rw()
            .ranges(&[(0, 5)])
            .pre(Pre::BestupsPacks),
        Item::var("battery.packs", "BP%.0f\r", 0, 0, 0, 0, "", it::SETVAR | it::RANGE | it::SKIP)
            .ranges(&[(0, 5)])
            .pre(Pre::BestupsSetvar),
        Item::var("pins_shutdown_mode", "SS?\r", 2, 0, 0, 0, "%.0f", it::SEMI_STATIC | it::RANGE | it::NONUT)
            .rw()
            .ranges(&[(0, 6)])
            .pre(Pre::BestupsPinsShutdownMode),
        Item::var("pins_shutdown_mode", "SS%.0f\r", 0, 0, 0, 0, "", it::SETVAR | it::RANGE | it::NONUT | it::SKIP)
            .ranges(&[(0, 6)])
            .pre(Pre::BestupsSetvar),
    ]);
    for v in [
        "input.transfer.low",
        "input.transfer.boost.low",
        "input.transfer.boost.high",
        "input.voltage.nominal",
        "output.voltage.nominal",
        "input.transfer.trim.low",
        "input.transfer.trim.high",
        "input.transfer.high",
    ] {
        st.push(Item::var(v, "M\r", 2, 0, 0, 0, "%d", 0).pre(Pre::BestupsVoltageSettings));
    }
    st.extend([
        Item::cmd("shutdown.return", "S%s\r").pre(Pre::BlazerCommand),
        Item::cmd("shutdown.stayoff", "S%s\r").pre(Pre::BlazerCommand),
        Item::cmd("shutdown.stop", "C\r"),
        Item::cmd("load.on", "C\r"),
        Item::cmd("load.off", "S00R0000\r"),
        Item::cmd("test.battery.start", "T%02d\r").pre(Pre::BlazerCommand),
        Item::cmd("test.battery.start.deep", "TL\r"),
        Item::cmd("test.battery.start.quick", "T\r"),
        Item::cmd("test.battery.stop", "CT\r"),
    ]);
    st.extend(blazer::delays(DEFAULT_ONDELAY, DEFAULT_OFFDELAY, &[(60, 599940)], &[(12, 5940)]));
    st
}
