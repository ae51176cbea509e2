//! Checks a whole NUT configuration directory the way the daemons would
//! read it (what `nut-check-config` runs).
//!
//! Severity follows NUT: what NUT logs at error level or dies of is an
//! error; what it logs as a warning/notice and carries on with is a
//! warning. Which files must exist depends on `MODE` in nut.conf, as the
//! daemons that mode starts need them:
//!
//! | MODE | required (missing = error) | optional (checked when present) |
//! |---|---|---|
//! | none (also: no nut.conf) | – | all |
//! | standalone, netserver | ups.conf, upsd.conf (upsd dies without either), upsmon.conf | upsd.users (missing: warning, upsd starts but nobody can log in), upssched.conf |
//! | netclient | upsmon.conf | the rest |
//!
//! upssched.conf is required whenever upsmon.conf's NOTIFYCMD is upssched.
//! Beyond the per-file checks, for modes that start the daemons we check
//! what they check at startup: at least one usable UPS in ups.conf unless
//! ALLOW_NO_DEVICE (nut.conf, upsd.conf or the environment), and MONITOR
//! power values adding up to MINSUPPLIES; plus two cross-file checks NUT
//! only discovers at run time (a local MONITOR naming a UPS that ups.conf
//! lacks, or a user upsd.users doesn't let log in). upsd.conf, upsd.users
//! and upsmon.conf readable by others (`mode & 0005`) draw upsd's warning.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::diag::{Diagnostic, Pos};
use super::nut_conf::{Mode, NutConf};
use super::ups::UpsConf;
use super::upsd::UpsdConf;
use super::upsmon::UpsmonConf;
use super::upssched::UpsschedConf;
use super::users::UsersConf;

/// nut-check-config's command line (parsed by `src/bin/nut-check-config.rs`,
/// listed in [`crate::cli::commands`] for its man page and completions).
#[derive(clap::Parser, Debug)]
#[command(
    name = "nut-check-config",
    version = crate::VERSION,
    about = "Check NUT's configuration files (nut.conf, ups.conf, upsd.conf, upsd.users, upsmon.conf, upssched.conf)",
    long_about = None
)]
pub struct Args {
    /// Directory holding the files [default: $NUT_CONFPATH, else /etc/nut]
    #[arg(long, value_name = "DIR")]
    pub confdir: Option<std::path::PathBuf>,
    /// Print errors only, no warnings
    #[arg(short, long)]
    pub quiet: bool,
}

/// The files, in the order they are reported.
pub const FILES: &[&str] = &["nut.conf", "ups.conf", "upsd.conf", "upsd.users", "upsmon.conf", "upssched.conf"];

const START: Pos = Pos { line: 1, col: 1 };

/// Reads a file, or reports why not (a missing file only when `required`).
fn read(path: &Path, required: Option<&str>, out: &mut Vec<Diagnostic>) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(why) = required {
                out.push(Diagnostic::error(path, START, format!("Can't open {}: {e} ({why})", path.display())));
            }
            None
        }
        Err(e) => {
            out.push(Diagnostic::error(path, START, format!("Can't open {}: {e}", path.display())));
            None
        }
    }
}

