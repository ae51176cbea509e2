//! `upsc`: see [`nut::client::upsc`].

fn main() -> std::process::ExitCode {
    nut::client::tool::reset_sigpipe();
    nut::client::tool::finish(nut::client::upsc::run(&nut::client::tool::argv()))
}
