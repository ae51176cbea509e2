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
//! Dialects, in upstream NUT's autodetection order (2.8.0's is the same
//! without the ones marked "newer"). "vectors": NUT's TESTING answers
//! replayed, golden dump plus every vector command sent
//! (`tests/qx_vectors.rs`); "pty": our engine over a socat pty against
//! the simulator (`tests/qx_pty.rs`); "Debian": side by side with
//! /lib/nut/nutdrv_qx 2.8.0 on the same simulator, same variables and
//! values.
//!
//! | dialect | NUT | verified |
//! |---|---|---|
//! | omron | newer | vectors 16/16, pty, mock USB (autodetected on vendor 0590) |
//! | voltronic | 2.8.0 | vectors 115, Debian (4 device variants) |
//! | voltronic-axpert | newer (2.8.4) | vectors: the 11 commands of NUT's default build; the other 117 belong to `--with-unmapped-data-points` rows and are checked never sent; CRC framing; pty (autodetected) |
//! | voltronic-qs, voltronic-qs-hex, mustek, megatec/old, bestups, mecer, megatec, zinto | 2.8.0 | vectors, Debian |
//! | masterguard | 2.8.0, cannot claim there | no NUT vectors: our device file; pty (slave address change), driver dump mode; Debian shown failing to claim |
//! | hunnox, ablerex | 2.8.0 | vectors, Debian |
//! | innovart31, innovart33, innovatae, q2, q6, gtec | newer | vectors, pty |
//! | q1 (fallback) | 2.8.0 | vectors, Debian |
//!
//! Megatec also: NUT's golden dump, slow/garbled/missing answers and the
//! cable pulled, the driver behind Debian's upsd (`tests/qx_driver.rs`);
//! battery pack and runtime guesses side by side with Debian.
//!
//! USB subdrivers (no USB in the test machines): cypress, phoenix, ippon,
//! sgs, fuji, armac, krauler, snr, fabula, hunnox, ablerex, phoenixtec,
//! and newer NUT's omron and gtec — each only against a fake bridge chip
//! that decodes its framing (`tests/qx_usb.rs`). The matching options
//! (`vendorid`...`busport`, `allow_duplicates`) are tested against
//! descriptors we build and a fake bus.

pub mod dialects;
pub mod engine;
pub mod item;
pub mod serial;
pub mod store;
pub mod transport;
pub mod usb;

pub use engine::{CmdResult, InitError, Qx, SetResult, Walk};
pub use transport::Transport;
