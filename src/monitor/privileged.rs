//! The privileged part of upsmon, kept as small as NUT's: it can only
//! shut the machine down.
//!
//! Started as root (and without `-p`), upsmon forks before anything else
//! runs: the parent keeps root and waits on a pipe for one byte; the child
//! drops to RUN_AS_USER and does all the monitoring. When the child decides
//! to shut down it writes the byte; the parent then creates POWERDOWNFLAG
//! and runs SHUTDOWNCMD through the shell — or, when SHUTDOWNCMD is unset,
//! asks logind to power off over D-Bus while holding a *delay* inhibitor
//! lock, so the OS waits (up to logind's InhibitDelayMaxSec) until the
//! child has logged out of every upsd and exited. If the child dies, the
//! parent exits too ("child exited").
//!
//! Also here: the POWERDOWNFLAG file (NUT's magic content, `upsmon -K`).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// NUT's required content of the POWERDOWNFLAG file.
pub const SDMAGIC: &str = "upsmon-shutdown-file";

/// What the POWERDOWNFLAG file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdFlag {
    /// No file (or no POWERDOWNFLAG configured).
    Absent,
    /// Present with upsmon's magic string.
    Set,
    /// Present with other content: not ours, never touched.
    Foreign,
}

/// Reads the flag file.
pub fn pdflag_status(path: Option<&Path>) -> PdFlag {
    let Some(path) = path else { return PdFlag::Absent };
    let mut buf = Vec::new();
    match File::open(path) {
        Err(_) => PdFlag::Absent,
        Ok(f) => {
            let _ = f.take(256).read_to_end(&mut buf);
            if buf.starts_with(SDMAGIC.as_bytes()) {
                PdFlag::Set
            } else {
                PdFlag::Foreign
            }
        }
    }
}

/// Creates the flag file (a primary or secondary about to shut down).
pub fn set_pdflag(path: Option<&Path>) {
    let Some(path) = path else {
        tracing::debug!("POWERDOWNFLAG not configured: no flag file");
        return;
    };
    let res = File::create(path).and_then(|mut f| {
        f.write_all(SDMAGIC.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = res {
        tracing::error!("Failed to create power down flag {}: {e}", path.display());
    }
}

/// Removes a flag left by a previous shutdown, only if it is ours.
/// Returns false when the file holds something else (NUT then disables
/// the flag).
pub fn clear_pdflag(path: Option<&Path>) -> bool {
    match pdflag_status(path) {
        PdFlag::Foreign => {
            tracing::error!(
                "POWERDOWNFLAG ({}) does not contain the upsmon magic string - disabling!",
                path.map(|p| p.display().to_string()).unwrap_or_default()
            );
            false
        }
        PdFlag::Set => {
            if let Some(p) = path {
                let _ = std::fs::remove_file(p);
            }
            true
        }
        PdFlag::Absent => true,
    }
}

/// `upsmon -K`: exit status 0 only when the flag is set and ours.
pub fn check_pdflag(path: Option<&Path>) -> i32 {
    match pdflag_status(path) {
        PdFlag::Set => {
            tracing::info!("Power down flag is set");
            0
        }
        PdFlag::Absent => {
            tracing::error!("Power down flag is not set");
            1
        }
        PdFlag::Foreign => {
            tracing::error!("POWERDOWNFLAG does not contain the upsmon magic string");
            1
        }
    }
}

/// The privileged step itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShutdownAction {
    /// POWERDOWNFLAG.
    pub powerdownflag: Option<PathBuf>,
    /// SHUTDOWNCMD (shell command line); `None` = logind.
    pub shutdowncmd: Option<String>,
}

impl ShutdownAction {
    /// Creates the flag and runs SHUTDOWNCMD (waiting for it, as
    /// `system()` does), or asks logind to power off. `wait_child` is the
    /// read end of the pipe from the unprivileged child, if any: with
    /// logind, the delay lock is held until it reaches end-of-file.
    pub fn run(&self, wait_child: Option<&mut File>) {
        set_pdflag(self.powerdownflag.as_deref());
        match &self.shutdowncmd {
            Some(cmd) => {
                tracing::info!("Calling shutdown command: {cmd}");
                match std::process::Command::new("/bin/sh").arg("-c").arg(cmd).status() {
                    Ok(st) if st.success() => {}
                    Ok(st) => tracing::error!("Unable to call shutdown command: {cmd} ({st})"),
                    Err(e) => tracing::error!("Unable to call shutdown command: {cmd}: {e}"),
                }
            }
            None => {
                if let Err(e) = logind_power_off(wait_child) {
                    tracing::error!("Unable to power off through logind: {e:#}");
                }
            }
        }
    }
}

#[zbus::proxy(
    interface = "org.freedesktop.login1.Manager",
    default_service = "org.freedesktop.login1",
    default_path = "/org/freedesktop/login1"
)]
trait LoginManager {
    /// `Inhibit(what, who, why, mode) → fd`.
    fn inhibit(&self, what: &str, who: &str, why: &str, mode: &str) -> zbus::Result<zbus::zvariant::OwnedFd>;
    /// `PowerOff(interactive)`.
    fn power_off(&self, interactive: bool) -> zbus::Result<()>;
}

