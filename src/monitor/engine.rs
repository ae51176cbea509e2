//! The monitoring loop: poll every UPS, turn answers into notifications,
//! recalculate the power, and run NUT's shutdown procedure when too few
//! supplies remain fed.
//!
//! The loop is generic over the two things it touches: the upsd sessions
//! ([`Session`], implemented over the client library) and the outside
//! world ([`Effects`]: deliver a notification, tell the service manager,
//! shut the machine down). Time is tokio's clock, so tests run the real
//! loop against an in-process fake upsd with a paused clock and check
//! every notification and the shutdown to the millisecond.
//!
//! The shutdown procedure (NUT's `forceshutdown`): a primary sets FSD on
//! each UPS it is primary for, then waits until no such UPS has more than
//! one login (its own) or HOSTSYNC expires, polling `GET NUMLOGINS` every
//! 250 ms; a secondary goes straight on. Then SHUTDOWN is notified,
//! FINALDELAY passes, and the privileged side creates POWERDOWNFLAG and
//! runs SHUTDOWNCMD.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::notify::{Notification, NotifyFlags, NotifyType};
use super::settings::{MonitorSpec, Role, Settings, ShutdownExit};
use super::state::{Ctx, Seen, UpsState};

/// A failed request to upsd.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SessionError {
    /// Human text (NUT's `upscli_strerror`).
    pub message: String,
    /// The server does not know the UPS (`ERR UNKNOWN-UPS`).
    pub unknown_ups: bool,
    /// The connection is gone; the session must reconnect.
    pub connection_lost: bool,
}

impl SessionError {
    /// An error that keeps the connection.
    pub fn server(message: impl Into<String>) -> Self {
        SessionError { message: message.into(), unknown_ups: false, connection_lost: false }
    }

    /// An error that lost the connection.
    pub fn lost(message: impl Into<String>) -> Self {
        SessionError { message: message.into(), unknown_ups: false, connection_lost: true }
    }
}

/// Why connecting failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// No connection (the UPS counts as gone).
    #[error("connect failed: {0}")]
    Connect(String),
    /// Connected, but USERNAME/PASSWORD/LOGIN/PRIMARY failed; the
    /// connection stays and polling goes on (as in NUT).
    #[error("{0}")]
    Auth(String),
}

/// One upsmon ↔ upsd conversation for one MONITOR line.
#[allow(async_fn_in_trait)]
pub trait Session {
    /// Whether a connection is up.
    fn is_connected(&self) -> bool;
    /// Connects, tries STARTTLS, logs in (`USERNAME`, `PASSWORD`,
    /// `LOGIN`) and, for a primary, asks for `PRIMARY` (then `MASTER`).
    async fn connect(&mut self) -> Result<(), ConnectError>;
    /// `GET VAR <ups> <var>`.
    async fn get_var(&mut self, var: &str) -> Result<String, SessionError>;
    /// `FSD <ups>`.
    async fn set_fsd(&mut self) -> Result<(), SessionError>;
    /// `GET NUMLOGINS <ups>`.
    async fn num_logins(&mut self) -> Result<u32, SessionError>;
    /// `LOGOUT` and close.
    async fn disconnect(&mut self);
}

/// Makes sessions for MONITOR lines.
pub trait Connector {
    /// The session type.
    type Session: Session;
    /// A (not yet connected) session for `spec`.
    fn session(&self, spec: &MonitorSpec, settings: &Settings) -> Self::Session;
}

/// What the loop does to the world.
#[allow(async_fn_in_trait)]
pub trait Effects {
    /// Delivers one notification (already formatted) per its flags:
    /// SYSLOG → the journal, WALL → terminals, EXEC → NOTIFYCMD. Must not
    /// block: slow notifiers run in the background.
    fn notify(&mut self, n: &Notification, message: &str, flags: NotifyFlags);
    /// `STATUS=` for the service manager (one line per round).
    fn status(&mut self, line: &str);
    /// The privileged step: create POWERDOWNFLAG and run SHUTDOWNCMD (or
    /// ask logind to power off). Returns once it has been started.
    async fn shutdown(&mut self);
    /// Whether the privileged side can still shut the machine down
    /// (false once the privileged parent died).
    fn can_shut_down(&mut self) -> bool {
        true
    }
}

