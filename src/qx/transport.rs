//! How the engine talks to a device: one request, one answer.
//!
//! [`Transport`] is the only thing the protocol layer needs; the serial
//! port ([`super::serial::SerialTransport`]), the USB subdrivers
//! ([`super::usb::UsbTransport`]) and the canned-answer table used by the
//! tests ([`VectorTransport`]) all implement it.

use std::collections::HashMap;
use std::io;

/// A request/answer channel to a Q* device.
pub trait Transport {
    /// Send `cmd` (bytes, usually ending in CR) and return the answer (up to
    /// and including its CR when there is one). An empty answer means the
    /// device said nothing before the timeout; an error means the link is
    /// gone (the caller reconnects later).
    fn command(&mut self, cmd: &[u8]) -> io::Result<Vec<u8>>;
}

/// Answers from a table, like NUT's TESTING build: a known command gets its
/// answer; an unknown one gets `rejected` if set, else its own echo.
#[derive(Debug, Clone, Default)]
pub struct VectorTransport {
    answers: HashMap<Vec<u8>, Vec<u8>>,
    /// Reply to unknown commands (None: echo the command).
    pub rejected: Option<Vec<u8>>,
    /// Every command sent, in order.
    pub log: Vec<Vec<u8>>,
}

impl VectorTransport {
    /// From (command, answer) pairs.
    pub fn new<I: IntoIterator<Item = (Vec<u8>, Vec<u8>)>>(pairs: I) -> VectorTransport {
        let mut answers = HashMap::new();
        for (c, a) in pairs {
            answers.entry(c.to_ascii_uppercase()).or_insert(a);
        }
        VectorTransport { answers, rejected: None, log: Vec::new() }
    }
}

impl Transport for VectorTransport {
    fn command(&mut self, cmd: &[u8]) -> io::Result<Vec<u8>> {
        self.log.push(cmd.to_vec());
        if let Some(a) = self.answers.get(&cmd.to_ascii_uppercase()) {
            return Ok(a.clone());
        }
        Ok(self.rejected.clone().unwrap_or_else(|| cmd.to_vec()))
    }
}

/// Decode the C escapes of the vector files (`\r`, `\n`, `\t`, `\\`, `\"`,
/// `\xNN`, octal `\NNN`).
pub fn unescape_c(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        match b[i] {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'0'..=b'7' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
                continue;
            }
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                i += 1;
                while n < 2 && i < b.len() && (b[i] as char).is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// A parsed line of `nutdrv_qx-testing-vectors.tsv`.
#[derive(Debug, Clone)]
pub struct Vector {
    /// Dialect name (as in the file: `megatec-old`, `voltronic-qs-hex`...).
    pub protocol: String,
    /// Command bytes.
    pub command: Vec<u8>,
    /// Answer bytes (`answer_len` applied).
    pub answer: Vec<u8>,
}

/// Parse the vector file.
pub fn parse_vectors(text: &str) -> Vec<Vector> {
    let mut v = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 {
            continue;
        }
        let mut answer = unescape_c(f[2]);
        let len: i64 = f[3].trim().parse().unwrap_or(-1);
        if len >= 0 {
            answer.resize(len as usize, 0);
        } else if let Some(p) = answer.iter().position(|&c| c == 0) {
            answer.truncate(p);
        }
        v.push(Vector { protocol: f[0].to_string(), command: unescape_c(f[1]), answer });
    }
    v
}
