//! NUT's word grammar ("parseconf"): the one tokenizer shared by every config
//! file, the dummy-ups data files and both line protocols, plus its inverse.
//!
//! The state machine follows `config-files.md` §1.1 byte for byte:
//! double quotes, backslash escapes, `=` as a token of its own, `#` comments,
//! backslash-newline continuation, the byte filter (only 0x20–0x7F are kept)
//! and the limits (32 words a line, 512 bytes a word, both configurable).
//!
//! The tokenizer is incremental: [`Tokenizer::feed`] takes any chunk of bytes
//! and returns the logical lines completed so far, so the network server and
//! the driver socket can feed it straight from `read()`; [`tokenize`] runs it
//! over a whole file. Every word carries the physical line and column where it
//! started, which is what `file:line:col` diagnostics are made of.
//!
//! ```
//! use nut::proto::words::{split, quote};
//! assert_eq!(split("desc = \"Web server UPS\"").unwrap(), ["desc", "=", "Web server UPS"]);
//! assert_eq!(quote("a \"b\""), r#""a \"b\"""#);
//! ```

use std::fmt;

/// A position in the input: 1-based physical line and byte column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Physical line, counting from 1.
    pub line: u32,
    /// Byte column, counting from 1.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One token, with the position of its first byte (the opening quote for a
/// quoted word).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The token's text after unquoting and unescaping.
    pub text: String,
    /// Where the token started.
    pub pos: Pos,
    /// Whether the token started with a double quote. Lets consumers tell
    /// the token `=` from a quoted `"="`.
    pub quoted: bool,
}

impl AsRef<str> for Word {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Word {
    /// Whether this word is the bare `=` separator (not a quoted `"="`).
    pub fn is_equals(&self) -> bool {
        !self.quoted && self.text == "="
    }
}

/// Why a logical line was flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineError {
    /// An unescaped `#` inside a quoted word. NUT's words for it:
    /// "Unbalanced word due to unescaped # in quotes".
    HashInQuotes(Pos),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::HashInQuotes(_) => f.write_str("Unbalanced word due to unescaped # in quotes"),
        }
    }
}

impl LineError {
    /// Where the error was found.
    pub fn pos(&self) -> Pos {
        match self {
            LineError::HashInQuotes(p) => *p,
        }
    }
}

/// One logical line: the words of a line, possibly spanning several physical
/// lines (continuations, newlines inside quotes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    /// The words, in order.
    pub words: Vec<Word>,
    /// The logical line number (NUT counts these in its own messages).
    pub number: u32,
    /// Where the logical line began.
    pub start: Pos,
    /// Set when the line ended in a parse error; consumers skip such lines.
    pub error: Option<LineError>,
    /// The first byte dropped by the ASCII filter, if any.
    pub dropped_byte: Option<Pos>,
    /// The first place a limit cut something (word too long, too many words).
    pub limit_hit: Option<Pos>,
}

impl Line {
    /// The words' texts.
    pub fn texts(&self) -> Vec<&str> {
        self.words.iter().map(|w| w.text.as_str()).collect()
    }

    /// The words' texts as owned strings.
    pub fn into_texts(self) -> Vec<String> {
        self.words.into_iter().map(|w| w.text).collect()
    }

    /// True when the line holds no word (blank or comment-only).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// The limits NUT applies to every line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Words kept per logical line; later words are dropped (NUT: 32).
    pub max_words: usize,
    /// Bytes kept per word; the rest is dropped (NUT: 512).
    pub max_word_len: usize,
}

impl Limits {
    /// NUT's limits: 32 words of 512 bytes.
    pub const NUT: Limits = Limits { max_words: 32, max_word_len: 512 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::NUT
    }
}

/// What to do with the rest of a physical line after an unescaped `#` in
/// quotes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AfterError {
    /// NUT's config-file behaviour: the bytes after the `#` start a fresh
    /// logical line (`desc = "x#y"` yields the flag `y"`).
    #[default]
    Resume,
    /// Skip everything up to the next newline (the safer choice the network
    /// spec allows for upsd: no stray command from the remainder).
    SkipLine,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    Comment,
    Word,
    WordEsc,
    Quoted,
    QuotedEsc,
    Skip,
}

/// The incremental tokenizer.
#[derive(Clone, Debug)]
pub struct Tokenizer {
    limits: Limits,
    after_error: AfterError,
    state: State,
    pos: Pos,
    cur: Line,
    tok: Vec<u8>,
    tok_pos: Pos,
    tok_quoted: bool,
    logical: u32,
    line_open: bool,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new(Limits::NUT, AfterError::Resume)
    }
}

