//! # nut-driver-enumerator
//!
//! Keeps systemd's `nut-driver@.service` instances in step with ups.conf.
//! One program, three jobs:
//!
//! - [`generator`]: run by systemd at boot and on daemon-reload, it pulls in
//!   one instance per ups.conf section (the instance being the
//!   [`escape`]d section name, so `%I` gives the name back), orders each
//!   driver after what it needs ([`deps`]), and follows nut.conf's MODE.
//! - [`watcher`]: a small daemon that notices changes to the config files and
//!   carries out the [`plan`] over D-Bus ([`systemd`]).
//! - [`ctl`]: `upsdrvsvcctl`, NUT's verbs for driver services.
//!
//! [`usbtable`] holds the USB device table shared with the drivers and turns
//! it into udev rules.

/// Every program's clap `Command` for man pages and completions: nut's
/// registry ([`nut::cli::commands`]) plus this crate's `upsdrvsvcctl`.
pub fn commands() -> Vec<clap::Command> {
    let mut cmds = nut::cli::commands();
    cmds.push(<ctl::Cli as clap::CommandFactory>::command());
    cmds
}

/// The directory systemd gives generators for normal-priority units.
pub const GENERATOR_DIR: &str = "/run/systemd/generator";

pub mod conf;
pub mod ctl;
pub mod deps;
pub mod escape;
pub mod generator;
pub mod plan;
pub mod systemd;
pub mod usbtable;
pub mod watcher;
