//! NUT's config files, parsed in layers: words with positions (from the one
//! tokenizer, [`crate::proto::words`]), then validated settings, with every
//! problem reported as `file:line:col: message` ([`diag::Diagnostic`]).
//!
//! One module per file: [`nut_conf`] (shell-style, its own rules),
//! [`ups`], [`upsd`], [`users`], [`upsmon`], [`upssched`]. Each has
//! `parse(path, bytes) -> (settings, diagnostics)` and `load(path)`; parsing
//! never stops at the first problem. [`check::check_dir`] runs them all the
//! way `nut-check-config` does. [`paths`] resolves NUT's directories from the
//! environment.

pub mod check;
pub mod diag;
pub mod nut_conf;
pub mod paths;
pub mod ups;
pub mod upsd;
pub mod upsmon;
pub mod upssched;
pub mod users;
pub mod value;

mod lines;
