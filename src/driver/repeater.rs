//! dummy-ups' repeater mode: `port = ups@host[:port]` mirrors a UPS served
//! by another upsd, through the shared client library.
//!
//! Every poll lists the remote's variables (`driver.*` excepted, as NUT)
//! and commands; variables that disappear remotely are deleted here. After
//! each connect, and whenever the set of names changes, the writable
//! variables' types are copied too (RW, STRING:n, enums, ranges), so upsd
//! checks a SET the way the remote would.
//! `SET` and `INSTCMD` are forwarded (logged in with the section's
//! `username`/`password`), with tracking when the remote offers it, so the
//! result code is the remote driver's. A remote that is stale or whose
//! driver is not connected makes our data stale; a lost connection is a
//! lost device (reconnected with back-off by the core).
//!
//! Differences from NUT 2.8.0, whose repeater copied values only, gave them
//! dummy-ups' default flags (`RW STRING`), advertised `load.off` and
//! answered every SET/INSTCMD itself.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::client::blocking::Client;
use crate::client::{ClientError, Options, Target, TlsMode, TrackingResult};
use crate::driver::{Ctx, DeviceError};
use crate::model::VarFlags;
use crate::proto::driver::HandlerStatus;
use crate::proto::net::ErrorCode;

/// The remote end and its mirror state.
pub struct Repeater {
    target: Target,
    ups: String,
    user: Option<String>,
    pass: Option<String>,
    client: Option<Client>,
    need_meta: bool,
    mirrored: BTreeSet<String>,
    cmds: BTreeSet<String>,
}

fn lost(e: &ClientError) -> DeviceError {
    DeviceError::Lost(format!("remote upsd: {e}"))
}

fn status_of(code: ErrorCode) -> HandlerStatus {
    match code {
        ErrorCode::Readonly
        | ErrorCode::VarNotSupported
        | ErrorCode::CmdNotSupported
        | ErrorCode::InvalidValue
        | ErrorCode::TooLong
        | ErrorCode::InvalidArgument => HandlerStatus::Invalid,
        ErrorCode::AccessDenied
        | ErrorCode::UsernameRequired
        | ErrorCode::PasswordRequired
        | ErrorCode::DataStale
        | ErrorCode::DriverNotConnected
        | ErrorCode::SetFailed
        | ErrorCode::InstcmdFailed => HandlerStatus::Failed,
        _ => HandlerStatus::Unknown,
    }
}

impl Repeater {
    /// A repeater for `ups@host[:port]` (not connected yet).
    pub fn new(port: &str, user: Option<String>, pass: Option<String>) -> Result<Repeater, String> {
        let target = crate::client::split_name(Some(port))
            .map_err(|e| format!("Error: invalid UPS definition ({e}).\nRequired format: upsname[@hostname[:port]]"))?;
        let ups = target.ups.clone().unwrap_or_default();
        Ok(Repeater {
            target,
            ups,
            user,
            pass,
            client: None,
            need_meta: true,
            mirrored: BTreeSet::new(),
            cmds: BTreeSet::new(),
        })
    }

    /// Connects (STARTTLS tried, as NUT's repeater) and logs in when
    /// credentials are configured.
    pub fn connect(&mut self) -> Result<(), DeviceError> {
        self.client = None;
        let opts = Options { tls: TlsMode::Try, timeout: Duration::from_secs(5), ..Options::default() };
        let mut c = Client::connect(&self.target.host, self.target.port, opts).map_err(|e| lost(&e))?;
        if let (Some(u), Some(p)) = (&self.user, &self.pass) {
            c.authenticate(u, p).map_err(|e| DeviceError::Lost(format!("remote upsd refused the login: {e}")))?;
        }
        // tracked requests give the remote driver's own result code
        let _ = c.set_tracking(true);
        tracing::debug!("Connected to {}@{}:{}", self.ups, self.target.host, self.target.port);
        self.client = Some(c);
        self.need_meta = true;
        Ok(())
    }

    fn client(&mut self) -> Result<&mut Client, DeviceError> {
        if self.client.is_none() {
            self.connect()?;
        }
        Ok(self.client.as_mut().expect("connected"))
    }

    /// A failed call: a server error keeps the connection, anything else
    /// drops it.
    fn fail(&mut self, e: ClientError) -> DeviceError {
        if e.code().is_none() {
            self.client = None;
        }
        lost(&e)
    }