impl Tokenizer {
    /// A tokenizer with the given limits and error policy.
    pub fn new(limits: Limits, after_error: AfterError) -> Self {
        Tokenizer {
            limits,
            after_error,
            state: State::Start,
            pos: Pos { line: 1, col: 1 },
            cur: Line::default(),
            tok: Vec::new(),
            tok_pos: Pos::default(),
            tok_quoted: false,
            logical: 0,
            line_open: false,
        }
    }

    /// Bytes buffered for a line that is not complete yet (for callers that
    /// bound a peer's pending input).
    pub fn pending_len(&self) -> usize {
        self.tok.len() + self.cur.words.iter().map(|w| w.text.len() + 1).sum::<usize>()
    }

    /// True when no partial line is buffered.
    pub fn is_idle(&self) -> bool {
        self.state == State::Start && !self.line_open
    }

    /// Feeds bytes; returns every logical line completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        self.feed_into(bytes, &mut out);
        out
    }

    /// [`Tokenizer::feed`] appending the completed lines to `out` (a
    /// caller's buffer, reused across reads).
    pub fn feed_into(&mut self, bytes: &[u8], out: &mut Vec<Line>) {
        let mut i = 0;
        while i < bytes.len() {
            // Fast path for a whole line (the usual request): see
            // `plain_line`.
            if self.state == State::Start && !self.line_open {
                let n = self.plain_line(&bytes[i..], out);
                if n > 0 {
                    i += n;
                    continue;
                }
            }
            // Fast path: inside a word, a run of bytes that the state
            // machine would only append is copied at once (within the word
            // length limit; the byte that hits it takes the slow path,
            // which records where).
            let room = self.limits.max_word_len.saturating_sub(self.tok.len());
            let ahead = bytes[i..].iter().take(room);
            let run = match self.state {
                State::Word => ahead.take_while(|&&b| plain_in_word(b)).count(),
                State::Quoted => ahead.take_while(|&&b| plain_in_quotes(b)).count(),
                _ => 0,
            };
            if run > 0 {
                self.tok.extend_from_slice(&bytes[i..i + run]);
                self.pos.col += run as u32;
                i += run;
                continue;
            }
            let b = bytes[i];
            self.byte(b, out);
            if b == b'\n' {
                self.pos.line += 1;
                self.pos.col = 1;
            } else {
                self.pos.col += 1;
            }
            i += 1;
        }
    }

    /// At the start of a line, a complete line (up to its newline) made
    /// only of plain word bytes and separators — no opening quote,
    /// backslash, `#`, `=` or filtered byte — and within the limits becomes
    /// its line directly: one scan over the bytes that finds the words and
    /// the newline, then an exact-size word list. Returns the bytes
    /// consumed, newline included, or 0 when the line needs the state
    /// machine (which gives the same result byte by byte; the property test
    /// below holds the two paths to that).
    fn plain_line(&mut self, bytes: &[u8], out: &mut Vec<Line>) -> usize {
        // One scan: classify every byte, note where the words are, find
        // the newline. Lines of more than `SPANS` words take the slow path.
        const SPANS: usize = 32;
        let mut spans = [(0u32, 0u32); SPANS];
        let mut count = 0;
        let mut start = None;
        let mut i = 0;
        let nl = loop {
            let Some(&b) = bytes.get(i) else {
                return 0;
            };
            match CLASS[b as usize] {
                Class::Plain => {
                    if start.is_none() {
                        // A word opening with `"` is quoted (inside a word it is plain).
                        if b == b'"' {
                            return 0;
                        }
                        start = Some(i);
                    }
                }
                class @ (Class::Separator | Class::Newline) => {
                    if let Some(s) = start.take() {
                        if count == SPANS || count == self.limits.max_words || i - s > self.limits.max_word_len {
                            return 0;
                        }
                        spans[count] = (s as u32, i as u32);
                        count += 1;
                    }
                    if class == Class::Newline {
                        break i;
                    }
                }
                Class::Other => return 0,
            }
            i += 1;
        };
        if count == 0 {
            return 0;
        }
        // Only separators and 0x21..=0x7f are left: always ASCII.
        let Ok(text) = std::str::from_utf8(&bytes[..nl]) else {
            return 0;
        };
        let words = spans[..count]
            .iter()
            .map(|&(s, e)| Word {
                text: text[s as usize..e as usize].to_owned(),
                pos: Pos { line: self.pos.line, col: self.pos.col + s },
                quoted: false,
            })
            .collect();
        self.logical += 1;
        out.push(Line { words, number: self.logical, start: self.pos, ..Line::default() });
        self.pos.line += 1;
        self.pos.col = 1;
        nl + 1
    }

    /// Back to the state of [`Tokenizer::new`] (same limits and policy),
    /// keeping the word buffer's capacity, so one tokenizer can serve many
    /// inputs in turn without allocating.
    pub fn reset(&mut self) {
        self.state = State::Start;
        self.pos = Pos { line: 1, col: 1 };
        self.cur = Line::default();
        self.tok.clear();
        self.tok_pos = Pos::default();
        self.tok_quoted = false;
        self.logical = 0;
        self.line_open = false;
    }

    /// Ends the input: a word in progress is finished and a non-empty line
    /// is returned.
    pub fn finish(&mut self) -> Option<Line> {
        if matches!(self.state, State::Word | State::WordEsc | State::Quoted | State::QuotedEsc) {
            self.end_word();
        }
        self.state = State::Start;
        if self.cur.words.is_empty() && self.cur.error.is_none() {
            self.cur = Line::default();
            self.line_open = false;
            return None;
        }
        Some(self.take_line())
    }

    fn open_line(&mut self) {
        if !self.line_open {
            self.line_open = true;
            self.logical += 1;
            self.cur.number = self.logical;
            self.cur.start = self.pos;
        }
    }

    fn take_line(&mut self) -> Line {
        self.open_line();
        self.line_open = false;
        std::mem::take(&mut self.cur)
    }

    fn begin_word(&mut self, quoted: bool) {
        self.tok.clear();
        self.tok_pos = self.pos;
        self.tok_quoted = quoted;
    }

    fn append(&mut self, b: u8) {
        if !(0x20..=0x7f).contains(&b) {
            if self.cur.dropped_byte.is_none() {
                self.cur.dropped_byte = Some(self.pos);
            }
            return;
        }
        if self.tok.len() >= self.limits.max_word_len {
            if self.cur.limit_hit.is_none() {
                self.cur.limit_hit = Some(self.pos);
            }
            return;
        }
        self.tok.push(b);
    }

    fn end_word(&mut self) {
        if self.cur.words.len() >= self.limits.max_words {
            if self.cur.limit_hit.is_none() {
                self.cur.limit_hit = Some(self.tok_pos);
            }
            self.tok.clear();
            return;
        }
        // Only 0x20..=0x7f bytes are ever stored, so this is always ASCII.
        // The word gets an exact-size copy; `tok` keeps its capacity for
        // the next word (one allocation per word, not one per doubling).
        let text = std::str::from_utf8(&self.tok).map(str::to_owned).unwrap_or_default();
        self.tok.clear();
        self.cur.words.push(Word { text, pos: self.tok_pos, quoted: self.tok_quoted });
    }

    fn emit_equals(&mut self) {
        self.begin_word(false);
        self.tok.push(b'=');
        self.end_word();
    }

    fn byte(&mut self, b: u8, out: &mut Vec<Line>) {
        if self.state != State::Skip && b != b'\n' {
            self.open_line();
        }
        match self.state {
            State::Start => match b {
                b'\n' => out.push(self.take_line()),
                b'#' => self.state = State::Comment,
                b if is_separator(b) => {}
                b'\\' => {
                    self.begin_word(false);
                    self.state = State::WordEsc;
                }
                b'"' => {
                    self.begin_word(true);
                    self.state = State::Quoted;
                }
                b'=' => self.emit_equals(),
                _ => {
                    self.begin_word(false);
                    self.append(b);
                    self.state = State::Word;
                }
            },
            State::Comment => {
                if b == b'\n' {
                    self.state = State::Start;
                    out.push(self.take_line());
                }
            }
            State::Word => match b {
                b'#' => {
                    self.end_word();
                    self.state = State::Comment;
                }
                b'\n' => {
                    self.end_word();
                    self.state = State::Start;
                    out.push(self.take_line());
                }
                b if is_separator(b) => {
                    self.end_word();
                    self.state = State::Start;
                }
                b'=' => {
                    self.end_word();
                    self.emit_equals();
                    self.state = State::Start;
                }
                b'\\' => self.state = State::WordEsc,
                _ => self.append(b),
            },
            State::WordEsc => {
                if b != b'\n' {
                    self.append(b);
                }
                self.state = State::Word;
            }
            State::Quoted => match b {
                b'"' => {
                    self.end_word();
                    self.state = State::Start;
                }
                b'\\' => self.state = State::QuotedEsc,
                b'#' => {
                    self.end_word();
                    self.cur.error = Some(LineError::HashInQuotes(self.pos));
                    out.push(self.take_line());
                    self.state = match self.after_error {
                        AfterError::Resume => State::Start,
                        AfterError::SkipLine => State::Skip,
                    };
                }
                _ => self.append(b),
            },
            State::QuotedEsc => {
                if b != b'\n' {
                    self.append(b);
                }
                self.state = State::Quoted;
            }
            State::Skip => {
                if b == b'\n' {
                    self.state = State::Start;
                }
            }
        }
    }
}

