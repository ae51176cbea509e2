//! The state upsd serves: per UPS the variable tree its driver sent, the
//! link to that driver, the FSD latch; plus the logged-in clients, the
//! tracking table and the current configuration.
//!
//! One [`State`] lives behind a `std::sync::Mutex` ([`Shared`]); nobody
//! holds the lock across an `.await` — client tasks lock it once per
//! request line, driver tasks once per batch of driver lines.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Notify};

use super::desc::Descriptions;
use crate::config::users::UsersConf;
use crate::model::{CmdName, Range, VarFlags, VarName, VarType};
use crate::proto::driver::{DriverMsg, ServerMsg};
use crate::proto::net::ErrorCode;

/// One variable as upsd stores it (the value unescaped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Var {
    /// The value.
    pub value: String,
    /// RW / STRING / NUMBER.
    pub flags: VarFlags,
    /// Maximum length of a STRING variable (0 = not set).
    pub aux: i64,
    /// Allowed values, in driver insertion order.
    pub enums: Vec<String>,
    /// Allowed ranges, in driver insertion order.
    pub ranges: Vec<Range>,
}

impl Var {
    /// The `TYPE` words for this variable.
    pub fn var_type(&self) -> VarType {
        VarType {
            rw: self.flags.rw,
            has_enum: !self.enums.is_empty(),
            has_range: !self.ranges.is_empty(),
            string_len: self.flags.string.then_some(self.aux),
        }
    }
}

/// NUT's `ST_MAX_VALUE_LEN`: upsd keeps a value in the escaped form it
/// sends (see [`crate::proto::words::escape`]) in a buffer of this size,
/// so clients see at most 255 escaped bytes.
pub const ST_MAX_VALUE_LEN: usize = 256;

/// The longest prefix of `value` whose escaped form fits NUT's value
/// buffer. NUT's encoder stops at the first character that no longer
/// fits, and never splits an escape pair (an escaped character needs two
/// bytes). Applied to values and enum values as they come from the driver.
pub fn cap_value(value: &str) -> &str {
    let room = ST_MAX_VALUE_LEN - 1;
    let mut used = 0;
    for (i, b) in value.bytes().enumerate() {
        let need = if matches!(b, b'"' | b'\\' | b'#') { 2 } else { 1 };
        if used + need > room {
            return &value[..i];
        }
        used += need;
    }
    value
}

/// A UPS's variables and instant commands, sorted case-insensitively.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// Variables by name.
    pub vars: BTreeMap<VarName, Var>,
    /// Instant commands.
    pub cmds: BTreeSet<CmdName>,
}

impl Tree {
    /// The tree right after (re)connecting: `ups.status` = `WAIT`.
    pub fn waiting() -> Tree {
        let mut t = Tree::default();
        if let Ok(n) = VarName::new("ups.status") {
            t.vars.insert(n, Var { value: "WAIT".into(), ..Var::default() });
        }
        t
    }

    /// Looks a variable up by a raw (client-spelled) name.
    pub fn var(&self, name: &str) -> Option<&Var> {
        // Look up by VarName: its Ord is case-insensitive (str's is not).
        VarName::new(name).ok().and_then(|n| self.vars.get(&n))
    }

    /// Whether the UPS has this instant command (case-insensitive).
    pub fn has_cmd(&self, name: &str) -> bool {
        CmdName::new(name).is_ok_and(|n| self.cmds.contains(&n))
    }

