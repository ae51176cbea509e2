//! `nut-gen-docs OUTDIR`: writes a man page (`man8/<name>.8`) and bash,
//! zsh and fish completions for every program of the workspace: those
//! registered in [`nut::cli::commands`] and this crate's upsdrvsvcctl.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: nut-gen-docs OUTDIR");
        return ExitCode::from(2);
    };
    match nut::cli::generate_docs(&out, &nut_driver_enumerator::commands()) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nut-gen-docs: {e:#}");
            ExitCode::FAILURE
        }
    }
}
