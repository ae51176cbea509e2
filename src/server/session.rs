//! One client's protocol state and the dispatch of its requests, in NUT's
//! order of checks (network-protocol.md §5–§10). No I/O here: a request
//! line goes in, reply bytes are appended to an output buffer, and the
//! caller learns whether to close the connection or start TLS.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Notify;

use super::state::{Login, Shared, State, Tracked};
use crate::model::{atoi, CmdName, VarName};
use crate::proto::driver::ServerMsg;
use crate::proto::net::reply::version_line;
use crate::proto::net::{ErrorCode, ListItem, ListQuery, Reply, Request, TrackingStatus, PROTOCOL_VERSION};
use crate::proto::words::Line;

/// The URL in `VER` and `server.info`.
pub const URL: &str = "https://www.networkupstools.org/";

/// What the connection must do after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Keep reading.
    Continue,
    /// Flush the output, then close (LOGOUT).
    Close,
    /// Flush the output (`OK STARTTLS`), then run a TLS server handshake.
    StartTls,
}

/// Per-connection state (network-protocol.md §4).
#[derive(Debug)]
pub struct Session {
    /// Connection id (unique, growing).
    pub id: u64,
    /// Peer address.
    pub addr: IpAddr,
    /// `USERNAME`, once set.
    pub username: Option<String>,
    /// `PASSWORD`, once set.
    pub password: Option<String>,
    /// Canonical name of the UPS this connection did `LOGIN` to.
    pub login: Option<String>,
    /// `SET TRACKING ON`.
    pub tracking: bool,
    /// Inside TLS.
    pub tls: bool,
    /// Notified when the server wants this connection gone.
    pub kick: Arc<Notify>,
}

fn push(out: &mut Vec<u8>, r: Reply) {
    out.extend_from_slice(r.encode().as_bytes());
}

fn err(out: &mut Vec<u8>, c: ErrorCode) {
    push(out, Reply::err(c));
}

impl Session {
    /// A fresh session.
    pub fn new(id: u64, addr: IpAddr) -> Session {
        Session {
            id,
            addr,
            username: None,
            password: None,
            login: None,
            tracking: false,
            tls: false,
            kick: Arc::new(Notify::new()),
        }
    }

    /// Handles one tokenized request line, appending its reply to `out`.
    /// A line the tokenizer rejected (unescaped `#` in quotes) gets no
    /// reply at all, as with NUT.
    pub fn handle_line(&mut self, shared: &Shared, line: &Line, out: &mut Vec<u8>) -> Next {
        if line.error.is_some() {
            return Next::Continue;
        }
        let words = line.texts();
        match Request::decode(&words) {
            Ok(req) => {
                if req.needs_credentials() {
                    if let Some(c) = self.credentials_missing() {
                        err(out, c);
                        return Next::Continue;
                    }
                }
                self.handle(shared, req, out)
            }
            Err(e) => {
                if let Some(c) = e.command.filter(|c| c.needs_credentials()).and_then(|_| self.credentials_missing()) {
                    err(out, c);
                } else {
                    err(out, e.code);
                }
                Next::Continue
            }
        }
    }

    fn credentials_missing(&self) -> Option<ErrorCode> {
        if self.username.is_none() {
            Some(ErrorCode::UsernameRequired)
        } else if self.password.is_none() {
            Some(ErrorCode::PasswordRequired)
        } else {
            None
        }
    }

    fn user(&self) -> (&str, &str) {
        (self.username.as_deref().unwrap_or(""), self.password.as_deref().unwrap_or(""))
    }

