//! dummy-ups data files (`.dev` dumps and `.seq` sequences) and their
//! playback.
//!
//! A data file is parsed with the one tokenizer into [`Item`]s: a variable
//! line (`name: value words…`) or a `TIMER <seconds>` pause. A [`Player`]
//! walks the items from a position, applying variable lines, until a TIMER
//! or the end of the file. Time is passed in by the caller (`now`), so
//! sequences can be tested under a controlled clock.
//!
//! The details follow NUT 2.8.0's dummy-ups, because real dumps depend on
//! them:
//! - the name is the first word cut at its first `:`; the value is the
//!   remaining words joined by single spaces, at most 127 bytes;
//! - a line with a name and no value reuses the value of the previous
//!   variable line (dummy-ups reads it from a stale buffer), so
//!   `device.serial:` right after `device.model: 850` publishes `850`;
//! - words starting with `TIMER` pause; names starting with `driver.` are
//!   skipped; a name starting with `ups.status` sets the status from the
//!   value words;
//! - lines with a parse error are skipped.

use std::time::{Duration, Instant};

use crate::model::atoi;
use crate::proto::words;

/// The longest value a data-file line yields (dummy-ups' 128-byte buffer).
pub const MAX_FILE_VALUE: usize = 127;

/// One meaningful line of a data file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `name: value…`; `value` is `None` when the line had no value word.
    Var {
        /// The variable name (before the first `:`).
        name: String,
        /// The value words, joined by single spaces and clipped.
        value: Option<String>,
        /// The value words one by one (for `ups.status`).
        words: Vec<String>,
    },
    /// `TIMER <seconds>`: pause playback.
    Timer(i64),
}

/// Parses a data file's bytes into items.
pub fn parse(bytes: &[u8]) -> Vec<Item> {
    let mut items = Vec::new();
    for line in words::tokenize(bytes) {
        if line.error.is_some() || line.words.is_empty() {
            continue;
        }
        let mut w = line.into_texts();
        if w[0].starts_with("TIMER") {
            items.push(Item::Timer(w.get(1).map_or(0, |s| atoi(s))));
            continue;
        }
        let mut name = w.remove(0);
        if let Some(i) = name.find(':') {
            name.truncate(i);
        }
        if name.starts_with("driver.") || name.is_empty() {
            continue;
        }
        let value = if w.is_empty() {
            None
        } else {
            let joined = w.join(" ");
            Some(crate::driver::store::clip(&joined, MAX_FILE_VALUE).to_string())
        };
        items.push(Item::Var { name, value, words: w });
    }
    items
}

/// What the player asks its owner to do with one variable line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// Publish `ups.status` from these words.
    Status(&'a [String]),
    /// Set (or, for an empty value, delete) a variable.
    Set(&'a str, &'a str),
}

/// Where playback stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not run since the last (re)start.
    Start,
    /// Paused by a TIMER until the instant.
    Paused(Instant),
    /// Reached the end of the file.
    Done,
}

/// Plays a data file's items.
#[derive(Clone, Debug)]
pub struct Player {
    items: Vec<Item>,
    pos: usize,
    state: State,
    last_value: String,
}

impl Player {
    /// A player at the start of `items`.
    pub fn new(items: Vec<Item>) -> Player {
        Player { items, pos: 0, state: State::Start, last_value: String::new() }
    }

    /// Replaces the items (the file changed) and rewinds.
    pub fn replace(&mut self, items: Vec<Item>) {
        self.items = items;
        self.rewind();
    }

    /// Back to the first item.
    pub fn rewind(&mut self) {
        self.pos = 0;
        self.state = State::Start;
    }

    /// Where playback stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether a paused playback may continue at `now`.
    pub fn due(&self, now: Instant) -> bool {
        match self.state {
            State::Start => true,
            State::Paused(t) => now >= t,
            State::Done => false,
        }
    }

    /// When a pause ends, if paused.
    pub fn resume_at(&self) -> Option<Instant> {
        match self.state {
            State::Paused(t) => Some(t),
            _ => None,
        }
    }

