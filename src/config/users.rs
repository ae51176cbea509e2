//! upsd.users: one `[username]` section per user with its password, the
//! actions it may take and the instant commands it may run
//! (`config-files.md` §6), and the permission checks upsd makes with them
//! (`network-protocol.md` §5).
//!
//! NUT's quirks are kept: field names are case-insensitive, user names and
//! passwords case-sensitive; a repeated `[name]` is reported and *not*
//! re-entered (its lines go to the user defined before it); the first
//! password wins; a line starting with `user` (old format) is ignored;
//! settings before the first section are ignored.

use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Pos, Sink};
use super::lines::{lines, section_name};
use crate::proto::words::Word;

/// The role an `upsmon <role>` line grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpsmonRole {
    /// `primary` / `master`: LOGIN + MASTER + FSD.
    Primary,
    /// `secondary` / `slave`: LOGIN.
    Secondary,
}

/// The actions a user holds (upper-cased; compared case-insensitively as
/// NUT does), in the order granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    actions: Vec<String>,
}

impl Rights {
    /// Adds an action (duplicates are kept once).
    pub fn add(&mut self, action: &str) {
        let a = action.to_ascii_uppercase();
        if !self.actions.contains(&a) {
            self.actions.push(a);
        }
    }

    /// Whether the action is held (case-insensitive).
    pub fn has(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.eq_ignore_ascii_case(action))
    }

    /// The actions, upper-cased.
    pub fn actions(&self) -> &[String] {
        &self.actions
    }

    /// `LOGIN`.
    pub fn login(&self) -> bool {
        self.has("LOGIN")
    }

    /// `PRIMARY` or `MASTER` (needed for the `PRIMARY`/`MASTER` commands).
    pub fn primary(&self) -> bool {
        self.has("PRIMARY") || self.has("MASTER")
    }

    /// `FSD`.
    pub fn fsd(&self) -> bool {
        self.has("FSD")
    }

    /// `SET`.
    pub fn set(&self) -> bool {
        self.has("SET")
    }
}

/// One user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The name between the brackets (case-sensitive).
    pub name: String,
    /// Where its `[name]` header is.
    pub pos: Pos,
    /// The password (the first definition); `None` = can never log in.
    pub password: Option<String>,
    /// Actions held.
    pub rights: Rights,
    /// Allowed instant commands as written (duplicates, compared
    /// case-insensitively, kept once); `ALL` allows every command.
    pub instcmds: Vec<String>,
    /// The last `upsmon` role given, if any.
    pub upsmon: Option<UpsmonRole>,
}

impl User {
    fn new(name: String, pos: Pos) -> Self {
        User { name, pos, password: None, rights: Rights::default(), instcmds: Vec::new(), upsmon: None }
    }

    /// Whether `cmd` is allowed: an `instcmds` entry equal to it
    /// (case-insensitive) or `ALL`.
    pub fn allows_instcmd(&self, cmd: &str) -> bool {
        self.instcmds.iter().any(|c| c.eq_ignore_ascii_case(cmd) || c.eq_ignore_ascii_case("all"))
    }
}

/// The whole of upsd.users.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsersConf {
    /// The file it came from.
    pub path: PathBuf,
    /// Users in file order.
    pub users: Vec<User>,
}

/// Actions upsd checks for.
pub const KNOWN_ACTIONS: &[&str] = &["SET", "FSD", "LOGIN", "MASTER", "PRIMARY"];

impl UsersConf {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> std::io::Result<(UsersConf, Vec<Diagnostic>)> {
        let bytes = std::fs::read(path)?;
        Ok(UsersConf::parse(path, &bytes))
    }

    /// The user with exactly this name.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The user if `name` exists and `password` matches (both case-sensitive).
    pub fn check(&self, name: &str, password: &str) -> Option<&User> {
        self.user(name).filter(|u| u.password.as_deref() == Some(password))
    }

    /// May run `LOGIN`.
    pub fn can_login(&self, name: &str, password: &str) -> bool {
        self.check(name, password).is_some_and(|u| u.rights.login())
    }

    /// May run `PRIMARY` / `MASTER`.
    pub fn can_primary(&self, name: &str, password: &str) -> bool {
        self.check(name, password).is_some_and(|u| u.rights.primary())
    }

