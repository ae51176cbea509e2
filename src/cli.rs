//! The registry of every program's command line, for generated man pages
//! and shell completions (`nut-gen-docs`). Each program's clap definition
//! lives with its code; add new programs to [`commands`].

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

/// Every binary's clap `Command`, named as installed.
pub fn commands() -> Vec<clap::Command> {
    vec![
        crate::client::upsc::Args::command(),
        crate::client::upsrw::Args::command(),
        crate::client::upscmd::Args::command(),
        crate::client::upslog::Args::command(),
        crate::server::cli::Args::command(),
        crate::monitor::daemon::Args::command(),
        crate::driver::upsdrvctl::Args::command(),
        crate::driver::cli::DriverArgs::command()
            .name("dummy-ups")
            .about("Driver for a simulated UPS (data files) or a repeater of another upsd"),
    ]
}

/// Writes `man8/<name>.8` and `completions/{bash,zsh,fish}/…` under `out`
/// for every registered command; returns the files written.
pub fn generate_docs(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let man = out.join("man8");
    fs::create_dir_all(&man).with_context(|| format!("creating {}", man.display()))?;
    for cmd in commands() {
        let name = cmd.get_name().to_string();
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone()).section("8").manual("Network UPS Tools").render(&mut page)?;
        let path = man.join(format!("{name}.8"));
        fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        for (shell, dir, file) in [
            (Shell::Bash, "bash", name.clone()),
            (Shell::Zsh, "zsh", format!("_{name}")),
            (Shell::Fish, "fish", format!("{name}.fish")),
        ] {
            let d = out.join("completions").join(dir);
            fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), name.clone(), &mut buf);
            let path = d.join(file);
            fs::write(&path, buf).with_context(|| format!("writing {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}