/// PowerOff through logind, holding a delay lock until the child is done
/// (or 10 s passed).
fn logind_power_off(wait_child: Option<&mut File>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let lock: OwnedFd = rt.block_on(async {
        let conn = zbus::Connection::system().await?;
        let mgr = LoginManagerProxy::new(&conn).await?;
        let fd = mgr.inhibit("shutdown", "upsmon", "UPS power failure: upsmon's final steps", "delay").await?;
        tracing::info!("Asking logind to power off");
        mgr.power_off(false).await?;
        anyhow::Ok(OwnedFd::from(fd))
    })?;
    if let Some(pipe) = wait_child {
        // The child logs out of every upsd, then exits (closing the pipe).
        let (tx, rx) = std::sync::mpsc::channel();
        let mut p = pipe.try_clone()?;
        std::thread::spawn(move || {
            let mut b = [0u8; 16];
            while matches!(p.read(&mut b), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
        let _ = rx.recv_timeout(Duration::from_secs(10));
    }
    drop(lock);
    Ok(())
}

/// Where the unprivileged loop sends its shutdown request.
pub enum ShutdownRequest {
    /// Single process (`-p`, or not started as root): do it here.
    Direct(ShutdownAction),
    /// Write one byte to the privileged parent.
    Pipe(File),
}

impl ShutdownRequest {
    /// Whether the privileged parent still listens (always true without
    /// one): the pipe's write end reports an error once the reader is gone.
    pub fn parent_alive(&self) -> bool {
        use std::os::fd::AsRawFd;
        let ShutdownRequest::Pipe(f) = self else { return true };
        let mut pfd = libc::pollfd { fd: f.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
        // SAFETY: one valid pollfd for an open descriptor, zero timeout.
        let n = unsafe { libc::poll(&mut pfd, 1, 0) };
        !(n > 0 && pfd.revents & (libc::POLLERR | libc::POLLHUP) != 0)
    }

    /// Makes the request; returns once it has been handed over (pipe) or
    /// done (direct).
    pub async fn request(&mut self) {
        match self {
            ShutdownRequest::Direct(action) => {
                if !nix::unistd::geteuid().is_root() {
                    tracing::warn!("Not root, shutdown may fail");
                }
                let a = action.clone();
                let _ = tokio::task::spawn_blocking(move || a.run(None)).await;
            }
            ShutdownRequest::Pipe(f) => {
                if let Err(e) = f.write_all(&[1]) {
                    tracing::error!("Unable to call parent pipe for shutdown: {e}");
                }
            }
        }
    }
}

/// Which side of the split this process is.
pub enum Split {
    /// The unprivileged child, with the pipe to the parent.
    Child(File),
}

/// Forks into the privileged parent (which never returns from here: it
/// waits, maybe shuts down, and exits the process) and the child, which
/// drops to `user` and returns. Call it before any thread is started.
pub fn split(action: ShutdownAction, user: &nix::unistd::User) -> anyhow::Result<Split> {
    use nix::unistd::{fork, ForkResult};
    let (r, w) = nix::unistd::pipe()?;
    // SAFETY: called from main before the runtime or any other thread
    // exists, so the child is a faithful single-threaded copy.
    match unsafe { fork() }? {
        ForkResult::Parent { .. } => {
            drop(w);
            let mut r = File::from(r);
            let code = run_parent(&mut r, &action);
            std::process::exit(code);
        }
        ForkResult::Child => {
            drop(r);
            let w = File::from(w);
            set_cloexec(&w);
            drop_privileges(user)?;
            Ok(Split::Child(w))
        }
    }
}

fn set_cloexec(f: &File) {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    use std::os::fd::AsRawFd;
    let _ = fcntl(f.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
}

/// The parent's whole life: wait for the byte, act, exit.
fn run_parent(r: &mut File, action: &ShutdownAction) -> i32 {
    // Signals that the child handles must not kill the parent first.
    use nix::sys::signal::{signal, SigHandler, Signal};
    for s in [Signal::SIGHUP, Signal::SIGUSR1, Signal::SIGUSR2] {
        // SAFETY: SIG_IGN installs no handler code.
        unsafe {
            let _ = signal(s, SigHandler::SigIgn);
        }
    }
    let mut b = [0u8; 1];
    match r.read(&mut b) {
        Ok(1) if b[0] == 1 => {
            action.run(Some(r));
            0
        }
        Ok(1) => {
            tracing::error!("upsmon parent: got bogus pipe command {}", b[0]);
            1
        }
        Ok(_) => {
            tracing::error!("upsmon parent: exiting (child exited)");
            1
        }
        Err(e) => {
            tracing::error!("upsmon parent: read: {e}");
            1
        }
    }
}

/// Becomes `user` (groups, gid, uid), as NUT's `become_user`.
pub fn drop_privileges(user: &nix::unistd::User) -> anyhow::Result<()> {
    use nix::unistd::{initgroups, setgid, setuid};
    let name = std::ffi::CString::new(user.name.as_str())?;
    initgroups(&name, user.gid)?;
    setgid(user.gid)?;
    setuid(user.uid)?;
    Ok(())
}

/// Looks the RUN_AS_USER account up.
pub fn lookup_user(name: &str) -> anyhow::Result<nix::unistd::User> {
    nix::unistd::User::from_name(name)?.ok_or_else(|| anyhow::anyhow!("user {name} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_parent_is_noticed() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let req = ShutdownRequest::Pipe(File::from(w));
        assert!(req.parent_alive());
        drop(r);
        assert!(!req.parent_alive());
        assert!(ShutdownRequest::Direct(ShutdownAction { powerdownflag: None, shutdowncmd: None }).parent_alive());
    }

    #[test]
    fn flag_file_is_only_ours_to_remove() {
        let dir = std::env::temp_dir().join(format!("nut-pdflag-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("killpower");
        assert_eq!(pdflag_status(Some(&p)), PdFlag::Absent);
        assert_eq!(check_pdflag(Some(&p)), 1);
        set_pdflag(Some(&p));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), SDMAGIC);
        assert_eq!(check_pdflag(Some(&p)), 0);
        assert!(clear_pdflag(Some(&p)));
        assert!(!p.exists());
        std::fs::write(&p, "important").unwrap();
        assert!(!clear_pdflag(Some(&p)));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "important");
        assert_eq!(check_pdflag(Some(&p)), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
