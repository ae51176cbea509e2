//! `upslog`: see [`nut::client::upslog`].

fn main() -> std::process::ExitCode {
    nut::client::tool::reset_sigpipe();
    nut::client::tool::finish(nut::client::upslog::run(&nut::client::tool::argv()))
}
