//! The nutdrv_qx engine: walks a dialect's table over a [`Transport`],
//! keeps the status bits and alarms, runs instant commands and sets, and
//! guesses battery charge and runtime the way NUT 2.8.0 does.
//!
//! Conversion steps return `Result<String, ()>`: like NUT's, they only
//! say "this value is unusable"; the walk decides what that means.

#![allow(clippy::result_unit_err)]

use std::collections::HashMap;
use std::time::Instant;

use super::dialects::{Claim, Dialect, InitUps};
use super::item::{self, all_in, delay_word, format_num, format_str, strtod, strtol, Item, Pre, PreAnswer, Rw};
use super::store::QStore;
use super::transport::Transport;

/// Default `ondelay` (seconds).
pub const DEFAULT_ONDELAY: &str = "180";
/// Default `offdelay` (seconds).
pub const DEFAULT_OFFDELAY: &str = "30";
/// Default full-update period (seconds).
pub const DEFAULT_POLLFREQ: i64 = 30;
/// Tries per probe and per lost poll before the data goes stale.
pub const MAXTRIES: u32 = 3;

/// The status bits nutdrv_qx tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Bit {
    Ol = 0,
    Lb,
    Rb,
    Chrg,
    Dischrg,
    Bypass,
    Cal,
    Off,
    Over,
    Trim,
    Boost,
    Fsd,
}

const STATUS_NAMES: [(&str, Bit); 12] = [
    ("OL", Bit::Ol),
    ("LB", Bit::Lb),
    ("RB", Bit::Rb),
    ("CHRG", Bit::Chrg),
    ("DISCHRG", Bit::Dischrg),
    ("BYPASS", Bit::Bypass),
    ("CAL", Bit::Cal),
    ("OFF", Bit::Off),
    ("OVER", Bit::Over),
    ("TRIM", Bit::Trim),
    ("BOOST", Bit::Boost),
    ("FSD", Bit::Fsd),
];

/// Result of an instant command, as the driver protocol reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdResult {
    /// Done.
    Handled,
    /// Not a command of this device.
    Invalid,
    /// The device refused or did not answer as expected.
    Failed,
}

/// Result of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetResult {
    /// Done.
    Handled,
    /// Unknown variable or refused value (NUT 2.8.0 says UNKNOWN for both).
    Unknown,
}

/// Why the driver could not start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InitError {
    /// No dialect claimed the device.
    #[error("Device not supported!")]
    NotSupported,
    /// `protocol =` names no dialect.
    #[error("unknown protocol '{0}'")]
    UnknownProtocol(String),
    /// The first walk failed.
    #[error("Can't initialise data from the UPS")]
    InitFailed,
    /// A ups.conf value is out of range.
    #[error("{0}")]
    BadSetting(String),
}

/// The walk modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Capabilities enumeration (once).
    Init,
    /// Status only.
    Quick,
    /// Everything that is not static.
    Full,
}

#[derive(Debug, Clone)]
struct Batt {
    packs: f64,
    runt_act: f64,
    runt_nom: f64,
    runt_est: f64,
    runt_exp: f64,
    volt_act: f64,
    volt_high: f64,
    volt_nom: f64,
    volt_low: f64,
    chrg_act: f64,
    chrg_time: i64,
    load_act: f64,
    load_low: f64,
    load_eff: f64,
}

impl Default for Batt {
    fn default() -> Batt {
        Batt {
            packs: 1.0,
            runt_act: -1.0,
            runt_nom: -1.0,
            runt_est: 0.0,
            runt_exp: 0.0,
            volt_act: -1.0,
            volt_high: -1.0,
            volt_nom: -1.0,
            volt_low: -1.0,
            chrg_act: -1.0,
            chrg_time: 43200,
            load_act: 0.0,
            load_low: 0.1,
            load_eff: 1.0,
        }
    }
}

fn deq(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Bytes to a string one char per byte (Latin-1), so nothing is lost.
pub fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

/// C `sscanf("%f")`: a number after optional blanks, or nothing.
fn scan_f(s: &str) -> Option<f64> {
    let t = s.trim_start();
    let ok = t.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'+');
    if !ok || !t.bytes().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(strtod(t))
}

fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(p) => &b[..p],
        None => b,
    }
}

/// Dialect-specific state some preprocessing steps keep.
#[derive(Debug, Clone, Default)]
struct Scratch {
    bestups_inverted_bbb: bool,
    bestups_pins_shutdown_mode: i64,
    ablerex_q5_vb: i64,
    ablerex_q5_vbc: i64,
}

/// A running nutdrv_qx instance for one device.
pub struct Qx {
    /// The chosen dialect (after [`Qx::init`]).
    pub dialect: &'static Dialect,
    items: Vec<Item>,
    answers: Vec<Vec<u8>>,
    values: Vec<Vec<u8>>,
    /// Published data.
    pub store: QStore,
    params: HashMap<String, String>,
    status: u32,
    status_direct: Vec<String>,
    alarms: Vec<String>,
    alarm_active: bool,
    batt: Batt,
    data_has_changed: bool,
    lastpoll: Option<Instant>,
    battery_lastpoll: Option<Instant>,
    /// Full-update period.
    pub pollfreq: i64,
    retry: u32,
    stale: bool,
    scratch: Scratch,
    prev_cmd: Option<String>,
    prev_answer: Vec<u8>,
    battvolt_considered: bool,
    notes: HashMap<&'static str, String>,
    /// Messages NUT would log (kept for tests and the journal).
    pub log: Vec<String>,
}

impl Qx {
    /// An engine for `dialect` with ups.conf settings `params` (flags map to
    /// an empty value).
    pub fn new(dialect: &'static Dialect, params: HashMap<String, String>) -> Qx {
        let items = (dialect.table)();
        let n = items.len();
        Qx {
            dialect,
            items,
            answers: vec![Vec::new(); n],
            values: vec![Vec::new(); n],
            store: QStore::default(),
            params: params.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
            status: 0,
            status_direct: Vec::new(),
            alarms: Vec::new(),
            alarm_active: false,
            batt: Batt::default(),
            data_has_changed: false,
            lastpoll: None,
            battery_lastpoll: None,
            pollfreq: DEFAULT_POLLFREQ,
            retry: 0,
            stale: true,
            scratch: Scratch::default(),
            prev_cmd: None,
            prev_answer: Vec::new(),
            battvolt_considered: false,
            notes: HashMap::new(),
            log: Vec::new(),
        }
    }

    fn getval(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(|s| s.as_str())
    }

    fn testvar(&self, k: &str) -> bool {
        self.params.contains_key(k)
    }

    /// Whether the last update failed enough times for the data to be stale.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Current status bits.
    pub fn status_bits(&self) -> u32 {
        self.status
    }

    fn has_bit(&self, b: Bit) -> bool {
        self.status & (1 << b as u32) != 0
    }

