//! dummy-ups: a simulated UPS played from a data file, or a repeater of a
//! UPS served by another upsd.
//!
//! Modes (`mode =`, else guessed from `port`, as NUT 2.8.0):
//! - `dummy-once` (default for `*.dev`): the file is played once to the
//!   end (pausing at TIMER lines); values set with `upsrw` stay;
//! - `dummy-loop` (default for `*.seq`; `dummy` for other names): the file
//!   is played again and again, one pass per poll, TIMER lines pausing;
//! - `repeater` (default when `port` holds `@`): `port = ups@host[:port]`,
//!   the remote UPS is mirrored through the client library, SET and
//!   INSTCMD forwarded ([`crate::driver::repeater`]).
//!
//! Unlike NUT, the data file is watched: a change (modification time,
//! size or inode) is noticed within 50 ms and the file is played again from
//! its start, in both dummy modes. A data file that disappears is a lost
//! device: the data turns stale until the file is back (NUT keeps serving
//! the old values as good). Relative paths are resolved against the
//! configuration directory.
//!
//! Writable variables: every variable accepts `SET` (an empty value deletes
//! it); variables dummy-ups knows get its flags and string lengths, others
//! become `RW STRING` of 32 characters, as in NUT. The one instant command,
//! `load.off`, answers "unknown" (code 1), as in NUT.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::driver::datafile::{self, Action, Player};
use crate::driver::repeater::Repeater;
use crate::driver::store::Store;
use crate::driver::{Ctx, DeviceError, Driver, VarDecl};
use crate::model::VarFlags;
use crate::proto::driver::HandlerStatus;

const RW: VarFlags = VarFlags { rw: true, string: false, number: false };
const RWS: VarFlags = VarFlags { rw: true, string: true, number: false };

/// The variables dummy-ups knows, with their flags and (for strings) their
/// maximum length; the first three are published before the file is read.
const KNOWN: &[(&str, VarFlags, i64)] = &[
    ("ups.mfr", RWS, 32),
    ("ups.model", RWS, 32),
    ("ups.status", RWS, 32),
    ("ups.serial", RWS, 32),
    ("ups.load", RW, 32),
    ("ups.alarm", RWS, 32),
    ("ups.time", RWS, 16),
    ("ups.date", RWS, 16),
    ("ups.mfr.date", RWS, 16),
    ("ups.firmware", RWS, 16),
    ("ups.firmware.aux", RWS, 16),
    ("ups.temperature", RW, 1),
    ("ups.id", RWS, 16),
    ("ups.delay.start", RW, 1),
    ("ups.delay.reboot", RW, 1),
    ("ups.delay.shutdown", RW, 1),
    ("ups.test.interval", RW, 1),
    ("ups.test.result", RWS, 16),
    ("input.voltage", RW, 1),
    ("input.voltage.maximum", RW, 1),
    ("input.voltage.minimum", RW, 1),
    ("input.voltage.nominal", RW, 1),
    ("input.transfer.reason", RWS, 1),
    ("input.transfer.low", RW, 1),
    ("input.transfer.high", RW, 1),
    ("input.sensitivity", RWS, 1),
    ("input.quality", RWS, 6),
    ("input.frequency", RW, 1),
    ("input.transfer.boost.low", RW, 1),
    ("input.transfer.boost.high", RW, 1),
    ("input.transfer.trim.low", RW, 1),
    ("input.transfer.trim.high", RW, 1),
    ("output.voltage", RW, 1),
    ("output.frequency", RW, 1),
    ("output.current", RW, 1),
    ("battery.charge", RW, 1),
    ("battery.charge.low", RW, 1),
    ("battery.voltage", RW, 1),
    ("battery.current", RW, 1),
    ("battery.runtime", RW, 1),
    ("battery.runtime.low", RW, 1),
    ("battery.charge.restart", RW, 1),
    ("battery.temperature", RW, 1),
    ("battery.voltage.nominal", RW, 1),
    ("ambient.temperature", RW, 1),
    ("ambient.temperature.alarm", RW, 1),
    ("ambient.temperature.high", RW, 1),
    ("ambient.temperature.low", RW, 1),
    ("ambient.humidity", RW, 1),
    ("ambient.humidity.alarm", RW, 1),
    ("ambient.humidity.high", RW, 1),
    ("ambient.humidity.low", RW, 1),
];

const INITIAL: &[(&str, &str)] = &[("ups.mfr", "Dummy Manufacturer"), ("ups.model", "Dummy UPS"), ("ups.status", "OL")];

/// How often the data file is checked for changes.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(50);

/// The running mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Play the file once.
    Once,
    /// Play the file again and again (`dummy-loop`, or `dummy` when
    /// `legacy` is true).
    Loop {
        /// Published as `dummy` rather than `dummy-loop`.
        legacy: bool,
    },
    /// Mirror `ups@host[:port]`.
    Repeater,
}

