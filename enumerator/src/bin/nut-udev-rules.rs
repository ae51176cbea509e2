//! nut-udev-rules: prints the udev rules generated from data/usb-devices.toml
//! (`cargo run -p nut-driver-enumerator --bin nut-udev-rules > udev-rules/62-nut-usbups.rules`).

fn main() {
    print!("{}", nut_driver_enumerator::usbtable::udev_rules(&nut_driver_enumerator::usbtable::table()));
}
