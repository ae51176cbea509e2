//! # nutdrv_qx: the Megatec/Q1 protocol family
//!
//! Pure protocol code, independent of the driver framework:
//!
//! - [`item`]: one mapping-table row and the printf-like conversions;
//! - [`dialects`]: the tables and NUT's autodetection order;
//! - [`engine`]: walking a table over a [`transport::Transport`], status
//!   bits, alarms, instant commands, sets, battery charge/runtime guesses;
//! - [`transport`]: the request/answer trait and the canned-answer table;
//! - [`serial`]: the serial port (2400 8N1 by default);
//! - [`usb`]: NUT's serial-over-USB subdrivers over a small USB trait.

pub mod dialects;
pub mod engine;
pub mod item;
pub mod serial;
pub mod store;
pub mod transport;
pub mod usb;

pub use engine::{CmdResult, InitError, Qx, SetResult, Walk};
pub use transport::Transport;
