//! The driver's variable store: variables with flags, aux, enums and ranges,
//! the instant commands and the data-state, with NUT's semantics
//! (`common/state.c`, `drivers/dstate.c`; `driver-protocol.md` §5, §7).
//!
//! Every mutation that changes something queues the matching broadcast
//! ([`DriverMsg`]); the socket server takes them with
//! [`Store::take_broadcasts`] and sends them to every client. Unchanged
//! values (compared case-insensitively, as NUT does) queue nothing.
//! [`Store::dump`] is the reply to `DUMPALL`, in NUT's order.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{CmdName, Range, VarFlags, VarName, MAX_VALUE_LEN};
use crate::proto::driver::DriverMsg;
use crate::proto::words;

/// One variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// Its name, as first spelled.
    pub name: VarName,
    /// Its raw (unescaped) value.
    pub value: String,
    /// RW / STRING / NUMBER.
    pub flags: VarFlags,
    /// Set by `override.<var>`: device updates, deletes and flag changes are
    /// ignored. Never transmitted.
    pub immutable: bool,
    /// The aux number (maximum length of a STRING); 0 = none.
    pub aux: i64,
    /// Allowed values, in insertion order.
    pub enums: Vec<String>,
    /// Allowed ranges, in insertion order.
    pub ranges: Vec<Range>,
}

/// The variable store of one driver instance.
#[derive(Debug, Default)]
pub struct Store {
    vars: BTreeMap<VarName, Var>,
    cmds: BTreeSet<CmdName>,
    stale: bool,
    out: Vec<DriverMsg>,
}

fn name(s: &str) -> Option<VarName> {
    VarName::new(s).ok()
}