    /// Handles a decoded request (credentials already checked).
    pub fn handle(&mut self, shared: &Shared, req: Request, out: &mut Vec<u8>) -> Next {
        let now = Instant::now();
        match req {
            Request::Ver => push(out, Reply::Version(version_line(crate::VERSION, URL))),
            Request::Netver | Request::Protver => push(out, Reply::ProtocolVersion(PROTOCOL_VERSION.into())),
            Request::Help => push(out, Reply::help()),
            Request::StartTls => {
                if self.tls {
                    err(out, ErrorCode::AlreadySslMode);
                } else if shared.lock().tls.is_none() {
                    err(out, ErrorCode::FeatureNotConfigured);
                } else {
                    push(out, Reply::OkStartTls);
                    return Next::StartTls;
                }
            }
            Request::Username(u) => {
                if self.username.is_some() {
                    err(out, ErrorCode::AlreadySetUsername);
                } else {
                    self.username = Some(u);
                    push(out, Reply::Ok);
                }
            }
            Request::Password(p) => {
                if self.password.is_some() {
                    err(out, ErrorCode::AlreadySetPassword);
                } else {
                    self.password = Some(p);
                    push(out, Reply::Ok);
                }
            }
            Request::Logout => {
                push(out, Reply::OkGoodbye);
                return Next::Close;
            }
            Request::GetTracking { id } => {
                let st = shared.lock();
                match id {
                    None => push(out, Reply::TrackingEnabled(self.tracking)),
                    Some(_) if !self.tracking => err(out, ErrorCode::FeatureNotConfigured),
                    Some(id) => match st.tracking.get(&id.to_ascii_uppercase()).map(|t| t.result) {
                        Some(None) => push(out, Reply::Tracking(TrackingStatus::Pending)),
                        Some(Some(0)) => push(out, Reply::Tracking(TrackingStatus::Success)),
                        Some(Some(2 | 4)) => err(out, ErrorCode::InvalidArgument),
                        Some(Some(3)) => err(out, ErrorCode::Failed),
                        _ => err(out, ErrorCode::Unknown),
                    },
                }
            }
            Request::SetTracking { on } => {
                self.tracking = on;
                push(out, Reply::Ok);
            }
            other => {
                let mut st = shared.lock();
                self.handle_ups(&mut st, other, now, out);
            }
        }
        Next::Continue
    }