    /// Apply `OL`, `!OL`... to the status bits.
    pub fn update_status(&mut self, v: &str) {
        let (clear, name) = match v.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, v),
        };
        for (s, b) in STATUS_NAMES {
            if s.eq_ignore_ascii_case(name) {
                if clear {
                    self.status &= !(1 << b as u32);
                } else {
                    self.status |= 1 << b as u32;
                }
                return;
            }
        }
    }

    /// The row named `var` having all of `flag` and none of `noflag`.
    pub fn find(&self, var: &str, flag: u32, noflag: u32) -> Option<usize> {
        self.items.iter().position(|it| {
            it.var.eq_ignore_ascii_case(var)
                && (flag == 0 || it.flags & flag == flag)
                && (noflag == 0 || it.flags & noflag == 0)
        })
    }

    /// The rows (for tests and tools).
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    // ---- one row: command, answer, value ----

    /// Send the row's command (or `command`) and cut out its value.
    pub fn process(&mut self, t: &mut dyn Transport, idx: usize, command: Option<&str>) -> Result<(), ()> {
        let cmd = match command {
            Some(c) => c.to_string(),
            None => self.items[idx].command.unwrap_or("").to_string(),
        };
        let mut bytes: Vec<u8> = cmd.chars().map(|c| c as u32 as u8).collect();
        if let Some(f) = self.items[idx].pre_cmd {
            if f(self, &mut bytes).is_err() {
                self.answers[idx].clear();
                return Err(());
            }
        }
        let ans = match t.command(&bytes) {
            Ok(a) => a,
            Err(e) => {
                self.log.push(format!("{}: {}", self.items[idx].var, e));
                self.answers[idx].clear();
                return Err(());
            }
        };
        let mut ans = ans;
        ans.truncate(511);
        self.answers[idx] = ans;
        let mut len = self.answers[idx].len();
        if let Some(p) = self.items[idx].pre_answer {
            match self.pre_answer(idx, p, len) {
                Some(l) => len = l,
                None => {
                    self.answers[idx].clear();
                    return Err(());
                }
            }
        } else {
            len = cstr(&self.answers[idx]).len();
        }
        self.process_answer(idx, len)
    }

    fn process_answer(&mut self, idx: usize, len: usize) -> Result<(), ()> {
        let it = &self.items[idx];
        let ans = &self.answers[idx];
        if let Some(rej) = self.dialect.rejected {
            if cstr(ans).eq_ignore_ascii_case(rej) {
                return Err(());
            }
        }
        if it.answer_len > 0 && len < it.answer_len {
            return Err(());
        }
        if let Some(l) = it.leading {
            if ans.first() != Some(&l) {
                return Err(());
            }
        }
        if it.to != 0 && it.to < it.from {
            return Err(());
        }
        let value = if matches!(it.pre_answer, Some(PreAnswer::Binary)) {
            let end = if it.to != 0 { (it.to + 1).min(ans.len()) } else { ans.len() };
            ans.get(it.from..end).map(|s| s.to_vec()).unwrap_or_default()
        } else {
            let c = cstr(ans);
            if c.is_empty() {
                Vec::new()
            } else {
                let cr = c.iter().position(|&x| x == b'\r').unwrap_or(c.len());
                let n = if it.to != 0 { 1 + it.to - it.from } else { cr.saturating_sub(it.from) };
                let start = it.from.min(c.len());
                let end = (start + n).min(c.len());
                c[start..end].to_vec()
            }
        };
        self.values[idx] = value;
        Ok(())
    }

    /// Turn the row's value into NUT's: 1 = a variable was set, 0 = a status
    /// or alarm was applied, -1 = error.
    pub fn infoval_set(&mut self, idx: usize) -> i32 {
        let it = self.items[idx].clone();
        let value: String;
        if let Some(p) = it.pre {
            match self.pre_value(idx, p) {
                Ok(v) => value = v,
                Err(()) => return -1,
            }
            if it.var.len() >= 10 && it.var[..10].eq_ignore_ascii_case("ups.status") {
                if !value.is_empty() {
                    self.update_status(&value);
                }
                return 0;
            }
            if it.var.len() >= 9 && it.var[..9].eq_ignore_ascii_case("ups.alarm") {
                if !value.is_empty() {
                    self.alarm_set(&value);
                }
                return 0;
            }
        } else {
            let mut v = latin1(&self.values[idx]);
            if it.flags & item::TRIM != 0 {
                v = v.trim_matches(|c| c == '#' || c == ' ').to_string();
            }
            let dfl = it.dfl.unwrap_or("%s");
            if !dfl.eq_ignore_ascii_case("%s") {
                if !all_in(&v, "0123456789 .") {
                    return -1;
                }
                v = format_num(dfl, strtod(&v)).unwrap_or(v);
            }
            value = v;
        }
        if it.flags & item::NONUT != 0 {
            self.log.push(format!("{}: {}", it.var, value));
            return 1;
        }
        if value.is_empty() {
            return -1;
        }
        self.store.set(it.var, &value);
        if it.var.eq_ignore_ascii_case("battery.charge") {
            self.batt.chrg_act = strtol(&value) as f64;
        } else if it.var.eq_ignore_ascii_case("battery.runtime") {
            self.batt.runt_act = strtol(&value) as f64;
        }
        1
    }

    /// NUT's alarm_set: only the buffer; `alarm_active` changes on commit.
    fn alarm_set(&mut self, a: &str) {
        self.alarms.push(a.to_string());
    }

    /// The accepted values of a row: (ranges, enums) after filters.
    fn rw_values(&self, idx: usize) -> (Vec<(i64, i64)>, Vec<String>) {
        let it = &self.items[idx];
        match &it.rw {
            Rw::Range(r) => (r.clone(), vec![]),
            Rw::Enum(e) => (vec![], e.clone()),
            Rw::List(l) => {
                let vals: Vec<String> =
                    l.iter().filter(|(v, f)| f.is_none_or(|f| f(self, v))).map(|(v, _)| v.to_string()).collect();
                if it.flags & item::RANGE != 0 {
                    (vals.chunks(2).filter(|c| c.len() == 2).map(|c| (strtol(&c[0]), strtol(&c[1]))).collect(), vec![])
                } else {
                    (vec![], vals)
                }
            }
            _ => (vec![], vec![]),
        }
    }

    fn set_var_meta(&mut self, idx: usize) {
        let it = self.items[idx].clone();
        if it.flags & item::NONUT != 0 {
            return;
        }
        let (ranges, enums) = self.rw_values(idx);
        let Some(v) = self.store.var_mut(it.var) else { return };
        v.rw = it.rw_flag;
        v.string = it.string_flag;
        if it.string_flag {
            if let Rw::StrLen(n) = it.rw {
                v.aux = Some(n);
            }
        }
        if it.flags & item::ENUM != 0 {
            for x in enums {
                if !v.enums.contains(&x) {
                    v.enums.push(x);
                }
            }
        }
        if it.flags & item::RANGE != 0 {
            for x in ranges {
                if !v.ranges.contains(&x) {
                    v.ranges.push(x);
                }
            }
        }
    }

    // ---- the walk ----

    /// One pass over the table.
    pub fn walk(&mut self, t: &mut dyn Transport, mode: Walk, now: Instant) -> bool {
        if mode == Walk::Full {
            self.batt.runt_act = -1.0;
            self.batt.chrg_act = -1.0;
        }
        self.prev_cmd = None;
        self.prev_answer.clear();
        for idx in 0..self.items.len() {
            let it = self.items[idx].clone();
            if it.flags & item::SKIP != 0 {
                continue;
            }
            match mode {
                Walk::Init => {
                    if it.flags & item::ABSENT != 0 {
                        if self.store.get(it.var).is_some() {
                            continue;
                        }
                        self.store.set(it.var, it.dfl.unwrap_or(""));
                        self.set_var_meta(idx);
                        continue;
                    }
                    let dup_ok = it.var.to_ascii_lowercase().starts_with("ups.alarm")
                        || it.var.to_ascii_lowercase().starts_with("ups.status");
                    if !dup_ok && self.store.get(it.var).is_some() {
                        continue;
                    }
                }
                Walk::Quick => {
                    if it.flags & item::QUICK_POLL == 0 {
                        continue;
                    }
                }
                Walk::Full => {
                    if it.flags & (item::ABSENT | item::CMD | item::SETVAR | item::STATIC) != 0 {
                        continue;
                    }
                    if it.flags & item::SEMI_STATIC != 0 && !self.data_has_changed {
                        continue;
                    }
                }
            }
            if it.flags & item::CMD != 0 {
                self.store.cmds.insert(it.var.to_string());
                continue;
            }
            if it.flags & item::SETVAR != 0 {
                if it.flags & item::NONUT != 0 {
                    let _ = self.setvar(t, it.var, None);
                    self.items[idx].flags |= item::SKIP;
                }
                continue;
            }
            let cmd = it.command.unwrap_or("");
            let rc = if self.prev_cmd.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(cmd))
                && !cstr(&self.prev_answer).is_empty()
            {
                self.answers[idx] = self.prev_answer.clone();
                let l = cstr(&self.answers[idx]).len();
                self.process_answer(idx, l)
            } else {
                self.process(t, idx, None)
            };
            self.prev_cmd = Some(cmd.to_string());
            self.prev_answer = self.answers[idx].clone();
            if rc.is_err() {
                self.answers[idx].clear();
                self.values[idx].clear();
                if it.flags & item::QUICK_POLL != 0 {
                    return false;
                }
                if mode == Walk::Init {
                    self.items[idx].flags |= item::SKIP;
                }
                continue;
            }
            let r = self.infoval_set(idx);
            self.answers[idx].clear();
            self.values[idx].clear();
            if r == -1 {
                if it.flags & item::QUICK_POLL != 0 {
                    return false;
                }
                continue;
            }
            if r == 1 && mode == Walk::Init {
                self.set_var_meta(idx);
            }
        }
        if mode == Walk::Full && (deq(self.batt.runt_act, -1.0) || deq(self.batt.chrg_act, -1.0)) {
            if self.getval("runtimecal").is_some() {
                self.runtime_update(now);
            } else {
                self.battery();
            }
        }
        true
    }

    fn runtime_update(&mut self, now: Instant) {
        let dt = self.battery_lastpoll.map(|l| now.duration_since(l).as_secs() as f64).unwrap_or(0.0);
        let b = &mut self.batt;
        if self.status & (1 << Bit::Ol as u32) != 0 {
            b.runt_est += b.runt_nom * dt / b.chrg_time as f64;
            if b.runt_est > b.runt_nom {
                b.runt_est = b.runt_nom;
            }
        } else {
            b.runt_est -= b.load_eff * dt;
            if b.runt_est < 0.0 {
                b.runt_est = 0.0;
            }
        }
        if let Some(v) = self.store.get("battery.voltage") {
            let b = &mut self.batt;
            b.volt_act = b.packs * strtod(v);
            if b.volt_act > 0.0 && b.volt_low > 0.0 && b.volt_high > b.volt_low {
                let c = ((b.volt_act - b.volt_low) / (b.volt_high - b.volt_low)).clamp(0.0, 1.0);
                if c < b.runt_est / b.runt_nom {
                    b.runt_est = c * b.runt_nom;
                }
            }
        }
        if deq(self.batt.chrg_act, -1.0) {
            let c = 100.0 * self.batt.runt_est / self.batt.runt_nom;
            self.store.set("battery.charge", &format!("{c:.0}"));
        }
        if deq(self.batt.runt_act, -1.0) && self.load() {
            let r = self.batt.runt_est / self.batt.load_eff;
            self.store.set("battery.runtime", &format!("{r:.0}"));
        }
        self.battery_lastpoll = Some(now);
    }

    fn battery(&mut self) -> bool {
        let Some(v) = self.store.get("battery.voltage") else { return false };
        let one_pack = self.battvolt_considered;
        let b = &mut self.batt;
        // NUT 2.8.0 always multiplies; newer rows that already did
        // (qx_multiply_battvolt) are not multiplied again.
        b.volt_act = if one_pack { strtod(v) } else { b.packs * strtod(v) };
        if deq(b.chrg_act, -1.0) && b.volt_low > 0.0 && b.volt_high > b.volt_low {
            b.chrg_act = (100.0 * (b.volt_act - b.volt_low) / (b.volt_high - b.volt_low)).clamp(0.0, 100.0);
            let s = format!("{:.0}", b.chrg_act);
            self.store.set("battery.charge", &s);
        }
        true
    }

    fn load(&mut self) -> bool {
        let Some(v) = self.store.get("ups.load") else { return false };
        let b = &mut self.batt;
        b.load_act = strtod(v);
        b.load_eff = (b.load_act / 100.0).powf(b.runt_exp);
        if b.load_eff < b.load_low {
            b.load_eff = b.load_low;
        }
        true
    }

    /// NUT's qx_initbattery. Dialects of NUT 2.8.0 get 2.8.0's rules;
    /// the dialects only newer NUT has get its rules where they differ:
    /// the low/high voltages are guessed even when the device reports
    /// charge and runtime, and the pack autodetection allows 1.25 (not
    /// 1.2) times the nominal voltage.
    fn init_battery(&mut self, now: Instant) -> Result<(), InitError> {
        let newer = !self.dialect.nut_2_8_0;
        let reported = self.store.get("battery.charge").is_some() && self.store.get("battery.runtime").is_some();
        if reported && !newer {
            return Ok(());
        }
        if let Some(v) = self.store.get("battery.voltage.high") {
            self.batt.volt_high = strtod(v);
        }
        if let Some(v) = self.store.get("battery.voltage.low") {
            self.batt.volt_low = strtod(v);
        }
        if let Some(v) = self.store.get("battery.voltage.nominal") {
            self.batt.volt_nom = strtod(v);
        }
        let b = &mut self.batt;
        if !deq(b.volt_nom, -1.0) && (deq(b.volt_low, -1.0) || deq(b.volt_high, -1.0)) {
            b.volt_low = 104.0 * b.volt_nom / 120.0;
            b.volt_high = 130.0 * b.volt_nom / 120.0;
            let (l, h) = (format!("{:.2}", b.volt_low), format!("{:.2}", b.volt_high));
            self.store.set("battery.voltage.low", &l);
            self.store.set("battery.voltage.high", &h);
            self.log.push(format!("Using 'guesstimation' (low: {l}, high: {h})!"));
        }
        if reported {
            if let Some(v) = self.store.get("battery.packs").filter(|v| all_in(v, "0123456789 .")) {
                self.batt.packs = strtod(v);
            }
            return Ok(());
        }
        let high_factor = if newer { 1.25 } else { 1.2 };
        match self.store.get("battery.packs") {
            Some(v) if all_in(v, "0123456789 .") => self.batt.packs = strtod(v),
            _ => {
                if self.battery() && !deq(self.batt.volt_nom, -1.0) {
                    const PACKS: [f64; 17] = [
                        120.0, 100.0, 80.0, 60.0, 48.0, 36.0, 30.0, 24.0, 18.0, 12.0, 8.0, 6.0, 4.0, 3.0, 2.0, 1.0, 0.5,
                    ];
                    let (act, nom) = (self.batt.volt_act, self.batt.volt_nom);
                    for p in PACKS {
                        if p * act > high_factor * nom {
                            continue;
                        }
                        if p * act < 0.8 * nom {
                            self.log.push("Can't autodetect number of battery packs".into());
                            break;
                        }
                        self.batt.packs = p;
                        self.log.push(format!("Autodetected {p:.0} as number of battery packs"));
                        break;
                    }
                }
            }
        }
        self.battery();
        let Some(rc) = self.getval("runtimecal").map(|s| s.to_string()) else {
            self.log.push("Battery runtime will not be calculated (runtimecal not set)".into());
            return Ok(());
        };
        self.battery_lastpoll = Some(now);
        let p: Vec<f64> = rc.split(',').map(strtod).collect();
        if p.len() < 4 {
            return Err(InitError::BadSetting("Insufficient parameters for runtimecal".into()));
        }
        let (rh, lh, rl, ll) = (p[0], p[1], p[2], p[3]);
        if rl < rh || rh <= 0.0 {
            return Err(InitError::BadSetting("Parameter out of range (runtime)".into()));
        }
        if lh > 100.0 || ll > lh || ll <= 0.0 {
            return Err(InitError::BadSetting("Parameter out of range (load)".into()));
        }
        self.batt.runt_exp = (rl / rh).ln() / (lh / ll).ln();
        self.batt.runt_nom = rh * (lh / 100.0).powf(self.batt.runt_exp);
        if self.store.get("battery.charge").is_none() && !deq(self.batt.volt_nom, -1.0) {
            self.batt.volt_low = self.batt.volt_nom;
            self.batt.volt_high = 1.15 * self.batt.volt_nom;
            if !self.battery() {
                return Err(InitError::BadSetting("Initial battery charge undetermined".into()));
            }
        }
        match self.store.get("battery.charge") {
            Some(v) => self.batt.runt_est = self.batt.runt_nom * strtod(v) / 100.0,
            None => return Err(InitError::BadSetting("Initial battery charge undetermined".into())),
        }
        if let Some(v) = self.getval("chargetime") {
            let t = strtol(v);
            if t <= 0 {
                return Err(InitError::BadSetting("Charge time out of range [1..s]".into()));
            }
            self.batt.chrg_time = t;
        }
        if let Some(v) = self.getval("idleload") {
            let l = strtod(v) / 100.0;
            if l <= 0.0 || l > 1.0 {
                return Err(InitError::BadSetting("Idle load out of range [0..100]".into()));
            }
            self.batt.load_low = l;
        }
        Ok(())
    }

    // ---- start-up ----

    /// Pick the dialect (the `protocol` setting or autodetection in NUT's
    /// order) and read everything once. Returns the engine ready to poll.
    pub fn detect(
        t: &mut dyn Transport,
        params: HashMap<String, String>,
        usb_vendor: Option<u16>,
    ) -> Result<Qx, InitError> {
        let protocol = params.iter().find(|(k, _)| k.eq_ignore_ascii_case("protocol")).map(|(_, v)| v.clone());
        let list = super::dialects::all();
        if let Some(p) = &protocol {
            if !list.iter().any(|d| d.name.eq_ignore_ascii_case(p)) {
                return Err(InitError::UnknownProtocol(p.clone()));
            }
        }
        for d in list {
            if let Some(p) = &protocol {
                if !d.name.eq_ignore_ascii_case(p) {
                    continue;
                }
            }
            // An explicit protocol skips the vendor gate (as NUT's omron
            // claim does).
            if let (Some(v), None) = (d.usb_vendor_gate, &protocol) {
                if usb_vendor != Some(v) {
                    continue;
                }
            }
            for _ in 0..MAXTRIES {
                let mut q = Qx::new(d, params.clone());
                q.initups();
                if q.claim(t) {
                    q.log.push(format!("Using protocol: {}", d.version));
                    return Ok(q);
                }
            }
        }
        Err(InitError::NotSupported)
    }

    fn initups(&mut self) {
        let (nr, nv, isb) = (self.testvar("norating"), self.testvar("novendor"), self.testvar("ignoresab"));
        let nos = self.testvar("nooutstats");
        let light = match self.dialect.initups {
            InitUps::None => return,
            InitUps::Blazer => false,
            InitUps::BlazerLight => true,
            InitUps::Q2 => {
                for it in &mut self.items {
                    let sab = it.var.eq_ignore_ascii_case("ups.status") && it.from == 44 && it.to == 44;
                    let c = it.command.unwrap_or("");
                    if (isb && sab) || (nr && c.eq_ignore_ascii_case("F\r")) || (nos && c.eq_ignore_ascii_case("WA\r"))
                    {
                        it.flags |= item::SKIP;
                    }
                }
                return;
            }
        };
        for it in &mut self.items {
            let sab = it.var.eq_ignore_ascii_case("ups.status") && it.from == 44 && it.to == 44;
            if isb && sab {
                it.flags |= item::SKIP;
            }
            if light {
                continue;
            }
            let Some(c) = it.command else { continue };
            if nr && c.eq_ignore_ascii_case("F\r") {
                it.flags |= item::SKIP;
            }
            if nv && (c.eq_ignore_ascii_case("I\r") || c.eq_ignore_ascii_case("FW?\r")) {
                it.flags |= item::SKIP;
            }
        }
    }

    fn probe(&mut self, t: &mut dyn Transport, var: &str) -> bool {
        let Some(i) = self.find(var, 0, 0) else { return false };
        if self.items[i].flags & item::SKIP != 0 {
            return true;
        }
        self.process(t, i, None).is_ok() && self.infoval_set(i) == 1
    }

    /// Does the device speak this dialect?
    pub fn claim(&mut self, t: &mut dyn Transport) -> bool {
        match self.dialect.claim {
            Claim::Blazer => {
                if !self.probe(t, "input.voltage") {
                    return false;
                }
                if self.testvar("novendor") {
                    return true;
                }
                if !self.probe(t, "ups.firmware") {
                    self.store.del("input.voltage");
                    return false;
                }
                true
            }
            Claim::BlazerLight => self.probe(t, "input.voltage"),
            Claim::Bestups => {
                if !self.probe(t, "input.voltage") {
                    return false;
                }
                if !self.probe(t, "device.model") {
                    self.store.del("input.voltage");
                    return false;
                }
                true
            }
            Claim::Mecer => {
                if !self.probe(t, "input.voltage") {
                    return false;
                }
                let Some(i) = self.find("ups.firmware.aux", 0, 0) else { return false };
                if self.process(t, i, None).is_err() {
                    if !cstr(&self.answers[i]).eq_ignore_ascii_case(b"(NAK\r") {
                        self.store.del("input.voltage");
                        return false;
                    }
                    self.items[i].flags |= item::SKIP;
                } else if self.infoval_set(i) != 1 {
                    self.store.del("input.voltage");
                    return false;
                }
                true
            }
            Claim::Fn(f) => f(self, t),
            Claim::Probe(vars) => {
                for (n, v) in vars.iter().enumerate() {
                    if !self.probe(t, v) {
                        for done in &vars[..n] {
                            self.store.del(done);
                        }
                        return false;
                    }
                }
                true
            }
        }
    }

    /// NUT's upsdrv_initinfo: the first walk, battery guesses, delays from
    /// ups.conf, load.on/off fallbacks, pollfreq.
    pub fn init(&mut self, t: &mut dyn Transport, now: Instant) -> Result<(), InitError> {
        if self.store.get("device.type").is_none() {
            self.store.set("device.type", "ups");
        }
        self.store.set("driver.version.data", self.dialect.version);
        if !self.walk(t, Walk::Init, now) {
            return Err(InitError::InitFailed);
        }
        self.init_battery(now)?;
        for (var, param) in [("ups.delay.start", "ondelay"), ("ups.delay.shutdown", "offdelay")] {
            if self.store.get(var).is_some() {
                if let Some(v) = self.getval(param).map(|s| s.to_string()) {
                    if self.setvar(t, var, Some(&v)) != SetResult::Handled {
                        let what = if param == "ondelay" { "Start" } else { "Shutdown" };
                        return Err(InitError::BadSetting(format!("{what} delay '{v}' out of range")));
                    }
                }
            }
        }
        for (plain, delayed) in [("load.off", "load.off.delay"), ("load.on", "load.on.delay")] {
            if self.find(plain, item::CMD, item::SKIP).is_none() && self.find(delayed, item::CMD, item::SKIP).is_some()
            {
                self.store.cmds.insert(plain.to_string());
            }
        }
        for (k, v) in self.dialect.init_vars {
            self.store.set(k, v);
        }
        if let Some(v) = self.getval("pollfreq") {
            self.pollfreq = strtol(v);
        }
        self.store.set("driver.parameter.pollfreq", &self.pollfreq.to_string());
        self.lastpoll = Some(now);
        Ok(())
    }

    /// NUT's upsdrv_updateinfo: a full walk every pollfreq seconds (or after
    /// a change), a quick one otherwise; publishes status and alarms.
    /// Returns whether the data is fresh.
    pub fn update(&mut self, t: &mut dyn Transport, now: Instant) -> bool {
        self.status_direct.clear();
        let full = self.data_has_changed
            || self.lastpoll.is_none_or(|l| now.duration_since(l).as_secs() as i64 > self.pollfreq);
        if full {
            self.status = 0;
            self.alarms.clear();
            self.alarm_active = false;
            if !self.walk(t, Walk::Full, now) {
                self.lost();
                return false;
            }
            self.lastpoll = Some(now);
            self.data_has_changed = false;
            if self.has_bit(Bit::Rb) {
                self.alarm_set("Replace battery!");
            }
            if self.has_bit(Bit::Fsd) {
                self.alarm_set("Shutdown imminent!");
            }
            if !self.alarms.is_empty() {
                let a = self.alarms.join(" ");
                self.store.set("ups.alarm", &a);
                self.alarm_active = true;
            } else {
                self.store.del("ups.alarm");
                self.alarm_active = false;
            }
        } else if !self.walk(t, Walk::Quick, now) {
            self.lost();
            return false;
        }
        let s = self.status_words().join(" ");
        if self.alarm_active {
            self.store.set("ups.status", &format!("ALARM {s}"));
        } else {
            self.store.set("ups.status", &s);
        }
        if self.retry > MAXTRIES {
            self.log.push("Communications with the UPS re-established".into());
        }
        self.retry = 0;
        self.stale = false;
        true
    }

    fn lost(&mut self) {
        if self.retry <= MAXTRIES {
            self.retry += 1;
        } else {
            self.stale = true;
        }
    }

    /// The ups.status words, in NUT's order.
    pub fn status_words(&self) -> Vec<String> {
        let mut w: Vec<String> = self.status_direct.clone();
        let mut push = |s: &str| w.push(s.to_string());
        if self.has_bit(Bit::Ol) {
            push("OL");
        } else {
            push("OB");
        }
        for (b, s) in [
            (Bit::Dischrg, "DISCHRG"),
            (Bit::Chrg, "CHRG"),
            (Bit::Lb, "LB"),
            (Bit::Over, "OVER"),
            (Bit::Rb, "RB"),
            (Bit::Trim, "TRIM"),
            (Bit::Boost, "BOOST"),
            (Bit::Bypass, "BYPASS"),
            (Bit::Off, "OFF"),
            (Bit::Cal, "CAL"),
            (Bit::Fsd, "FSD"),
        ] {
            if self.has_bit(b) {
                push(s);
            }
        }
        w
    }

    // ---- commands and sets ----

    /// Run an instant command (`extra`: its optional argument).
    pub fn instcmd(&mut self, t: &mut dyn Transport, name: &str, extra: Option<&str>) -> CmdResult {
        if name.eq_ignore_ascii_case("beeper.off") {
            return self.instcmd(t, "beeper.disable", None);
        }
        if name.eq_ignore_ascii_case("beeper.on") {
            return self.instcmd(t, "beeper.enable", None);
        }
        self.log.push(format!("instcmd({name}, {})", extra.unwrap_or("[NULL]")));
        let Some(idx) = self.find(name, item::CMD, item::SKIP) else {
            return self.instcmd_fallback(t, name);
        };
        let it = self.items[idx].clone();
        let mut value = extra.or(it.dfl).unwrap_or("").to_string();
        if let Some(p) = it.pre {
            match self.pre_command(t, idx, p, &value) {
                Ok(v) => value = v,
                Err(()) => return CmdResult::Failed,
            }
        } else {
            value.clear();
        }
        let cmd = if value.is_empty() { None } else { Some(value.as_str()) };
        if self.process(t, idx, cmd).is_err() {
            return CmdResult::Failed;
        }
        self.accepted(idx, CmdResult::Handled, CmdResult::Failed)
    }

    fn accepted<T: Copy>(&mut self, idx: usize, ok: T, bad: T) -> T {
        let v = std::mem::take(&mut self.values[idx]);
        if !v.is_empty() {
            if self.dialect.accepted.is_some_and(|a| latin1(&v).eq_ignore_ascii_case(a)) {
                self.data_has_changed = true;
                return ok;
            }
            return bad;
        }
        self.data_has_changed = true;
        ok
    }

    fn instcmd_fallback(&mut self, t: &mut dyn Transport, name: &str) -> CmdResult {
        let n = name.to_ascii_lowercase();
        match n.as_str() {
            "load.on" => self.instcmd(t, "load.on.delay", Some("0")),
            "load.off" => self.instcmd(t, "load.off.delay", Some("0")),
            "shutdown.return" | "shutdown.stayoff" => {
                let ret = n == "shutdown.return";
                if self.store.get("ups.start.auto").is_some()
                    && self.setvar(t, "ups.start.auto", Some(if ret { "yes" } else { "no" })) != SetResult::Handled
                {
                    return CmdResult::Failed;
                }
                let on = if ret { self.store.get("ups.delay.start").map(|s| s.to_string()) } else { Some("-1".into()) };
                let r = self.instcmd(t, "load.on.delay", on.as_deref());
                if r != CmdResult::Handled {
                    return r;
                }
                let off = self.store.get("ups.delay.shutdown").map(|s| s.to_string());
                self.instcmd(t, "load.off.delay", off.as_deref())
            }
            _ => CmdResult::Invalid,
        }
    }

    /// Set `name` to `val` (None: a NONUT row pushing its ups.conf value).
    pub fn setvar(&mut self, t: &mut dyn Transport, name: &str, val: Option<&str>) -> SetResult {
        let Some(idx) = self.find(name, item::SETVAR, item::SKIP) else { return SetResult::Unknown };
        let it = self.items[idx].clone();
        let mut value: String;
        if it.flags & item::NONUT != 0 {
            let Some(u) = self.getval(&it.var.to_ascii_lowercase()).map(|s| s.to_string()) else {
                return SetResult::Handled;
            };
            value = u;
        } else {
            let v = val.unwrap_or("");
            if v.is_empty() {
                return SetResult::Unknown;
            }
            value = v.to_string();
            if self.store.get(it.var).is_some_and(|cur| cur.eq_ignore_ascii_case(&value)) {
                return SetResult::Handled;
            }
        }
        if it.flags & item::RANGE != 0 {
            if !all_in(&value, "0123456789 .") {
                return SetResult::Unknown;
            }
            let x = strtol(&value);
            let ranges: Vec<(i64, i64)> = if it.flags & item::NONUT != 0 {
                self.rw_values(idx).0
            } else {
                match self.store.var(it.var) {
                    Some(v) => v.ranges.clone(),
                    None => return SetResult::Unknown,
                }
            };
            if !ranges.iter().any(|&(lo, hi)| lo <= x && x <= hi) {
                self.log.push(format!("setvar: value out of range [{}: {value}]", it.var));
                return SetResult::Unknown;
            }
        } else if it.flags & item::ENUM != 0 {
            let enums: Vec<String> = if it.flags & item::NONUT != 0 {
                self.rw_values(idx).1
            } else {
                match self.store.var(it.var) {
                    Some(v) => v.enums.clone(),
                    None => return SetResult::Unknown,
                }
            };
            if !enums.iter().any(|e| e.eq_ignore_ascii_case(&value)) {
                return SetResult::Unknown;
            }
        } else if it.string_flag {
            let aux = self.store.var(it.var).and_then(|v| v.aux);
            match aux {
                Some(a) if (value.len() as i64) <= a => {}
                _ => return SetResult::Unknown,
            }
        }
        if let Some(p) = it.pre {
            match self.pre_setvar(idx, p, &value) {
                Ok(v) => value = v,
                Err(()) => return SetResult::Unknown,
            }
        }
        if it.flags & item::ABSENT != 0 {
            self.store.set(it.var, &value);
            return SetResult::Handled;
        }
        if it.pre.is_none() {
            value.clear();
        }
        let cmd = if value.is_empty() { None } else { Some(value.as_str()) };
        if self.process(t, idx, cmd).is_err() {
            return SetResult::Unknown;
        }
        self.accepted(idx, SetResult::Handled, SetResult::Unknown)
    }

    /// What a shutdown does (`stayoff` flag: stay off): NUT's
    /// upsdrv_shutdown tries the command up to MAXTRIES times.
    pub fn shutdown(&mut self, t: &mut dyn Transport) -> CmdResult {
        let stay = self.testvar("stayoff");
        let name = if stay { "shutdown.stayoff" } else { "shutdown.return" };
        let mut last = CmdResult::Failed;
        for _ in 0..MAXTRIES {
            if self.find(name, item::CMD, item::SKIP).is_none() && self.find("load.off.delay", item::CMD, 0).is_none() {
                return CmdResult::Invalid;
            }
            last = self.instcmd(t, name, None);
            if last == CmdResult::Handled {
                break;
            }
        }
        last
    }

    // ---- preprocessing steps ----

    fn value_str(&self, idx: usize) -> String {
        latin1(&self.values[idx])
    }

    /// What the output/input voltage ratio says the UPS is doing while
    /// its "boost or buck" bit is set: TRIM, BYPASS or BOOST; a ratio out
    /// of every band (below 0.5 or from 1.5) is not a valid reading.
    fn regulation_word(&self) -> Result<&'static str, ()> {
        let (vi, vo) = (self.num("input.voltage"), self.num("output.voltage"));
        if vo < 0.5 * vi {
            Err(())
        } else if vo < 0.95 * vi {
            Ok("TRIM")
        } else if vo < 1.05 * vi {
            Ok("BYPASS")
        } else if vo < 1.5 * vi {
            Ok("BOOST")
        } else {
            Err(())
        }
    }

    fn num(&self, var: &str) -> f64 {
        self.store.get(var).map(strtod).unwrap_or(0.0)
    }

    fn pre_answer(&mut self, idx: usize, p: PreAnswer, len: usize) -> Option<usize> {
        match p {
            PreAnswer::Binary => Some(len),
            PreAnswer::Fn(f) => f(&mut self.answers[idx], len),
            PreAnswer::Qx(f) => f(self, idx, len),
            PreAnswer::BestupsId => {
                let a = latin1(cstr(&self.answers[idx]));
                if a.is_empty() {
                    return Some(0);
                }
                if !(25..=27).contains(&a.len()) {
                    return None;
                }
                let mut refined = String::new();
                let mut n = 0;
                for (i, tok) in a.split(',').filter(|s| !s.is_empty()).enumerate() {
                    n = i + 1;
                    match n {
                        1 => refined.push_str(tok),
                        2 => refined.push_str(&format!(",{tok:>4}")),
                        6 => refined.push_str(&format!(",{tok:>6}")),
                        _ => refined.push_str(&format!(",{tok}")),
                    }
                }
                if n != 6 || refined.len() != 28 {
                    return None;
                }
                self.answers[idx] = refined.into_bytes();
                Some(28)
            }
        }
    }

    fn pre_value(&mut self, idx: usize, p: Pre) -> Result<String, ()> {
        let it = self.items[idx].clone();
        let raw = self.value_str(idx);
        let dfl = it.dfl.unwrap_or("%s");
        match p {
            Pre::StatusBits => self.blazer_status_bit(it.from, &raw),
            Pre::Copy => Ok(format_str(dfl, &raw)),
            Pre::MinutesToSeconds => Ok(format!("{:.0}", scan_f(&raw).ok_or(())? * 60.0)),
            Pre::TimesThousand => Ok(format!("{:.2}", scan_f(&raw).ok_or(())? * 1000.0)),
            Pre::MultiplyBattvolt => {
                self.battvolt_considered = true;
                if !self.testvar("battery_voltage_reports_one_pack") || self.batt.packs < 2.0 {
                    return Ok(raw);
                }
                Ok(format!("{:.2}", scan_f(&raw).ok_or(())? * self.batt.packs))
            }
            Pre::P98Protocol => {
                if !raw.eq_ignore_ascii_case("PI98") {
                    self.log.push(format!("Protocol [{raw}] is not supported by this driver"));
                    return Err(());
                }
                Ok(format_str(dfl, "Voltronic Power P98"))
            }
            Pre::BestupsBbb => {
                let mut v = raw.clone().into_bytes();
                if !self.has_bit(Bit::Ol) || self.has_bit(Bit::Cal) || self.has_bit(Bit::Fsd) {
                    if v.first() == Some(&b'1') {
                        v[0] = b'0';
                    }
                } else if self.scratch.bestups_inverted_bbb {
                    match v.first() {
                        Some(b'1') => v[0] = b'0',
                        Some(b'0') => v[0] = b'1',
                        _ => {}
                    }
                }
                self.blazer_status_bit(it.from, &latin1(&v))
            }
            Pre::BestupsMfr => Ok(match raw.as_str() {
                "AX1" | "FOR" | "FTC" | "PR2" | "PRO" => "Best Power",
                "325" | "520" | "620" => "Sola Australia",
                _ => "Unknown",
            }
            .to_string()),
            Pre::BestupsModel => {
                let m = match raw.as_str() {
                    "AX1" => "Axxium Rackmount".to_string(),
                    "FOR" => "Fortress".to_string(),
                    "FTC" => "Fortress Telecom".to_string(),
                    "PR2" => {
                        self.scratch.bestups_inverted_bbb = true;
                        "Patriot Pro II".to_string()
                    }
                    "PRO" => {
                        self.scratch.bestups_inverted_bbb = true;
                        "Patriot Pro".to_string()
                    }
                    "320" | "325" | "520" | "525" | "620" => format!("Sola {raw}"),
                    _ => format!("Unknown ({raw})"),
                };
                if raw != "PRO" && raw != "320" {
                    let i = self.find("battery.runtime", 0, 0).ok_or(())?;
                    self.items[i].flags &= !item::SKIP;
                }
                if raw == "AX1" || raw == "620" {
                    let i = self.find("battery.packs", 0, item::SETVAR).ok_or(())?;
                    self.items[i].flags &= !item::SKIP;
                }
                Ok(m)
            }
            Pre::BestupsRuntime => {
                if !all_in(&raw, "0123456789 .") {
                    return Err(());
                }
                format_num(dfl, strtod(&raw) * 60.0).ok_or(())
            }
            Pre::BestupsPacks => {
                if !all_in(&raw, "0123456789 ") {
                    return Err(());
                }
                let v = format_num(dfl, strtol(&raw) as f64).ok_or(())?;
                let i = self.find("battery.packs", item::SETVAR, 0).ok_or(())?;
                self.items[i].flags &= !item::SKIP;
                Ok(v)
            }
            Pre::BestupsPinsShutdownMode => {
                if !all_in(&raw, "0123456789") {
                    return Err(());
                }
                let l = strtol(&raw);
                self.scratch.bestups_pins_shutdown_mode = l;
                let v = format_num(dfl, l as f64).ok_or(())?;
                if it.flags & item::NONUT != 0 && self.getval(&it.var.to_ascii_lowercase()).is_none() {
                    return Ok(v);
                }
                let i = self.find(it.var, item::SETVAR, 0).ok_or(())?;
                self.items[i].flags &= !item::SKIP;
                Ok(v)
            }
            Pre::BestupsVoltageSettings => {
                if !all_in(&raw, "0123456789") || raw.is_empty() {
                    return Err(());
                }
                let mut index = strtol(&raw);
                if !(0..=9).contains(&index) {
                    return Err(());
                }
                let nominal = self
                    .store
                    .get("input.voltage.nominal")
                    .or(self.store.get("output.voltage.nominal"))
                    .map(strtol)
                    .ok_or(())?;
                if nominal > 160 {
                    index += 10;
                }
                let s = super::dialects::bestups::VOLTAGE_SETTINGS[index as usize];
                let v = match it.var {
                    "input.transfer.low" | "input.transfer.boost.low" => s.0,
                    "input.transfer.boost.high" => s.1,
                    "input.voltage.nominal" | "output.voltage.nominal" => s.2,
                    "input.transfer.trim.low" => s.3,
                    "input.transfer.trim.high" | "input.transfer.high" => s.4,
                    _ => return Err(()),
                };
                format_num(dfl, v as f64).ok_or(())
            }
            Pre::AblerexQ5 => {
                let a = self.answers[idx].clone();
                let w = |i: usize| -> i64 {
                    a.get(i).copied().unwrap_or(0) as i64 * 256 + a.get(i + 1).copied().unwrap_or(0) as i64
                };
                let raw_v = w(it.from);
                let fout = w(1);
                self.scratch.ablerex_q5_vb = w(7);
                self.scratch.ablerex_q5_vbc = w(9);
                self.store.set("output.frequency", &format!("{:.1}", 0.1 * fout as f64));
                self.store.set("ups.alarm", &format!("{}", w(13)));
                self.store.set("output.current", &format!("{:.1}", 0.1 * w(15) as f64));
                match it.from {
                    1 | 15 => Ok(format!("{:.1}", raw_v as f64 * 0.1)),
                    13 => Ok(format!("{raw_v}")),
                    _ => Err(()),
                }
            }
            Pre::AblerexAt => {
                let a = &self.answers[idx];
                let b = |i: usize| a.get(i).copied().unwrap_or(0) as i64;
                Ok(format!("{}", b(1) * 65536 * 256 + b(2) * 65536 + b(3) * 256 + b(4)))
            }
            Pre::AblerexTr => {
                let a = &self.answers[idx];
                let s: Vec<u8> = a.iter().skip(1).take(4).copied().take_while(|&c| c != 0).collect();
                Ok(latin1(&s))
            }
            Pre::AblerexStatus => {
                let v = raw.as_bytes();
                match it.from {
                    40 => {
                        if v.first() == Some(&b'1') {
                            if v.get(2) == Some(&b'1') {
                                let s = self.regulation_word()?;
                                self.status_direct.push(s.into());
                            } else {
                                self.status_direct.push("BYPASS".into());
                            }
                        }
                    }
                    41 => {
                        if v.first() == Some(&b'1') {
                            self.status_direct.push("RB".into());
                        }
                        if self.num("output.voltage") < 50.0 {
                            self.status_direct.push("OFF".into());
                        }
                    }
                    _ => return Err(()),
                }
                Ok(String::new())
            }
            Pre::AblerexBattery => {
                let bv = strtod(&raw);
                let Some(nom) = self.store.get("battery.voltage.nominal").map(strtod) else {
                    return Ok(format!("{bv:.2}"));
                };
                let act = if self.scratch.ablerex_q5_vb > 0 {
                    self.scratch.ablerex_q5_vb as f64 * nom / 1200.0
                } else if bv > 3.0 {
                    bv
                } else {
                    bv * 6.0 * nom / 12.0
                };
                Ok(format!("{act:.2}"))
            }
            Pre::AblerexCharge => {
                let mut bv = strtod(&raw);
                let Some(nom) = self.store.get("battery.voltage.nominal").map(strtod) else {
                    return Ok("100".into());
                };
                if bv > 3.0 {
                    bv /= nom / 12.0;
                }
                Ok(super::dialects::ablerex::charge(bv).to_string())
            }
            Pre::AblerexInitBattery => {
                let nom = self.num("battery.voltage.nominal");
                let low = if self.scratch.ablerex_q5_vbc > 0 {
                    self.scratch.ablerex_q5_vbc as f64 * nom / 1200.0
                } else {
                    960.0 * nom / 1200.0
                };
                let high = 1365.0 * nom / 1200.0;
                match it.from {
                    1 => Ok(format!("{low:.2}")),
                    2 => Ok(format!("{high:.2}")),
                    _ => Err(()),
                }
            }
            Pre::QsProtocol => {
                if !raw.eq_ignore_ascii_case("V") {
                    return Err(());
                }
                Ok(format_str(dfl, &raw))
            }
            Pre::Fn(f) => f(self, idx, &raw),
            Pre::BlazerSetvar | Pre::BlazerCommand | Pre::MecerTestBattery | Pre::BestupsSetvar | Pre::FnT(_) => {
                Err(())
            }
        }
    }

    /// Access for dialect modules: run only a row's conversion step on its
    /// last value (what NUT's masterguard claim does instead of
    /// publishing).
    pub fn preprocess(&mut self, idx: usize) -> Result<String, ()> {
        match self.items[idx].pre {
            Some(p) => self.pre_value(idx, p),
            None => Err(()),
        }
    }

    /// Access for dialect modules: the ups.conf flag `k` is present.
    pub fn has_param(&self, k: &str) -> bool {
        self.testvar(k)
    }

    /// Access for dialect modules: current value of a variable.
    pub fn get(&self, var: &str) -> Option<&str> {
        self.store.get(var)
    }

    /// Access for dialect modules: the row.
    pub fn item(&self, idx: usize) -> &Item {
        &self.items[idx]
    }

    /// Access for dialect modules: the raw answer of a row.
    pub fn answer(&self, idx: usize) -> &[u8] {
        &self.answers[idx]
    }

    /// Access for dialect modules: the raw value cut from a row's answer.
    pub fn value(&self, idx: usize) -> &[u8] {
        &self.values[idx]
    }

    /// Access for dialect modules: clear SKIP on the row `var` having
    /// `flag` and not `noflag`; false if there is none.
    pub fn unskip(&mut self, var: &str, flag: u32, noflag: u32) -> bool {
        match self.find(var, flag, noflag) {
            Some(i) => {
                self.items[i].flags &= !item::SKIP;
                true
            }
            None => false,
        }
    }

    /// Access for dialect modules: replace a row's settable values.
    pub fn set_rw(&mut self, idx: usize, rw: Rw) {
        self.items[idx].rw = rw;
    }

    /// Access for dialect modules: remember a value between rows.
    pub fn note(&mut self, k: &'static str, v: &str) {
        self.notes.insert(k, v.to_string());
    }

    /// Access for dialect modules: a remembered value.
    pub fn noted(&self, k: &str) -> Option<&str> {
        self.notes.get(k).map(|s| s.as_str())
    }

    /// Access for dialect modules: clear SKIP on a row.
    pub fn unskip_row(&mut self, idx: usize) {
        self.items[idx].flags &= !item::SKIP;
    }

    /// Access for dialect modules: set SKIP on a row.
    pub fn skip(&mut self, idx: usize) {
        self.items[idx].flags |= item::SKIP;
    }

    /// Access for dialect modules: set a variable directly.
    pub fn set(&mut self, var: &str, value: &str) {
        self.store.set(var, value);
    }

    /// Access for dialect modules: a ups.conf setting.
    pub fn param(&self, k: &str) -> Option<&str> {
        self.getval(k)
    }

    /// Access for dialect modules: the ups.status words set directly.
    pub fn status_set(&mut self, s: &str) {
        self.status_direct.push(s.to_string());
    }

    /// Access for dialect modules: raise an alarm.
    pub fn alarm(&mut self, a: &str) {
        self.alarm_set(a);
    }

    /// Access for dialect modules: the Megatec status bit conversion.
    pub fn blazer_bit(&mut self, from: usize, v: &str) -> Result<String, ()> {
        self.blazer_status_bit(from, v)
    }

    /// Access for dialect modules: whether a status bit is set.
    pub fn bit(&self, b: Bit) -> bool {
        self.has_bit(b)
    }

    /// Access for dialect modules: apply a status word directly.
    pub fn push_status(&mut self, s: &str) {
        self.update_status(s)
    }

    fn blazer_status_bit(&mut self, from: usize, v: &str) -> Result<String, ()> {
        let b = v.as_bytes();
        if b.len() != 1 || !(b[0] == b'0' || b[0] == b'1') {
            return Err(());
        }
        let one = b[0] == b'1';
        let s = match from {
            38 => {
                if one {
                    "!OL"
                } else {
                    "OL"
                }
            }
            39 => {
                if one {
                    "LB"
                } else {
                    "!LB"
                }
            }
            40 => {
                if one {
                    self.regulation_word()?
                } else {
                    ""
                }
            }
            41 => {
                if one {
                    "UPS selftest failed!"
                } else {
                    ""
                }
            }
            42 => {
                if one {
                    "offline / line interactive"
                } else {
                    "online"
                }
            }
            43 => {
                if one {
                    "CAL"
                } else {
                    "!CAL"
                }
            }
            44 => {
                if one {
                    "FSD"
                } else {
                    "!FSD"
                }
            }
            45 => {
                if one {
                    "enabled"
                } else {
                    "disabled"
                }
            }
            _ => return Err(()),
        };
        Ok(s.to_string())
    }

    fn pre_setvar(&mut self, idx: usize, p: Pre, value: &str) -> Result<String, ()> {
        let it = self.items[idx].clone();
        match p {
            Pre::BlazerSetvar => {
                if value.is_empty() {
                    return Err(());
                }
                let mut d = strtol(value);
                if d < 0 {
                    return Err(());
                }
                if it.var.eq_ignore_ascii_case("ups.delay.start") {
                    d -= d % 60;
                } else if it.var.eq_ignore_ascii_case("ups.delay.shutdown") {
                    if d < 60 {
                        d -= d % 6;
                    } else {
                        d -= d % 60;
                    }
                } else {
                    return Err(());
                }
                Ok(d.to_string())
            }
            Pre::BestupsSetvar => {
                if value.is_empty() {
                    return Err(());
                }
                let v = strtod(value);
                if it.var.eq_ignore_ascii_case("pins_shutdown_mode")
                    && deq(v, self.scratch.bestups_pins_shutdown_mode as f64)
                {
                    return Err(());
                }
                format_num(it.command.unwrap_or(""), v).ok_or(())
            }
            Pre::Fn(f) => f(self, idx, value),
            _ => Err(()),
        }
    }

    fn pre_command(&mut self, t: &mut dyn Transport, idx: usize, p: Pre, value: &str) -> Result<String, ()> {
        let it = self.items[idx].clone();
        let cmd = it.command.unwrap_or("");
        match p {
            Pre::BlazerCommand => {
                let name = it.var.to_ascii_lowercase();
                let off = self.store.get("ups.delay.shutdown").map(strtol).unwrap_or(0);
                let on = self.store.get("ups.delay.start").map(strtol).unwrap_or(0) / 60;
                match name.as_str() {
                    "shutdown.return" => {
                        if off < 0 {
                            return Err(());
                        }
                        let buf = if on <= 0 { delay_word(off) } else { format!("{}R{on:04}", delay_word(off)) };
                        Ok(format_str(cmd, &buf))
                    }
                    "shutdown.stayoff" => {
                        if off < 0 {
                            return Err(());
                        }
                        let buf = delay_word(off);
                        Ok(format_str(cmd, &buf))
                    }
                    "test.battery.start" => {
                        let delay = if value.is_empty() { 600 } else { strtol(value) };
                        if !(60..=5940).contains(&delay) {
                            self.log.push(format!("battery test time '{delay}' out of range [60..5940] seconds"));
                            return Err(());
                        }
                        format_num(cmd, (delay / 60) as f64).ok_or(())
                    }
                    _ => Err(()),
                }
            }
            Pre::MecerTestBattery => {
                let p98 =
                    self.store.get("ups.firmware.aux").is_some_and(|p| p.eq_ignore_ascii_case("Voltronic Power P98"));
                let min = if p98 { 12 } else { 60 };
                if !all_in(value, "0123456789") {
                    return Err(());
                }
                let tt = if value.is_empty() { 600 } else { strtol(value) };
                if tt < min || tt > 5940 {
                    return Err(());
                }
                let buf = delay_word(tt);
                Ok(format_str(cmd, &buf))
            }
            Pre::Fn(f) => f(self, idx, value),
            Pre::FnT(f) => f(self, t, idx, value),
            _ => Err(()),
        }
    }
}
