//! What upsrw and upscmd share: the `-u/-p/-t/-w` options, NUT's getopt
//! order for `-h`/`-V`/a bad `-t`, the username and password prompts, the
//! USERNAME/PASSWORD exchange, and sending a SET or INSTCMD with optional
//! status tracking (`-w`) and its wait loop.

use std::io;
use std::time::{Duration, Instant};

use clap::ArgMatches;

use super::blocking::Client;
use super::getopt;
use super::prompt;
use super::tool::{eprint_line, Exit, Out, RunResult};
use crate::proto::net::Request;

/// The authentication and tracking options of upsrw and upscmd.
#[derive(clap::Args, Debug, Default)]
pub struct AuthArgs {
    /// Username for authentication (prompted for when missing).
    #[arg(short = 'u', value_name = "username", allow_hyphen_values = true)]
    pub username: Option<String>,
    /// Password for authentication (prompted for when missing).
    #[arg(short = 'p', value_name = "password", allow_hyphen_values = true)]
    pub password: Option<String>,
    /// Timeout in seconds for -w (default 10).
    #[arg(short = 't', value_name = "timeout", allow_hyphen_values = true)]
    pub timeout: Option<String>,
    /// Wait for the driver's result.
    #[arg(short = 'w')]
    pub wait: bool,
}

/// An option that ends the program before it connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Early {
    /// `-h`: print the usage text.
    Help,
    /// `-V`: print the version banner.
    Version,
}

/// NUT's getopt loop acts on options in command-line order, so the first
/// of `-h`, `-V` and an unparsable `-t` wins. `Err` is the bad `-t` exit.
pub fn early_option(m: &ArgMatches, auth: &AuthArgs) -> Result<Option<Early>, Exit> {
    let mut early: Vec<(usize, Option<Early>)> = Vec::new();
    for (id, what) in [("help", Early::Help), ("version", Early::Version)] {
        if m.get_flag(id) {
            if let Some(i) = m.index_of(id) {
                early.push((i, Some(what)));
            }
        }
    }
    if auth.timeout.as_deref().is_some_and(|t| parse_timeout(Some(t)).is_err()) {
        early.push((m.index_of("timeout").unwrap_or(usize::MAX), None));
    }
    early.sort_by_key(|(i, _)| *i);
    match early.first() {
        None => Ok(None),
        Some((_, Some(what))) => Ok(Some(*what)),
        Some((_, None)) => parse_timeout(auth.timeout.as_deref()).map(|_| None),
    }
}

/// The username (`-u` or the prompt) and password (`-p` or the prompt).
/// `fatal_on_eof` is upscmd's message when stdin ends at the username prompt.
pub fn credentials(out: &mut Out, auth: &AuthArgs, fatal_on_eof: Option<&str>) -> Result<(String, String), Exit> {
    let user = match &auth.username {
        Some(u) => u.clone(),
        None => ask_username(out, fatal_on_eof)?,
    };
    let pass = password_or_prompt(auth.password.as_deref())?;
    Ok((user, pass))
}

/// What is being sent, for libupsclient's error texts.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// upsrw's SET VAR.
    SetVariable,
    /// upscmd's INSTCMD.
    Command,
}

impl Action {
    fn tracking(self) -> &'static str {
        match self {
            Action::SetVariable => "set variable",
            Action::Command => "command",
        }
    }
    fn cant_send(self) -> &'static str {
        match self {
            Action::SetVariable => "Can't set variable",
            Action::Command => "Can't send instant command",
        }
    }
    fn failed(self) -> &'static str {
        match self {
            Action::SetVariable => "Set variable failed",
            Action::Command => "Instant command failed",
        }
    }
}