fn perms(path: &Path, out: &mut Vec<Diagnostic>) {
    if let Ok(md) = std::fs::metadata(path) {
        let mode = md.permissions().mode();
        if mode & 0o005 != 0 {
            out.push(Diagnostic::warning(
                path,
                START,
                format!(
                    "file is world readable (mode {:04o}); it may hold passwords: use 0640 root:nut",
                    mode & 0o7777
                ),
            ));
        }
    }
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// Checks every NUT config file in `dir`; see the module header for what
/// is required and checked. Diagnostics come file by file, each file's in
/// position order.
pub fn check_dir(dir: &Path) -> Vec<Diagnostic> {
    let mut out: Vec<Vec<Diagnostic>> = FILES.iter().map(|_| Vec::new()).collect();
    let p = |name: &str| dir.join(name);

    // nut.conf decides what is needed.
    let nut = read(&p("nut.conf"), None, &mut out[0]).map(|b| {
        let (c, d) = NutConf::parse(&p("nut.conf"), &b);
        out[0].extend(d);
        c
    });
    let mode = nut.as_ref().map_or(Mode::None, |n| n.mode);
    let server = mode.runs_server();
    let client = mode.runs_upsmon();
    let why_server = format!("needed for MODE={}", mode.as_str());

    let ups = read(&p("ups.conf"), server.then_some(why_server.as_str()), &mut out[1]).map(|b| {
        let (c, d) = UpsConf::parse(&p("ups.conf"), &b);
        out[1].extend(d);
        out[1].extend(c.upsd_diagnostics());
        c
    });

    let upsd = read(&p("upsd.conf"), server.then_some(why_server.as_str()), &mut out[2]).map(|b| {
        perms(&p("upsd.conf"), &mut out[2]);
        let (c, d) = UpsdConf::parse(&p("upsd.conf"), &b);
        out[2].extend(d);
        c
    });

    let users = read(&p("upsd.users"), None, &mut out[3]).map(|b| {
        perms(&p("upsd.users"), &mut out[3]);
        let (c, d) = UsersConf::parse(&p("upsd.users"), &b);
        out[3].extend(d);
        c
    });
    if users.is_none() && server && !p("upsd.users").exists() {
        out[3].push(Diagnostic::warning(
            &p("upsd.users"),
            START,
            format!("{} not found: upsd starts, but no user can log in", p("upsd.users").display()),
        ));
    }

    let upsmon = read(&p("upsmon.conf"), client.then_some(why_server.as_str()), &mut out[4]).map(|b| {
        perms(&p("upsmon.conf"), &mut out[4]);
        let (c, d) = UpsmonConf::parse(&p("upsmon.conf"), &b);
        out[4].extend(d);
        c
    });

    let sched_needed =
        upsmon.as_ref().and_then(|m| m.notifycmd.as_ref()).and_then(|cmd| cmd.first()).is_some_and(|c| {
            Path::new(c.split_whitespace().next().unwrap_or("")).file_name().is_some_and(|f| f == "upssched")
        });
    if let Some(b) =
        read(&p("upssched.conf"), sched_needed.then_some("upsmon.conf's NOTIFYCMD is upssched"), &mut out[5])
    {
        let (_, d) = UpsschedConf::parse(&p("upssched.conf"), &b);
        out[5].extend(d);
    }

    // What the daemons check when they start.
    if server {
        if let Some(u) = &ups {
            // env wins (nut.conf's value is exported to upsd's env), then upsd.conf
            let allow = std::env::var("ALLOW_NO_DEVICE")
                .ok()
                .and_then(|v| super::value::parse_bool_or_number(&v))
                .or(nut.as_ref().and_then(|n| n.allow_no_device))
                .unwrap_or(upsd.as_ref().is_some_and(|c| c.allow_no_device));
            if u.served().is_empty() && !allow {
                out[1].push(Diagnostic::error(
                    &u.path,
                    START,
                    "Fatal error: at least one UPS must be defined in ups.conf (or set ALLOW_NO_DEVICE)",
                ));
            }
        }
        if let Some(c) = &upsd {
            if mode == Mode::Netserver && c.listeners().iter().all(|l| is_local(&l.addr)) {
                out[2].push(Diagnostic::warning(
                    &c.path,
                    START,
                    "MODE=netserver, but upsd only listens on localhost (add a LISTEN line)",
                ));
            }
        }
    }
    if let Some(m) = &upsmon {
        if client {
            out[4].extend(m.startup_diagnostics());
        }
        if server {
            for mon in m.monitors.iter().filter(|mon| is_local(&mon.host)) {
                if let Some(u) = &ups {
                    if u.served().iter().all(|s| !s.name.eq_ignore_ascii_case(&mon.ups)) {
                        out[4].push(Diagnostic::warning(
                            &m.path,
                            mon.pos,
                            format!("MONITOR {}: ups.conf defines no usable UPS [{}]", mon.system, mon.ups),
                        ));
                    }
                }
                if let Some(us) = &users {
                    if !us.can_login(&mon.user, &mon.password) {
                        out[4].push(Diagnostic::warning(
                            &m.path,
                            mon.pos,
                            format!(
                                "MONITOR {}: upsd.users has no user [{}] with this password and an upsmon role",
                                mon.system, mon.user
                            ),
                        ));
                    }
                }
            }
        }
    }

    for v in &mut out {
        v.sort_by_key(|d| d.pos);
    }
    out.into_iter().flatten().collect()
}
