//! The reconcile step, as data: from the config the running drivers were
//! started with, the config now in the file, and the units systemd has, decide
//! what to start, stop and restart. Pure, so it is tested without systemd.

use std::collections::{BTreeMap, BTreeSet};

use crate::conf::{Mode, UpsFile};
use crate::escape::instance_for;

/// A unit as systemd reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitState {
    /// Unit name.
    pub name: String,
    /// `ActiveState` (active, activating, inactive, failed, ...).
    pub active: String,
}

impl UnitState {
    /// Whether the unit is running or on its way (including auto-restart).
    pub fn is_running(&self) -> bool {
        matches!(self.active.as_str(), "active" | "activating" | "reloading" | "deactivating")
    }
}

/// What to do to bring systemd in step with ups.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Units to start (new sections, or not running).
    pub start: BTreeSet<String>,
    /// Units to stop (section gone, or drivers not wanted by MODE).
    pub stop: BTreeSet<String>,
    /// Units to restart (their section, or the global part, changed).
    pub restart: BTreeSet<String>,
    /// Whether upsd must re-read its configuration.
    pub reload_upsd: bool,
    /// Whether nut-server.socket must be restarted (upsd.conf's LISTEN
    /// addresses changed; stopping the socket stops upsd, the next
    /// connection starts it again).
    pub restart_socket: bool,
    /// Other units to stop because MODE no longer runs them (the server
    /// for none/netclient, upsmon for none).
    pub stop_services: Vec<String>,
    /// Whether nut.target must be started again to pull in what the new
    /// MODE wants (MODE changed to one that runs more).
    pub start_target: bool,
    /// Human-readable diff of the config, one line per change.
    pub diff: Vec<String>,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
            && self.stop.is_empty()
            && self.restart.is_empty()
            && !self.reload_upsd
            && !self.restart_socket
    }
}