    fn handle_ups(&mut self, st: &mut State, req: Request, now: Instant, out: &mut Vec<u8>) {
        let maxage = st.maxage;
        macro_rules! ups {
            ($name:expr) => {
                match st.ups($name) {
                    Some(u) => u,
                    None => return err(out, ErrorCode::UnknownUps),
                }
            };
        }
        macro_rules! avail {
            ($u:expr) => {
                match $u.avail(now, maxage) {
                    Ok(l) => l,
                    Err(c) => return err(out, c),
                }
            };
        }
        match req {
            Request::GetNumLogins { ups } => {
                let u = ups!(&ups);
                avail!(u);
                let count = st.numlogins(&u.name);
                push(out, Reply::NumLogins { ups, count });
            }
            Request::GetUpsDesc { ups } => {
                let u = ups!(&ups);
                let desc = u.desc.clone().unwrap_or_else(|| "Unavailable".into());
                push(out, Reply::UpsDesc { ups, desc });
            }
            Request::GetVar { ups, var } => {
                if var.len() >= 7 && var[..7].eq_ignore_ascii_case("server.") {
                    let value = if var.eq_ignore_ascii_case("server.info") {
                        version_line(crate::VERSION, URL)
                    } else if var.eq_ignore_ascii_case("server.version") {
                        crate::VERSION.to_string()
                    } else {
                        return err(out, ErrorCode::VarNotSupported);
                    };
                    return push(out, Reply::Var { ups, var, value });
                }
                let u = ups!(&ups);
                let l = avail!(u);
                match l.tree.var(&var) {
                    None => err(out, ErrorCode::VarNotSupported),
                    Some(v) => {
                        let value = u.shown_value(&var, &v.value).into_owned();
                        push(out, Reply::Var { ups, var, value })
                    }
                }
            }
            Request::GetType { ups, var } => {
                let u = ups!(&ups);
                let l = avail!(u);
                match l.tree.var(&var) {
                    None => err(out, ErrorCode::VarNotSupported),
                    Some(v) => {
                        let ty = v.var_type();
                        push(out, Reply::Type { ups, var, ty })
                    }
                }
            }
            Request::GetDesc { ups, var } => {
                let u = ups!(&ups);
                avail!(u);
                let desc = st.descs.var(&var).to_string();
                push(out, Reply::Desc { ups, var, desc });
            }
            Request::GetCmdDesc { ups, cmd } => {
                let u = ups!(&ups);
                avail!(u);
                let desc = st.descs.cmd(&cmd).to_string();
                push(out, Reply::CmdDesc { ups, cmd, desc });
            }
            Request::List(q) => self.list(st, q, now, out),
            Request::SetVar { ups, var, value } => {
                let (user, pw) = self.user();
                let can_set = st.users.can_set(user, pw);
                let u = ups!(&ups);
                let l = avail!(u);
                if !can_set {
                    return err(out, ErrorCode::AccessDenied);
                }
                let Some(v) = l.tree.var(&var) else {
                    return err(out, ErrorCode::VarNotSupported);
                };
                if !v.flags.rw {
                    return err(out, ErrorCode::Readonly);
                }
                if v.flags.string {
                    if v.aux < 1 {
                        return err(out, ErrorCode::SetFailed);
                    }
                    if value.len() as i64 > v.aux {
                        return err(out, ErrorCode::TooLong);
                    }
                }
                if !v.enums.is_empty() && !v.enums.contains(&value) {
                    return err(out, ErrorCode::InvalidValue);
                }
                if !v.ranges.is_empty() {
                    let n = atoi(&value);
                    if !v.ranges.iter().any(|r| r.contains(n)) {
                        return err(out, ErrorCode::InvalidValue);
                    }
                }
                let Ok(name) = VarName::new(var) else {
                    return err(out, ErrorCode::VarNotSupported);
                };
                let tracking = self.tracking.then(new_tracking_id);
                let msg = ServerMsg::Set { var: name, value, tracking: tracking.clone() };
                if l.tx.try_send(msg).is_err() {
                    return err(out, ErrorCode::SetFailed);
                }
                tracing::info!("Set variable on UPS [{}] by {}@{}", u.name, user, self.addr);
                self.forwarded(st, tracking, now, out);
            }
            Request::Instcmd { ups, cmd, param } => {
                let u = ups!(&ups);
                let l = avail!(u);
                if !l.tree.has_cmd(&cmd) {
                    return err(out, ErrorCode::CmdNotSupported);
                }
                let (user, pw) = self.user();
                if !st.users.can_instcmd(user, pw, &cmd) {
                    return err(out, ErrorCode::AccessDenied);
                }
                let Ok(name) = CmdName::new(cmd) else {
                    return err(out, ErrorCode::CmdNotSupported);
                };
                let tracking = self.tracking.then(new_tracking_id);
                let msg = ServerMsg::InstCmd { cmd: name.clone(), param, tracking: tracking.clone() };
                if l.tx.try_send(msg).is_err() {
                    return err(out, ErrorCode::InstcmdFailed);
                }
                tracing::info!("Instant command: {}@{} did {} on {}", user, self.addr, name, u.name);
                self.forwarded(st, tracking, now, out);
            }
            Request::Login { ups } => {
                if self.login.is_some() {
                    return err(out, ErrorCode::AlreadyLoggedIn);
                }
                let u = ups!(&ups);
                let (user, pw) = self.user();
                if !st.users.can_login(user, pw) {
                    return err(out, ErrorCode::AccessDenied);
                }
                let name = u.name.clone();
                tracing::info!(
                    "User {}@{} logged into UPS [{}]{}",
                    user,
                    self.addr,
                    name,
                    if self.tls { " (SSL)" } else { "" }
                );
                st.logins.insert(self.id, Login { ups: name.clone(), addr: self.addr, kick: self.kick.clone() });
                self.login = Some(name);
                push(out, Reply::Ok);
            }
            Request::Primary { ups } => {
                ups!(&ups);
                let (user, pw) = self.user();
                if !st.users.can_primary(user, pw) {
                    return err(out, ErrorCode::AccessDenied);
                }
                push(out, Reply::OkPrimaryGranted);
            }
            Request::Master { ups } => {
                ups!(&ups);
                let (user, pw) = self.user();
                if !st.users.can_primary(user, pw) {
                    return err(out, ErrorCode::AccessDenied);
                }
                push(out, Reply::OkMasterGranted);
            }
            Request::Fsd { ups } => {
                ups!(&ups);
                let (user, pw) = self.user();
                if !st.users.can_fsd(user, pw) {
                    return err(out, ErrorCode::AccessDenied);
                }
                let user = user.to_string();
                if let Some(u) = st.ups_mut(&ups) {
                    tracing::warn!("Client {}@{} set FSD on UPS [{}]", user, self.addr, u.name);
                    u.fsd = true;
                }
                push(out, Reply::OkFsdSet);
            }
            // Handled in `handle` without the UPS table.
            Request::Ver
            | Request::Netver
            | Request::Protver
            | Request::Help
            | Request::StartTls
            | Request::Username(_)
            | Request::Password(_)
            | Request::Logout
            | Request::GetTracking { .. }
            | Request::SetTracking { .. } => {}
        }
    }

