//! `upsrw`: see [`nut::client::upsrw`].

fn main() -> std::process::ExitCode {
    nut::client::tool::reset_sigpipe();
    nut::client::tool::finish(nut::client::upsrw::run(&nut::client::tool::argv()))
}