fn fmt_settings(s: &crate::conf::Settings) -> String {
    s.iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={}", nut::proto::words::quote(v)),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Computes the plan. `old`/`new` are (mode, ups.conf) before and after;
/// `units` are the `nut-driver@*.service` units systemd knows after the
/// daemon-reload.
pub fn plan(old: (Mode, &UpsFile), new: (Mode, &UpsFile), units: &[UnitState]) -> Plan {
    let mut p = Plan::default();
    let (old_mode, old_ups) = old;
    let (new_mode, new_ups) = new;
    if old_mode != new_mode {
        p.diff.push(format!("nut.conf: MODE {} -> {}", old_mode.as_str(), new_mode.as_str()));
    }
    let old_set: BTreeMap<String, &crate::conf::Section> = if old_mode.runs_server() {
        old_ups.sections.iter().map(|s| (instance_for(&s.name).unit, s)).collect()
    } else {
        BTreeMap::new()
    };
    let wanted: BTreeMap<String, &crate::conf::Section> = if new_mode.runs_server() {
        new_ups.sections.iter().map(|s| (instance_for(&s.name).unit, s)).collect()
    } else {
        BTreeMap::new()
    };
    let global_changed = old_ups.global != new_ups.global;
    if global_changed {
        p.diff.push(format!(
            "ups.conf: global settings changed: [{}] -> [{}]",
            fmt_settings(&old_ups.global),
            fmt_settings(&new_ups.global)
        ));
    }
    for s in &old_ups.sections {
        if new_ups.section(&s.name).is_none() {
            p.diff.push(format!("ups.conf: section [{}] removed", s.name));
        }
    }
    for s in &new_ups.sections {
        match old_ups.section(&s.name) {
            None => p.diff.push(format!("ups.conf: section [{}] added: {}", s.name, fmt_settings(&s.settings))),
            Some(o) if o.settings != s.settings => p.diff.push(format!(
                "ups.conf: section [{}] changed: {} -> {}",
                s.name,
                fmt_settings(&o.settings),
                fmt_settings(&s.settings)
            )),
            Some(_) => {}
        }
    }
    let running: BTreeSet<&str> = units.iter().filter(|u| u.is_running()).map(|u| u.name.as_str()).collect();
    for u in &running {
        if !wanted.contains_key(*u) {
            p.stop.insert(u.to_string());
        }
    }
    for (unit, section) in &wanted {
        let changed = match old_set.get(unit) {
            None => false,
            Some(o) => o.settings != section.settings || global_changed,
        };
        if !running.contains(unit.as_str()) {
            p.start.insert(unit.clone());
        } else if changed || !old_set.contains_key(unit) {
            // running but changed, or running from before the section existed
            // under this name (e.g. re-added after a removal that was missed)
            p.restart.insert(unit.clone());
        }
    }
    if old_mode != new_mode {
        if old_mode.runs_server() && !new_mode.runs_server() {
            p.stop_services.extend(["nut-server.socket".to_string(), "nut-server.service".to_string()]);
        }
        if old_mode.runs_upsmon() && !new_mode.runs_upsmon() {
            p.stop_services.extend(["nut-monitor.service".to_string(), "nut-monitor.socket".to_string()]);
        }
        p.start_target =
            (new_mode.runs_server() && !old_mode.runs_server()) || (new_mode.runs_upsmon() && !old_mode.runs_upsmon());
    }
    let old_names: BTreeSet<&str> = old_ups.sections.iter().map(|s| s.name.as_str()).collect();
    let new_names: BTreeSet<&str> = new_ups.sections.iter().map(|s| s.name.as_str()).collect();
    p.reload_upsd = new_mode.runs_server()
        && (old_names != new_names || old_mode != new_mode || global_changed || !p.restart.is_empty());
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ups(t: &str) -> UpsFile {
        UpsFile::parse(Path::new("ups.conf"), t.as_bytes()).0
    }
    fn running(names: &[&str]) -> Vec<UnitState> {
        names.iter().map(|n| UnitState { name: n.to_string(), active: "active".into() }).collect()
    }
    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn add_remove_change() {
        let old = ups("[a]\ndriver=x\n[b]\ndriver=x\n[c]\ndriver=x\n");
        let new = ups("[a]\ndriver=x\n[b]\ndriver=y\n[d+1]\ndriver=x\n");
        let units = running(&["nut-driver@a.service", "nut-driver@b.service", "nut-driver@c.service"]);
        let p = plan((Mode::Standalone, &old), (Mode::Standalone, &new), &units);
        assert_eq!(p.start, set(&["nut-driver@d\\x2b1.service"]));
        assert_eq!(p.stop, set(&["nut-driver@c.service"]));
        assert_eq!(p.restart, set(&["nut-driver@b.service"]));
        assert!(p.reload_upsd);
        assert_eq!(p.diff.len(), 3, "{:?}", p.diff);
    }

    #[test]
    fn global_change_restarts_all() {
        let old = ups("pollinterval=2\n[a]\ndriver=x\n[b]\ndriver=x\n");
        let new = ups("pollinterval=5\n[a]\ndriver=x\n[b]\ndriver=x\n");
        let units = running(&["nut-driver@a.service", "nut-driver@b.service"]);
        let p = plan((Mode::Standalone, &old), (Mode::Standalone, &new), &units);
        assert_eq!(p.restart, set(&["nut-driver@a.service", "nut-driver@b.service"]));
        assert!(p.start.is_empty() && p.stop.is_empty());
    }

    #[test]
    fn nothing_changed_is_empty_and_failed_units_get_started() {
        let f = ups("[a]\ndriver=x\n");
        let p = plan((Mode::Standalone, &f), (Mode::Standalone, &f), &running(&["nut-driver@a.service"]));
        assert!(p.is_empty(), "{p:?}");
        let failed = vec![UnitState { name: "nut-driver@a.service".into(), active: "failed".into() }];
        let p = plan((Mode::Standalone, &f), (Mode::Standalone, &f), &failed);
        assert_eq!(p.start, set(&["nut-driver@a.service"]));
    }

    #[test]
    fn netclient_stops_everything() {
        let f = ups("[a]\ndriver=x\n");
        let p = plan((Mode::Standalone, &f), (Mode::Netclient, &f), &running(&["nut-driver@a.service"]));
        assert_eq!(p.stop, set(&["nut-driver@a.service"]));
        assert!(p.start.is_empty() && !p.reload_upsd);
        assert_eq!(p.stop_services, vec!["nut-server.socket", "nut-server.service"]);
        assert!(!p.start_target);
        let p = plan((Mode::Netclient, &f), (Mode::None, &f), &[]);
        assert_eq!(p.stop_services, vec!["nut-monitor.service", "nut-monitor.socket"]);
        let p = plan((Mode::None, &f), (Mode::Standalone, &f), &[]);
        assert!(p.start_target && p.stop_services.is_empty());
        assert_eq!(p.start, set(&["nut-driver@a.service"]));
    }
}
