//! upsd's command line, the same options as NUT 2.8.0's upsd.

use clap::{ArgAction, Parser, ValueEnum};

/// `-c <command>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Command {
    /// Reread the configuration files (SIGHUP).
    Reload,
    /// Stop the process and exit (SIGTERM).
    Stop,
}

/// Network UPS Tools upsd: serves the data of the UPS drivers to clients.
#[derive(Clone, Debug, Parser)]
#[command(name = "upsd", version, disable_help_flag = true, disable_version_flag = true)]
pub struct Args {
    /// Send <command> via signal to the running upsd (reload, stop).
    #[arg(short = 'c', value_name = "command")]
    pub command: Option<Command>,
    /// Send the signal of -c to this PID instead of the one in the PID file.
    #[arg(short = 'P', value_name = "pid")]
    pub pid: Option<i32>,
    /// Raise the debugging level (and stay in the foreground by default).
    #[arg(short = 'D', action = ArgAction::Count)]
    pub debug: u8,
    /// Stay in the foreground; -FF also writes the PID file.
    #[arg(short = 'F', action = ArgAction::Count)]
    pub foreground: u8,
    /// Go to the background even if debugging is raised.
    #[arg(short = 'B')]
    pub background: bool,
    /// Display this help.
    #[arg(short = 'h', action = ArgAction::Help)]
    pub help: Option<bool>,
    /// chroot to <dir>.
    #[arg(short = 'r', value_name = "dir")]
    pub chroot: Option<std::path::PathBuf>,
    /// Raise the log level threshold (fewer messages).
    #[arg(short = 'q', action = ArgAction::Count)]
    pub quiet: u8,
    /// Switch to <user> if started as root (default: nut).
    #[arg(short = 'u', value_name = "user")]
    pub user: Option<String>,
    /// Display the version of this software.
    #[arg(short = 'V', action = ArgAction::Version)]
    pub version: Option<bool>,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Obsolete: listening addresses are set with LISTEN in upsd.conf.
    #[arg(short = 'i', hide = true, value_name = "addr")]
    pub old_listen: Option<String>,
    /// Obsolete: the port is set with LISTEN in upsd.conf.
    #[arg(short = 'p', hide = true, value_name = "port")]
    pub old_port: Option<String>,
}

impl Args {
    /// The clap command (for man pages).
    pub fn command_def() -> clap::Command {
        <Args as clap::CommandFactory>::command().version(crate::VERSION)
    }

    /// Stay in the foreground: `-F`, or `-D` without `-B`.
    pub fn stays_foreground(&self) -> bool {
        self.foreground > 0 || (self.debug > 0 && !self.background)
    }

    /// Whether to write the PID file (background, or `-FF`).
    pub fn writes_pidfile(&self) -> bool {
        !self.stays_foreground() || self.foreground >= 2
    }
}
