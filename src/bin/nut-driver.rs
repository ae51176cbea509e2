//! The multi-call driver executable: run as `dummy-ups` (or any other
//! driver name it holds) it is that driver with NUT's options; run as
//! `nut-driver <ups>` it runs the driver ups.conf names for `<ups>`.

fn main() -> std::process::ExitCode {
    let code = nut::driver::cli::main(std::env::args_os().collect());
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
