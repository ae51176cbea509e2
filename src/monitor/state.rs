//! What upsmon knows about one UPS, and NUT's rules for turning each poll
//! into notifications and each recalculation into "critical or not".
//!
//! Everything here is pure: time comes in as an argument, notifications
//! go out in a list, so the rules are unit-tested to the second. The
//! rules follow NUT's upsmon (newest, which is a superset of 2.8.0 for the
//! standard tokens):
//! - a flag is *set* when its token appears (whole token, any case) and
//!   *cleared* only once its name occurs nowhere in `ups.status` (a
//!   case-sensitive substring test, so a vendor token like `XLBX` keeps a
//!   seen LB latched);
//! - the first OL and the first successful contact after start-up are
//!   silent (no ONLINE, no COMMOK);
//! - a UPS is critical when FSD is set, or it is OB+LB (not while
//!   calibrating; after OBLBDURATION if set; a secondary gives the primary
//!   HOSTSYNC to set FSD first), or contact was lost while it was on
//!   bypass, calibrating, off, in alarm or overloaded (per the options);
//! - a UPS last seen OB and not heard from for DEADTIME is promoted to
//!   OB+LB.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::Instant;

use super::notify::{Notification, NotifyType};
use super::settings::{Role, Settings};

/// NUT's tri-state for "have we told the user about this yet".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Never observed since start-up: the first observation is silent.
    Initial,
    /// Observed false (lost / off line).
    No,
    /// Observed true.
    Yes,
}

/// The status flags upsmon tracks for a UPS (not the raw `ups.status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// OL seen.
    pub online: bool,
    /// OB seen.
    pub onbatt: bool,
    /// LB seen (or promoted after DEADTIME).
    pub lowbatt: bool,
    /// FSD seen.
    pub fsd: bool,
    /// CAL.
    pub cal: bool,
    /// OFF.
    pub off: bool,
    /// BYPASS.
    pub bypass: bool,
    /// ECO.
    pub eco: bool,
    /// ALARM.
    pub alarm: bool,
    /// OVER.
    pub over: bool,
    /// TRIM.
    pub trim: bool,
    /// BOOST.
    pub boost: bool,
}

/// Mutable context of one evaluation: the settings, the time and the
/// notifications raised so far.
pub struct Ctx<'a> {
    /// The settings.
    pub settings: &'a Settings,
    /// The current time.
    pub now: Instant,
    /// Notifications raised, in order.
    pub out: &'a mut Vec<Notification>,
}

/// The state of one monitored UPS.
#[derive(Clone, Debug)]
pub struct UpsState {
    /// The system string (`ups@host:port`).
    pub system: String,
    /// Primary or secondary.
    pub role: Role,
    /// Power value.
    pub power_value: u32,
    /// The flags as upsmon tracks them.
    pub flags: Flags,
    /// Communication state (COMMOK/COMMBAD).
    pub comm: Seen,
    /// Line state (ONLINE is silent the first time).
    pub line: Seen,
    /// OFF has lasted OFFDURATION (the line counts as not fed).
    pub off_critical: bool,
    /// BYPASS was seen (critical if contact is lost).
    pub bypass_state: bool,
    /// ECO was seen.
    pub eco_state: bool,
    /// ALARM was seen.
    pub alarm_state: bool,
    /// OVER was seen.
    pub over_state: bool,
    /// Last successful poll.
    pub last_poll: Option<Instant>,
    /// Last time the UPS was not OB+LB.
    pub last_noncrit: Option<Instant>,
    /// Last REPLBATT notification.
    pub last_rbwarn: Option<Instant>,
    /// Last NOCOMM notification.
    pub last_ncwarn: Option<Instant>,
    /// FSD already notified (avoids duplicates until FSD clears).
    pub fsd_notified: bool,
    /// Since when OFF.
    pub off_since: Option<Instant>,
    /// Since when OB+LB (only with OBLBDURATION).
    pub oblb_since: Option<Instant>,
    /// Since when OVER.
    pub over_since: Option<Instant>,
    /// The last `ups.alarm` text notified.
    pub alarm_text: String,
    /// Unclassified status tokens currently present.
    pub other_tokens: BTreeSet<String>,
    /// The raw `ups.status` of the last successful poll (for STATUS=).
    pub last_status: Option<String>,
}

