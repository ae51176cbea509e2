//! Plumbing shared by the client programs: the fatal-error type that
//! becomes `message` on stderr plus an exit status (NUT's `fatalx`), a
//! buffered stdout, SIGPIPE like a C program, and connecting with NUT's
//! messages.

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use super::conn::{Options, TlsOutcome};
use super::{blocking, TlsMode};

/// A program's early end: the text NUT's `fatalx` would print on stderr
/// (may be empty for none) and the exit status.
#[derive(Debug)]
pub struct Exit {
    /// Lines for stderr, without the final LF.
    pub message: Option<String>,
    /// Exit status.
    pub status: u8,
}

impl Exit {
    /// `fatalx(EXIT_FAILURE, msg)`.
    pub fn fail(msg: impl Into<String>) -> Exit {
        Exit { message: Some(msg.into()), status: 1 }
    }

    /// A successful early exit, without message.
    pub fn ok() -> Exit {
        Exit { message: None, status: 0 }
    }

    /// `fatalx(EXIT_SUCCESS, msg)`.
    pub fn ok_with(msg: impl Into<String>) -> Exit {
        Exit { message: Some(msg.into()), status: 0 }
    }
}

/// What `run` functions return.
pub type RunResult = Result<(), Exit>;

/// Turns a run result into the process's exit, printing the message.
pub fn finish(r: RunResult) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(m) = e.message {
                let mut err = io::stderr().lock();
                let _ = writeln!(err, "{m}");
            }
            ExitCode::from(e.status)
        }
    }
}

/// Restores the default SIGPIPE action, so `upsc ups | head -1` ends
/// quietly like NUT's C programs instead of failing on a write error.
pub fn reset_sigpipe() {
    // SAFETY: setting a signal disposition to SIG_DFL has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The process arguments.
pub fn argv() -> Vec<OsString> {
    std::env::args_os().collect()
}

/// Standard output, buffered like C's stdio (flushed when dropped).
pub struct Out(io::BufWriter<io::Stdout>);

impl Default for Out {
    fn default() -> Self {
        Out(io::BufWriter::new(io::stdout()))
    }
}

impl Out {
    /// Writes text (errors, e.g. a closed pipe, are ignored as printf's are).
    pub fn print(&mut self, s: &str) {
        let _ = self.0.write_all(s.as_bytes());
    }

    /// Writes a line.
    pub fn line(&mut self, s: &str) {
        self.print(s);
        self.print("\n");
    }

    /// Flushes.
    pub fn flush(&mut self) {
        let _ = self.0.flush();
    }
}

/// Writes one line to stderr now (upslogx / fprintf(stderr)).
pub fn eprint_line(s: &str) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "{s}");
}

/// Connects like `upscli_connect`: on failure the `Error: …` exit; when
/// TLS came up without verification, libupsclient's two notices.
pub fn connect(host: &str, port: u16, tls: TlsMode) -> Result<blocking::Client, Exit> {
    let opts = Options { tls, ..Options::default() };
    match blocking::Client::connect(host, port, opts) {
        Ok(c) => {
            if let TlsOutcome::Established { verified } = c.tls() {
                eprint_line(&format!("Connected to NUT server {host} in SSL"));
                if !verified {
                    eprint_line("Certificate verification is disabled");
                }
            }
            Ok(c)
        }
        Err(super::ClientError::DuringStartTls(e)) => {
            eprint_line(&format!("Error while connecting to NUT server {host}, disconnect"));
            Err(Exit::fail(format!("Error: {e}")))
        }
        Err(e) => Err(Exit::fail(format!("Error: {e}"))),
    }
}
