//! The driver framework: what every NUT driver shares, and the drivers.
//!
//! A driver process serves one UPS (one ups.conf section). Its parts:
//!
//! - [`store`]: the variable store with NUT's semantics; every change
//!   becomes a broadcast on the driver socket;
//! - [`server`]: the driver socket (`<statepath>/<driver>-<ups>`), serving
//!   upsd and tools, several at once;
//! - [`params`]: the driver's configuration: its ups.conf section, the
//!   global section and `-x` options, validated against the core keys and
//!   the keys the driver declares;
//! - [`core`]: the process around a [`Driver`]: the device thread and its
//!   poll loop, device-loss handling, systemd readiness, status and
//!   watchdog;
//! - [`cli`]: NUT's driver command line and the multi-call entry point;
//! - [`upsdrvctl`]: starting, stopping and shutting down drivers without
//!   systemd;
//! - the drivers themselves: [`dummy`] (dummy-ups: data files and the
//!   repeater).
//!
//! A driver implements [`Driver`]; every method but the reads has a "not
//! supported" default.

pub mod cli;
pub mod core;
pub mod datafile;
pub mod dummy;
pub mod nutdrv_qx;
pub mod params;
pub mod repeater;
pub mod server;
pub mod store;
pub mod upsdrvctl;

use std::time::Duration;

use crate::proto::driver::HandlerStatus;

pub use self::core::Ctx;
pub use self::params::{VarDecl, VarKind};

/// A device problem: the core marks the data stale and reconnects.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The device stopped answering or went away.
    #[error("device lost: {0}")]
    Lost(String),
    /// A problem that makes running pointless (bad configuration, missing
    /// data file); the driver exits.
    #[error("{0}")]
    Fatal(String),
}

/// What a driver is and does. The core calls these from the device thread,
/// one at a time.
pub trait Driver: Send + 'static {
    /// The program name, as in `driver =` (`dummy-ups`).
    fn name(&self) -> &'static str;

    /// The driver's long name for the banner.
    fn description(&self) -> &'static str;

    /// `driver.version.internal`.
    fn version(&self) -> &'static str;

    /// The keys this driver accepts besides the core's (`addvar`).
    fn declare(&self) -> Vec<VarDecl> {
        Vec::new()
    }

    /// Opens the device (`upsdrv_initups`). Parameters are in `ctx`.
    fn init_ups(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError>;

    /// Publishes the initial data and commands (`upsdrv_initinfo`).
    fn init_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError>;

    /// One poll of the device (`upsdrv_updateinfo`), every pollinterval;
    /// [`Ctx::full_poll`] says whether to read everything this time.
    fn update_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError>;

    /// How often [`tick`](Self::tick) wants to run, if at all.
    fn tick_interval(&self) -> Option<Duration> {
        None
    }

    /// A cheap check between polls (file watching, timers).
    fn tick(&mut self, _ctx: &mut Ctx) -> Result<(), DeviceError> {
        Ok(())
    }

    /// Reopens a lost device.
    fn reconnect(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        self.init_ups(ctx)
    }

    /// The default of `pollfreq` (seconds between full polls) for drivers
    /// that poll the status more often than the rest; `None`: every poll
    /// is full. A declared `pollfreq` key overrides it.
    fn default_pollfreq(&self) -> Option<Duration> {
        None
    }

    /// How long the first connection may take before the core declares the
    /// driver ready with stale data.
    fn connect_timeout(&self) -> Duration {
        Duration::from_secs(10)
    }

    /// Handles `SET <var> <value>`.
    fn set_var(&mut self, _ctx: &mut Ctx, _var: &str, _value: &str) -> HandlerStatus {
        HandlerStatus::Unknown
    }

    /// Handles `INSTCMD <cmd> [<param>]`.
    fn instcmd(&mut self, _ctx: &mut Ctx, _cmd: &str, _param: Option<&str>) -> HandlerStatus {
        HandlerStatus::Unknown
    }

    /// Tells the UPS to cut power (`-k`).
    fn shutdown(&mut self, _ctx: &mut Ctx) -> Result<(), DeviceError> {
        Err(DeviceError::Fatal("shutdown not supported".into()))
    }

    /// Releases the device.
    fn cleanup(&mut self, _ctx: &mut Ctx) {}
}

/// The drivers this executable holds, by program name.
pub fn lookup(name: &str) -> Option<Box<dyn Driver>> {
    match name {
        "dummy-ups" => Some(Box::new(dummy::DummyUps::default())),
        "nutdrv_qx" => Some(Box::new(nutdrv_qx::NutdrvQx::default())),
        _ => None,
    }
}

/// The program names of the drivers this executable holds.
pub const DRIVERS: &[&str] = &["dummy-ups", "nutdrv_qx"];
