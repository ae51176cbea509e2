//! The loop against an in-process fake upsd with tokio's paused clock:
//! every notification and the shutdown are checked to the millisecond.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::engine::*;
use super::notify::{Notification, NotifyFlags, NotifyType};
use super::settings::{MonitorSpec, Role, Settings};

/// What the fake upsd answers for a UPS at a given time since start.
#[derive(Clone, Debug)]
enum Answer {
    Status(&'static str),
    /// `ERR DATA-STALE` (connection stays).
    Stale,
    /// Server unreachable (connect fails, connection lost).
    Down,
}

type Script = Arc<dyn Fn(Duration) -> Answer + Send + Sync>;

#[derive(Default)]
struct World {
    /// FSD latch per UPS name.
    fsd: Vec<String>,
    /// Extra logins (secondaries) per UPS until the given time.
    secondaries_until: Vec<(String, Duration)>,
    log: Vec<String>,
}

struct Fake {
    t0: Instant,
    world: Arc<Mutex<World>>,
    scripts: Vec<(String, Script)>,
}

struct FakeSession {
    t0: Instant,
    ups: String,
    world: Arc<Mutex<World>>,
    script: Script,
    connected: bool,
}

impl Connector for Fake {
    type Session = FakeSession;
    fn session(&self, spec: &MonitorSpec, _s: &Settings) -> FakeSession {
        let script = self.scripts.iter().find(|(n, _)| *n == spec.ups).map(|(_, s)| s.clone()).expect("script");
        FakeSession { t0: self.t0, ups: spec.ups.clone(), world: self.world.clone(), script, connected: false }
    }
}

impl FakeSession {
    fn answer(&self) -> Answer {
        (self.script)(Instant::now() - self.t0)
    }
}

impl Session for FakeSession {
    fn is_connected(&self) -> bool {
        self.connected
    }
    async fn connect(&mut self) -> Result<(), ConnectError> {
        if let Answer::Down = self.answer() {
            return Err(ConnectError::Connect("Connection refused".into()));
        }
        self.connected = true;
        Ok(())
    }
    async fn get_var(&mut self, var: &str) -> Result<String, SessionError> {
        assert_eq!(var, "ups.status");
        match self.answer() {
            Answer::Down => {
                self.connected = false;
                Err(SessionError::lost("Connection failure"))
            }
            Answer::Stale => Err(SessionError::server("Data stale")),
            Answer::Status(s) => {
                if self.world.lock().unwrap().fsd.contains(&self.ups) {
                    Ok(format!("FSD {s}"))
                } else {
                    Ok(s.to_string())
                }
            }
        }
    }
    async fn set_fsd(&mut self) -> Result<(), SessionError> {
        let mut w = self.world.lock().unwrap();
        let at = Instant::now() - self.t0;
        w.log.push(format!("{:.3} FSD {}", at.as_secs_f64(), self.ups));
        w.fsd.push(self.ups.clone());
        Ok(())
    }
    async fn num_logins(&mut self) -> Result<u32, SessionError> {
        let w = self.world.lock().unwrap();
        let now = Instant::now() - self.t0;
        let extra = w.secondaries_until.iter().filter(|(u, until)| *u == self.ups && now < *until).count();
        Ok(1 + extra as u32)
    }
    async fn disconnect(&mut self) {
        self.connected = false;
    }
}

#[derive(Default)]
struct Recorder {
    t0: Option<Instant>,
    events: Vec<(Duration, NotifyType, String)>,
    shutdown_at: Option<Duration>,
}

impl Effects for Recorder {
    fn notify(&mut self, n: &Notification, message: &str, _flags: NotifyFlags) {
        let at = Instant::now() - self.t0.unwrap();
        self.events.push((at, n.kind, message.to_string()));
    }
    fn status(&mut self, _line: &str) {}
    async fn shutdown(&mut self) {
        self.shutdown_at = Some(Instant::now() - self.t0.unwrap());
    }
}

fn spec(ups: &str, pv: u32, role: Role) -> MonitorSpec {
    MonitorSpec {
        system: format!("{ups}@localhost"),
        ups: ups.into(),
        host: "localhost".into(),
        port: 3493,
        power_value: pv,
        user: "u".into(),
        password: "p".into(),
        role,
        pos: Default::default(),
    }
}

fn settings(monitors: Vec<MonitorSpec>) -> Settings {
    Settings {
        monitors,
        pollfreq: Duration::from_secs(5),
        pollfreqalert: Duration::from_secs(2),
        finaldelay: Duration::from_secs(5),
        ..Settings::default()
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Runs the loop until it ends or `limit` passes (then sends Stop).
async fn run(
    s: Settings,
    scripts: Vec<(&str, Script)>,
    setup: impl FnOnce(&mut World),
    limit: Duration,
    cmds: Vec<(Duration, Command)>,
) -> (Outcome, Recorder, Vec<String>) {
    let t0 = Instant::now();
    let world = Arc::new(Mutex::new(World::default()));
    setup(&mut world.lock().unwrap());
    let fake =
        Fake { t0, world: world.clone(), scripts: scripts.into_iter().map(|(n, s)| (n.to_string(), s)).collect() };
    let rec = Recorder { t0: Some(t0), ..Recorder::default() };
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        for (at, c) in cmds {
            tokio::time::sleep_until(t0 + at).await;
            let _ = tx.send(c).await;
        }
        tokio::time::sleep_until(t0 + limit).await;
        let _ = tx.send(Command::Stop).await;
    });
    let (outcome, m) = Monitor::new(s, fake, rec).run(rx).await;
    let log = world.lock().unwrap().log.clone();
    let Monitor { .. } = m;
    (outcome, take_effects(m), log)
}

fn take_effects<C: Connector>(m: Monitor<C, Recorder>) -> Recorder {
    let e = m.effects();
    Recorder { t0: e.t0, events: e.events.clone(), shutdown_at: e.shutdown_at }
}

fn kinds(r: &Recorder) -> Vec<(f64, NotifyType)> {
    r.events.iter().map(|(t, k, _)| ((t.as_secs_f64() * 1000.0).round() / 1000.0, *k)).collect()
}

fn timeline(spec: &'static [(f64, &'static str)]) -> Script {
    Arc::new(move |t: Duration| {
        let mut cur = Answer::Status(spec[0].1);
        for (at, st) in spec {
            if t.as_secs_f64() >= *at {
                cur = match *st {
                    "<stale>" => Answer::Stale,
                    "<down>" => Answer::Down,
                    s => Answer::Status(s),
                };
            }
        }
        cur
    })
}

