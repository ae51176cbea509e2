//! The USB device table (`data/usb-devices.toml`): which driver handles
//! which vendor/product ID. The drivers match devices with it and the udev
//! rules that give the `nut` group access are generated from it, so the two
//! cannot disagree.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

/// The table as shipped in the source tree.
pub const TABLE_TOML: &str = include_str!("../../data/usb-devices.toml");

/// One device entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// USB vendor ID, 4 lower-case hex digits.
    pub vendor: String,
    /// USB product ID, 4 lower-case hex digits.
    pub product: String,
    /// The driver handling it (`usbhid-ups`, `nutdrv_qx`, ...).
    pub driver: String,
    /// The maker, as NUT groups the IDs.
    pub maker: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    device: Vec<Device>,
}

/// A problem in the table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Not valid TOML or not the expected shape.
    #[error("usb-devices.toml: {0}")]
    Syntax(#[from] toml::de::Error),
    /// An ID that is not 4 lower-case hex digits.
    #[error("usb-devices.toml: entry {index}: {what} {value:?} is not 4 lower-case hex digits")]
    BadId {
        /// 0-based entry number.
        index: usize,
        /// `vendor` or `product`.
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// The same ID and driver twice.
    #[error("usb-devices.toml: {vendor}:{product} for {driver} is listed twice")]
    Duplicate {
        /// Vendor ID.
        vendor: String,
        /// Product ID.
        product: String,
        /// Driver.
        driver: String,
    },
}

fn is_id(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses and checks a table.
pub fn parse(text: &str) -> Result<Vec<Device>, TableError> {
    let f: File = toml::from_str(text)?;
    let mut seen = std::collections::BTreeSet::new();
    for (index, d) in f.device.iter().enumerate() {
        for (what, value) in [("vendor", &d.vendor), ("product", &d.product)] {
            if !is_id(value) {
                return Err(TableError::BadId { index, what, value: value.clone() });
            }
        }
        if !seen.insert((d.vendor.clone(), d.product.clone(), d.driver.clone())) {
            return Err(TableError::Duplicate {
                vendor: d.vendor.clone(),
                product: d.product.clone(),
                driver: d.driver.clone(),
            });
        }
    }
    Ok(f.device)
}

/// The shipped table.
pub fn table() -> Vec<Device> {
    parse(TABLE_TOML).expect("the shipped usb-devices.toml is checked by the tests")
}

/// The drivers that handle `vendor:product`.
pub fn drivers_for(table: &[Device], vendor: u16, product: u16) -> Vec<&str> {
    let (v, p) = (format!("{vendor:04x}"), format!("{product:04x}"));
    table.iter().filter(|d| d.vendor == v && d.product == p).map(|d| d.driver.as_str()).collect()
}

/// The udev rules file for the table: each known device node gets group
/// `nut`, mode 0660, and `NUT_DRIVERS` naming the drivers that handle it.
pub fn udev_rules(table: &[Device]) -> String {
    let mut by_id: BTreeMap<(&str, &str), (Vec<&str>, &str)> = BTreeMap::new();
    for d in table {
        let e = by_id.entry((&d.vendor, &d.product)).or_insert_with(|| (Vec::new(), &d.maker));
        if !e.0.contains(&d.driver.as_str()) {
            e.0.push(&d.driver);
        }
    }
    let mut out = String::new();
    out.push_str("# Generated from data/usb-devices.toml by enumerator/tests/udev_rules.rs; do not edit.\n");
    out.push_str("# UPS devices known to the Network UPS Tools drivers: group nut may open them.\n\n");
    out.push_str("ACTION==\"remove\", GOTO=\"nut_usbups_end\"\n");
    out.push_str("SUBSYSTEM!=\"usb\", GOTO=\"nut_usbups_end\"\n");
    out.push_str("ENV{DEVTYPE}!=\"usb_device\", GOTO=\"nut_usbups_end\"\n\n");
    let mut last_maker = "";
    for ((v, p), (drivers, maker)) in &by_id {
        if *maker != last_maker {
            let _ = writeln!(out, "# {maker}");
            last_maker = maker;
        }
        let _ = writeln!(
            out,
            "ATTR{{idVendor}}==\"{v}\", ATTR{{idProduct}}==\"{p}\", GROUP=\"nut\", MODE=\"0660\", ENV{{NUT_DRIVERS}}=\"{}\"",
            drivers.join(" ")
        );
    }
    out.push_str("\nLABEL=\"nut_usbups_end\"\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_is_valid() {
        let t = table();
        assert!(t.len() > 100);
        assert!(drivers_for(&t, 0x0463, 0xffff).contains(&"usbhid-ups"));
        assert!(drivers_for(&t, 0x0665, 0x5161).contains(&"nutdrv_qx"));
    }

    #[test]
    fn bad_tables_are_refused() {
        let e =
            parse("[[device]]\nvendor = \"ABCD\"\nproduct = \"0001\"\ndriver = \"x\"\nmaker = \"m\"\n").unwrap_err();
        assert!(e.to_string().contains("vendor \"ABCD\""), "{e}");
        let dup = "[[device]]\nvendor = \"abcd\"\nproduct = \"0001\"\ndriver = \"x\"\nmaker = \"m\"\n";
        assert!(matches!(parse(&dup.repeat(2)), Err(TableError::Duplicate { .. })));
        assert!(parse("[[device]]\nvendor = \"abcd\"\n").is_err());
    }

    #[test]
    fn one_rule_per_id_with_all_drivers() {
        let t = parse(
            "[[device]]\nvendor = \"0665\"\nproduct = \"5161\"\ndriver = \"nutdrv_qx\"\nmaker = \"Cypress\"\n\
             [[device]]\nvendor = \"0665\"\nproduct = \"5161\"\ndriver = \"blazer_usb\"\nmaker = \"Cypress\"\n",
        )
        .unwrap();
        let r = udev_rules(&t);
        assert_eq!(r.matches("idVendor").count(), 1);
        assert!(r.contains("ENV{NUT_DRIVERS}=\"nutdrv_qx blazer_usb\""), "{r}");
    }
}