    /// Applies items from the current position until a TIMER (paused until
    /// `now + seconds`) or the end. Does nothing while paused before its
    /// time or when done. Returns the new state.
    pub fn run(&mut self, now: Instant, apply: &mut dyn FnMut(Action<'_>)) -> State {
        if !self.due(now) {
            return self.state;
        }
        while let Some(item) = self.items.get(self.pos) {
            self.pos += 1;
            match item {
                Item::Timer(secs) => {
                    let d = Duration::from_secs((*secs).max(0) as u64);
                    self.state = State::Paused(now + d);
                    return self.state;
                }
                Item::Var { name, value, words } => {
                    if name.starts_with("ups.status") {
                        apply(Action::Status(words));
                        continue;
                    }
                    if let Some(v) = value {
                        self.last_value.clone_from(v);
                    }
                    apply(Action::Set(name, &self.last_value));
                }
            }
        }
        self.state = State::Done;
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(p: &mut Player, now: Instant) -> (State, Vec<String>) {
        let mut out = Vec::new();
        let st = p.run(now, &mut |a| match a {
            Action::Status(w) => out.push(format!("status={}", w.join(" "))),
            Action::Set(n, v) => out.push(format!("{n}={v}")),
        });
        (st, out)
    }

    #[test]
    fn parsing_quirks() {
        let items = parse(
            b"# comment\nups.status: OL  CHRG\ndriver.name: usbhid-ups\nx:y\nv: a=b  c\nTIMER 5\nTIMERX\nd: \"q#\"\n",
        );
        assert_eq!(
            items,
            [
                Item::Var {
                    name: "ups.status".into(),
                    value: Some("OL CHRG".into()),
                    words: vec!["OL".into(), "CHRG".into()]
                },
                Item::Var { name: "x".into(), value: None, words: vec![] },
                Item::Var {
                    name: "v".into(),
                    value: Some("a = b c".into()),
                    words: vec!["a".into(), "=".into(), "b".into(), "c".into()]
                },
                Item::Timer(5),
                Item::Timer(0),
                // `d: "q#"` is a parse error: the line is dropped
            ]
        );
        let long = format!("v: {}\n", "x".repeat(200));
        match &parse(long.as_bytes())[0] {
            Item::Var { value: Some(v), .. } => assert_eq!(v.len(), 127),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_value_reuses_previous() {
        let mut p = Player::new(parse(b"device.model:  850\ndevice.serial:      \nups.load: 5\n"));
        let (_, out) = collect(&mut p, Instant::now());
        assert_eq!(out, ["device.model=850", "device.serial=850", "ups.load=5"]);
    }

    #[test]
    fn sequence_under_a_controlled_clock() {
        let t0 = Instant::now();
        let mut p = Player::new(parse(b"ups.status: OL\nTIMER 60\nups.status: OB\nTIMER 60\nups.status: OB LB\n"));
        let (st, out) = collect(&mut p, t0);
        assert_eq!(out, ["status=OL"]);
        assert_eq!(st, State::Paused(t0 + Duration::from_secs(60)));
        // not yet
        let (_, out) = collect(&mut p, t0 + Duration::from_secs(59));
        assert!(out.is_empty());
        let t1 = t0 + Duration::from_secs(60);
        let (st, out) = collect(&mut p, t1);
        assert_eq!(out, ["status=OB"]);
        assert_eq!(st, State::Paused(t1 + Duration::from_secs(60)));
        let (st, out) = collect(&mut p, t1 + Duration::from_secs(61));
        assert_eq!(out, ["status=OB LB"]);
        assert_eq!(st, State::Done);
        // done: nothing more until rewound (loop mode does that)
        assert!(collect(&mut p, t1 + Duration::from_secs(500)).1.is_empty());
        p.rewind();
        assert_eq!(collect(&mut p, t1 + Duration::from_secs(500)).1, ["status=OL"]);
    }
}
