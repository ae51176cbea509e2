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
    if std::env::var_os("UPDATE_UDEV_RULES").is_some() {
        std::fs::write(rules_path(), &want).expect("writing udev-rules/62-nut-usbups.rules");
    }
    let have = std::fs::read_to_string(rules_path()).expect("udev-rules/62-nut-usbups.rules");
    if have != want {
        let first = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(have.lines().count().min(want.lines().count()));
        panic!(
            "udev-rules/62-nut-usbups.rules is stale (first difference at line {}):\n  checked in: {:?}\n  generated:  {:?}\n\
             regenerate: UPDATE_UDEV_RULES=1 cargo test -p nut-driver-enumerator --test udev_rules",
            first + 1,
            have.lines().nth(first),
            want.lines().nth(first)
        );
    }
}