    /// May run `FSD`.
    pub fn can_fsd(&self, name: &str, password: &str) -> bool {
        self.check(name, password).is_some_and(|u| u.rights.fsd())
    }

    /// May run `SET VAR`.
    pub fn can_set(&self, name: &str, password: &str) -> bool {
        self.check(name, password).is_some_and(|u| u.rights.set())
    }

    /// May run `INSTCMD <ups> <cmd>`.
    pub fn can_instcmd(&self, name: &str, password: &str, cmd: &str) -> bool {
        self.check(name, password).is_some_and(|u| u.allows_instcmd(cmd))
    }

    /// Parses `input` (the contents of `path`), reporting every problem.
    pub fn parse(path: &Path, input: &[u8]) -> (UsersConf, Vec<Diagnostic>) {
        let mut sink = Sink::new(path);
        let mut conf = UsersConf { path: path.to_path_buf(), users: Vec::new() };
        let mut cur: Option<usize> = None;
        for line in lines(input, &mut sink) {
            let w = &line.words;
            if w[0].text.eq_ignore_ascii_case("user") {
                sink.warn(w[0].pos, "line starting with 'user' (old upsd.users format) is ignored");
                continue;
            }
            // 'foo=bar' in one word (only possible with an escaped '=')
            if let Some(eq) = w[0].text.find('=') {
                let var = Word { text: w[0].text[..eq].to_string(), ..w[0].clone() };
                let first = Word { text: w[0].text[eq + 1..].to_string(), ..w[0].clone() };
                let mut vals = vec![&first];
                vals.extend(&w[1..]);
                setting(&mut conf, cur, &var, &vals, &mut sink);
                continue;
            }
            if let Some(name) = section_name(&w[0]) {
                if let Some(x) = w.get(1) {
                    sink.warn(x.pos, format!("words after section header [{name}] are ignored"));
                }
                if conf.users.iter().any(|u| u.name == name) {
                    sink.warn(w[0].pos, format!("Ignoring duplicate user {name}"));
                } else {
                    conf.users.push(User::new(name, w[0].pos));
                    cur = Some(conf.users.len() - 1);
                }
                continue;
            }
            if w.len() < 2 {
                sink.warn(w[0].pos, format!("line ignored: '{}' needs '= value'", w[0].text));
                continue;
            }
            if w[0].text.eq_ignore_ascii_case("upsmon") && w[1].text != "=" {
                upsmon_role(&mut conf, cur, &w[1], &mut sink);
                if let Some(x) = w.get(2) {
                    sink.warn(x.pos, "words after the upsmon role are ignored");
                }
                continue;
            }
            if w.len() >= 3 && w[1].text == "=" {
                let vals: Vec<&Word> = w[2..].iter().collect();
                setting(&mut conf, cur, &w[0], &vals, &mut sink);
                continue;
            }
            sink.warn(w[0].pos, format!("line ignored: expected '{} = value'", w[0].text));
        }
        for u in &conf.users {
            if u.password.is_none() {
                sink.warn(u.pos, format!("user [{}] has no password and can never log in", u.name));
            }
        }
        (conf, sink.finish())
    }
}

fn upsmon_role(conf: &mut UsersConf, cur: Option<usize>, role: &Word, sink: &mut Sink<'_>) {
    let r = role.text.as_str();
    let parsed = if r.eq_ignore_ascii_case("primary") || r.eq_ignore_ascii_case("master") {
        UpsmonRole::Primary
    } else if r.eq_ignore_ascii_case("secondary") || r.eq_ignore_ascii_case("slave") {
        UpsmonRole::Secondary
    } else {
        sink.warn(role.pos, format!("Unknown upsmon type {r}"));
        return;
    };
    let Some(i) = cur else {
        sink.warn(role.pos, "Ignoring action definition outside user section");
        return;
    };
    let u = &mut conf.users[i];
    u.upsmon = Some(parsed);
    u.rights.add("LOGIN");
    if parsed == UpsmonRole::Primary {
        u.rights.add("MASTER");
        u.rights.add("FSD");
    }
}