    fn forwarded(&self, st: &mut State, tracking: Option<String>, now: Instant, out: &mut Vec<u8>) {
        match tracking {
            None => push(out, Reply::Ok),
            Some(id) => {
                st.tracking.insert(id.clone(), Tracked { at: now, result: None });
                push(out, Reply::OkTracking { id });
            }
        }
    }

    fn list(&self, st: &State, q: ListQuery, now: Instant, out: &mut Vec<u8>) {
        let maxage = st.maxage;
        if let ListQuery::Ups = q {
            push(out, Reply::BeginList(q.clone()));
            for u in &st.upses {
                let desc = u.desc.clone().unwrap_or_else(|| "Description unavailable".into());
                push(out, Reply::Item(ListItem::Ups { ups: u.name.clone(), desc }));
            }
            push(out, Reply::EndList(q));
            return;
        }
        let name = q.ups().unwrap_or_default();
        let Some(u) = st.ups(name) else {
            return err(out, ErrorCode::UnknownUps);
        };
        if let ListQuery::Client { .. } = &q {
            push(out, Reply::BeginList(q.clone()));
            for l in st.logins.values().rev().filter(|l| l.ups == u.name) {
                push(out, Reply::Item(ListItem::Client { ups: u.name.clone(), addr: l.addr.to_string() }));
            }
            push(out, Reply::EndList(q));
            return;
        }
        let l = match u.avail(now, maxage) {
            Ok(l) => l,
            Err(c) => return err(out, c),
        };
        let ups = name.to_string();
        let items: Vec<ListItem> = match &q {
            ListQuery::Var { .. } => l
                .tree
                .vars
                .iter()
                .map(|(k, v)| ListItem::Var {
                    ups: ups.clone(),
                    var: k.to_string(),
                    value: u.shown_value(k.as_str(), &v.value).into_owned(),
                })
                .collect(),
            ListQuery::Rw { .. } => l
                .tree
                .vars
                .iter()
                .filter(|(_, v)| v.flags.rw)
                .map(|(k, v)| ListItem::Rw { ups: ups.clone(), var: k.to_string(), value: v.value.clone() })
                .collect(),
            ListQuery::Cmd { .. } => {
                l.tree.cmds.iter().map(|c| ListItem::Cmd { ups: ups.clone(), cmd: c.to_string() }).collect()
            }
            ListQuery::Enum { var, .. } | ListQuery::Range { var, .. } => {
                let Some(v) = l.tree.var(var) else {
                    return err(out, ErrorCode::VarNotSupported);
                };
                if let ListQuery::Enum { .. } = &q {
                    v.enums
                        .iter()
                        .map(|e| ListItem::Enum { ups: ups.clone(), var: var.clone(), value: e.clone() })
                        .collect()
                } else {
                    v.ranges.iter().map(|r| ListItem::Range { ups: ups.clone(), var: var.clone(), range: *r }).collect()
                }
            }
            ListQuery::Ups | ListQuery::Client { .. } => Vec::new(),
        };
        push(out, Reply::BeginList(q.clone()));
        for i in items {
            push(out, Reply::Item(i));
        }
        push(out, Reply::EndList(q));
    }

    /// Forgets this connection's LOGIN (on disconnect).
    pub fn release(&mut self, shared: &Shared) {
        let mut st = shared.lock();
        st.logins.remove(&self.id);
        self.login = None;
    }
}

/// A fresh tracking id: a random UUIDv4 in upper case.
pub fn new_tracking_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string().to_ascii_uppercase()
}
