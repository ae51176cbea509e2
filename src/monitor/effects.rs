//! The real effects of the loop: notifications to the journal, to
//! terminals (`wall`) and to NOTIFYCMD; `STATUS=` lines; and the shutdown
//! request handed to the privileged side.
//!
//! Notifiers run in the background (NUT forks for the same reason: a slow
//! NOTIFYCMD must never delay a shutdown decision); each child is reaped
//! by a small task.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use super::engine::Effects;
use super::notify::{Notification, NotifyFlags};
use super::privileged::ShutdownRequest;

/// How NOTIFYCMD is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyCmd {
    /// One word: a shell command line, given the message as one more
    /// argument (NUT 2.8.0 ran `<cmd> "<message>"` through the shell).
    Shell(String),
    /// Several words: program and arguments, the message appended.
    Argv(Vec<String>),
}

impl NotifyCmd {
    /// From the NOTIFYCMD words.
    pub fn from_words(words: &[String]) -> Option<NotifyCmd> {
        match words {
            [] => None,
            [one] => Some(NotifyCmd::Shell(one.clone())),
            many => Some(NotifyCmd::Argv(many.to_vec())),
        }
    }

    fn command(&self, message: &str) -> tokio::process::Command {
        match self {
            NotifyCmd::Shell(line) => {
                let mut c = tokio::process::Command::new("/bin/sh");
                // The message is a positional parameter, never parsed by the shell.
                c.arg("-c").arg(format!("{line} \"$1\"")).arg("sh").arg(message);
                c
            }
            NotifyCmd::Argv(words) => {
                let mut c = tokio::process::Command::new(&words[0]);
                c.args(&words[1..]).arg(message);
                c
            }
        }
    }
}

/// Runs `cmd` in the background and reaps it.
fn spawn_reaped(mut cmd: tokio::process::Command, what: &'static str, stdin: Option<String>) {
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.kill_on_drop(false);
    match cmd.spawn() {
        Ok(mut child) => {
            let input = child.stdin.take();
            tokio::spawn(async move {
                if let (Some(mut w), Some(text)) = (input, stdin) {
                    let _ = w.write_all(text.as_bytes()).await;
                    let _ = w.write_all(b"\n").await;
                    drop(w);
                }
                match child.wait().await {
                    Ok(st) if !st.success() => tracing::debug!("{what} exited with {st}"),
                    Ok(_) => {}
                    Err(e) => tracing::error!("{what}: {e}"),
                }
            });
        }
        Err(e) => tracing::error!("Can't run {what}: {e}"),
    }
}

/// The effects of the real daemon.
pub struct RealEffects {
    /// NOTIFYCMD, if configured.
    pub notifycmd: Option<NotifyCmd>,
    /// Where shutdown requests go.
    pub shutdown: ShutdownRequest,
    /// Whether to send `STATUS=` (under systemd).
    pub sd_status: bool,
    last_status: String,
}

impl RealEffects {
    /// Effects with these settings.
    pub fn new(notifycmd: Option<NotifyCmd>, shutdown: ShutdownRequest) -> Self {
        RealEffects { notifycmd, shutdown, sd_status: crate::systemd::under_systemd(), last_status: String::new() }
    }
}

/// Sends `text` to every terminal with `wall`, in the background.
pub fn wall(text: &str) {
    let mut c = tokio::process::Command::new("wall");
    c.stdout(Stdio::null()).stderr(Stdio::null());
    spawn_reaped(c, "wall", Some(text.to_string()));
}

impl Effects for RealEffects {
    fn notify(&mut self, n: &Notification, message: &str, flags: NotifyFlags) {
        if flags.ignore {
            return;
        }
        let ups = n.ups.as_deref().unwrap_or("");
        if flags.syslog {
            tracing::info!(nut_ups = %ups, nut_event = %n.kind.as_str(), "{message}");
        } else {
            tracing::debug!(nut_ups = %ups, nut_event = %n.kind.as_str(), "notification (not logged): {message}");
        }
        if flags.wall {
            wall(message);
        }
        if flags.exec {
            if let Some(cmd) = &self.notifycmd {
                let mut c = cmd.command(message);
                c.env("UPSNAME", ups).env("NOTIFYTYPE", n.kind.as_str());
                spawn_reaped(c, "NOTIFYCMD", None);
            }
        }
    }

    fn status(&mut self, line: &str) {
        if self.sd_status && line != self.last_status {
            crate::systemd::status(line);
            self.last_status = line.to_string();
        }
    }

    async fn shutdown(&mut self) {
        self.shutdown.request().await;
    }

    fn can_shut_down(&mut self) -> bool {
        self.shutdown.parent_alive()
    }
}
