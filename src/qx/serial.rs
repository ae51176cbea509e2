//! The serial transport: NUT's nutdrv_qx line discipline over the
//! `serialport` crate. 2400 baud 8N1 by default; DTR/RTS per `cablepower`;
//! each exchange flushes, writes the command, and reads one CR-terminated
//! line within the answer timeout (1 s, as NUT). A port that fails is
//! closed and reopened on the next command, so a pulled cable recovers.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits, TTYPort};

use super::transport::Transport;

/// Line settings.
#[derive(Debug, Clone)]
pub struct SerialConfig {
    /// Device path.
    pub path: String,
    /// Baud rate.
    pub baud: u32,
    /// Data bits (5-8).
    pub data_bits: u8,
    /// `N`, `E` or `O`.
    pub parity: char,
    /// 1 or 2.
    pub stop_bits: u8,
    /// DTR and RTS levels (`cablepower`: normal = DTR on RTS off).
    pub dtr: bool,
    /// See `dtr`.
    pub rts: bool,
    /// How long to wait for an answer.
    pub timeout: Duration,
}

impl SerialConfig {
    /// NUT's defaults for `path`.
    pub fn new(path: &str) -> SerialConfig {
        SerialConfig {
            path: path.to_string(),
            baud: 2400,
            data_bits: 8,
            parity: 'N',
            stop_bits: 1,
            dtr: true,
            rts: false,
            timeout: Duration::from_secs(1),
        }
    }

    /// Apply `cablepower` (normal, reverse, both, none).
    pub fn cablepower(&mut self, v: &str) -> Result<(), String> {
        let (d, r) = match v.to_ascii_lowercase().as_str() {
            "normal" => (true, false),
            "reverse" => (false, true),
            "both" => (true, true),
            "none" => (false, false),
            _ => return Err(format!("Value '{v}' not valid for 'cablepower'")),
        };
        self.dtr = d;
        self.rts = r;
        Ok(())
    }
}

/// A (re)opening serial link.
pub struct SerialTransport {
    cfg: SerialConfig,
    port: Option<TTYPort>,
}

impl SerialTransport {
    /// Open now (an error if the port cannot be opened).
    pub fn open(cfg: SerialConfig) -> io::Result<SerialTransport> {
        let mut t = SerialTransport { cfg, port: None };
        t.reopen()?;
        Ok(t)
    }

    fn reopen(&mut self) -> io::Result<()> {
        let c = &self.cfg;
        let mut p = serialport::new(&c.path, c.baud)
            .data_bits(match c.data_bits {
                5 => DataBits::Five,
                6 => DataBits::Six,
                7 => DataBits::Seven,
                _ => DataBits::Eight,
            })
            .parity(match c.parity {
                'E' | 'e' => Parity::Even,
                'O' | 'o' => Parity::Odd,
                _ => Parity::None,
            })
            .stop_bits(if c.stop_bits == 2 { StopBits::Two } else { StopBits::One })
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(50))
            .open_native()
            .map_err(io::Error::other)?;
        // A pty has no modem lines: NUT ignores failures here too.
        let _ = p.write_data_terminal_ready(c.dtr);
        let _ = p.write_request_to_send(c.rts);
        let _ = p.set_exclusive(false);
        self.port = Some(p);
        Ok(())
    }

    fn exchange(&mut self, cmd: &[u8]) -> io::Result<Vec<u8>> {
        let timeout = self.cfg.timeout;
        let p = self.port.as_mut().ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "closed"))?;
        let _ = p.clear(ClearBuffer::All);
        p.write_all(cmd)?;
        p.flush()?;
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        while Instant::now() < deadline {
            match p.read(&mut buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "port closed")),
                Ok(n) => {
                    for &b in &buf[..n] {
                        out.push(b);
                        if b == b'\r' {
                            return Ok(out);
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // Canonical-mode NUT never sees a line without its CR: no answer.
        Ok(Vec::new())
    }
}

impl Transport for SerialTransport {
    fn command(&mut self, cmd: &[u8]) -> io::Result<Vec<u8>> {
        if self.port.is_none() {
            self.reopen()?;
        }
        match self.exchange(cmd) {
            Ok(a) => Ok(a),
            Err(e) => {
                self.port = None;
                Err(e)
            }
        }
    }
}