impl Mode {
    /// Chooses the mode from `mode =` and the port, as NUT 2.8.0.
    pub fn choose(mode: Option<&str>, port: &str) -> Result<Mode, String> {
        match mode {
            Some("repeater") => return Ok(Mode::Repeater),
            Some("dummy-loop") => return Ok(Mode::Loop { legacy: false }),
            Some("dummy-once") => return Ok(Mode::Once),
            Some("dummy") => return Ok(Mode::Loop { legacy: false }),
            Some(other) => return Err(format!("Unsupported mode was specified: {other}")),
            None => {}
        }
        Ok(if port.contains('@') {
            Mode::Repeater
        } else if port.ends_with(".seq") {
            Mode::Loop { legacy: false }
        } else if port.ends_with(".dev") {
            Mode::Once
        } else {
            Mode::Loop { legacy: true }
        })
    }

    /// The value of `driver.parameter.mode`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::Once => "dummy-once",
            Mode::Loop { legacy: false } => "dummy-loop",
            Mode::Loop { legacy: true } => "dummy",
            Mode::Repeater => "repeater",
        }
    }
}

/// A file's identity for change detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileSig {
    mtime: Option<std::time::SystemTime>,
    len: u64,
    ino: u64,
}

fn sig(path: &std::path::Path) -> Option<FileSig> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(FileSig { mtime: m.modified().ok(), len: m.len(), ino: m.ino() })
}

/// The dummy-ups driver.
#[derive(Default)]
pub struct DummyUps {
    mode: Option<Mode>,
    path: PathBuf,
    player: Option<Player>,
    sig: Option<FileSig>,
    repeater: Option<Repeater>,
}

/// dummy-ups' SET semantics, shared by data files and `SET`.
pub fn setvar(st: &mut Store, var: &str, value: &str) -> HandlerStatus {
    if var.starts_with("ups.status") {
        st.commit_status(&[value]);
        return HandlerStatus::Handled;
    }
    if value.is_empty() {
        st.del_info(var);
        return HandlerStatus::Handled;
    }
    st.set_info(var, value);
    match KNOWN.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(var)) {
        Some(&(_, flags, len)) => {
            st.set_flags(var, flags);
            if flags.string {
                st.set_aux(var, len);
            }
        }
        None => {
            st.set_flags(var, RWS);
            st.set_aux(var, 32);
        }
    }
    HandlerStatus::Handled
}

fn apply(st: &mut Store, a: Action<'_>) {
    match a {
        Action::Status(words) => st.commit_status(words),
        Action::Set(var, value) => {
            setvar(st, var, value);
        }
    }
}

impl DummyUps {
    fn read_file(&self) -> Result<Vec<datafile::Item>, std::io::Error> {
        std::fs::read(&self.path).map(|b| datafile::parse(&b))
    }

    fn play(&mut self, ctx: &Ctx, now: Instant) {
        let Some(p) = self.player.as_mut() else { return };
        let mut st = ctx.store();
        p.run(now, &mut |a| apply(&mut st, a));
    }

    /// The simulated device is there while its data file is: a file that
    /// vanishes is a lost device (data stale until it is back).
    fn present(&self) -> Result<(), DeviceError> {
        if self.mode == Some(Mode::Repeater) || self.path.exists() {
            Ok(())
        } else {
            Err(DeviceError::Lost(format!("data file {} is gone", self.path.display())))
        }
    }

    /// Re-reads the file if it changed; true if it did.
    fn check_file(&mut self, ctx: &Ctx) -> bool {
        let now_sig = sig(&self.path);
        if now_sig == self.sig || now_sig.is_none() {
            return false;
        }
        match self.read_file() {
            Ok(items) => {
                tracing::debug!("data file {} changed: re-reading", self.path.display());
                self.sig = now_sig;
                if let Some(p) = self.player.as_mut() {
                    p.replace(items);
                }
                self.play(ctx, Instant::now());
                true
            }
            Err(e) => {
                tracing::debug!("can't re-read {}: {e}", self.path.display());
                false
            }
        }
    }
}

