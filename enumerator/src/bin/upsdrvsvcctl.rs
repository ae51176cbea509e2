//! upsdrvsvcctl: NUT's driver-service control verbs over systemd's D-Bus API.

use std::process::ExitCode;

use clap::Parser;
use nut_driver_enumerator::ctl;

fn main() -> ExitCode {
    match ctl::main(ctl::Cli::parse().args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("upsdrvsvcctl: {e:#}");
            ExitCode::FAILURE
        }
    }
}