fn setting(conf: &mut UsersConf, cur: Option<usize>, var: &Word, vals: &[&Word], sink: &mut Sink<'_>) {
    let Some(i) = cur else {
        // NUT drops these silently (no user yet); say so.
        sink.warn(var.pos, format!("'{}' before the first [user] section is ignored", var.text));
        return;
    };
    let name = var.text.to_ascii_lowercase();
    for val in vals {
        match name.as_str() {
            "password" => {
                let u = &mut conf.users[i];
                if u.password.is_some() {
                    sink.warn(val.pos, format!("Ignoring duplicate password for {}", u.name));
                } else {
                    u.password = Some(val.text.clone());
                }
            }
            "instcmds" => {
                if val.text.contains(',') {
                    sink.warn(
                        val.pos,
                        format!("instcmd '{}' contains a comma: separate commands with spaces", val.text),
                    );
                }
                let u = &mut conf.users[i];
                if !u.instcmds.iter().any(|c| c.eq_ignore_ascii_case(&val.text)) {
                    u.instcmds.push(val.text.clone());
                }
            }
            "actions" => {
                if val.text.contains(',') {
                    sink.warn(val.pos, format!("action '{}' contains a comma: separate actions with spaces", val.text));
                } else if !KNOWN_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(&val.text)) {
                    sink.warn(
                        val.pos,
                        format!("unknown action '{}' (upsd checks SET, FSD, LOGIN, MASTER, PRIMARY)", val.text),
                    );
                }
                conf.users[i].rights.add(&val.text);
            }
            "allowfrom" => {
                sink.warn(var.pos, "allowfrom in upsd.users is no longer used");
                return;
            }
            "upsmon" => upsmon_role(conf, cur, val, sink),
            _ => {
                sink.warn(var.pos, format!("Unrecognized user setting {}", var.text));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (UsersConf, Vec<String>) {
        let (c, d) = UsersConf::parse(Path::new("upsd.users"), s.as_bytes());
        (c, d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn spec_example_and_rights() {
        let (c, d) = parse(
            "[admin]\n\tpassword = mypass\n\tactions = SET\n\tactions = FSD\n\tinstcmds = ALL\n\n[monuser]\n\tpassword = pass\n\tupsmon primary\n[mon2]\npassword=p\nupsmon = slave\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(c.can_set("admin", "mypass") && c.can_fsd("admin", "mypass"));
        assert!(!c.can_login("admin", "mypass"), "admin has no LOGIN right");
        assert!(c.can_instcmd("admin", "mypass", "LOAD.OFF"));
        assert!(!c.can_set("admin", "MYPASS"), "password is case-sensitive");
        assert!(!c.can_set("Admin", "mypass"), "user name is case-sensitive");
        assert!(c.can_login("monuser", "pass") && c.can_primary("monuser", "pass") && c.can_fsd("monuser", "pass"));
        assert!(!c.can_set("monuser", "pass") && !c.can_instcmd("monuser", "pass", "x"));
        assert_eq!(c.user("mon2").unwrap().upsmon, Some(UpsmonRole::Secondary));
        assert!(c.can_login("mon2", "p") && !c.can_primary("mon2", "p") && !c.can_fsd("mon2", "p"));
    }

    #[test]
    fn quirks() {
        let (c, d) = parse(
            "password = early\n[a]\nPassWord = one\npassword = two\n[b]\npassword = b\n[a]\ninstcmds = beeper.on Test.Battery.Start\nactions = primary\nuser foo\nfrob = 1\nallowfrom = lan\n",
        );
        assert_eq!(
            d,
            [
                "upsd.users:1:1: warning: 'password' before the first [user] section is ignored",
                "upsd.users:4:12: warning: Ignoring duplicate password for a",
                "upsd.users:7:1: warning: Ignoring duplicate user a",
                "upsd.users:10:1: warning: line starting with 'user' (old upsd.users format) is ignored",
                "upsd.users:11:1: warning: Unrecognized user setting frob",
                "upsd.users:12:1: warning: allowfrom in upsd.users is no longer used",
            ]
        );
        assert_eq!(c.user("a").unwrap().password.as_deref(), Some("one"));
        // lines after the duplicate [a] went to [b]
        let b = c.user("b").unwrap();
        assert!(b.allows_instcmd("test.battery.start") && !c.user("a").unwrap().allows_instcmd("beeper.on"));
        assert!(c.can_primary("b", "b"));
    }
}