    /// Applies a variable/command message with NUT's store semantics
    /// (driver-protocol.md §3, §7). Returns false for messages that are
    /// not about the tree.
    pub fn apply(&mut self, msg: &DriverMsg) -> bool {
        match msg {
            DriverMsg::SetInfo { var, value } => {
                let value = cap_value(value);
                match self.vars.get_mut(var) {
                    Some(v) => {
                        if !v.value.eq_ignore_ascii_case(value) {
                            v.value = value.to_string();
                        }
                    }
                    None => {
                        self.vars.insert(var.clone(), Var { value: value.to_string(), ..Var::default() });
                    }
                }
            }
            DriverMsg::DelInfo { var } => {
                self.vars.remove(var);
            }
            DriverMsg::AddEnum { var, value } => match self.vars.get_mut(var) {
                Some(v) if !v.enums.iter().any(|e| e == cap_value(value)) => v.enums.push(cap_value(value).to_string()),
                Some(_) => {}
                None => tracing::debug!("ADDENUM: base variable ({var}) does not exist"),
            },
            DriverMsg::DelEnum { var, value } => {
                if let Some(v) = self.vars.get_mut(var) {
                    if let Some(i) = v.enums.iter().position(|e| e.eq_ignore_ascii_case(value)) {
                        v.enums.remove(i);
                    }
                }
            }
            DriverMsg::AddRange { var, min, max } => {
                if let Some(v) = self.vars.get_mut(var) {
                    let clash = v.ranges.iter().any(|r| r.min == *min || r.max == *max);
                    if min <= max && !clash {
                        v.ranges.push(Range { min: *min, max: *max });
                    }
                }
            }
            DriverMsg::DelRange { var, min, max } => {
                if let Some(v) = self.vars.get_mut(var) {
                    if let Some(i) = v.ranges.iter().position(|r| r.min == *min || r.max == *max) {
                        v.ranges.remove(i);
                    }
                }
            }
            DriverMsg::SetAux { var, aux } => {
                if let Some(v) = self.vars.get_mut(var) {
                    v.aux = *aux;
                }
            }
            DriverMsg::SetFlags { var, flags } => {
                if let Some(v) = self.vars.get_mut(var) {
                    v.flags = *flags;
                }
            }
            DriverMsg::AddCmd { cmd } => {
                self.cmds.insert(cmd.clone());
            }
            DriverMsg::DelCmd { cmd } => {
                self.cmds.remove(cmd);
            }
            _ => return false,
        }
        true
    }
}

/// The live connection to a UPS's driver.
#[derive(Debug)]
pub struct Link {
    /// Lines for the driver (SET, INSTCMD); written by the driver task.
    pub tx: mpsc::Sender<ServerMsg>,
    /// What the driver told us.
    pub tree: Tree,
    /// A `DUMPDONE` arrived on this connection.
    pub dumpdone: bool,
    /// Last time a recognised driver line arrived.
    pub last_heard: Instant,
    /// The driver task that owns this link.
    pub owner: u64,
}

/// One UPS of ups.conf.
#[derive(Debug)]
pub struct Ups {
    /// The section name (canonical spelling).
    pub name: String,
    /// `desc =`.
    pub desc: Option<String>,
    /// The socket name `<driver>-<ups>`.
    pub socket: String,
    /// The FSD latch.
    pub fsd: bool,
    /// The last data-state message was `DATAOK` (kept across reconnects, as NUT does).
    pub data_ok: bool,
    /// Whether the stale condition was logged (to log transitions once).
    pub stale_logged: bool,
    /// The driver connection, when there is one.
    pub link: Option<Link>,
}

impl Ups {
    /// A UPS without a driver connection.
    pub fn new(name: String, desc: Option<String>, socket: String) -> Ups {
        Ups { name, desc, socket, fsd: false, data_ok: false, stale_logged: false, link: None }
    }

    /// Whether the data is stale at `now` (newest NUT: silence longer than
    /// MAXAGE+1 s, or a completed dump whose data state is not OK).
    pub fn is_stale(&self, now: Instant, maxage: u64) -> bool {
        match &self.link {
            None => false,
            Some(l) => {
                now.saturating_duration_since(l.last_heard) > Duration::from_secs(maxage + 1)
                    || (l.dumpdone && !self.data_ok)
            }
        }
    }

    /// NUT's availability check: the driver tree, or
    /// `DRIVER-NOT-CONNECTED` / `DATA-STALE`.
    pub fn avail(&self, now: Instant, maxage: u64) -> Result<&Link, ErrorCode> {
        match &self.link {
            None => Err(ErrorCode::DriverNotConnected),
            Some(_) if self.is_stale(now, maxage) => Err(ErrorCode::DataStale),
            Some(l) => Ok(l),
        }
    }

    /// The value clients see for a variable: `ups.status` gets the FSD
    /// prefix while the latch is set.
    pub fn shown_value<'a>(&self, name: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
        if self.fsd && name.eq_ignore_ascii_case("ups.status") {
            std::borrow::Cow::Owned(format!("FSD {value}"))
        } else {
            std::borrow::Cow::Borrowed(value)
        }
    }
}

