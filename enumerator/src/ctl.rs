//! `upsdrvsvcctl`: NUT's driver-service control verbs, done over systemd's
//! D-Bus API instead of shell and systemctl.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::conf::{Section, UpsFile};
use crate::escape::instance_for;
use crate::generator::read_inputs;
use crate::systemd::{unit_info, ManagerProxy};
use crate::watcher::{log_outcome, Reconciler};

/// upsdrvsvcctl's command line (NUT's options and verbs).
#[derive(clap::Args, Debug)]
#[command(name = "upsdrvsvcctl", version = nut::VERSION, about = "Control NUT driver services (nut-driver@.service instances)")]
pub struct Args {
    /// What to do.
    #[arg(value_enum)]
    pub verb: Verb,
    /// A ups.conf section (default: all).
    pub ups: Option<String>,
    /// Testing mode: print what would be done without doing it.
    #[arg(short = 't')]
    pub testing: bool,
    /// Raise the debugging level.
    #[arg(short = 'D', action = clap::ArgAction::Count)]
    pub debug: u8,
    /// The generator's output directory (where its snapshot is).
    #[arg(long, default_value = crate::GENERATOR_DIR, hide = true)]
    pub generator_dir: std::path::PathBuf,
}

/// `upsdrvsvcctl` as a program of its own.
#[derive(clap::Parser, Debug)]
#[command(name = "upsdrvsvcctl", version = nut::VERSION, about = "Control NUT driver services (nut-driver@.service instances)")]
pub struct Cli {
    /// The arguments.
    #[command(flatten)]
    pub args: Args,
}

/// Runs upsdrvsvcctl on a current-thread runtime.
pub fn main(a: Args) -> Result<()> {
    let opts = Opts { testing: a.testing, debug: a.debug };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    rt.block_on(run(a.verb, a.ups.as_deref(), opts, &crate::conf::confpath(), &a.generator_dir))
}

/// The verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Verb {
    /// Print each section with its unit.
    List,
    /// Start the driver(s).
    Start,
    /// Stop the driver(s).
    Stop,
    /// Bring systemd in step with ups.conf (what the watcher does).
    Resync,
    /// Reload systemd and restart every driver.
    Reconfigure,
    /// Print the section(s) as parsed from ups.conf.
    ShowConfig,
    /// Show each driver unit's state and status text.
    Status,
    /// Tell the UPS(es) to cut power (handed to `upsdrvctl shutdown`).
    Shutdown,
}

/// Options shared by all verbs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opts {
    /// `-t`: print what would be done, do nothing.
    pub testing: bool,
    /// `-D`: debugging level.
    pub debug: u8,
}

fn pick<'a>(ups: &'a UpsFile, name: Option<&str>) -> Result<Vec<&'a Section>> {
    match name {
        None => Ok(ups.sections.iter().collect()),
        Some(n) => match ups.section(n) {
            Some(s) => Ok(vec![s]),
            None => bail!("no section [{n}] in ups.conf"),
        },
    }
}

/// Renders sections in ups.conf syntax.
pub fn show_config(ups: &UpsFile, sections: &[&Section]) -> String {
    let mut out = String::new();
    let value = |v: &Option<String>| match v {
        Some(v) => format!(" = {}", nut::proto::words::quote(v)),
        None => String::new(),
    };
    for (k, v) in &ups.global {
        out.push_str(&format!("{}{}\n", nut::proto::words::quote(k), value(v)));
    }
    for s in sections {
        out.push_str(&format!("{}\n", nut::proto::words::quote(&format!("[{}]", s.name))));
        for (k, v) in &s.settings {
            out.push_str(&format!("\t{}{}\n", nut::proto::words::quote(k), value(v)));
        }
    }
    out
}

/// The list as NUT prints it: `<unit>\t<section>` lines, or for one
/// section just its unit.
pub fn list(sections: &[&Section], one: bool) -> String {
    if one {
        return sections.iter().map(|s| format!("{}\n", instance_for(&s.name).unit)).collect();
    }
    sections.iter().map(|s| format!("{}\t{}\n", instance_for(&s.name).unit, s.name)).collect()
}