/// Sends `req` (after `TRACKING ON` when `wait`), checks for `OK`, then
/// reports the result: the reply line, or with `wait` the tracked outcome.
pub fn send_tracked(
    c: &mut Client,
    out: &mut Out,
    req: &Request,
    action: Action,
    wait: bool,
    timeout: u32,
) -> RunResult {
    let what = action.tracking();
    if wait {
        c.send(&Request::SetTracking { on: true })
            .map_err(|e| Exit::fail(format!("Can't enable {what} status tracking: {e}")))?;
        let l = c.read_line().map_err(|e| Exit::fail(format!("Enabling {what} status tracking failed: {e}")))?;
        if !l.starts_with("OK") {
            return Err(Exit::fail(format!("Enabling {what} status tracking failed. upsd answered: {l}")));
        }
    }
    c.send(req).map_err(|e| Exit::fail(format!("{}: {e}", action.cant_send())))?;
    let reply = c.read_line().map_err(|e| Exit::fail(format!("{}: {e}", action.failed())))?;
    if !reply.starts_with("OK") {
        return Err(Exit::fail(format!("Unexpected response from upsd: {reply}")));
    }
    out.flush();
    track(c, &reply, wait, timeout)
}

/// The default `-t` (seconds).
pub const DEFAULT_TRACKING_TIMEOUT: u32 = 10;

/// Waits for a tracked SET/INSTCMD like NUT's upsrw/upscmd: `GET
/// TRACKING` every second until not `PENDING`; prints the final line on
/// stderr.
pub fn track(c: &mut Client, reply: &str, enabled: bool, timeout: u32) -> RunResult {
    const UUID_LEN: usize = 36;
    let id = reply.strip_prefix("OK TRACKING ").filter(|id| id.len() == UUID_LEN);
    let Some(id) = id.filter(|_| enabled) else {
        eprint_line(reply);
        return Ok(());
    };
    let start = Instant::now();
    let req = Request::GetTracking { id: Some(id.to_string()) };
    loop {
        if start.elapsed().as_secs() >= u64::from(timeout) {
            return Err(Exit::fail("Can't receive status tracking information: timeout"));
        }
        c.send(&req).map_err(|e| Exit::fail(format!("Can't send status tracking request: {e}")))?;
        let line = c
            .read_line_timeout(Duration::from_secs(u64::from(timeout)))
            .map_err(|e| Exit::fail(format!("Can't receive status tracking information: {e}")))?;
        if !line.starts_with("PENDING") {
            eprint_line(&line);
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Prompts for the username like NUT (`Username (<login>): ` on stdout).
pub fn ask_username(out: &mut Out, fatal_on_eof: Option<&str>) -> Result<String, Exit> {
    let login = prompt::login_name();
    match &login {
        Some(n) => out.print(&format!("Username ({n}): ")),
        None => out.print("Username: "),
    }
    out.flush();
    let line = prompt::fgets(&mut io::stdin().lock());
    let line = match line {
        Some(l) => l,
        None => {
            if let Some(m) = fatal_on_eof {
                return Err(Exit::fail(m));
            }
            String::new()
        }
    };
    if line.len() > 1 {
        Ok(prompt::chop(line))
    } else {
        login.ok_or_else(|| Exit::fail("No username available - even tried getpwuid"))
    }
}

/// Parses `-t` like NUT (`str_to_uint`); `Err` is the fatal exit.
pub fn parse_timeout(t: Option<&str>) -> Result<u32, Exit> {
    match t {
        None => Ok(DEFAULT_TRACKING_TIMEOUT),
        Some(s) => getopt::str_to_uint(s).map_err(|why| {
            Exit::fail(format!("Could not convert the provided value for timeout ('-t' option) to unsigned int: {why}"))
        }),
    }
}

/// The `-p` password, or NUT's `Password: ` prompt (upsrw and upscmd).
pub fn password_or_prompt(given: Option<&str>) -> Result<String, Exit> {
    match given {
        Some(p) => Ok(p.to_string()),
        None => prompt::getpass("Password: ")
            .map_err(|e| Exit::fail(format!("getpass failed: {}", super::error::strerror(&e)))),
    }
}

/// USERNAME and PASSWORD, with libupsclient's error texts (upsrw and upscmd).
pub fn send_credentials(c: &mut Client, user: String, pass: String) -> RunResult {
    c.send(&Request::Username(user)).map_err(|e| Exit::fail(format!("Can't set username: {e}")))?;
    c.read_line().map_err(|e| Exit::fail(format!("Set username failed: {e}")))?;
    c.send(&Request::Password(pass)).map_err(|e| Exit::fail(format!("Can't set password: {e}")))?;
    c.read_line().map_err(|e| Exit::fail(format!("Set password failed: {e}")))?;
    Ok(())
}