#[tokio::test(start_paused = true)]
async fn power_failure_primary_shuts_down_finaldelay_after_lb() {
    use NotifyType::*;
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OL"), (10.0, "OB DISCHRG"), (21.0, "OB LB")]);
    let (out, rec, log) = run(s, vec![("ups", script)], |_| {}, secs(100.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // Polls at 0, 5, 10 (OB: alert rate 2 s), 12, …, 20, 22 (LB).
    assert_eq!(kinds(&rec), vec![(10.0, Onbatt), (22.0, Lowbatt), (22.0, Shutdown)]);
    assert_eq!(log, ["22.000 FSD ups"]);
    assert_eq!(rec.shutdown_at, Some(secs(27.0)));
    assert_eq!(rec.events[0].2, "UPS ups@localhost on battery");
}

#[tokio::test(start_paused = true)]
async fn power_returning_cancels_everything() {
    use NotifyType::*;
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OL"), (3.0, "OB"), (9.0, "OL CHRG"), (30.0, "OB"), (31.0, "OL")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::Stopped);
    // 0, 5 (OB), 7, 9 (OL: back to 5 s), 14, …, 29, 34 (OL again: the OB blip is not seen).
    assert_eq!(kinds(&rec), vec![(5.0, Onbatt), (9.0, Online)]);
    assert_eq!(rec.shutdown_at, None);
}

#[tokio::test(start_paused = true)]
async fn secondary_shuts_down_when_the_primary_sets_fsd() {
    use NotifyType::*;
    let s = settings(vec![spec("ups", 1, Role::Secondary)]);
    let script = timeline(&[(0.0, "OL"), (6.0, "FSD OB LB")]);
    let (out, rec, log) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    assert_eq!(kinds(&rec), vec![(10.0, Fsd), (10.0, Onbatt), (10.0, Lowbatt), (10.0, Shutdown)]);
    assert!(log.is_empty(), "a secondary never sets FSD: {log:?}");
    assert_eq!(rec.shutdown_at, Some(secs(15.0)));
}

#[tokio::test(start_paused = true)]
async fn secondary_gives_the_primary_hostsync_then_goes() {
    let s = settings(vec![spec("ups", 1, Role::Secondary)]);
    let script = timeline(&[(0.0, "OL"), (6.0, "OB LB")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // OB LB first seen at 10 (last non-critical moment); critical once more
    // than HOSTSYNC=15 s have passed: polls every 2 s → 26 > 25.
    assert_eq!(rec.shutdown_at, Some(secs(26.0 + 5.0)));
}

#[tokio::test(start_paused = true)]
async fn primary_waits_for_secondaries_to_log_out() {
    use NotifyType::*;
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OB LB")]);
    let (out, rec, log) =
        run(s, vec![("ups", script)], |w| w.secondaries_until.push(("ups".into(), secs(3.1))), secs(60.0), vec![])
            .await;
    assert_eq!(out, Outcome::ShutdownStarted);
    assert_eq!(log, ["0.000 FSD ups"]);
    // NUMLOGINS polled at 0, 0.25, … ; 2 logins until 3.1, so 3.25 sees 1.
    assert_eq!(kinds(&rec), vec![(0.0, Onbatt), (0.0, Lowbatt), (0.0, ShutdownHostsync), (3.25, Shutdown)]);
    assert_eq!(rec.shutdown_at, Some(secs(8.25)));
}

#[tokio::test(start_paused = true)]
async fn hostsync_bounds_the_wait_for_stuck_secondaries() {
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OL"), (1.0, "OB LB")]);
    let (out, rec, _) =
        run(s, vec![("ups", script)], |w| w.secondaries_until.push(("ups".into(), secs(1000.0))), secs(100.0), vec![])
            .await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // LB seen at 5; FSD; waits until more than 15 s passed: 20.25; +5.
    assert_eq!(rec.shutdown_at, Some(secs(25.25)));
}

#[tokio::test(start_paused = true)]
async fn lost_contact_on_battery_becomes_critical_after_deadtime() {
    use NotifyType::*;
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OL"), (4.0, "OB"), (6.0, "<stale>")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(100.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // OB at 5, stale from 7; last good poll 5; promoted when more than
    // DEADTIME=15 s passed: poll at 21 (16 s).
    assert_eq!(kinds(&rec), vec![(5.0, Onbatt), (7.0, Commbad), (21.0, Shutdown)]);
    assert_eq!(rec.shutdown_at, Some(secs(26.0)));
}

#[tokio::test(start_paused = true)]
async fn lost_contact_on_line_is_not_critical_and_nags_nocomm() {
    use NotifyType::*;
    let mut s = settings(vec![spec("ups", 1, Role::Primary)]);
    s.nocommwarntime = Duration::from_secs(20);
    let script = timeline(&[(0.0, "OL"), (4.0, "<down>"), (52.0, "OL")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::Stopped);
    // Last good poll at 0; COMMBAD at 5; NOCOMM once 20 s have passed since
    // the last poll (20) and again when more than 20 s passed since (45);
    // back at 55: COMMOK, no ONLINE (the line state was never lost).
    assert_eq!(kinds(&rec), vec![(5.0, Commbad), (20.0, Nocomm), (45.0, Nocomm), (55.0, Commok)]);
}

#[tokio::test(start_paused = true)]
async fn minsupplies_counts_power_values() {
    // Two UPSes feed one PSU each; MINSUPPLIES 1: losing one is fine.
    let mut s = settings(vec![spec("a", 1, Role::Primary), spec("b", 1, Role::Primary)]);
    s.minsupplies = 1;
    let a = timeline(&[(0.0, "OL"), (3.0, "OB LB")]);
    let b = timeline(&[(0.0, "OL")]);
    let (out, rec, log) = run(s.clone(), vec![("a", a.clone()), ("b", b.clone())], |_| {}, secs(30.0), vec![]).await;
    assert_eq!(out, Outcome::Stopped);
    assert_eq!(rec.shutdown_at, None);
    assert!(log.is_empty());
    // MINSUPPLIES 2: the same failure shuts down, FSD on every primary UPS.
    s.minsupplies = 2;
    let (out, rec, log) = run(s, vec![("a", a), ("b", b)], |_| {}, secs(30.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    assert_eq!(log, ["5.000 FSD a", "5.000 FSD b"]);
    assert_eq!(rec.shutdown_at, Some(secs(10.0)));
}

#[tokio::test(start_paused = true)]
async fn flapping_power_notifies_each_change_and_never_shuts_down() {
    use NotifyType::*;
    let mut s = settings(vec![spec("ups", 1, Role::Primary)]);
    s.pollfreq = Duration::from_secs(1);
    s.pollfreqalert = Duration::from_secs(1);
    let script = timeline(&[(0.0, "OL"), (2.0, "OB"), (3.0, "OL"), (4.0, "OB"), (5.0, "OL"), (6.0, "OB")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(8.5), vec![]).await;
    assert_eq!(out, Outcome::Stopped);
    assert_eq!(kinds(&rec), vec![(2.0, Onbatt), (3.0, Online), (4.0, Onbatt), (5.0, Online), (6.0, Onbatt)]);
}

#[tokio::test(start_paused = true)]
async fn admin_fsd_command_shuts_down_at_once() {
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OL")]);
    let (out, rec, log) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![(secs(7.0), Command::Fsd)]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    assert_eq!(log, ["7.000 FSD ups"]);
    assert_eq!(rec.shutdown_at, Some(secs(12.0)));
}

#[tokio::test(start_paused = true)]
async fn vendor_token_keeps_lb_latched_and_reports_other() {
    use NotifyType::*;
    let mut s = settings(vec![spec("ups", 0, Role::Secondary)]);
    s.minsupplies = 0;
    let script = timeline(&[(0.0, "OL"), (3.0, "OB LB"), (8.0, "OB XLBX"), (12.0, "OL")]);
    let (_, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(20.0), vec![]).await;
    assert_eq!(kinds(&rec), vec![(5.0, Onbatt), (5.0, Lowbatt), (9.0, Other), (13.0, Online), (13.0, Notother)]);
    assert_eq!(rec.events[2].2, "UPS ups@localhost: has at least one unclassified status token: [XLBX]");
}

#[tokio::test(start_paused = true)]
async fn oblbduration_delays_the_decision() {
    let mut s = settings(vec![spec("ups", 1, Role::Primary)]);
    s.oblbduration = Duration::from_secs(6);
    let script = timeline(&[(0.0, "OL"), (1.0, "OB LB")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // OB LB at 5; poll step gcd(2, 6) = 2; critical at 11 (6 s); +5.
    assert_eq!(rec.shutdown_at, Some(secs(16.0)));
}

#[tokio::test(start_paused = true)]
async fn calibration_is_not_a_power_failure_but_losing_contact_during_it_is() {
    use NotifyType::*;
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OL"), (3.0, "OB LB CAL"), (12.0, "<stale>")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // OB LB while calibrating: not critical; contact lost at 13 while CAL:
    // critical at once (newest NUT).
    assert_eq!(kinds(&rec), vec![(5.0, Onbatt), (5.0, Lowbatt), (5.0, Cal), (13.0, Commbad), (13.0, Shutdown)]);
    assert_eq!(rec.shutdown_at, Some(secs(18.0)));
}

#[tokio::test(start_paused = true)]
async fn bypass_then_silence_is_critical() {
    use NotifyType::*;
    let s = settings(vec![spec("ups", 1, Role::Primary)]);
    let script = timeline(&[(0.0, "OL"), (3.0, "OL BYPASS"), (8.0, "<down>")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // BYPASS seen at 5 (alert rate from then on), contact lost at 9.
    assert_eq!(kinds(&rec), vec![(5.0, Bypass), (9.0, Commbad), (9.0, Shutdown)]);
}

#[tokio::test(start_paused = true)]
async fn replace_battery_is_repeated_every_rbwarntime() {
    use NotifyType::*;
    let mut s = settings(vec![spec("ups", 0, Role::Secondary)]);
    s.minsupplies = 0;
    s.rbwarntime = Duration::from_secs(12);
    let script = timeline(&[(0.0, "OL RB")]);
    let (_, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(30.0), vec![]).await;
    // At 0, then when more than 12 s passed (polls every 5 s): 15, 30.
    assert_eq!(kinds(&rec), vec![(0.0, Replbatt), (15.0, Replbatt), (30.0, Replbatt)]);
}

#[tokio::test(start_paused = true)]
async fn off_counts_as_not_fed_after_offduration() {
    use NotifyType::*;
    let mut s = settings(vec![spec("ups", 1, Role::Primary)]);
    s.offduration = Some(Duration::from_secs(6));
    let script = timeline(&[(0.0, "OL"), (1.0, "OFF")]);
    let (out, rec, _) = run(s, vec![("ups", script)], |_| {}, secs(60.0), vec![]).await;
    assert_eq!(out, Outcome::ShutdownStarted);
    // OFF at 5; alert rate 2 s; more than 6 s at 13; +5.
    assert_eq!(kinds(&rec), vec![(5.0, Off), (13.0, Shutdown)]);
    assert_eq!(rec.shutdown_at, Some(secs(18.0)));
}
