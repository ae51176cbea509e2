//! upsmon: the UPS monitor and shutdown controller (see `nut::monitor`).

fn main() {
    std::process::exit(nut::monitor::daemon::main(std::env::args_os().collect()));
}
