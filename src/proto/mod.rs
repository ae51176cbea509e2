//! The line protocols: the shared word grammar ([`words`]), the network
//! protocol between clients and upsd ([`net`]) and the driver-socket
//! protocol between drivers and upsd ([`driver`]).

pub mod driver;
pub mod net;
pub mod words;
