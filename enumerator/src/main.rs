//! nut-driver-enumerator: the systemd generator (when called by systemd as a
//! generator), the watcher (`watch`), and `upsdrvsvcctl` (when called by that
//! name, or as `nut-driver-enumerator ctl`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use nut_driver_enumerator::{conf, ctl, escape, generator, systemd, watcher};

use nut_driver_enumerator::GENERATOR_DIR;

#[derive(Parser, Debug)]
#[command(name = "nut-driver-enumerator", version = nut::VERSION, about = "Keep nut-driver@.service instances in step with ups.conf")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run as a systemd generator: write units into the given directories.
    Generate {
        /// Normal-priority output directory.
        normal: PathBuf,
        /// Early output directory (unused).
        early: Option<PathBuf>,
        /// Late output directory (unused).
        late: Option<PathBuf>,
    },
    /// Watch the config directory and keep systemd in step.
    Watch {
        /// The generator's output directory (where its snapshot is).
        #[arg(long, default_value = GENERATOR_DIR)]
        generator_dir: PathBuf,
    },
    /// upsdrvsvcctl's verbs.
    Ctl(ctl::Args),
    /// Print the unit for each section name given.
    Unit {
        /// Section names.
        names: Vec<String>,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")
}

fn run() -> Result<()> {
    let argv0 = std::env::args_os().next().map(PathBuf::from).unwrap_or_default();
    let name = argv0.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name == "upsdrvsvcctl" {
        return ctl::main(ctl::Cli::parse().args);
    }
    if name.ends_with("-generator") {
        // systemd calls generators with three directories
        let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
        let normal = dirs.first().context("usage: nut-driver-enumerator-generator NORMAL [EARLY LATE]")?;
        generator::run(&conf::confpath(), normal).context("writing generated units")?;
        return Ok(());
    }
    match Cli::parse().cmd {
        Cmd::Generate { normal, .. } => {
            generator::run(&conf::confpath(), &normal).context("writing generated units")?;
        }
        Cmd::Watch { generator_dir } => {
            let rt = runtime()?;
            rt.block_on(async {
                let conn = systemd::connect().await.context("connecting to systemd")?;
                let manager = systemd::ManagerProxy::new(&conn).await?;
                watcher::watch(conf::confpath(), generator_dir, manager).await
            })?;
        }
        Cmd::Ctl(a) => ctl::main(a)?,
        Cmd::Unit { names } => {
            for n in names {
                println!("{}", escape::instance_for(&n).unit);
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nut-driver-enumerator: {e:#}");
            ExitCode::FAILURE
        }
    }
}