fn older_than(since: Option<Instant>, now: Instant, limit: Duration) -> bool {
    match since {
        None => true,
        Some(t) => now.saturating_duration_since(t) > limit,
    }
}

impl UpsState {
    /// A UPS never heard from.
    pub fn new(system: impl Into<String>, role: Role, power_value: u32) -> Self {
        UpsState {
            system: system.into(),
            role,
            power_value,
            flags: Flags::default(),
            comm: Seen::Initial,
            line: Seen::Initial,
            off_critical: false,
            bypass_state: false,
            eco_state: false,
            alarm_state: false,
            over_state: false,
            last_poll: None,
            last_noncrit: None,
            last_rbwarn: None,
            last_ncwarn: None,
            fsd_notified: false,
            off_since: None,
            oblb_since: None,
            over_since: None,
            alarm_text: String::new(),
            other_tokens: BTreeSet::new(),
            last_status: None,
        }
    }

    fn notify(&self, cx: &mut Ctx<'_>, kind: NotifyType) {
        cx.out.push(Notification::ups(kind, &self.system));
    }

    /// Contact worked: COMMOK on a lost → ok transition.
    pub fn alive(&mut self, cx: &mut Ctx<'_>) {
        self.last_poll = Some(cx.now);
        if self.comm == Seen::Yes {
            return;
        }
        if self.comm == Seen::No {
            self.notify(cx, NotifyType::Commok);
        }
        self.comm = Seen::Yes;
    }

    /// Contact failed: COMMBAD the first time, then NOCOMM every
    /// NOCOMMWARNTIME once the UPS has been silent that long.
    pub fn gone(&mut self, cx: &mut Ctx<'_>) {
        if self.comm != Seen::No {
            self.comm = Seen::No;
            self.notify(cx, NotifyType::Commbad);
            return;
        }
        let nocomm = cx.settings.nocommwarntime;
        if self.last_poll.is_some_and(|t| cx.now.saturating_duration_since(t) < nocomm) {
            return;
        }
        if older_than(self.last_ncwarn, cx.now, nocomm) {
            self.notify(cx, NotifyType::Nocomm);
            self.last_ncwarn = Some(cx.now);
        }
    }

    /// The connection was dropped: the next contact raises COMMOK again.
    pub fn dropped(&mut self) {
        self.comm = Seen::No;
        self.line = Seen::No;
    }

