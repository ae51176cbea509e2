//! The spread of real device dumps (tests/data/ddl) the client
//! comparison tests serve through Debian's dummy-ups: usbhid-ups,
//! snmp-ups, apcsmart, nutdrv_qx, blazer_ser, netxml-ups, bcmxcp_usb and
//! tripplite_usb devices.

#![allow(dead_code)]

use super::refnut::{ddl, Ups};

/// The spread of real device dumps served.
pub fn dumps() -> Vec<Ups> {
    vec![
        Ups::new("apc", ddl("APC/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev")).desc("Back-UPS CS 500"),
        Ups::new("pdu", ddl("APC/APC__AP7724__snmp-ups__2.7.4.1__01.dev")),
        Ups::new("smart", ddl("APC/APC__Smart-UPS_5000_RM__snmp-ups__2.8.0__01.dev")).desc("Smart \\\"UPS\\\" \\#5000"),
        Ups::new("apcsmart", ddl("APC/APC__Smart-UPS_1500__apcsmart__2.2.1__01.dev")),
        Ups::new("qx", ddl("2E/2E__PS1000L__nutdrv_qx__2.8.1__01.dev")),
        Ups::new("blazer", ddl("Ablerex/Ablerex__MARS_MS3000RT__blazer_ser__2.7.2__01.dev")),
        Ups::new("cyber", ddl("Cyber_Power_Systems/Cyber_Power_Systems__CP1500PFCLCD__usbhid-ups__2.7.4__01.dev")),
        Ups::new("digitus", ddl("Digitus/Digitus__DN-170076__nutdrv_qx__2.7.4__01.dev")),
        Ups::new("eaton", ddl("Eaton/Eaton__5PX__netxml-ups__2.7.4__03.dev")),
        Ups::new("bcmxcp", ddl("Eaton/Eaton__5110__bcmxcp_usb__2.6.5__01.dev")),
        Ups::new("tripp", ddl("Tripp_Lite/Tripp_Lite__OMNIVS1000__tripplite_usb__2.7.2.5__01.dev")),
    ]
}
