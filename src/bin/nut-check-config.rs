//! nut-check-config: checks every NUT config file in a directory and prints
//! each problem as `file:line:col: message` on stderr, the way compilers do,
//! so it can run as a unit's `ExecStartPre=` (journal) or by hand. Exits 0
//! when there is no error (warnings allowed), 1 otherwise. What each MODE
//! requires is documented in `nut::config::check`.

use std::process::ExitCode;

use clap::Parser;
use nut::config::check::{check_dir, Args};

fn main() -> ExitCode {
    let args = Args::parse();
    let dir = args.confdir.unwrap_or_else(nut::config::paths::confpath);
    let diags = check_dir(&dir);
    let mut errors = 0;
    for d in &diags {
        if d.is_error() {
            errors += 1;
        } else if args.quiet {
            continue;
        }
        eprintln!("{d}");
    }
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
