//! One client's protocol state and the dispatch of its requests, in NUT's
//! order of checks (network-protocol.md §5–§10). No I/O here: a request
//! line goes in, reply bytes are appended to an output buffer, and the
//! caller learns whether to close the connection or start TLS.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use super::state::{ConnMeta, Login, Shared, State, Tracked};
use crate::model::{atoi, CmdName, VarName};
use crate::proto::driver::ServerMsg;
use crate::proto::net::reply::version_line;
use crate::proto::net::{
    ErrorCode, ListItem, ListQuery, Reply, Request, TrackingStatus, MAX_REPLY_LINE, PROTOCOL_VERSION,
};
use crate::proto::words::{self, Line};

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
    /// The server's handle on this connection (idle sweep, kicks).
    pub meta: Arc<ConnMeta>,
}

fn push(out: &mut String, r: Reply) {
    out.push_str(&r.encode());
}

fn err(out: &mut String, c: ErrorCode) {
    push(out, Reply::err(c));
}

/// Appends `<kw> <ups> <name> "<value>"` (or without value) straight into
/// `out`: the bytes [`Reply::encode`] produces, without its intermediate
/// strings. A line that would exceed [`MAX_REPLY_LINE`] is taken back and
/// encoded by [`Reply::encode`] instead, which owns the clamping rules.
fn push_item(out: &mut String, kw: &str, ups: &str, name: &str, value: Option<&str>, slow: impl FnOnce() -> Reply) {
    let start = out.len();
    out.push_str(kw);
    out.push(' ');
    out.push_str(ups);
    out.push(' ');
    out.push_str(name);
    if let Some(v) = value {
        out.push(' ');
        words::quote_always_into(v, out);
    }
    out.push('\n');
    if out.len() - start > MAX_REPLY_LINE {
        out.truncate(start);
        push(out, slow());
    }
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
            meta: Arc::new(ConnMeta::new()),
        }
    }

    /// Handles one tokenized request line, appending its reply to `out`.
    /// A line the tokenizer rejected (unescaped `#` in quotes) gets no
    /// reply at all, as with NUT.
    ///
    /// The line's words are consumed (their strings move into the request).
    /// `now` is when the line arrived.
    pub fn handle_line(&mut self, shared: &Shared, line: &mut Line, now: Instant, out: &mut String) -> Next {
        if line.error.is_some() {
            return Next::Continue;
        }
        match Request::decode_taking(&mut line.words) {
            Ok(req) => {
                if req.needs_credentials() {
                    if let Some(c) = self.credentials_missing() {
                        err(out, c);
                        return Next::Continue;
                    }
                }
                self.handle(shared, req, now, out)
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
    pub fn handle(&mut self, shared: &Shared, req: Request, now: Instant, out: &mut String) -> Next {
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

    fn handle_ups(&mut self, st: &mut State, req: Request, now: Instant, out: &mut String) {
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
                // The request's string becomes the lookup key (no copy).
                match VarName::new(var).ok().and_then(|n| l.tree.vars.get(&n).map(|v| (n, v))) {
                    None => err(out, ErrorCode::VarNotSupported),
                    Some((var, v)) => {
                        let value = u.shown_value(var.as_str(), &v.value);
                        push_item(out, "VAR", &ups, var.as_str(), Some(&value), || Reply::Var {
                            ups: ups.clone(),
                            var: var.as_str().to_string(),
                            value: value.to_string(),
                        })
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
                tracing::info!(nut_ups = %u.name, "Set variable on UPS [{}] by {}@{}", u.name, user, self.addr);
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
                tracing::info!(nut_ups = %u.name, "Instant command: {}@{} did {} on {}", user, self.addr, name, u.name);
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
                    nut_ups = %name,
                    "User {}@{} logged into UPS [{}]{}",
                    user,
                    self.addr,
                    name,
                    if self.tls { " (SSL)" } else { "" }
                );
                st.logins.insert(self.id, Login { ups: name.clone(), addr: self.addr, conn: self.meta.clone() });
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
                    tracing::warn!(nut_ups = %u.name, "Client {}@{} set FSD on UPS [{}]", user, self.addr, u.name);
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

    fn forwarded(&self, st: &mut State, tracking: Option<String>, now: Instant, out: &mut String) {
        match tracking {
            None => push(out, Reply::Ok),
            Some(id) => {
                st.tracking.insert(id.clone(), Tracked { at: now, result: None });
                push(out, Reply::OkTracking { id });
            }
        }
    }

    fn list(&self, st: &State, q: ListQuery, now: Instant, out: &mut String) {
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
        let name = name.to_string();
        let name = name.as_str();
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
        let ups = name;
        let begin = out.len();
        push(out, Reply::BeginList(q.clone()));
        match &q {
            ListQuery::Var { .. } => {
                for (k, v) in &l.tree.vars {
                    let value = u.shown_value(k.as_str(), &v.value);
                    push_item(out, "VAR", ups, k.as_str(), Some(&value), || {
                        Reply::Item(ListItem::Var { ups: ups.into(), var: k.to_string(), value: value.to_string() })
                    });
                }
            }
            ListQuery::Rw { .. } => {
                for (k, v) in l.tree.vars.iter().filter(|(_, v)| v.flags.rw) {
                    push_item(out, "RW", ups, k.as_str(), Some(&v.value), || {
                        Reply::Item(ListItem::Rw { ups: ups.into(), var: k.to_string(), value: v.value.clone() })
                    });
                }
            }
            ListQuery::Cmd { .. } => {
                for c in &l.tree.cmds {
                    push_item(out, "CMD", ups, c.as_str(), None, || {
                        Reply::Item(ListItem::Cmd { ups: ups.into(), cmd: c.to_string() })
                    });
                }
            }
            ListQuery::Enum { var, .. } | ListQuery::Range { var, .. } => {
                let Some(v) = l.tree.var(var) else {
                    out.truncate(begin);
                    return err(out, ErrorCode::VarNotSupported);
                };
                if let ListQuery::Enum { .. } = &q {
                    for e in &v.enums {
                        push_item(out, "ENUM", ups, var, Some(e), || {
                            Reply::Item(ListItem::Enum { ups: ups.into(), var: var.clone(), value: e.clone() })
                        });
                    }
                } else {
                    for r in &v.ranges {
                        push(out, Reply::Item(ListItem::Range { ups: ups.into(), var: var.clone(), range: *r }));
                    }
                }
            }
            ListQuery::Ups | ListQuery::Client { .. } => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_item_lines_equal_reply_encode() {
        let long = "x\"#\\".repeat(200);
        for (ups, var, value) in [("fake", "ups.id", "Fake \"quoted\" id"), ("u", "v", ""), ("u", "v", long.as_str())] {
            let mut out = String::new();
            let r = Reply::Var { ups: ups.into(), var: var.into(), value: value.into() };
            push_item(&mut out, "VAR", ups, var, Some(value), || r.clone());
            assert_eq!(out, r.encode());
            let mut out = String::new();
            let r = Reply::Item(ListItem::Cmd { ups: ups.into(), cmd: var.into() });
            push_item(&mut out, "CMD", ups, var, None, || r.clone());
            assert_eq!(out, r.encode());
        }
        let big = "u".repeat(600);
        let mut out = String::new();
        let r = Reply::Var { ups: big.clone(), var: "v".into(), value: "1".into() };
        push_item(&mut out, "VAR", &big, "v", Some("1"), || r.clone());
        assert_eq!(out, r.encode());
        assert!(out.len() <= MAX_REPLY_LINE);
    }
}
