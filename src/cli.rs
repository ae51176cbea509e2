//! The registry of every program's command line, for generated man pages
//! and shell completions (`nut-gen-docs`). Each program's clap definition
//! lives with its code; add new programs to [`commands`]. Programs of other
//! workspace crates (upsdrvsvcctl in `enumerator/`, which depends on this
//! crate) are added by `nut-gen-docs`, which lives in that crate and passes
//! the whole list to [`generate_docs`].

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
        crate::config::check::Args::command(),
        upssched(),
        crate::monitor::daemon::Args::command(),
        crate::driver::upsdrvctl::Args::command(),
        crate::driver::cli::DriverArgs::command()
            .name("dummy-ups")
            .about("Driver for a simulated UPS (data files) or a repeater of another upsd"),
    ]
}

/// Whether a shell could complete anything for `cmd`.
pub fn has_completions(cmd: &clap::Command) -> bool {
    cmd.has_subcommands() || cmd.get_arguments().any(|a| !a.is_hide_set())
}

/// upssched has no command line to parse: upsmon runs it as NOTIFYCMD and
/// passes everything in the environment (and the message as its argument,
/// which upssched ignores, as NUT's does). This definition exists only for
/// its man page, so it holds no arguments.
fn upssched() -> clap::Command {
    clap::Command::new("upssched")
        .version(crate::VERSION)
        .about("Timer helper for upsmon's notifications (run by upsmon as NOTIFYCMD)")
        .long_about(
            "upssched is run by upsmon as its NOTIFYCMD. It looks up the AT rules of upssched.conf \
             that match the notification and runs CMDSCRIPT at once (EXECUTE), or starts and cancels \
             timers (START-TIMER, CANCEL-TIMER) kept by a background timer process that runs \
             CMDSCRIPT when a timer elapses.",
        )
        .after_long_help(
            "Environment (set by upsmon): UPSNAME, the UPS the notification is about; \
             NOTIFYTYPE, the event (ONLINE, ONBATT, LOWBATT, FSD, COMMOK, COMMBAD, SHUTDOWN, \
             REPLBATT, NOCOMM, NOPARENT). Configuration: upssched.conf in $NUT_CONFPATH \
             (default /etc/nut).",
        )
        .disable_help_flag(true)
        .disable_version_flag(true)
}

/// Writes `man8/<name>.8` and `completions/{bash,zsh,fish}/…` under `out`
/// for each command in `cmds` (usually [`commands`] plus the other crates'
/// programs); returns the files written. A command without options or
/// subcommands (upssched) gets only its man page: there is nothing to complete.
pub fn generate_docs(out: &Path, cmds: &[clap::Command]) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let man = out.join("man8");
    fs::create_dir_all(&man).with_context(|| format!("creating {}", man.display()))?;
    for cmd in cmds {
        let name = cmd.get_name().to_string();
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone()).section("8").manual("Network UPS Tools").render(&mut page)?;
        let path = man.join(format!("{name}.8"));
        fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        if !has_completions(cmd) {
            continue;
        }
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