    /// Handles one `ups.status` value (and `ups.alarm` when the status has
    /// ALARM and the server had the variable).
    pub fn observe(&mut self, cx: &mut Ctx<'_>, status: &str, alarm: Option<&str>) {
        if status.is_empty() {
            self.gone(cx);
            return;
        }
        self.alive(cx);
        self.last_status = Some(status.to_string());

        // Cleared only when the name occurs nowhere (substring, case-sensitive).
        if !status.contains("LB") {
            self.flags.lowbatt = false;
        }
        if !status.contains("FSD") {
            self.flags.fsd = false;
            self.fsd_notified = false;
        }
        if !status.contains("CAL") {
            self.not_cal(cx);
        }
        if !status.contains("OFF") {
            self.not_off(cx);
        }
        if !status.contains("BYPASS") {
            self.leave(cx, |f| &mut f.bypass, NotifyType::Notbypass);
            self.bypass_state = false;
        }
        if !status.contains("ALARM") {
            self.alarm_state = false;
            self.leave(cx, |f| &mut f.alarm, NotifyType::Notalarm);
        }
        if !status.contains("OVER") {
            self.over_since = None;
            self.over_state = false;
            self.leave(cx, |f| &mut f.over, NotifyType::Notover);
        }
        if !status.contains("TRIM") {
            self.leave(cx, |f| &mut f.trim, NotifyType::Nottrim);
        }
        if !status.contains("BOOST") {
            self.leave(cx, |f| &mut f.boost, NotifyType::Notboost);
        }
        if !status.contains("ECO") {
            self.eco_state = false;
            self.leave(cx, |f| &mut f.eco, NotifyType::Noteco);
        }

        let mut others: Vec<String> = Vec::new();
        let mut seen_others = BTreeSet::new();
        let mut changed_others = false;
        for tok in status.split(' ').filter(|t| !t.is_empty()) {
            match tok.to_ascii_uppercase().as_str() {
                "OL" => self.on_line(cx),
                "OB" => self.on_batt(cx),
                "LB" => {
                    if !self.flags.lowbatt {
                        self.notify(cx, NotifyType::Lowbatt);
                        self.flags.lowbatt = true;
                    }
                }
                "RB" => {
                    if older_than(self.last_rbwarn, cx.now, cx.settings.rbwarntime) {
                        self.notify(cx, NotifyType::Replbatt);
                        self.last_rbwarn = Some(cx.now);
                    }
                }
                "CAL" => self.enter(cx, |f| &mut f.cal, NotifyType::Cal),
                "OFF" => self.on_off(cx),
                "BYPASS" => {
                    self.bypass_state = true;
                    self.enter(cx, |f| &mut f.bypass, NotifyType::Bypass);
                }
                "ECO" => {
                    self.eco_state = true;
                    self.enter(cx, |f| &mut f.eco, NotifyType::Eco);
                }
                "ALARM" => self.on_alarm(cx, alarm),
                "OVER" => self.on_over(cx),
                "TRIM" => self.enter(cx, |f| &mut f.trim, NotifyType::Trim),
                "BOOST" => self.enter(cx, |f| &mut f.boost, NotifyType::Boost),
                "FSD" => {
                    if !self.flags.fsd {
                        if !self.fsd_notified {
                            self.fsd_notified = true;
                            self.notify(cx, NotifyType::Fsd);
                        }
                        self.flags.fsd = true;
                    }
                }
                "HB" | "CHRG" | "DISCHRG" => {}
                _ => {
                    others.push(tok.to_string());
                    if !self.other_tokens.contains(tok) {
                        changed_others = true;
                    }
                    seen_others.insert(tok.to_string());
                }
            }
            self.update_crittimer(cx.now);
        }
        if self.other_tokens.iter().any(|t| !seen_others.contains(t)) {
            changed_others = true;
        }
        self.other_tokens = seen_others;
        if changed_others {
            if others.is_empty() {
                self.notify(cx, NotifyType::Notother);
            } else {
                cx.out.push(Notification::ups(NotifyType::Other, &self.system).with_extra(others.join(" ")));
            }
        }
    }

    fn enter(&mut self, cx: &mut Ctx<'_>, flag: fn(&mut Flags) -> &mut bool, kind: NotifyType) {
        if !*flag(&mut self.flags) {
            self.notify(cx, kind);
            *flag(&mut self.flags) = true;
        }
    }

    fn leave(&mut self, cx: &mut Ctx<'_>, flag: fn(&mut Flags) -> &mut bool, kind: NotifyType) {
        if *flag(&mut self.flags) {
            self.notify(cx, kind);
            *flag(&mut self.flags) = false;
        }
    }

    fn not_cal(&mut self, cx: &mut Ctx<'_>) {
        self.leave(cx, |f| &mut f.cal, NotifyType::Notcal);
    }

    fn not_off(&mut self, cx: &mut Ctx<'_>) {
        self.off_since = None;
        self.off_critical = false;
        self.leave(cx, |f| &mut f.off, NotifyType::Notoff);
    }

    fn on_line(&mut self, cx: &mut Ctx<'_>) {
        if self.flags.online {
            return;
        }
        if self.line != Seen::Initial {
            self.notify(cx, NotifyType::Online);
        }
        self.line = Seen::Yes;
        self.flags.online = true;
        self.flags.onbatt = false;
    }