impl Driver for DummyUps {
    fn name(&self) -> &'static str {
        "dummy-ups"
    }

    fn description(&self) -> &'static str {
        "Device simulation and repeater driver"
    }

    fn version(&self) -> &'static str {
        "0.15"
    }

    fn declare(&self) -> Vec<VarDecl> {
        vec![
            VarDecl::value(
                "mode",
                "Specify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater)",
            ),
            VarDecl {
                sensitive: true,
                ..VarDecl::value("username", "Repeater: user name for SET/INSTCMD on the remote")
            },
            VarDecl {
                sensitive: true,
                ..VarDecl::value("password", "Repeater: password for SET/INSTCMD on the remote")
            },
        ]
    }

    fn init_ups(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        let port = ctx.params.port.clone().unwrap_or_default();
        let mode = Mode::choose(ctx.params.get("mode"), &port).map_err(DeviceError::Fatal)?;
        ctx.set_info("driver.parameter.mode", mode.as_str());
        if mode == Mode::Repeater {
            self.mode = Some(mode);
            let user = ctx.params.get("username").map(str::to_string);
            let pass = ctx.params.get("password").map(str::to_string);
            let mut r = Repeater::new(&port, user, pass).map_err(DeviceError::Fatal)?;
            let res = r.connect();
            self.repeater = Some(r);
            return res;
        }
        let p = PathBuf::from(&port);
        self.path = if p.is_absolute() { p } else { ctx.confpath.join(p) };
        self.mode = Some(mode);
        Ok(())
    }

    fn init_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        if let Some(r) = self.repeater.as_mut() {
            return r.refresh(ctx);
        }
        {
            let mut st = ctx.store();
            for (var, val) in INITIAL {
                st.set_info(var, val);
                st.set_flags(var, RWS);
                st.set_aux(var, 32);
            }
        }
        self.sig = sig(&self.path);
        let items = self.read_file().map_err(|e| {
            DeviceError::Fatal(format!("Can't open dummy-ups definition file {}: {e}", self.path.display()))
        })?;
        self.player = Some(Player::new(items));
        self.play(ctx, Instant::now());
        ctx.store().add_cmd("load.off");
        Ok(())
    }

    fn update_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        if let Some(r) = self.repeater.as_mut() {
            return r.refresh(ctx);
        }
        self.present()?;
        if self.check_file(ctx) {
            return Ok(());
        }
        let now = Instant::now();
        if let (Some(Mode::Loop { .. }), Some(p)) = (&self.mode, self.player.as_mut()) {
            if p.state() == datafile::State::Done {
                p.rewind();
            }
        }
        self.play(ctx, now);
        Ok(())
    }

    fn tick_interval(&self) -> Option<Duration> {
        Some(WATCH_INTERVAL)
    }

    fn tick(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        if self.repeater.is_some() {
            return Ok(());
        }
        self.present()?;
        if self.check_file(ctx) {
            return Ok(());
        }
        let now = Instant::now();
        if self.player.as_ref().is_some_and(|p| p.resume_at().is_some_and(|t| now >= t)) {
            self.play(ctx, now);
        }
        Ok(())
    }

    fn reconnect(&mut self, _ctx: &mut Ctx) -> Result<(), DeviceError> {
        match self.repeater.as_mut() {
            Some(r) => r.connect(),
            None => self.present(),
        }
    }

    fn connect_timeout(&self) -> Duration {
        Duration::from_secs(10)
    }

    fn set_var(&mut self, ctx: &mut Ctx, var: &str, value: &str) -> HandlerStatus {
        if let Some(r) = self.repeater.as_mut() {
            return r.set(ctx, var, value);
        }
        setvar(&mut ctx.store(), var, value)
    }

    fn instcmd(&mut self, _ctx: &mut Ctx, cmd: &str, param: Option<&str>) -> HandlerStatus {
        if let Some(r) = self.repeater.as_mut() {
            return r.instcmd(cmd, param);
        }
        tracing::info!("instcmd: unknown command [{cmd}] [{}]", param.unwrap_or("(null)"));
        HandlerStatus::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(Mode::choose(None, "x.dev").unwrap(), Mode::Once);
        assert_eq!(Mode::choose(None, "x.seq").unwrap().as_str(), "dummy-loop");
        assert_eq!(Mode::choose(None, "x.txt").unwrap().as_str(), "dummy");
        assert_eq!(Mode::choose(None, "ups@localhost:3493").unwrap(), Mode::Repeater);
        assert_eq!(Mode::choose(Some("dummy-loop"), "x.dev").unwrap().as_str(), "dummy-loop");
        assert!(Mode::choose(Some("meta"), "x.dev").is_err());
    }

    #[test]
    fn setvar_like_nut() {
        let mut st = Store::new();
        setvar(&mut st, "ups.serial", "SN 0001");
        setvar(&mut st, "device.description", "x");
        setvar(&mut st, "battery.charge", "100");
        st.take_broadcasts();
        assert_eq!(st.var("ups.serial").unwrap().aux, 32);
        assert_eq!(st.var("device.description").unwrap().flags, RWS);
        assert_eq!(st.var("battery.charge").unwrap().flags, RW);
        assert_eq!(st.var("battery.charge").unwrap().aux, 0);
        setvar(&mut st, "ups.serial", "");
        setvar(&mut st, "ups.serial", "SN 0001");
        let b: Vec<String> = st.take_broadcasts().iter().map(|m| m.encode()).collect();
        assert_eq!(
            b,
            [
                "DELINFO ups.serial",
                r#"SETINFO ups.serial "SN 0001""#,
                "SETFLAGS ups.serial RW STRING",
                "SETAUX ups.serial 32"
            ]
        );
        setvar(&mut st, "ups.status", "OB LB");
        assert_eq!(st.get("ups.status"), Some("OB LB"));
    }
}
