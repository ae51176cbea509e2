//! The word layer shared by the files: runs the tokenizer, turns its own
//! findings (the `#`-in-quotes error, dropped bytes, limit hits) into
//! diagnostics, and hands back the usable logical lines.

use super::diag::Sink;
use crate::proto::words::{tokenize, Line, Word};

/// Tokenizes `input`, reporting tokenizer problems into `sink`. Lines that
/// ended in a parse error are reported and left out (NUT skips them); blank
/// and comment lines are left out too.
pub(crate) fn lines(input: &[u8], sink: &mut Sink<'_>) -> Vec<Line> {
    let mut out = Vec::new();
    // where each physical line starts, to name the dropped byte
    let starts: Vec<usize> =
        std::iter::once(0).chain(input.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect();
    let byte_at = |p: crate::proto::words::Pos| {
        let at = starts.get(p.line as usize - 1)? + p.col as usize - 1;
        input.get(at).copied()
    };
    for line in tokenize(input) {
        if let Some(pos) = line.dropped_byte {
            let msg = match byte_at(pos) {
                Some(b) => format!("discarding invalid character (0x{b:02x}): NUT keeps only printable ASCII"),
                None => "discarding invalid character: NUT keeps only printable ASCII".to_string(),
            };
            sink.warn(pos, msg);
        }
        if let Some(pos) = line.limit_hit {
            sink.warn(pos, "line exceeds NUT's limits (32 words, 512 bytes a word); the excess was dropped");
        }
        if let Some(err) = line.error {
            sink.error(err.pos(), err.to_string());
            continue;
        }
        if !line.is_empty() {
            out.push(line);
        }
    }
    out
}

/// What a `key = value` style line is.
pub(crate) enum Shape<'a> {
    /// `[name]` (extra words after it are in `rest`).
    Section { head: &'a Word, name: String, rest: &'a [Word] },
    /// A single word.
    Flag(&'a Word),
    /// `key = value [extra...]` (NUT compares the middle word with `=` after
    /// unquoting, so a quoted `"="` counts too).
    Assign { key: &'a Word, value: &'a Word, extra: &'a [Word] },
    /// Anything else (two words, or three without `=` in the middle).
    Other,
}

/// Whether a word is a section header: starts with `[` and ends with `]`.
pub(crate) fn section_name(w: &Word) -> Option<String> {
    let t = &w.text;
    if t.len() >= 2 && t.starts_with('[') && t.ends_with(']') {
        Some(t[1..t.len() - 1].to_string())
    } else {
        None
    }
}

/// Classifies a non-empty line.
pub(crate) fn shape(line: &Line) -> Shape<'_> {
    let w = &line.words;
    if let Some(name) = section_name(&w[0]) {
        return Shape::Section { head: &w[0], name, rest: &w[1..] };
    }
    match w.len() {
        1 => Shape::Flag(&w[0]),
        2 => Shape::Other,
        _ if w[1].text == "=" => Shape::Assign { key: &w[0], value: &w[2], extra: &w[3..] },
        _ => Shape::Other,
    }
}

/// NUT's complaint about a line its directive table does not take, with
/// the line's words as NUT prints them.
pub(crate) fn invalid_directive(line: &Line, sink: &mut Sink<'_>) {
    let mut msg = String::from("invalid directive");
    for w in &line.words {
        msg.push(' ');
        msg.push_str(&w.text);
    }
    sink.warn(line.words[0].pos, msg);
}

/// Warns about words after the first `used` ones, which NUT ignores.
pub(crate) fn extra_words(line: &Line, used: usize, sink: &mut Sink<'_>) {
    if let Some(w) = line.words.get(used) {
        sink.warn(w.pos, format!("{} takes {} argument(s); the rest is ignored", line.words[0].text, used - 1));
    }
}
