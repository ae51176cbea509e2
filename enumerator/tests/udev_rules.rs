//! The checked-in udev rules are what data/usb-devices.toml generates
//! (`udevadm test` lints them in tests/system/static-checks.sh).

use std::path::PathBuf;

use nut_driver_enumerator::usbtable;

fn rules_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../udev-rules/62-nut-usbups.rules")
}

#[test]
fn checked_in_rules_are_not_stale() {
    let want = usbtable::udev_rules(&usbtable::table());
    let have = std::fs::read_to_string(rules_path()).expect("udev-rules/62-nut-usbups.rules");
    if have != want {
        let first = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(have.lines().count().min(want.lines().count()));
        panic!(
            "udev-rules/62-nut-usbups.rules is stale (first difference at line {}):\n  checked in: {:?}\n  generated:  {:?}\n\
             regenerate: cargo run -p nut-driver-enumerator --bin nut-udev-rules > udev-rules/62-nut-usbups.rules",
            first + 1,
            have.lines().nth(first),
            want.lines().nth(first)
        );
    }
}