/// A request from outside (`upsmon -c`, signals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `-c fsd` (SIGUSR1): shut down as if every UPS were critical.
    Fsd,
    /// `-c stop` (SIGTERM/SIGINT/SIGQUIT).
    Stop,
    /// `-c reload` (SIGHUP).
    Reload,
}

/// How the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stopped on request.
    Stopped,
    /// The shutdown was started.
    ShutdownStarted,
}

/// Re-reads upsmon.conf for `reload`.
pub type Loader = Box<dyn FnMut() -> anyhow::Result<Settings> + Send>;

struct Entry<S> {
    spec: MonitorSpec,
    state: UpsState,
    session: S,
    /// Poll failures logged in the current failure streak (log throttling).
    fail_count: i64,
    fail_message: Option<String>,
}

/// upsmon's state and its loop.
pub struct Monitor<C: Connector, E: Effects> {
    settings: Settings,
    upses: Vec<Entry<C::Session>>,
    sleepval: Duration,
    connector: C,
    effects: E,
    loader: Option<Loader>,
    last_noparent: Option<Instant>,
}

impl<C: Connector, E: Effects> Monitor<C, E> {
    /// A monitor for `settings` (checked by the caller, see
    /// [`Settings::check_power`]).
    pub fn new(settings: Settings, connector: C, effects: E) -> Self {
        let mut m = Monitor {
            sleepval: settings.pollfreq,
            settings,
            upses: Vec::new(),
            connector,
            effects,
            loader: None,
            last_noparent: None,
        };
        let specs = m.settings.monitors.clone();
        for spec in specs {
            m.add(spec);
        }
        m
    }

    /// Sets how `reload` re-reads the configuration.
    pub fn with_loader(mut self, loader: Loader) -> Self {
        self.loader = Some(loader);
        self
    }

    /// The effects (tests inspect what was recorded).
    pub fn effects(&self) -> &E {
        &self.effects
    }

    /// The state of each UPS, in MONITOR order.
    pub fn states(&self) -> impl Iterator<Item = &UpsState> {
        self.upses.iter().map(|e| &e.state)
    }

    fn add(&mut self, spec: MonitorSpec) {
        if spec.power_value > 0 {
            tracing::info!(nut_ups = %spec.system, "UPS: {} ({}) (power value {})", spec.system, super::settings::role_word(spec.role), spec.power_value);
        } else {
            tracing::info!(nut_ups = %spec.system, "UPS: {} (monitoring only)", spec.system);
        }
        let session = self.connector.session(&spec, &self.settings);
        let state = UpsState::new(spec.system.clone(), spec.role, spec.power_value);
        self.upses.push(Entry { spec, state, session, fail_count: 0, fail_message: None });
    }

    fn deliver(&mut self, out: Vec<Notification>) {
        for n in out {
            let flags = self.settings.notify.flags(n.kind);
            let msg = self.settings.notify.message(n.kind, n.ups.as_deref(), n.extra.as_deref());
            self.effects.notify(&n, &msg, flags);
        }
    }

