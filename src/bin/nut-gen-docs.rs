//! `nut-gen-docs OUTDIR`: writes a man page (`man8/<name>.8`) and bash,
//! zsh and fish completions for every program registered in
//! [`nut::cli::commands`].

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: nut-gen-docs OUTDIR");
        return ExitCode::from(2);
    };
    match nut::cli::generate_docs(&out) {
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
