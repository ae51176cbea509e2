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
//!
//! The driver itself (`nutdrv_qx` in the multi-call executable) is
//! `crate::driver::nutdrv_qx`.
//!
//! ## Coverage and how it is verified
//!
//! Dialects, in NUT's autodetection order: voltronic, voltronic-qs,
//! voltronic-qs-hex, mustek, megatec/old, bestups, mecer, megatec, zinto,
//! hunnox, ablerex (NUT 2.8.0's layouts), innovart31, innovart33,
//! innovatae, q2, q6, gtec (newer NUT), and the q1 fallback. Each replays
//! every one of its request/answer vectors (`tests/qx_vectors.rs`); the
//! twelve NUT 2.8.0 dialects are also compared with Debian's nutdrv_qx over
//! a socat pty pair, after start-up and after full updates
//! (`tests/qx_pty.rs`), voltronic in four device variants. Not implemented:
//! voltronic-axpert, omron, masterguard.
//!
//! USB subdrivers: cypress, phoenix, ippon, sgs, krauler, snr, fabula,
//! hunnox, fuji, phoenixtec, ablerex, armac — each framing checked against
//! a fake bridge chip that decodes it (`tests/qx_usb.rs`); no real USB.

pub mod dialects;
pub mod engine;
pub mod item;
pub mod serial;
pub mod store;
pub mod transport;
pub mod usb;

pub use engine::{CmdResult, InitError, Qx, SetResult, Walk};
pub use transport::Transport;
