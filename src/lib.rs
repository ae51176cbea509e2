//! # nut — a systemd-native Network UPS Tools
//!
//! One library under every program of the suite. The layers, bottom up:
//!
//! - [`proto`]: NUT's word grammar (the one tokenizer and its inverse) and
//!   one type per message of the two line protocols — the network protocol
//!   upsd speaks on TCP 3493 and the driver-socket protocol between a driver
//!   and upsd. Both ends of each protocol use the same types.
//! - [`model`]: typed names, values, variable flags, enums, ranges, instant
//!   commands and `ups.status` flags.
//! - [`config`]: the config files (nut.conf, ups.conf, upsd.conf,
//!   upsd.users, upsmon.conf, upssched.conf), parsed in layers — words with
//!   positions, then validated settings — with every problem reported as
//!   `file:line:col: message`.
//!
//! The programs in `src/bin/` are thin: they parse arguments, load settings
//! and call one `run` function here. See `ARCHITECTURE.md` for the process
//! model and how data flows from a device to a shutdown decision.

pub mod cli;
pub mod client;
pub mod config;
pub mod driver;
pub mod logging;
pub mod model;
pub mod monitor;
pub mod proto;
pub mod qx;
pub mod sched;
pub mod server;
pub mod systemd;

/// The version we report (`server.version`, `driver.version`, `-V`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