/// What the server keeps about every client connection: when its last
/// complete line arrived (for the idle sweep) and how to kick it.
#[derive(Debug)]
pub struct ConnMeta {
    /// Milliseconds since [`ConnMeta::epoch`] of the last complete line.
    last: std::sync::atomic::AtomicU64,
    /// Wakes the connection's task to close it.
    pub kick: Notify,
}

impl ConnMeta {
    fn epoch() -> Instant {
        static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *EPOCH.get_or_init(Instant::now)
    }

    /// A connection that just arrived.
    pub fn new() -> ConnMeta {
        let m = ConnMeta { last: Default::default(), kick: Notify::new() };
        m.touch(Instant::now());
        m
    }

    /// A complete line arrived at `now`.
    pub fn touch(&self, now: Instant) {
        let ms = now.saturating_duration_since(Self::epoch()).as_millis() as u64;
        self.last.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Time since the last complete line.
    pub fn idle(&self) -> Duration {
        let now = Self::epoch().elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last.load(std::sync::atomic::Ordering::Relaxed)))
    }
}

impl Default for ConnMeta {
    fn default() -> Self {
        ConnMeta::new()
    }
}

/// A connection that did `LOGIN`.
#[derive(Debug)]
pub struct Login {
    /// Canonical UPS name.
    pub ups: String,
    /// The client's address.
    pub addr: IpAddr,
    /// The connection (to kick it when its UPS is removed).
    pub conn: Arc<ConnMeta>,
}

/// A tracked SET/INSTCMD.
#[derive(Clone, Copy, Debug)]
pub struct Tracked {
    /// When the request was forwarded.
    pub at: Instant,
    /// The driver's result code, once it answered.
    pub result: Option<i64>,
}

/// Everything a request may look at.
pub struct State {
    /// UPSes in `LIST UPS` order.
    pub upses: Vec<Ups>,
    /// upsd.users.
    pub users: Arc<UsersConf>,
    /// cmdvartab.
    pub descs: Arc<Descriptions>,
    /// `MAXAGE`.
    pub maxage: u64,
    /// `TRACKINGDELAY`.
    pub trackingdelay: u64,
    /// STARTTLS configuration (`None`: no certificate configured).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Tracking ids (upper case) → result.
    pub tracking: HashMap<String, Tracked>,
    /// Logged-in connections by connection id (ids grow, so the last is
    /// the most recent).
    pub logins: BTreeMap<u64, Login>,
    /// Connected clients (for STATUS= and MAXCONN).
    pub clients: usize,
    /// Every client connection by id (idle sweep, kicks).
    pub conns: HashMap<u64, Arc<ConnMeta>>,
}

impl State {
    /// The UPS whose name matches case-insensitively.
    pub fn ups(&self, name: &str) -> Option<&Ups> {
        self.upses.iter().find(|u| u.name.eq_ignore_ascii_case(name))
    }

    /// The same, mutable.
    pub fn ups_mut(&mut self, name: &str) -> Option<&mut Ups> {
        self.upses.iter_mut().find(|u| u.name.eq_ignore_ascii_case(name))
    }

    /// How many connections are logged into `ups` (canonical name).
    pub fn numlogins(&self, ups: &str) -> u64 {
        self.logins.values().filter(|l| l.ups == ups).count() as u64
    }

    /// Drops tracking entries older than `TRACKINGDELAY`.
    pub fn expire_tracking(&mut self, now: Instant) {
        let keep = Duration::from_secs(self.trackingdelay);
        self.tracking.retain(|_, t| now.saturating_duration_since(t.at) <= keep);
    }

    /// Kicks every connection without a complete line for `idle`.
    pub fn sweep_idle(&self, idle: Duration) {
        for c in self.conns.values() {
            if c.idle() > idle {
                c.kick.notify_one();
            }
        }
    }

    /// One line for systemd's STATUS=.
    pub fn status_line(&self) -> String {
        let connected = self.upses.iter().filter(|u| u.link.is_some()).count();
        format!(
            "{} UPS, {} driver{} connected, {} client{}",
            self.upses.len(),
            connected,
            if connected == 1 { "" } else { "s" },
            self.clients,
            if self.clients == 1 { "" } else { "s" }
        )
    }
}

/// The state, shared by all tasks.
pub struct Shared {
    inner: Mutex<State>,
}

impl Shared {
    /// Wraps a state.
    pub fn new(state: State) -> Arc<Shared> {
        Arc::new(Shared { inner: Mutex::new(state) })
    }

    /// Locks the state (never hold the guard across an `.await`).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