    /// Mirrors the remote's variables (and, after a connect, their types)
    /// and commands.
    pub fn refresh(&mut self, ctx: &Ctx) -> Result<(), DeviceError> {
        let ups = self.ups.clone();
        let vars = match self.client()?.list_var(&ups) {
            Ok(v) => v,
            Err(e) => return Err(self.fail(e)),
        };
        let cmds = match self.client()?.list_cmd(&ups) {
            Ok(c) => c,
            Err(e) => return Err(self.fail(e)),
        };
        let names: BTreeSet<String> =
            vars.iter().filter(|(n, _)| !n.starts_with("driver.")).map(|(n, _)| n.to_ascii_lowercase()).collect();
        // types are fetched after a connect and whenever the set of names
        // changes (upsd may still have had only `WAIT` when we connected)
        if names != self.mirrored {
            self.need_meta = true;
        }
        let mut meta = Vec::new();
        if self.need_meta {
            let rw = match self.client()?.list_rw(&ups) {
                Ok(v) => v,
                Err(e) => return Err(self.fail(e)),
            };
            for (name, _) in rw {
                let c = self.client()?;
                let t = match c.get_type(&ups, &name) {
                    Ok(t) => t,
                    Err(e) => return Err(self.fail(e)),
                };
                let enums = if t.has_enum { c.list_enum(&ups, &name).unwrap_or_default() } else { Vec::new() };
                let ranges = if t.has_range { c.list_range(&ups, &name).unwrap_or_default() } else { Vec::new() };
                meta.push((name, t, enums, ranges));
            }
        }
        let mut st = ctx.store();
        for (name, value) in &vars {
            if !name.starts_with("driver.") {
                st.set_info(name, value);
            }
        }
        for gone in self.mirrored.difference(&names) {
            st.del_info(gone);
        }
        self.mirrored = names;
        for (name, t, enums, ranges) in meta {
            let flags = VarFlags { rw: t.rw, string: t.string_len.is_some(), number: false };
            st.set_flags(&name, flags);
            if let Some(n) = t.string_len {
                st.set_aux(&name, n);
            }
            for e in enums {
                st.add_enum(&name, &e);
            }
            for r in ranges {
                st.add_range(&name, r.min, r.max);
            }
        }
        self.need_meta = false;
        let cmds: BTreeSet<String> = cmds.into_iter().collect();
        for c in cmds.difference(&self.cmds) {
            st.add_cmd(c);
        }
        for c in self.cmds.difference(&cmds) {
            st.del_cmd(c);
        }
        self.cmds = cmds;
        Ok(())
    }

    fn wait(&mut self, id: Option<String>) -> HandlerStatus {
        let Some(id) = id else { return HandlerStatus::Handled };
        let Ok(c) = self.client() else { return HandlerStatus::Failed };
        match c.wait_tracking(&id, Duration::from_secs(5), Duration::from_millis(50)) {
            Ok(TrackingResult::Success) => HandlerStatus::Handled,
            Ok(TrackingResult::Failed(e)) => status_of(e.code),
            Err(_) => HandlerStatus::Unknown,
        }
    }

    /// Forwards `SET`; on success the new value is fetched at once.
    pub fn set(&mut self, ctx: &Ctx, var: &str, value: &str) -> HandlerStatus {
        let ups = self.ups.clone();
        let r = match self.client() {
            Ok(c) => c.set_var(&ups, var, value),
            Err(_) => return HandlerStatus::Failed,
        };
        let st = match r {
            Ok(id) => self.wait(id),
            Err(e) => {
                let code = e.code();
                let _ = self.fail(e);
                return code.map_or(HandlerStatus::Failed, status_of);
            }
        };
        if st == HandlerStatus::Handled {
            if let Ok(v) = self.client().and_then(|c| c.get_var(&ups, var).map_err(|e| lost(&e))) {
                ctx.store().set_info(var, &v);
            }
        }
        st
    }

    /// Forwards `INSTCMD`.
    pub fn instcmd(&mut self, cmd: &str, param: Option<&str>) -> HandlerStatus {
        let ups = self.ups.clone();
        let r = match self.client() {
            Ok(c) => c.instcmd(&ups, cmd, param),
            Err(_) => return HandlerStatus::Failed,
        };
        match r {
            Ok(id) => self.wait(id),
            Err(e) => {
                let code = e.code();
                let _ = self.fail(e);
                code.map_or(HandlerStatus::Failed, status_of)
            }
        }
    }
}