/// Runs one verb. `gendir` is the generator's output directory.
pub async fn run(verb: Verb, ups_name: Option<&str>, opts: Opts, confdir: &Path, gendir: &Path) -> Result<()> {
    let inputs = read_inputs(confdir);
    for w in &inputs.warnings {
        eprintln!("upsdrvsvcctl: {w}");
    }
    let sections = pick(&inputs.ups, ups_name)?;
    match verb {
        Verb::List => {
            print!("{}", list(&sections, ups_name.is_some()));
            return Ok(());
        }
        Verb::Shutdown => {
            let mut cmd = std::process::Command::new("/sbin/upsdrvctl");
            for _ in 0..opts.debug {
                cmd.arg("-D");
            }
            if opts.testing {
                cmd.arg("-t");
            }
            cmd.arg("shutdown").args(ups_name);
            let st = cmd.status().context("running /sbin/upsdrvctl")?;
            if !st.success() {
                bail!("upsdrvctl shutdown failed ({st})");
            }
            return Ok(());
        }
        Verb::ShowConfig => {
            print!("{}", show_config(&inputs.ups, &sections));
            return Ok(());
        }
        _ => {}
    }
    let conn = crate::systemd::connect().await.context("connecting to systemd")?;
    let manager = ManagerProxy::new(&conn).await?;
    let mut failed = 0;
    match verb {
        Verb::Start | Verb::Stop => {
            if !inputs.mode.runs_server() && verb == Verb::Start {
                eprintln!("upsdrvsvcctl: note: nut.conf MODE={} does not run drivers at boot", inputs.mode.as_str());
            }
            for s in &sections {
                let unit = instance_for(&s.name).unit;
                if opts.testing {
                    println!("would {} {unit}", if verb == Verb::Start { "start" } else { "stop" });
                    continue;
                }
                let r = if verb == Verb::Start {
                    manager.start_unit(&unit, "replace").await
                } else {
                    manager.stop_unit(&unit, "replace").await
                };
                if let Err(e) = r {
                    eprintln!("upsdrvsvcctl: {unit}: {e}");
                    failed += 1;
                }
            }
        }
        Verb::Resync if opts.testing => {
            let rec = Reconciler::new(confdir.to_path_buf(), gendir.to_path_buf());
            let o = rec.preview(&manager).await?;
            println!("would daemon-reload, then:");
            log_outcome(&o);
        }
        Verb::Resync => {
            let mut rec = Reconciler::new(confdir.to_path_buf(), gendir.to_path_buf());
            let o = rec.pass(&manager).await?;
            log_outcome(&o);
            failed += o.errors.len();
        }
        Verb::Reconfigure if opts.testing => {
            println!("would daemon-reload and restart every driver:");
            print!("{}", list(&sections, false));
        }
        Verb::Reconfigure => {
            let mut rec = Reconciler::new(confdir.to_path_buf(), gendir.to_path_buf());
            let o = rec.pass(&manager).await?;
            log_outcome(&o);
            failed += o.errors.len();
            if inputs.mode.runs_server() {
                for s in &sections {
                    let unit = instance_for(&s.name).unit;
                    if o.plan.start.contains(&unit) || o.plan.restart.contains(&unit) {
                        continue;
                    }
                    eprintln!("restarting {unit}");
                    if let Err(e) = manager.restart_unit(&unit, "replace").await {
                        eprintln!("upsdrvsvcctl: {unit}: {e}");
                        failed += 1;
                    }
                }
            }
        }
        Verb::Status => {
            println!("{:<24} {:<40} {:<10} {:<12} STATUS", "UPS", "UNIT", "ACTIVE", "SUB");
            for s in &sections {
                let unit = instance_for(&s.name).unit;
                match unit_info(&conn, &manager, &unit).await {
                    Ok(i) => println!("{:<24} {:<40} {:<10} {:<12} {}", s.name, unit, i.active, i.sub, i.status),
                    Err(e) => {
                        println!("{:<24} {:<40} ?: {e}", s.name, unit);
                        failed += 1;
                    }
                }
            }
        }
        Verb::List | Verb::ShowConfig | Verb::Shutdown => unreachable!("handled above"),
    }
    if failed > 0 {
        bail!("{failed} operation(s) failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_show_config() {
        let (f, _) = UpsFile::parse(Path::new("ups.conf"), b"maxretry=3\n[ups+1]\ndriver=dummy-ups\ndesc=\"a b\"\n");
        let s: Vec<&Section> = f.sections.iter().collect();
        assert_eq!(list(&s, false), "nut-driver@ups\\x2b1.service\tups+1\n");
        assert_eq!(list(&s, true), "nut-driver@ups\\x2b1.service\n");
        assert_eq!(show_config(&f, &s), "maxretry = 3\n[ups+1]\n\tdesc = \"a b\"\n\tdriver = dummy-ups\n");
        assert!(pick(&f, Some("nope")).is_err());
    }
}
