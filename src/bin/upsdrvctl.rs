//! upsdrvctl: starts, stops and shuts down the drivers of ups.conf.

fn main() -> std::process::ExitCode {
    let code = nut::driver::upsdrvctl::main(std::env::args_os().collect());
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