    fn on_batt(&mut self, cx: &mut Ctx<'_>) {
        if self.flags.onbatt {
            return;
        }
        self.line = Seen::No;
        self.notify(cx, NotifyType::Onbatt);
        self.flags.onbatt = true;
        self.flags.online = false;
    }

    fn on_off(&mut self, cx: &mut Ctx<'_>) {
        let now = cx.now;
        if self.flags.off {
            match self.off_since {
                None => self.off_since = Some(now),
                Some(since) => {
                    if let Some(limit) = cx.settings.offduration {
                        if !limit.is_zero() && now - since > limit {
                            tracing::warn!(
                                nut_ups = %self.system,
                                "{} is in state OFF for {} sec, assuming the line is not fed \
                                 (if it is calibrating etc., check the upsmon 'OFFDURATION' option)",
                                self.system,
                                (now - since).as_secs()
                            );
                            self.off_critical = true;
                        }
                    }
                }
            }
            return;
        }
        self.off_since = Some(now);
        if cx.settings.offduration == Some(Duration::ZERO) {
            tracing::warn!(nut_ups = %self.system, "{} is in state OFF, assuming the line is not fed", self.system);
            self.off_critical = true;
        }
        self.notify(cx, NotifyType::Off);
        self.flags.off = true;
    }

    fn on_alarm(&mut self, cx: &mut Ctx<'_>, alarm: Option<&str>) {
        if self.flags.alarm {
            if let Some(text) = alarm {
                if text != self.alarm_text {
                    self.alarm_text = text.to_string();
                    cx.out.push(Notification::ups(NotifyType::Alarm, &self.system).with_extra(text));
                }
            }
            return;
        }
        self.alarm_state = true;
        let text = alarm.unwrap_or("n/a");
        cx.out.push(Notification::ups(NotifyType::Alarm, &self.system).with_extra(text));
        self.alarm_text = alarm.unwrap_or("").to_string();
        self.flags.alarm = true;
    }

    fn on_over(&mut self, cx: &mut Ctx<'_>) {
        if self.flags.over {
            if self.over_since.is_none() {
                self.over_since = Some(cx.now);
            }
            return;
        }
        self.over_since = Some(cx.now);
        self.over_state = true;
        self.notify(cx, NotifyType::Over);
        self.flags.over = true;
    }

    /// Remembers the last time the UPS was not critical (not OB+LB, or
    /// calibrating).
    fn update_crittimer(&mut self, now: Instant) {
        if !self.flags.onbatt || !self.flags.lowbatt || self.flags.cal {
            self.last_noncrit = Some(now);
        }
    }

    /// DEADTIME: a UPS last seen on battery and silent for longer is
    /// promoted to OB+LB (no notification, as in NUT).
    pub fn promote_if_dead(&mut self, now: Instant, deadtime: Duration) -> bool {
        if older_than(self.last_poll, now, deadtime) && self.flags.onbatt && !self.flags.lowbatt {
            tracing::debug!(nut_ups = %self.system, "Promoting dead UPS: {}", self.system);
            self.flags.lowbatt = true;
            return true;
        }
        false
    }

