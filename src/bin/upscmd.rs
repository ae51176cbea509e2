//! `upscmd`: see [`nut::client::upscmd`].

fn main() -> std::process::ExitCode {
    nut::client::tool::reset_sigpipe();
    nut::client::tool::finish(nut::client::upscmd::run(&nut::client::tool::argv()))
}
