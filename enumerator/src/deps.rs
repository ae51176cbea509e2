//! Per-driver ordering: what each ups.conf section's driver has to wait for,
//! decided from its `driver` and `port` settings.

use crate::conf::{Section, UpsFile};
use crate::escape::{escape, instance_for};

/// How a driver reaches its device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Medium {
    /// A USB device: wait for udev's coldplug.
    Usb,
    /// A serial port (or another device node): udev, and the device unit.
    Serial {
        /// The device node, e.g. `/dev/ttyS0`.
        path: String,
    },
    /// A host on the network: wait for network-online.target.
    Network,
    /// Another driver of this machine (a repeater to the local upsd, or a
    /// clone reading a driver's socket).
    Driver {
        /// The ups.conf section of the driver it reads from.
        section: String,
        /// True when it goes through upsd (so it needs nut-server.socket).
        via_upsd: bool,
    },
    /// Nothing to wait for (a dummy-ups data file, an unknown driver).
    Local,
}

/// Drivers that only talk USB.
const USB_DRIVERS: &[&str] =
    &["usbhid-ups", "blazer_usb", "bcmxcp_usb", "tripplite_usb", "richcomm_usb", "riello_usb", "nutdrv_atcl_usb"];

/// Drivers whose `port` names a network host (or URL).
const NETWORK_DRIVERS: &[&str] = &["snmp-ups", "netxml-ups", "powerman-pdu", "apcupsd-ups", "generic_gpio_http"];

/// Whether `host` names this machine (loopback).
pub fn is_local_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]") || host.starts_with("127.")
}

/// Splits NUT's `ups@host[:port]` form.
fn split_upsname(port: &str) -> Option<(&str, &str)> {
    let (ups, rest) = port.split_once('@')?;
    let host = match rest.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty() => h,
        _ => rest,
    };
    Some((ups, host))
}

/// Decides how `section`'s driver reaches its device.
pub fn medium(section: &Section) -> Medium {
    let driver = section.driver().unwrap_or("");
    let port = section.port().unwrap_or("");
    if driver == "dummy-ups" || driver == "clone" || driver == "clone-outlet" {
        if let Some((ups, host)) = split_upsname(port) {
            return if is_local_host(host) {
                Medium::Driver { section: ups.to_string(), via_upsd: true }
            } else {
                Medium::Network
            };
        }
        if driver != "dummy-ups" && !port.is_empty() {
            return Medium::Driver { section: port.to_string(), via_upsd: false };
        }
        return Medium::Local;
    }
    if NETWORK_DRIVERS.contains(&driver) {
        let host = port.trim_start_matches("http://").trim_start_matches("https://");
        let host = host.split(['/', ':']).next().unwrap_or("");
        return if is_local_host(host) { Medium::Local } else { Medium::Network };
    }
    if USB_DRIVERS.contains(&driver) || port == "auto" {
        return Medium::Usb;
    }
    if port.starts_with("/dev/") {
        return Medium::Serial { path: port.to_string() };
    }
    Medium::Local
}

/// The device unit systemd names for a device node (`systemd-escape --path`).
pub fn device_unit(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    format!("{}.device", escape(trimmed))
}

/// The `[Unit]` lines of the instance's drop-in.
pub fn unit_lines(file: &UpsFile, section: &Section) -> Vec<String> {
    let mut lines = Vec::new();
    match medium(section) {
        Medium::Usb => lines.push("After=systemd-udev-trigger.service".to_string()),
        Medium::Serial { path } => {
            lines.push("After=systemd-udev-trigger.service".to_string());
            lines.push(format!("After={}", device_unit(&path)));
        }
        Medium::Network => {
            lines.push("Wants=network-online.target".to_string());
            lines.push("After=network-online.target".to_string());
        }
        Medium::Driver { section: other, via_upsd } => {
            if other != section.name && file.section(&other).is_some() {
                let unit = instance_for(&other).unit;
                lines.push(format!("Wants={unit}"));
                lines.push(format!("After={unit}"));
            }
            if via_upsd {
                lines.push("Wants=nut-server.socket".to_string());
                lines.push("After=nut-server.socket".to_string());
            }
        }
        Medium::Local => {}
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn file(text: &str) -> UpsFile {
        UpsFile::parse(Path::new("ups.conf"), text.as_bytes()).0
    }

    #[test]
    fn media() {
        let f = file(
            "[u]\ndriver=usbhid-ups\nport=auto\n[s]\ndriver=nutdrv_qx\nport=/dev/ttyS0\n[q]\ndriver=nutdrv_qx\nport=auto\n\
             [n]\ndriver=snmp-ups\nport=192.0.2.1\n[r]\ndriver=dummy-ups\nport=x@192.0.2.2:3493\n\
             [l]\ndriver=dummy-ups\nport=u@localhost\n[d]\ndriver=dummy-ups\nport=d.dev\n[c]\ndriver=clone\nport=u\n",
        );
        let m: Vec<Medium> = f.sections.iter().map(medium).collect();
        assert_eq!(
            m,
            vec![
                Medium::Usb,
                Medium::Serial { path: "/dev/ttyS0".into() },
                Medium::Usb,
                Medium::Network,
                Medium::Network,
                Medium::Driver { section: "u".into(), via_upsd: true },
                Medium::Local,
                Medium::Driver { section: "u".into(), via_upsd: false },
            ]
        );
        assert_eq!(
            unit_lines(&f, f.section("l").unwrap()),
            vec![
                "Wants=nut-driver@u.service",
                "After=nut-driver@u.service",
                "Wants=nut-server.socket",
                "After=nut-server.socket"
            ]
        );
        assert_eq!(device_unit("/dev/ttyUSB0"), "dev-ttyUSB0.device");
    }
}