    /// Whether this UPS no longer counts as feeding the machine. May log,
    /// start the OBLBDURATION clock and change the poll interval, as NUT's
    /// `is_ups_critical` does.
    pub fn is_critical(&mut self, cx: &mut Ctx<'_>) -> bool {
        let s = cx.settings;
        let now = cx.now;
        let sys = self.system.clone();
        if self.flags.fsd {
            return true;
        }
        if self.comm == Seen::No {
            if self.flags.trim || self.flags.boost {
                tracing::warn!(
                    nut_ups = %sys,
                    "UPS [{sys}] was last known to be regulating the voltage and currently is not \
                     communicating, but we make no assumptions if it is dead now"
                );
            }
            if self.over_state || self.flags.over {
                match s.overduration {
                    Some(limit) => {
                        let since = self.over_since.unwrap_or(now);
                        if now - since < limit {
                            tracing::warn!(
                                nut_ups = %sys,
                                "UPS [{sys}] was last known to be overloaded and currently is not \
                                 communicating (waiting for OVERDURATION to elapse)"
                            );
                        } else {
                            tracing::warn!(
                                nut_ups = %sys,
                                "UPS [{sys}] was last known to be overloaded for longer than {} sec and is \
                                 still not communicating, assuming dead",
                                limit.as_secs()
                            );
                            return true;
                        }
                    }
                    None => tracing::warn!(
                        nut_ups = %sys,
                        "UPS [{sys}] was last known to be overloaded and currently is not communicating, \
                         but we make no assumptions if it is dead now"
                    ),
                }
            }
            if (self.alarm_state || self.flags.alarm) && s.alarmcritical {
                tracing::warn!(
                    nut_ups = %sys,
                    "UPS [{sys}] was last known to be in an ALARM state and currently is not \
                     communicating, assuming dead"
                );
                return true;
            }
            if self.flags.cal {
                tracing::warn!(
                    nut_ups = %sys,
                    "UPS [{sys}] was last known to be calibrating and currently is not communicating, assuming dead"
                );
                return true;
            }
            if self.bypass_state || self.flags.bypass {
                tracing::warn!(
                    nut_ups = %sys,
                    "UPS [{sys}] was last known to be on BYPASS and currently is not communicating, assuming dead"
                );
                return true;
            }
            if self.off_critical || (s.offduration.is_some() && self.flags.off) {
                tracing::warn!(
                    nut_ups = %sys,
                    "UPS [{sys}] was last known to be (administratively) OFF and currently is not \
                     communicating, assuming dead"
                );
                return true;
            }
        }
        if self.flags.off && s.offduration.is_some() && self.off_critical {
            tracing::warn!(nut_ups = %sys, "UPS [{sys}] is reported as (administratively) OFF");
            return true;
        }
        if !self.flags.onbatt || !self.flags.lowbatt {
            if let Some(since) = self.oblb_since.take() {
                tracing::warn!(
                    nut_ups = %sys,
                    "UPS [{sys}] returned from OB+LB state after {} seconds",
                    (now - since).as_secs()
                );
            }
            return false;
        }
        if self.flags.cal {
            tracing::warn!(
                nut_ups = %sys,
                "UPS [{sys}] is OB+LB now, but it is also calibrating - not declaring a critical state"
            );
            return false;
        }
        if !s.oblbduration.is_zero() {
            match self.oblb_since {
                None => {
                    tracing::warn!(
                        nut_ups = %sys,
                        "UPS [{sys}] is OB+LB now, but OBLBDURATION={} - not declaring a critical state yet",
                        s.oblbduration.as_secs()
                    );
                    self.oblb_since = Some(now);
                    return false;
                }
                Some(since) if now - since < s.oblbduration => return false,
                Some(_) => {}
            }
        }
        if self.role == Role::Primary {
            return true;
        }
        if older_than(self.last_noncrit, now, s.hostsync) {
            tracing::warn!(nut_ups = %sys, "Giving up on the primary for UPS [{sys}]");
            return true;
        }
        false
    }

    /// Whether this UPS is in a state that warrants POLLFREQALERT (on
    /// battery, off, on bypass, in alarm, calibrating, overloaded,
    /// regulating the voltage).
    pub fn wants_alert(&self, s: &Settings) -> bool {
        let f = &self.flags;
        f.onbatt || f.off || f.bypass || f.alarm || f.cal || (f.over && s.overduration.is_some()) || f.trim || f.boost
    }

    /// One line for `STATUS=`: the UPS and what upsmon believes.
    pub fn summary(&self) -> String {
        let st = match (self.comm, &self.last_status) {
            (Seen::No, _) => "COMMBAD".to_string(),
            (_, Some(s)) => s.clone(),
            (_, None) => "waiting".to_string(),
        };
        format!("{}: {}", self.system, st)
    }
}

/// The greatest common divisor of two second counts (NUT polls at this
/// step while an OBLBDURATION countdown runs).
pub fn gcd_secs(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}