    fn with_ctx<R>(&mut self, i: usize, f: impl FnOnce(&mut UpsState, &mut Ctx<'_>) -> R) -> R {
        let mut out = Vec::new();
        let r = {
            let mut cx = Ctx { settings: &self.settings, now: Instant::now(), out: &mut out };
            f(&mut self.upses[i].state, &mut cx)
        };
        self.deliver(out);
        r
    }

    /// Runs until stopped or until the shutdown has been started.
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) -> (Outcome, Self) {
        let mut user_fsd = false;
        let mut reload = false;
        let mut commands_open = true;
        loop {
            if user_fsd {
                tracing::info!("User requested FSD");
                self.force_shutdown(&mut commands).await;
                return (Outcome::ShutdownStarted, self);
            }
            if reload {
                reload = false;
                if let Err(e) = self.reload() {
                    tracing::error!("Reload failed: {e:#}");
                }
            }
            for i in 0..self.upses.len() {
                self.poll(i).await;
            }
            if self.recalc() {
                self.force_shutdown(&mut commands).await;
                return (Outcome::ShutdownStarted, self);
            }
            self.check_parent();
            self.publish_status();
            let sleep = tokio::time::sleep(self.sleepval);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    cmd = commands.recv(), if commands_open => match cmd {
                        Some(Command::Fsd) => { user_fsd = true; break; }
                        Some(Command::Reload) => { reload = true; break; }
                        Some(Command::Stop) => {
                            tracing::info!("Stop requested: exiting");
                            self.logout_all().await;
                            return (Outcome::Stopped, self);
                        }
                        None => commands_open = false,
                    },
                }
            }
        }
    }

    /// Logs out of every upsd (NUT's clients send LOGOUT on disconnect).
    pub async fn logout_all(&mut self) {
        for e in &mut self.upses {
            if e.session.is_connected() {
                e.session.disconnect().await;
            }
        }
    }

    /// NUT's `check_parent`: NOPARENT, at most every 2 minutes, while the
    /// privileged parent is gone.
    fn check_parent(&mut self) {
        if self.effects.can_shut_down() {
            return;
        }
        let now = Instant::now();
        if self.last_noparent.is_some_and(|t| now - t < Duration::from_secs(120)) {
            return;
        }
        self.last_noparent = Some(now);
        self.deliver(vec![Notification::system(NotifyType::Noparent)]);
        tracing::error!("Parent died - shutdown impossible");
    }

    fn publish_status(&mut self) {
        let line = self.upses.iter().map(|e| e.state.summary()).collect::<Vec<_>>().join("; ");
        self.effects.status(&line);
    }

    /// One poll of UPS `i` (NUT's `pollups`).
    async fn poll(&mut self, i: usize) {
        if !self.upses[i].session.is_connected() {
            tracing::debug!(nut_ups = %self.upses[i].spec.system, "Trying to connect to UPS [{}]", self.upses[i].spec.system);
            match self.upses[i].session.connect().await {
                Ok(()) => tracing::debug!("Logged into UPS {}", self.upses[i].spec.system),
                Err(ConnectError::Connect(e)) => {
                    let sys = self.upses[i].spec.system.clone();
                    self.log_poll_failure(i, &format!("UPS [{sys}]: connect failed: {e}"));
                    self.with_ctx(i, |st, cx| st.gone(cx));
                    return;
                }
                Err(ConnectError::Auth(e)) => {
                    tracing::error!(nut_ups = %self.upses[i].spec.system, "{e}");
                    return;
                }
            }
        }
        match self.upses[i].session.get_var("ups.status").await {
            Ok(status) => {
                let has_alarm = status.split(' ').any(|t| t.eq_ignore_ascii_case("ALARM"));
                let alarm = if has_alarm { self.upses[i].session.get_var("ups.alarm").await.ok() } else { None };
                let e = &mut self.upses[i];
                if e.fail_message.take().is_some() && self.settings.pollfail_log_throttle_max >= 0 {
                    tracing::error!(nut_ups = %e.spec.system, "Poll UPS [{}] recovered from failure state", e.spec.system);
                }
                e.fail_count = 0;
                self.with_ctx(i, |st, cx| st.observe(cx, &status, alarm.as_deref()));
            }
            Err(err) => {
                let e = &self.upses[i];
                let text = if err.unknown_ups {
                    format!(
                        "Poll UPS [{}] failed - [{}] does not exist on server {}",
                        e.spec.system, e.spec.ups, e.spec.host
                    )
                } else {
                    format!("Poll UPS [{}] failed - {}", e.spec.system, err.message)
                };
                self.log_poll_failure(i, &text);
                self.with_ctx(i, |st, cx| st.gone(cx));
                if err.connection_lost {
                    let e = &mut self.upses[i];
                    e.session.disconnect().await;
                    e.state.dropped();
                }
            }
        }
    }

    /// Logs a poll failure, throttled per POLLFAIL_LOG_THROTTLE_MAX.
    fn log_poll_failure(&mut self, i: usize, text: &str) {
        let max = self.settings.pollfail_log_throttle_max;
        let e = &mut self.upses[i];
        let same = e.fail_message.as_deref() == Some(text);
        let log = if max < 0 || !same {
            true
        } else if max == 0 {
            false
        } else {
            e.fail_count += 1;
            if e.fail_count >= i64::from(max) {
                e.fail_count = 0;
                true
            } else {
                false
            }
        };
        if !same {
            e.fail_count = 0;
        }
        e.fail_message = Some(text.to_string());
        if log {
            tracing::error!(nut_ups = %e.spec.system, "{text}");
        } else {
            tracing::debug!(nut_ups = %e.spec.system, "{text}");
        }
    }

    /// NUT's `recalc`: promote dead UPSes, add up the power of the
    /// non-critical ones; true when it is below MINSUPPLIES.
    fn recalc(&mut self) -> bool {
        let now = Instant::now();
        let mut val_ol: u64 = 0;
        for i in 0..self.upses.len() {
            let deadtime = self.settings.deadtime;
            self.upses[i].state.promote_if_dead(now, deadtime);
            let critical = self.with_ctx(i, |st, cx| st.is_critical(cx));
            if critical {
                tracing::debug!(nut_ups = %self.upses[i].spec.system, "Critical UPS: {}", self.upses[i].spec.system);
            } else {
                val_ol += u64::from(self.upses[i].spec.power_value);
            }
        }
        self.sleepval = self.next_interval();
        let min = u64::from(self.settings.minsupplies);
        if val_ol < min {
            tracing::warn!("Too few UPS(es) are healthy ({val_ol}<{min}), initiating forced shutdown");
            return true;
        }
        false
    }

    /// The pause before the next round: POLLFREQALERT while any UPS is in
    /// an alerting state (on battery…), POLLFREQ otherwise; during an
    /// OBLBDURATION countdown, the step that lands on its end.
    fn next_interval(&self) -> Duration {
        let s = &self.settings;
        let alert = self.upses.iter().any(|e| e.state.wants_alert(s));
        let mut d = if alert { s.pollfreqalert } else { s.pollfreq };
        if self.upses.iter().any(|e| e.state.oblb_since.is_some()) {
            let step = super::state::gcd_secs(s.pollfreqalert.as_secs().max(1), s.oblbduration.as_secs().max(1));
            d = d.min(Duration::from_secs(step.max(1)));
        }
        d
    }

    /// NUT's `forceshutdown`.
    async fn force_shutdown(&mut self, commands: &mut mpsc::Receiver<Command>) {
        let mut primary = false;
        for i in 0..self.upses.len() {
            if self.upses[i].spec.role != Role::Primary {
                continue;
            }
            primary = true;
            let sys = self.upses[i].spec.system.clone();
            tracing::debug!(nut_ups = %sys, "Setting FSD on UPS {sys}");
            if let Err(e) = self.upses[i].session.set_fsd().await {
                tracing::error!(nut_ups = %sys, "FSD set on UPS {sys} failed: {e}");
            }
        }
        if primary {
            tracing::debug!(
                "This system is a primary; waiting up to HOSTSYNC={}s for secondaries to logout",
                self.settings.hostsync.as_secs()
            );
            self.sync_secondaries().await;
        }
        self.do_shutdown(commands).await;
    }

    /// Waits until every UPS we are primary for has at most one login, or
    /// HOSTSYNC expires.
    async fn sync_secondaries(&mut self) {
        let start = Instant::now();
        let mut round = 0u32;
        loop {
            round += 1;
            let mut max = 0u32;
            for e in &mut self.upses {
                if e.spec.role != Role::Primary {
                    continue;
                }
                if let Ok(n) = e.session.num_logins().await {
                    max = max.max(n);
                }
            }
            tracing::debug!("Max data server logins per UPS still active: {max}");
            if max <= 1 {
                return;
            }
            if Instant::now() - start > self.settings.hostsync {
                tracing::info!("Host sync timer expired, forcing shutdown");
                return;
            }
            if round == 1 {
                self.deliver(vec![Notification::system(NotifyType::ShutdownHostsync)]);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// NUT's `doshutdown`: SHUTDOWN, FINALDELAY, then the privileged step.
    async fn do_shutdown(&mut self, commands: &mut mpsc::Receiver<Command>) {
        crate::systemd::stopping();
        crate::systemd::status("Executing automatic power-fail shutdown");
        tracing::error!(nut_event = "SHUTDOWN", "Executing automatic power-fail shutdown");
        self.deliver(vec![Notification::system(NotifyType::Shutdown)]);
        if !self.settings.finaldelay.is_zero() {
            crate::systemd::extend_timeout(self.settings.finaldelay + Duration::from_secs(30));
            tokio::time::sleep(self.settings.finaldelay).await;
        }
        self.effects.shutdown().await;
        let limit = match self.settings.shutdownexit {
            ShutdownExit::Immediately => return,
            ShutdownExit::Never => None,
            ShutdownExit::After(d) => Some(d),
        };
        let start = Instant::now();
        loop {
            // Keep talking to upsd so this client is not taken for dead.
            for e in &mut self.upses {
                if e.session.is_connected() {
                    let _ = e.session.num_logins().await;
                }
            }
            if limit.is_some_and(|d| Instant::now() - start > d) {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                cmd = commands.recv() => if matches!(cmd, Some(Command::Stop) | None) { break },
            }
        }
        tracing::warn!("Exiting upsmon program after initiating shutdown");
    }

    /// NUT's `reload_conf`: keep UPSes still listed (redefining power
    /// value, credentials and role), drop removed ones, add new ones.
    fn reload(&mut self) -> anyhow::Result<()> {
        let Some(loader) = self.loader.as_mut() else {
            anyhow::bail!("no configuration source");
        };
        tracing::info!("Reloading configuration");
        crate::systemd::reloading();
        let new = loader()?;
        new.check_power().map_err(|e| anyhow::anyhow!("Fatal error: {e}"))?;
        let old = std::mem::take(&mut self.upses);
        let mut kept: Vec<Option<Entry<C::Session>>> = old.into_iter().map(Some).collect();
        self.settings = Settings { monitors: Vec::new(), ..new.clone() };
        for spec in new.monitors {
            let pos = kept.iter().position(|e| e.as_ref().is_some_and(|e| e.spec.system == spec.system));
            match pos.and_then(|p| kept[p].take()) {
                Some(mut e) => {
                    let mut reconnect = false;
                    if e.spec.power_value != spec.power_value {
                        tracing::info!("UPS [{}]: redefined power value to {}", spec.system, spec.power_value);
                    }
                    if e.spec.user != spec.user || e.spec.password != spec.password {
                        tracing::info!("UPS [{}]: redefined credentials", spec.system);
                        reconnect = true;
                    }
                    if e.spec.role != spec.role {
                        tracing::info!(
                            "UPS [{}]: redefined as a {}",
                            spec.system,
                            super::settings::role_word(spec.role)
                        );
                        reconnect |= spec.role == Role::Primary;
                    }
                    e.state.role = spec.role;
                    e.state.power_value = spec.power_value;
                    if reconnect {
                        e.state.dropped();
                        e.session = self.connector.session(&spec, &self.settings);
                    }
                    e.spec = spec.clone();
                    self.upses.push(e);
                }
                None => self.add(spec.clone()),
            }
            self.settings.monitors.push(spec);
        }
        for e in kept.into_iter().flatten() {
            tracing::info!("No longer monitoring UPS [{}]", e.spec.system);
        }
        crate::systemd::ready();
        Ok(())
    }

    /// Whether any UPS is currently lost (for tests and status).
    pub fn any_lost(&self) -> bool {
        self.upses.iter().any(|e| e.state.comm == Seen::No)
    }
}