/// How [`Tokenizer::plain_line`] sees a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Appended to a word ([`plain_in_word`]).
    Plain,
    /// Between words ([`is_separator`]).
    Separator,
    /// Ends the line.
    Newline,
    /// Needs the state machine (quote handling, escape, comment, `=`, the
    /// byte filter).
    Other,
}

static CLASS: [Class; 256] = {
    let mut t = [Class::Other; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c == b'\n' {
            Class::Newline
        } else if is_separator(c) {
            Class::Separator
        } else if plain_in_word(c) {
            Class::Plain
        } else {
            Class::Other
        };
        b += 1;
    }
    t
};

/// A byte that separates words outside quotes.
const fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// A byte that an unquoted word simply appends: kept by the byte filter
/// and none of separator, `#`, `=`, backslash.
const fn plain_in_word(b: u8) -> bool {
    b >= 0x21 && b <= 0x7f && !matches!(b, b'#' | b'=' | b'\\')
}

/// A byte that a quoted word simply appends: kept by the byte filter and
/// none of `"`, backslash, `#`.
fn plain_in_quotes(b: u8) -> bool {
    (0x20..=0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'#')
}

/// Tokenizes a whole input (a config file) into logical lines, empty ones
/// included, with NUT's limits and error recovery.
pub fn tokenize(input: &[u8]) -> Vec<Line> {
    let mut t = Tokenizer::default();
    let mut lines = t.feed(input);
    lines.extend(t.finish());
    lines
}

