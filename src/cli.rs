//! The registry of every program's command line, for generated man pages
//! and shell completions (`nut-gen-docs`). Each program's clap definition
//! lives with its code; add new programs here.

use clap::CommandFactory;

/// Every binary's clap `Command`, named as installed.
pub fn commands() -> Vec<clap::Command> {
    vec![
        crate::client::upsc::Args::command(),
        crate::client::upsrw::Args::command(),
        crate::client::upscmd::Args::command(),
        crate::client::upslog::Args::command(),
    ]
}