/// Cuts a value to what NUT's 256-byte value buffer holds.
pub fn clip(value: &str, max: usize) -> &str {
    if value.len() <= max {
        return value;
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

impl Store {
    fn find(&self, var: &str) -> Option<&Var> {
        self.vars.get(&name(var)?)
    }

    fn find_mut(&mut self, var: &str) -> Option<&mut Var> {
        self.vars.get_mut(&name(var)?)
    }

    /// An empty store whose data is stale (as a driver starts).
    pub fn new() -> Store {
        Store { stale: true, ..Store::default() }
    }

    /// The broadcasts queued since the last call.
    pub fn take_broadcasts(&mut self) -> Vec<DriverMsg> {
        std::mem::take(&mut self.out)
    }

    /// Whether broadcasts are waiting.
    pub fn has_broadcasts(&self) -> bool {
        !self.out.is_empty()
    }

    /// A variable's value.
    pub fn get(&self, var: &str) -> Option<&str> {
        self.find(var).map(|v| v.value.as_str())
    }

    /// A variable with its metadata.
    pub fn var(&self, var: &str) -> Option<&Var> {
        self.find(var)
    }

    /// All variables in NUT's (case-insensitive) order.
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.vars.values()
    }

    /// The instant commands, sorted.
    pub fn cmds(&self) -> impl Iterator<Item = &CmdName> {
        self.cmds.iter()
    }

    /// Whether the data is currently stale.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Creates or updates a variable (`dstate_setinfo`). Returns whether
    /// anything changed. A value equal case-insensitively to the stored one
    /// is no change; an immutable variable keeps its value.
    pub fn set_info(&mut self, var: &str, value: &str) -> bool {
        let value = clip(value, MAX_VALUE_LEN);
        let Some(key) = name(var) else { return false };
        match self.find_mut(var) {
            Some(v) => {
                if v.value.eq_ignore_ascii_case(value) || v.immutable {
                    return false;
                }
                v.value = value.to_string();
            }
            None => {
                self.vars.insert(
                    key.clone(),
                    Var {
                        name: key,
                        value: value.to_string(),
                        flags: VarFlags::NONE,
                        immutable: false,
                        aux: 0,
                        enums: Vec::new(),
                        ranges: Vec::new(),
                    },
                );
            }
        }
        self.out.push(DriverMsg::SetInfo { var: name(var).expect("checked"), value: value.to_string() });
        true
    }

    /// Deletes a variable (`dstate_delinfo`); immutable ones stay.
    pub fn del_info(&mut self, var: &str) -> bool {
        match self.find(var) {
            Some(v) if !v.immutable => {}
            _ => return false,
        }
        if let Some(k) = name(var) {
            self.vars.remove(&k);
        }
        self.out.push(DriverMsg::DelInfo { var: name(var).expect("existed") });
        true
    }

    /// Marks a variable immutable (`override.<var>`), clearing its flags as
    /// NUT does (which broadcasts a bare `SETFLAGS <var>`).
    pub fn set_immutable(&mut self, var: &str) {
        let Some(v) = self.find_mut(var) else { return };
        if v.immutable {
            return;
        }
        v.immutable = true;
        v.flags = VarFlags::NONE;
        let n = v.name.clone();
        self.out.push(DriverMsg::SetFlags { var: n, flags: VarFlags::NONE });
    }

    /// Appends an allowed value (duplicates, exact, are ignored).
    pub fn add_enum(&mut self, var: &str, value: &str) -> bool {
        let value = clip(value, MAX_VALUE_LEN);
        let Some(v) = self.find_mut(var) else { return false };
        if v.enums.iter().any(|e| e == value) {
            return false;
        }
        v.enums.push(value.to_string());
        self.out.push(DriverMsg::AddEnum { var: name(var).expect("exists"), value: value.to_string() });
        true
    }

    /// Removes an allowed value (compared case-insensitively).
    pub fn del_enum(&mut self, var: &str, value: &str) -> bool {
        let Some(v) = self.find_mut(var) else { return false };
        let Some(i) = v.enums.iter().position(|e| e.eq_ignore_ascii_case(value)) else { return false };
        v.enums.remove(i);
        self.out.push(DriverMsg::DelEnum { var: name(var).expect("exists"), value: value.to_string() });
        true
    }

    /// Appends a range; refused when `min > max` or when an existing range
    /// has the same min or the same max (NUT's quirk). Adds the NUMBER flag.
    pub fn add_range(&mut self, var: &str, min: i64, max: i64) -> bool {
        if min > max {
            return false;
        }
        let Some(v) = self.find_mut(var) else { return false };
        if v.ranges.iter().any(|r| r.min == min || r.max == max) {
            return false;
        }
        v.ranges.push(Range { min, max });
        self.out.push(DriverMsg::AddRange { var: name(var).expect("exists"), min, max });
        let mut f = self.find(var).expect("exists").flags;
        if !f.number {
            f.number = true;
            self.set_flags(var, f);
        }
        true
    }

    /// Removes the first range whose min or max matches (NUT's quirk).
    pub fn del_range(&mut self, var: &str, min: i64, max: i64) -> bool {
        let Some(v) = self.find_mut(var) else { return false };
        let Some(i) = v.ranges.iter().position(|r| r.min == min || r.max == max) else { return false };
        v.ranges.remove(i);
        self.out.push(DriverMsg::DelRange { var: name(var).expect("exists"), min, max });
        true
    }

    /// Replaces the flag set (ignored for immutable variables).
    pub fn set_flags(&mut self, var: &str, flags: VarFlags) -> bool {
        let Some(v) = self.find_mut(var) else { return false };
        if v.immutable || v.flags == flags {
            return false;
        }
        v.flags = flags;
        self.out.push(DriverMsg::SetFlags { var: name(var).expect("exists"), flags });
        true
    }

    /// Sets the aux number.
    pub fn set_aux(&mut self, var: &str, aux: i64) -> bool {
        let Some(v) = self.find_mut(var) else { return false };
        if v.aux == aux {
            return false;
        }
        v.aux = aux;
        self.out.push(DriverMsg::SetAux { var: name(var).expect("exists"), aux });
        true
    }

    /// Adds an instant command.
    pub fn add_cmd(&mut self, cmd: &str) -> bool {
        let Ok(c) = CmdName::new(cmd) else { return false };
        if !self.cmds.insert(c.clone()) {
            return false;
        }
        self.out.push(DriverMsg::AddCmd { cmd: c });
        true
    }

    /// Removes an instant command.
    pub fn del_cmd(&mut self, cmd: &str) -> bool {
        let Ok(c) = CmdName::new(cmd) else { return false };
        if !self.cmds.remove(&c) {
            return false;
        }
        self.out.push(DriverMsg::DelCmd { cmd: c });
        true
    }

    /// Whether the command exists.
    pub fn has_cmd(&self, cmd: &str) -> bool {
        CmdName::new(cmd).is_ok_and(|c| self.cmds.contains(&c))
    }

    /// The data is good (broadcast on the transition only).
    pub fn data_ok(&mut self) {
        if self.stale {
            self.stale = false;
            self.out.push(DriverMsg::DataOk);
        }
    }

    /// The data is stale (broadcast on the transition only).
    pub fn data_stale(&mut self) {
        if !self.stale {
            self.stale = true;
            self.out.push(DriverMsg::DataStale);
        }
    }

    fn var_lines(v: &Var, out: &mut Vec<DriverMsg>) {
        out.push(DriverMsg::SetInfo { var: v.name.clone(), value: v.value.clone() });
        for e in &v.enums {
            out.push(DriverMsg::AddEnum { var: v.name.clone(), value: e.clone() });
        }
        for r in &v.ranges {
            out.push(DriverMsg::AddRange { var: v.name.clone(), min: r.min, max: r.max });
        }
        if v.aux != 0 {
            out.push(DriverMsg::SetAux { var: v.name.clone(), aux: v.aux });
        }
        if !v.flags.is_empty() || v.immutable {
            out.push(DriverMsg::SetFlags { var: v.name.clone(), flags: v.flags });
        }
    }

    /// The reply to `DUMPALL`: `DATASTALE` if stale, every variable (value,
    /// enums, ranges, aux, flags) in sorted order, the commands, `DATAOK` if
    /// not stale, `DUMPDONE`.
    pub fn dump(&self) -> Vec<DriverMsg> {
        let mut out = Vec::with_capacity(self.vars.len() * 2 + self.cmds.len() + 2);
        if self.stale {
            out.push(DriverMsg::DataStale);
        }
        for v in self.vars.values() {
            Self::var_lines(v, &mut out);
        }
        for c in &self.cmds {
            out.push(DriverMsg::AddCmd { cmd: c.clone() });
        }
        if !self.stale {
            out.push(DriverMsg::DataOk);
        }
        out.push(DriverMsg::DumpDone);
        out
    }

    /// The reply to `DUMPVALUE <var>` (2.8.3+): that variable's lines (none
    /// if absent), the data state and `DUMPDONE`.
    pub fn dump_value(&self, var: &str) -> Vec<DriverMsg> {
        let mut out = Vec::new();
        if let Some(v) = self.find(var) {
            Self::var_lines(v, &mut out);
        }
        out.push(if self.stale { DriverMsg::DataStale } else { DriverMsg::DataOk });
        out.push(DriverMsg::DumpDone);
        out
    }

    /// The `-d` dump: `name: value` lines in sorted order, values escaped
    /// as NUT prints them.
    pub fn text_dump(&self) -> String {
        let mut s = String::new();
        for v in self.vars.values() {
            s.push_str(v.name.as_str());
            s.push_str(": ");
            words::escape_into(&v.value, &mut s);
            s.push('\n');
        }
        s
    }

    /// Publishes `ups.status` built from tokens the way NUT's
    /// `status_init`/`status_set`/`status_commit` do: joined by single
    /// spaces (duplicates kept), each `LB` dropped when the
    /// `driver.flag.ignorelb` flag is set, in which case ` LB` is appended
    /// when `battery.charge < battery.charge.low` or `battery.runtime <
    /// battery.runtime.low`.
    pub fn commit_status<S: AsRef<str>>(&mut self, tokens: &[S]) {
        let ignorelb = self.get("driver.flag.ignorelb").is_some();
        let mut buf = String::new();
        for t in tokens {
            let t = t.as_ref();
            if ignorelb && t.eq_ignore_ascii_case("LB") {
                continue;
            }
            if !buf.is_empty() {
                buf.push(' ');
            }
            buf.push_str(t);
        }
        if ignorelb {
            let below = |a: &str, b: &str| match (self.get(a), self.get(b)) {
                (Some(v), Some(l)) => strtol(v) < strtol(l),
                _ => false,
            };
            if below("battery.charge", "battery.charge.low") || below("battery.runtime", "battery.runtime.low") {
                buf.push_str(" LB");
            }
        }
        let buf = clip(&buf, MAX_VALUE_LEN).to_string();
        self.set_info("ups.status", &buf);
    }
}

/// C's `strtol(s, NULL, 10)` on the leading integer (like `atoi`).
fn strtol(s: &str) -> i64 {
    crate::model::atoi(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: Vec<DriverMsg>) -> Vec<String> {
        v.into_iter().map(|m| m.encode()).collect()
    }

    #[test]
    fn broadcasts_only_changes() {
        let mut s = Store::new();
        assert!(s.set_info("ups.status", "OL"));
        assert!(!s.set_info("UPS.STATUS", "ol"));
        assert!(s.set_info("ups.status", "OB"));
        assert_eq!(s.get("ups.status"), Some("OB"));
        assert_eq!(texts(s.take_broadcasts()), [r#"SETINFO ups.status "OL""#, r#"SETINFO ups.status "OB""#]);
        assert!(!s.set_aux("nope", 3));
        s.set_info("v", "1");
        s.set_aux("v", 3);
        s.set_aux("v", 3);
        s.set_flags("v", VarFlags::from_words(&["RW"]));
        s.set_flags("v", VarFlags::from_words(&["RW"]));
        s.data_ok();
        s.data_ok();
        assert_eq!(texts(s.take_broadcasts()), [r#"SETINFO v "1""#, "SETAUX v 3", "SETFLAGS v RW", "DATAOK"]);
    }

    #[test]
    fn ranges_and_enums_quirks() {
        let mut s = Store::new();
        s.set_info("t", "130");
        assert!(s.add_range("t", 120, 135));
        assert!(!s.add_range("t", 120, 200), "same min");
        assert!(!s.add_range("t", 100, 135), "same max");
        assert!(!s.add_range("t", 200, 100), "min > max");
        assert!(s.add_range("t", 140, 150));
        assert_eq!(s.var("t").unwrap().flags, VarFlags::from_words(&["NUMBER"]));
        assert!(s.del_range("t", 140, 999));
        assert_eq!(s.var("t").unwrap().ranges, [Range { min: 120, max: 135 }]);
        assert!(s.add_enum("t", "97"));
        assert!(!s.add_enum("t", "97"));
        assert!(s.add_enum("t", "a"));
        assert!(s.del_enum("t", "A"));
        assert_eq!(s.var("t").unwrap().enums, ["97"]);
    }

    #[test]
    fn immutable_overrides() {
        let mut s = Store::new();
        s.set_info("battery.charge.low", "30");
        s.set_immutable("battery.charge.low");
        s.take_broadcasts();
        assert!(!s.set_info("battery.charge.low", "10"));
        assert!(!s.del_info("battery.charge.low"));
        assert!(!s.set_flags("battery.charge.low", VarFlags::from_words(&["RW"])));
        assert_eq!(s.get("battery.charge.low"), Some("30"));
        assert_eq!(texts(s.dump())[2], "SETFLAGS battery.charge.low");
    }

    #[test]
    fn dump_order() {
        let mut s = Store::new();
        s.set_info("ups.status", "OL");
        s.set_info("battery.charge", "100");
        s.set_info("Battery.Charge.Low", "10");
        s.set_flags("battery.charge", VarFlags::from_words(&["RW"]));
        s.set_aux("ups.status", 32);
        s.set_flags("ups.status", VarFlags::from_words(&["STRING", "RW"]));
        s.add_enum("ups.status", "OL");
        s.add_cmd("load.on");
        s.add_cmd("Load.off");
        assert_eq!(
            texts(s.dump()),
            [
                "DATASTALE",
                r#"SETINFO battery.charge "100""#,
                "SETFLAGS battery.charge RW",
                r#"SETINFO Battery.Charge.Low "10""#,
                r#"SETINFO ups.status "OL""#,
                r#"ADDENUM ups.status "OL""#,
                "SETAUX ups.status 32",
                "SETFLAGS ups.status RW STRING",
                "ADDCMD Load.off",
                "ADDCMD load.on",
                "DUMPDONE",
            ]
        );
        s.data_ok();
        let d = texts(s.dump_value("UPS.status"));
        assert_eq!(d.last().unwrap(), "DUMPDONE");
        assert_eq!(d[d.len() - 2], "DATAOK");
        assert_eq!(d.len(), 6);
    }

    #[test]
    fn status_ignorelb() {
        let mut s = Store::new();
        s.commit_status(&["OB", "LB", "LB"]);
        assert_eq!(s.get("ups.status"), Some("OB LB LB"));
        s.set_info("driver.flag.ignorelb", "enabled");
        s.set_info("battery.charge", "50");
        s.set_info("battery.charge.low", "20");
        s.commit_status(&["OB", "LB"]);
        assert_eq!(s.get("ups.status"), Some("OB"));
        s.set_info("battery.charge", "10");
        s.commit_status(&["OB"]);
        assert_eq!(s.get("ups.status"), Some("OB LB"));
    }

    #[test]
    fn values_are_clipped() {
        let mut s = Store::new();
        s.set_info("x", &"a".repeat(300));
        assert_eq!(s.get("x").unwrap().len(), 255);
    }
}