/// Splits one line of text into words; an unescaped `#` in quotes is an
/// error. Newlines continue the line only where the grammar says so; words
/// from further logical lines are appended.
pub fn split(line: &str) -> Result<Vec<String>, LineError> {
    let mut words = Vec::new();
    for l in tokenize(line.as_bytes()) {
        if let Some(e) = l.error {
            return Err(e);
        }
        words.extend(l.into_texts());
    }
    Ok(words)
}

/// Escapes a value the way NUT's encoder does: a backslash before each `"`,
/// `\` and `#`. Nothing else changes.
pub fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    escape_into(value, &mut s);
    s
}

/// [`escape`] appending to a buffer.
pub fn escape_into(value: &str, out: &mut String) {
    // Copies the runs between special characters at once.
    let mut rest = value;
    while let Some(i) = rest.find(['"', '\\', '#']) {
        out.push_str(&rest[..i]);
        out.push('\\');
        out.push_str(&rest[i..i + 1]);
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// A value always inside double quotes, escaped: the form replies use for
/// values (`"OL"`, `""`, `"a \"b\""`).
pub fn quote_always(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 4);
    quote_always_into(value, &mut s);
    s
}

/// [`quote_always`] appending to a buffer.
pub fn quote_always_into(value: &str, out: &mut String) {
    out.push('"');
    escape_into(value, out);
    out.push('"');
}

/// The shortest form that tokenizes back to exactly `word`: escaped, and
/// quoted only when it is empty or holds a separator (whitespace or `=`).
pub fn quote(word: &str) -> String {
    if needs_quotes(word) {
        quote_always(word)
    } else {
        escape(word)
    }
}

/// Whether [`quote`] has to wrap `word` in double quotes.
pub fn needs_quotes(word: &str) -> bool {
    word.is_empty() || word.bytes().any(|b| is_separator(b) || matches!(b, b'\n' | b'='))
}

/// Joins words into one line (without the newline), each through [`quote`].
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&quote(w.as_ref()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The bulk fast path of `feed_into` gives exactly what the
        /// byte-at-a-time state machine gives (positions, limits, errors),
        /// and a reset tokenizer behaves like a new one.
        #[test]
        fn chunked_feeding_matches_bytewise(
            input in proptest::collection::vec(proptest::sample::select(
                b"ab =#\\\"\n\t\r\x01\x80xyz ab yz\n".to_vec()), 0..200),
            max_word_len in 0usize..8,
            skip in proptest::bool::ANY,
        ) {
            let limits = Limits { max_words: 3, max_word_len };
            let policy = if skip { AfterError::SkipLine } else { AfterError::Resume };
            let mut whole = Tokenizer::new(limits, policy);
            let mut a = whole.feed(&input);
            a.extend(whole.finish());
            let mut bytewise = Tokenizer::new(limits, policy);
            let mut b = Vec::new();
            for byte in &input {
                bytewise.feed_into(std::slice::from_ref(byte), &mut b);
            }
            b.extend(bytewise.finish());
            proptest::prop_assert_eq!(&a, &b);
            whole.feed(b"junk \"open");
            whole.reset();
            let mut c = whole.feed(&input);
            c.extend(whole.finish());
            proptest::prop_assert_eq!(&a, &c);
        }
    }

    /// The whole-line fast path at its edges: CRLF endings, a line longer
    /// than its 32 word slots (with a limit that allows it), a quoted first
    /// word, words at the length limit, positions after earlier lines.
    #[test]
    fn plain_line_edges_match_bytewise() {
        let many = (0..35).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let inputs = [
            "GET VAR ups ups.status\r\nLIST VAR ups\n".to_string(),
            format!("{many}\nnext line\n"),
            "\"quoted\" word\nplain\n".to_string(),
            "a\"b c\n \t lead\n\n".to_string(),
            "abcd abcde\n".to_string(),
        ];
        for input in inputs {
            let limits = Limits { max_words: 40, max_word_len: 4 };
            let mut whole = Tokenizer::new(limits, AfterError::SkipLine);
            let a = whole.feed(input.as_bytes());
            let mut bytewise = Tokenizer::new(limits, AfterError::SkipLine);
            let mut b = Vec::new();
            for byte in input.as_bytes() {
                bytewise.feed_into(std::slice::from_ref(byte), &mut b);
            }
            assert_eq!(a, b, "{input:?}");
        }
        let mut t = Tokenizer::new(Limits::NUT, AfterError::SkipLine);
        let lines = t.feed(b"GET VAR ups ups.status\r\n");
        assert_eq!(lines[0].texts(), ["GET", "VAR", "ups", "ups.status"]);
        assert_eq!(lines[0].words[3].pos, Pos { line: 1, col: 13 });
    }

    fn toks(s: &str) -> Vec<Vec<String>> {
        tokenize(s.as_bytes()).into_iter().filter(|l| !l.is_empty()).map(|l| l.into_texts()).collect()
    }

    fn one(s: &str) -> Vec<String> {
        let mut v = toks(s);
        assert_eq!(v.len(), 1, "expected one line from {s:?}, got {v:?}");
        v.remove(0)
    }

    #[test]
    fn spec_table() {
        assert_eq!(one("driver = usbhid-ups"), ["driver", "=", "usbhid-ups"]);
        assert_eq!(one("driver=usbhid-ups"), ["driver", "=", "usbhid-ups"]);
        assert_eq!(one("community = ab=cd"), ["community", "=", "ab", "=", "cd"]);
        assert_eq!(one("desc = \"Web server UPS\""), ["desc", "=", "Web server UPS"]);
        assert_eq!(one(r#"desc = "say \"hi\" \\ \# ok""#), ["desc", "=", r#"say "hi" \ # ok"#]);
        assert_eq!(one(r#"port = "\\\\.\\COM10""#), ["port", "=", r"\\.\COM10"]);
        assert_eq!(one(r#"x = abc"def""#), ["x", "=", r#"abc"def""#]);
        assert_eq!(one(r#"x = "abc"def"#), ["x", "=", "abc", "def"]);
        assert_eq!(one(r#"x = """#), ["x", "=", ""]);
        assert_eq!(one("long \\\nvalue"), ["long", "value"]);
        assert_eq!(one("long\\\nvalue"), ["longvalue"]);
        assert_eq!(one("a \\\n b"), ["a", "", "b"]);
        assert_eq!(one(r"community = ab\=cd"), ["community", "=", "ab=cd"]);
        assert_eq!(one("x = \"a\tb\""), ["x", "=", "ab"]);
        assert!(toks("# comment\n\n   \n").is_empty());
        assert_eq!(one("key value # trailing"), ["key", "value"]);
        assert_eq!(one("key val#ue"), ["key", "val"]);
    }

    #[test]
    fn hash_in_quotes_resumes_as_new_line() {
        let lines = tokenize(b"pw = \"a#b\"\nnext = 1\n");
        assert_eq!(lines[0].texts(), ["pw", "=", "a"]);
        assert_eq!(lines[0].error, Some(LineError::HashInQuotes(Pos { line: 1, col: 8 })));
        assert_eq!(lines[1].texts(), ["b\""]);
        assert!(lines[1].error.is_none());
        assert_eq!(lines[2].texts(), ["next", "=", "1"]);
        // the ups.conf trap from the spec
        let lines = tokenize(b"desc = \"x#y\"\n");
        assert_eq!(lines[1].texts(), ["y\""]);
    }

    #[test]
    fn hash_in_quotes_skip_line_policy() {
        let mut t = Tokenizer::new(Limits::NUT, AfterError::SkipLine);
        let lines = t.feed(b"GET VAR \"a#b\" c\nVER\n");
        assert_eq!(lines.len(), 2);
        assert!(lines[0].error.is_some());
        assert_eq!(lines[1].texts(), ["VER"]);
    }

    #[test]
    fn positions_are_physical() {
        let lines = tokenize(b"a = 1\n\n  [ups]\n\tdriver = \"x\"\n");
        let l = &lines[2];
        assert_eq!(l.words[0].pos, Pos { line: 3, col: 3 });
        let l = &lines[3];
        assert_eq!(l.words[0].pos, Pos { line: 4, col: 2 });
        assert_eq!(l.words[2].pos, Pos { line: 4, col: 11 });
        assert!(l.words[2].quoted);
        assert_eq!(l.number, 4);
    }

    #[test]
    fn logical_lines_span_continuations() {
        let lines = tokenize(b"a \\\nb\nc\n");
        assert_eq!(lines[0].texts(), ["a", "b"]);
        assert_eq!(lines[1].texts(), ["c"]);
        assert_eq!(lines[1].number, 2);
        assert_eq!(lines[1].words[0].pos.line, 3);
        // LF inside quotes is swallowed
        assert_eq!(one("x \"a\nb\" y"), ["x", "ab", "y"]);
    }

    #[test]
    fn byte_filter_and_del() {
        let lines = tokenize("x = \"h\u{e9}llo\"\n".as_bytes());
        assert_eq!(lines[0].texts(), ["x", "=", "hllo"]);
        assert!(lines[0].dropped_byte.is_some());
        assert_eq!(one("a\x7fb"), ["a\x7fb"]);
        assert_eq!(one("a\\\tb"), ["ab"]);
    }

    #[test]
    fn limits() {
        let many: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let lines = tokenize(many.join(" ").as_bytes());
        assert_eq!(lines[0].words.len(), 32);
        assert!(lines[0].limit_hit.is_some());
        let long = "u".repeat(600);
        let w = one(&long);
        assert_eq!(w[0].len(), 512);
    }

    #[test]
    fn empty_lines_are_reported() {
        let mut t = Tokenizer::default();
        let lines = t.feed(b"\n# c\nVER\n");
        assert_eq!(lines.len(), 3);
        assert!(lines[0].is_empty() && lines[1].is_empty());
        assert_eq!(lines[2].texts(), ["VER"]);
    }

    #[test]
    fn incremental_feeding() {
        let mut t = Tokenizer::default();
        assert!(t.feed(b"GET VA").is_empty());
        assert!(!t.is_idle());
        let l = t.feed(b"R \"u\" v\nLIST");
        assert_eq!(l[0].texts(), ["GET", "VAR", "u", "v"]);
        assert_eq!(t.finish().unwrap().texts(), ["LIST"]);
        assert!(t.is_idle());
    }

    #[test]
    fn quoting() {
        assert_eq!(escape(r#"back\slash and # hash"#), r#"back\\slash and \# hash"#);
        assert_eq!(quote_always(""), r#""""#);
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a b"), r#""a b""#);
        assert_eq!(quote("a=b"), r#""a=b""#);
        assert_eq!(quote(""), r#""""#);
        assert_eq!(quote(r#"x"y"#), r#"x\"y"#);
        assert_eq!(join(&["SET", "VAR", "u", "v", "two words"]), r#"SET VAR u v "two words""#);
    }

    #[test]
    fn equals_word_vs_quoted_equals() {
        let l = &tokenize(b"a = \"=\"")[0];
        assert!(l.words[1].is_equals());
        assert!(!l.words[2].is_equals());
    }
}
