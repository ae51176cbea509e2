//! upsd: the NUT data server. See `nut::server`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    nut::server::run::main(nut::server::cli::Args::parse())
}
