//! NUT's serial-over-USB subdrivers for the Q* family: each wraps a Megatec
//! command in the framing a USB-to-serial bridge chip expects (HID SET_REPORT
//! chunks, string-descriptor indexes, interrupt transfers...). They run over
//! the small [`UsbDev`] trait; [`RusbDev`] puts libusb (rusb) behind it, and
//! tests replay bytes through a fake.

use std::io;
use std::time::Duration;

use super::transport::Transport;

/// The USB operations the subdrivers use.
pub trait UsbDev {
    /// Control transfer host-to-device; bytes written.
    fn control_out(
        &mut self,
        rtype: u8,
        req: u8,
        value: u16,
        index: u16,
        data: &[u8],
        t: Duration,
    ) -> io::Result<usize>;
    /// Control transfer device-to-host; bytes read.
    fn control_in(
        &mut self,
        rtype: u8,
        req: u8,
        value: u16,
        index: u16,
        buf: &mut [u8],
        t: Duration,
    ) -> io::Result<usize>;
    /// Interrupt IN transfer (timeout: `ErrorKind::TimedOut`).
    fn interrupt_in(&mut self, ep: u8, buf: &mut [u8], t: Duration) -> io::Result<usize>;
    /// Interrupt OUT transfer.
    fn interrupt_out(&mut self, ep: u8, data: &[u8], t: Duration) -> io::Result<usize>;
}

/// USB class request SET_REPORT.
const OUT_CLASS_IFACE: u8 = 0x21;
const GET_DESCRIPTOR: u8 = 6;

/// Raw string descriptor `index` in language `langid` (length byte, type
/// byte, UTF-16LE).
fn get_string(d: &mut dyn UsbDev, index: u8, langid: u16, buf: &mut [u8]) -> io::Result<usize> {
    d.control_in(0x80, GET_DESCRIPTOR, (3 << 8) | index as u16, langid, buf, Duration::from_secs(1))
}

/// String descriptor as ASCII in the device's first language ('?' for
/// non-ASCII), like libusb's get_string_simple.
fn get_string_simple(d: &mut dyn UsbDev, index: u8) -> io::Result<Vec<u8>> {
    let mut l = [0u8; 255];
    let n = get_string(d, 0, 0, &mut l)?;
    if n < 4 {
        return Err(io::Error::other("no language"));
    }
    let lang = u16::from_le_bytes([l[2], l[3]]);
    let mut b = [0u8; 255];
    let n = get_string(d, index, lang, &mut b)?;
    Ok(utf16_to_ascii(&b[..n]))
}

fn utf16_to_ascii(b: &[u8]) -> Vec<u8> {
    if b.len() < 2 {
        return Vec::new();
    }
    let size = (b[0] as usize).min(b.len());
    let mut out = Vec::new();
    let mut i = 2;
    while i + 1 < size + 1 && i < size {
        let hi = b.get(i + 1).copied().unwrap_or(0);
        out.push(if hi != 0 { b'?' } else { b[i] });
        i += 2;
    }
    out
}

fn ensure_cr(mut v: Vec<u8>) -> Vec<u8> {
    if !v.is_empty() && !v.contains(&b'\r') {
        v.push(b'\r');
    }
    v
}

fn is_no_ack(v: &[u8]) -> bool {
    let cr = v.iter().position(|&c| c == b'\r').unwrap_or(v.len());
    cr == 10 && v[..10].eq_ignore_ascii_case(b"UPS No Ack")
}

/// NUT's USB subdrivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subdriver {
    /// Cypress bridge: SET_REPORT 8-byte chunks, interrupt reads of 8.
    Cypress,
    /// Like cypress with the input drained first.
    Phoenix,
    /// SET_REPORT value 0x2 chunks, one 64-byte interrupt read.
    Ippon,
    /// String descriptors by command index (Krauler, Legrand Daker).
    Krauler,
    /// String descriptors by command index, shutdown delays encoded (MEC).
    Fabula,
    /// Fabula with Hunnox's warm-up reads and a language fix.
    Hunnox,
    /// Interrupt OUT 8-byte packets (Fuji).
    Fuji,
    /// Length-prefixed 7-byte chunks (ST Micro based TS Shara).
    Sgs,
    /// String descriptors with a language (SNR).
    Snr,
    /// 47-byte HID feature report 0x305 (Ablerex).
    Ablerex,
    /// Vendor request 0x0d (Masterguard/Phoenixtec).
    Phoenixtec,
    /// 3-byte chunks, 6-byte interrupt reads (Armac, Richcomm-like).
    Armac,
    /// Whole 16-byte SET_REPORTs (value 0x0002), one interrupt read of up
    /// to 64 bytes (OMRON BN150T; upstream NUT after 2.8.0).
    Omron,
    /// Cypress-like: SET_REPORT value 0x02 chunks, interrupt reads of up
    /// to 128 bytes until a CR (G-Tec; upstream NUT after 2.8.0, only by
    /// `subdriver = gtec`).
    Gtec,
}

impl Subdriver {
    /// The `subdriver =` names.
    pub const ALL: [(&'static str, Subdriver); 14] = [
        ("cypress", Subdriver::Cypress),
        ("phoenixtec", Subdriver::Phoenixtec),
        ("phoenix", Subdriver::Phoenix),
        ("ippon", Subdriver::Ippon),
        ("krauler", Subdriver::Krauler),
        ("fabula", Subdriver::Fabula),
        ("hunnox", Subdriver::Hunnox),
        ("fuji", Subdriver::Fuji),
        ("sgs", Subdriver::Sgs),
        ("snr", Subdriver::Snr),
        ("ablerex", Subdriver::Ablerex),
        ("armac", Subdriver::Armac),
        ("omron", Subdriver::Omron),
        ("gtec", Subdriver::Gtec),
    ];

    /// By `subdriver =` name.
    pub fn by_name(n: &str) -> Option<Subdriver> {
        Subdriver::ALL.iter().find(|(s, _)| s.eq_ignore_ascii_case(n)).map(|(_, d)| *d)
    }
}

/// A known device: IDs, optional vendor/product strings, its subdriver.
#[derive(Debug, Clone, Copy)]
pub struct UsbId {
    /// Vendor ID.
    pub vendor: u16,
    /// Product ID.
    pub product: u16,
    /// Required manufacturer string.
    pub mfr: Option<&'static str>,
    /// Required product string.
    pub prod: Option<&'static str>,
    /// Subdriver.
    pub subdriver: Subdriver,
    /// What it is.
    pub note: &'static str,
}

/// NUT's device table, in matching order (first match wins): 2.8.0's,
/// plus the OMRON BN150T of newer NUT.
pub const USB_IDS: &[UsbId] = &[
    id(0x05b8, 0x0000, None, None, Subdriver::Cypress, "Agiler UPS"),
    id(0xffff, 0x0000, None, None, Subdriver::Ablerex, "Ablerex 625L USB"),
    id(0x1cb0, 0x0035, None, None, Subdriver::Krauler, "Legrand Daker DK / DK Plus"),
    id(0x0665, 0x5161, None, None, Subdriver::Cypress, "Belkin F6C1200-UNV/Voltronic Power UPSes"),
    id(
        0x06da,
        0x0002,
        Some("Phoenixtec Power"),
        Some("USB Cable (V2.00)"),
        Subdriver::Phoenixtec,
        "Masterguard A Series",
    ),
    id(0x06da, 0x0002, None, None, Subdriver::Cypress, "Online Yunto YQ450"),
    id(0x06da, 0x0003, None, None, Subdriver::Ippon, "Mustek Powermust"),
    id(0x06da, 0x0004, None, None, Subdriver::Cypress, "Phoenixtec Innova 3/1 T"),
    id(0x06da, 0x0005, None, None, Subdriver::Cypress, "Phoenixtec Innova RT"),
    id(0x06da, 0x0201, None, None, Subdriver::Cypress, "Phoenixtec Innova T"),
    id(0x06da, 0x0601, None, None, Subdriver::Phoenix, "Online Zinto A"),
    id(0x0f03, 0x0001, None, None, Subdriver::Cypress, "Unitek Alpha 1200Sx"),
    id(0x14f0, 0x00c9, None, None, Subdriver::Phoenix, "GE EP series"),
    id(0x0483, 0x0035, None, None, Subdriver::Sgs, "TS Shara UPSes"),
    id(0x0590, 0x00b7, None, None, Subdriver::Omron, "OMRON BN150T"),
    id(0x0001, 0x0000, Some("MEC"), Some("MEC0003"), Subdriver::Fabula, "Fideltronik/MEC LUPUS 500 USB"),
    id(0x0001, 0x0000, None, Some("MEC0003"), Subdriver::Hunnox, "Hunnox HNX 850"),
    id(0x0001, 0x0000, Some("ATCL FOR UPS"), Some("ATCL FOR UPS"), Subdriver::Fuji, "Fuji UPSes"),
    id(0x0001, 0x0000, None, None, Subdriver::Krauler, "Krauler UP-M500VA"),
    id(0x0001, 0x0000, None, Some("MEC0003"), Subdriver::Snr, "SNR-UPS-LID-XXXX UPSes"),
    id(0x0925, 0x1234, None, None, Subdriver::Armac, "Armac UPS"),
];

const fn id(
    vendor: u16,
    product: u16,
    mfr: Option<&'static str>,
    prod: Option<&'static str>,
    subdriver: Subdriver,
    note: &'static str,
) -> UsbId {
    UsbId { vendor, product, mfr, prod, subdriver, note }
}

/// The subdriver for a device (first matching row).
pub fn match_device(vendor: u16, product: u16, mfr: Option<&str>, prod: Option<&str>) -> Option<Subdriver> {
    USB_IDS
        .iter()
        .find(|u| {
            u.vendor == vendor
                && u.product == product
                && u.mfr.is_none_or(|m| mfr == Some(m))
                && u.prod.is_none_or(|p| prod == Some(p))
        })
        .map(|u| u.subdriver)
}

/// What the matcher knows about a USB device (NUT's USBDevice_t).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsbDescr {
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// iManufacturer string, if any.
    pub vendor: Option<String>,
    /// iProduct string, if any.
    pub product: Option<String>,
    /// iSerialNumber string, if any.
    pub serial: Option<String>,
    /// Bus number.
    pub bus: u8,
    /// Device address on the bus.
    pub address: u8,
    /// Port number on the parent hub (0: unknown).
    pub port: u8,
}

/// A bad matching option: its name and the regex error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("Invalid regular expression: {value} ({name}: {reason})")]
pub struct BadRegex {
    /// The ups.conf option.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// Why the regex crate refused it.
    pub reason: String,
}

/// NUT's USB regex matcher: `vendorid`, `productid`, `vendor`, `product`,
/// `serial`, `bus`, `device` and `busport`, each an extended regular
/// expression matched case-insensitively against the whole field (leading
/// and trailing blanks of the field ignored; a missing string is empty);
/// IDs as four lower-case hex digits, bus, device and port numbers as
/// three decimal digits. An option that is not set matches anything.
///
/// Where we differ from NUT 2.8.0: its libusb-1.0 code never fills in the
/// device name, so there `device` only ever matches the empty string, and
/// it has no `busport` (added in 2.8.1); we match both as newer NUT does.
/// The patterns go to the `regex` crate, whose syntax is a superset of
/// POSIX ERE for what these fields need (classes like `[[:digit:]]`,
/// alternation, repetition); anchoring the whole pattern gives the same
/// answer as POSIX's leftmost-longest match having to span the field.
#[derive(Debug, Clone, Default)]
pub struct UsbMatch {
    fields: Vec<(&'static str, regex::Regex)>,
}

/// The matching options, in NUT's order.
pub const MATCH_KEYS: [&str; 8] = ["vendorid", "productid", "vendor", "product", "serial", "bus", "device", "busport"];

impl UsbMatch {
    /// From the ups.conf settings (`get` looks one up).
    pub fn new<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<UsbMatch, BadRegex> {
        let mut fields = Vec::new();
        for name in MATCH_KEYS {
            let Some(v) = get(name) else { continue };
            let re = regex::RegexBuilder::new(&format!("^(?:{v})$")).case_insensitive(true).build().map_err(|e| {
                // the crate's message quotes our anchored pattern; keep
                // only its last line ("error: ...")
                let m = e.to_string();
                let last = m.lines().last().unwrap_or("").trim();
                let reason = last.strip_prefix("error: ").unwrap_or(last).to_string();
                BadRegex { name, value: v.to_string(), reason }
            })?;
            fields.push((name, re));
        }
        Ok(UsbMatch { fields })
    }

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The field `name` of `d` as NUT's matcher sees it.
    pub fn field(d: &UsbDescr, name: &str) -> String {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let v = match name {
            "vendorid" => format!("{:04x}", d.vendor_id),
            "productid" => format!("{:04x}", d.product_id),
            "vendor" => s(&d.vendor),
            "product" => s(&d.product),
            "serial" => s(&d.serial),
            "bus" => format!("{:03}", d.bus),
            "device" => format!("{:03}", d.address),
            "busport" if d.port > 0 => format!("{:03}", d.port),
            _ => String::new(),
        };
        v.trim_matches(|c| c == ' ' || c == '\t' || c == '\n').to_string()
    }

    /// Whether `d` passes every set option; else the first that failed.
    pub fn check(&self, d: &UsbDescr) -> Result<(), &'static str> {
        for (name, re) in &self.fields {
            if !re.is_match(&UsbMatch::field(d, name)) {
                return Err(name);
            }
        }
        Ok(())
    }

    /// Whether `d` passes every set option.
    pub fn matches(&self, d: &UsbDescr) -> bool {
        self.check(d).is_ok()
    }
}

/// NUT's choice for one device: the regex options must match, then the
/// subdriver is the forced one or the first [`USB_IDS`] row for it.
pub fn choose(d: &UsbDescr, m: &UsbMatch, forced: Option<Subdriver>) -> Option<Subdriver> {
    if !m.matches(d) {
        return None;
    }
    forced.or_else(|| match_device(d.vendor_id, d.product_id, d.vendor.as_deref(), d.product.as_deref()))
}

/// Fabula/Hunnox string index for a shutdown command `S<n>[R<m>]`.
fn fabula_shutdown_index(cmd: &str) -> Option<u8> {
    let c = cmd.trim_end_matches('\r').strip_prefix('S')?;
    let (d, r) = match c.split_once('R') {
        Some((d, r)) => (d, Some(r)),
        None => (c, None),
    };
    let v1: f64 = d.parse().ok()?;
    let v2: i64 = match r {
        Some(r) => r.parse().ok()?,
        None => -1,
    };
    let delay = v1.clamp(0.5, 10.0);
    let mut index =
        if delay < 1.0 { 16 + ((delay - 0.5) * 10.0).round() as i64 * 16 } else { 96 + ((delay - 1.0) * 16.0) as i64 };
    if v2 != 0 {
        index += 8;
    }
    u8::try_from(index).ok()
}

/// A Q* device behind a USB bridge.
pub struct UsbTransport<D: UsbDev> {
    /// The device.
    pub dev: D,
    /// Framing.
    pub subdriver: Subdriver,
    /// `langid_fix`.
    pub langid_fix: Option<u16>,
    hunnox_step: u8,
}

impl<D: UsbDev> UsbTransport<D> {
    /// Wrap `dev`.
    pub fn new(dev: D, subdriver: Subdriver, langid_fix: Option<u16>) -> UsbTransport<D> {
        UsbTransport { dev, subdriver, langid_fix, hunnox_step: 0 }
    }

    fn lang_string(&mut self, index: u8, max: usize) -> io::Result<Vec<u8>> {
        match self.langid_fix {
            Some(l) => {
                let mut b = vec![0u8; max];
                let n = get_string(&mut self.dev, index, l, &mut b)?;
                if n == 0 || n != b[0] as usize {
                    return Ok(Vec::new());
                }
                Ok(utf16_to_ascii(&b[..n]))
            }
            None => get_string_simple(&mut self.dev, index),
        }
    }

    fn run(&mut self, cmd: &[u8]) -> io::Result<Vec<u8>> {
        let t1 = Duration::from_secs(1);
        let t5 = Duration::from_secs(5);
        let d = &mut self.dev;
        let cs = String::from_utf8_lossy(cmd).to_string();
        match self.subdriver {
            Subdriver::Cypress | Subdriver::Phoenix => {
                if self.subdriver == Subdriver::Phoenix {
                    let mut junk = [0u8; 8];
                    for _ in 0..8 {
                        if d.interrupt_in(0x81, &mut junk, t1).is_err() {
                            break;
                        }
                    }
                }
                for chunk in cmd.chunks(8) {
                    let mut b = [0u8; 8];
                    b[..chunk.len()].copy_from_slice(chunk);
                    d.control_out(
                        OUT_CLASS_IFACE,
                        0x09,
                        0x200,
                        0,
                        &b,
                        if self.subdriver == Subdriver::Cypress { t5 } else { t1 },
                    )?;
                }
                let mut out = Vec::new();
                while !out.contains(&b'\r') && out.len() < 504 {
                    let mut b = [0u8; 8];
                    let n = d.interrupt_in(0x81, &mut b, t1)?;
                    if n == 0 {
                        return Err(io::Error::from(io::ErrorKind::TimedOut));
                    }
                    out.extend_from_slice(&b[..n]);
                }
                if let Some(p) = out.iter().position(|&c| c == b'\r') {
                    out.truncate(p + 1);
                }
                Ok(out)
            }
            Subdriver::Ippon => {
                for chunk in cmd.chunks(8) {
                    let mut b = [0u8; 8];
                    b[..chunk.len()].copy_from_slice(chunk);
                    d.control_out(OUT_CLASS_IFACE, 0x09, 0x2, 0, &b, t1)?;
                }
                let mut b = [0u8; 64];
                let n = d.interrupt_in(0x81, &mut b, t1)?;
                let mut v = b[..n].to_vec();
                if let Some(p) = v.iter().position(|&c| c == b'\r') {
                    v.truncate(p + 1);
                } else if let Some(p) = v.iter().position(|&c| c == 0) {
                    v.truncate(p);
                }
                Ok(ensure_cr(v))
            }
            Subdriver::Omron => {
                // whole reports, zero padded; a short write is an error
                let mut tmp = [0u8; 64];
                let l = cmd.len().min(64);
                tmp[..l].copy_from_slice(&cmd[..l]);
                for i in (0..l).step_by(16) {
                    let n = d.control_out(OUT_CLASS_IFACE, 0x09, 0x0002, 0, &tmp[i..i + 16], t1)?;
                    if n != 16 {
                        return Err(io::Error::other(format!("send: short transfer ({n} of 16 bytes)")));
                    }
                }
                let mut b = [0u8; 64];
                let n = d.interrupt_in(0x81, &mut b, t1)?;
                let b = &b[..n];
                let len = match b.iter().position(|&c| c == b'\r') {
                    Some(p) => p + 1,
                    None => b.iter().position(|&c| c == 0).unwrap_or(n),
                };
                Ok(ensure_cr(b[..len].to_vec()))
            }
            Subdriver::Gtec => {
                let body: Vec<u8> = cmd.iter().copied().take(511).take_while(|&c| c != 0).collect();
                for chunk in body.chunks(8) {
                    let mut b = [0u8; 8];
                    b[..chunk.len()].copy_from_slice(chunk);
                    d.control_out(OUT_CLASS_IFACE, 0x09, 0x02, 0, &b, t5)?;
                }
                // NUT keeps every byte read, up to the packet with the CR.
                let mut out = Vec::new();
                while !out.contains(&b'\r') && out.len() <= 511 - 128 {
                    let mut b = [0u8; 128];
                    let n = d.interrupt_in(0x81, &mut b, t1)?;
                    if n == 0 {
                        return Ok(Vec::new());
                    }
                    out.extend_from_slice(&b[..n]);
                }
                Ok(out)
            }
            Subdriver::Sgs => {
                for chunk in cmd.chunks(7) {
                    let mut b = [0u8; 8];
                    b[0] = chunk.len() as u8;
                    b[1..=chunk.len()].copy_from_slice(chunk);
                    d.control_out(OUT_CLASS_IFACE, 0x09, 0x200, 0, &b, t5)?;
                }
                let mut out = Vec::new();
                while out.len() < 504 {
                    let mut b = [0u8; 8];
                    match d.interrupt_in(0x81, &mut b, t1) {
                        Err(e) if e.kind() == io::ErrorKind::TimedOut => break,
                        Err(e) => return Err(e),
                        Ok(0) => break,
                        Ok(_) => {
                            let n = (b[0] as usize).min(7);
                            out.extend_from_slice(&b[1..=n]);
                            if n == 0 {
                                break;
                            }
                        }
                    }
                }
                Ok(ensure_cr(out))
            }
            Subdriver::Krauler | Subdriver::Snr => {
                const MAP: [(&str, u8, u8); 8] = [
                    ("Q1\r", 0x03, b'('),
                    ("F\r", 0x0d, b'#'),
                    ("I\r", 0x0c, b'#'),
                    ("T\r", 0x04, b'\r'),
                    ("TL\r", 0x05, b'\r'),
                    ("Q\r", 0x07, b'\r'),
                    ("C\r", 0x0b, b'\r'),
                    ("CT\r", 0x0b, b'\r'),
                ];
                let snr = self.subdriver == Subdriver::Snr;
                if snr {
                    let mut b = [0u8; 102];
                    let _ = self.dev.interrupt_in(0x81, &mut b, t1);
                }
                let map: &[(&str, u8, u8)] = if snr { &MAP[..3] } else { &MAP };
                let Some(&(_, index, prefix)) = map.iter().find(|(c, _, _)| c.as_bytes() == cmd) else {
                    return Ok(cmd.to_vec());
                };
                for _ in 0..10 {
                    let v = if snr {
                        let l = self.langid_fix.unwrap_or(0x0409);
                        let mut b = vec![0u8; 102];
                        let n = get_string(&mut self.dev, index, l, &mut b)?;
                        if n == 0 || n != b[0] as usize {
                            continue;
                        }
                        utf16_to_ascii(&b[..n])
                    } else {
                        let v = self.lang_string(index, 255)?;
                        if self.langid_fix.is_some() && v.is_empty() {
                            continue;
                        }
                        v
                    };
                    if v.is_empty() {
                        return Err(io::Error::from(io::ErrorKind::TimedOut));
                    }
                    let mut v = ensure_cr(v);
                    if is_no_ack(&v) {
                        continue;
                    }
                    v[0] = prefix;
                    return Ok(v);
                }
                Ok(Vec::new())
            }
            Subdriver::Fabula | Subdriver::Hunnox => {
                const MAP: [(&str, u8); 5] =
                    [("Q1\r", 0x03), ("F\r", 0x0d), ("I\r", 0x0c), ("Q\r", 0x07), ("C\r", 0x0a)];
                let index = match MAP.iter().find(|(c, _)| c.as_bytes() == cmd) {
                    Some(&(_, i)) => i,
                    None => match fabula_shutdown_index(&cs) {
                        Some(i) => i,
                        None => return Ok(cmd.to_vec()),
                    },
                };
                let v = if self.subdriver == Subdriver::Hunnox {
                    self.hunnox_warmup(index)?;
                    self.lang_string(index, 102)?
                } else {
                    get_string_simple(&mut self.dev, index)?
                };
                if v.is_empty() {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                let v = ensure_cr(v);
                if is_no_ack(&v) {
                    return Ok(Vec::new());
                }
                Ok(v)
            }
            Subdriver::Fuji => {
                let mut command: Vec<u8> = cmd.iter().copied().take_while(|&c| c != b'\r').collect();
                if let Some(r) = cs.trim_end_matches('\r').strip_prefix('S') {
                    if let Some((_, m)) = r.split_once('R') {
                        if m.parse::<i64>().is_ok_and(|m| m != 0) {
                            command.truncate(3);
                        }
                    }
                }
                if command.len() > 3 {
                    return Ok(cmd.to_vec());
                }
                let alen = match command.as_slice() {
                    b"Q1" => 47,
                    b"F" => 22,
                    b"I" => 39,
                    _ => 0,
                };
                let mut p = [0u8; 8];
                p[0] = 0x80;
                p[1] = 0x06;
                p[2] = command.len() as u8 + 1;
                p[3] = 0x03;
                p[4..4 + command.len()].copy_from_slice(&command);
                p[7] = alen;
                d.interrupt_out(0x02, &p, t5)?;
                let mut out = Vec::new();
                while !out.contains(&b'\r') && out.len() < 504 {
                    let mut b = [0u8; 8];
                    let n = d.interrupt_in(0x81, &mut b, t1)?;
                    if n == 0 {
                        return Err(io::Error::from(io::ErrorKind::TimedOut));
                    }
                    out.extend_from_slice(&b[..n]);
                }
                if let Some(p) = out.iter().position(|&c| c == 0) {
                    out.truncate(p);
                }
                Ok(out)
            }
            Subdriver::Phoenixtec => {
                const SILENT: [&str; 13] =
                    ["T", "TL", "S", "C", "CT", "M", "N", "O", "SRC", "FCLR", "SS", "TUD", "SSN"];
                d.control_out(0x02 | 0x40, 0x0d, 0, 0, cmd, t1)?;
                for s in SILENT {
                    if let Some(rest) = cs.strip_prefix(s) {
                        if !rest.bytes().next().is_some_and(|c| c.is_ascii_uppercase()) {
                            return Ok(Vec::new());
                        }
                    }
                }
                let mut out = Vec::new();
                while out.len() < 512 {
                    let mut b = [0u8; 64];
                    let n = d.interrupt_in(0x81, &mut b, t1)?;
                    if n == 0 {
                        return Err(io::Error::from(io::ErrorKind::TimedOut));
                    }
                    out.extend_from_slice(&b[..n]);
                    if let Some(p) = out.iter().position(|&c| c == b'\r') {
                        out.truncate(p + 1);
                        return Ok(out);
                    }
                }
                Ok(Vec::new())
            }
            Subdriver::Ablerex => {
                let body: Vec<u8> = cmd.iter().copied().take_while(|&c| c != b'\r').collect();
                for _ in 0..3 {
                    let mut p = [0u8; 47];
                    p[0] = 0x05;
                    p[2] = 1 + body.len() as u8;
                    let n = (p[2] as usize).min(44);
                    p[3..3 + n].copy_from_slice(&cmd[..n.min(cmd.len())]);
                    d.control_out(0x21, 0x09, 0x305, 0, &p, t1)?;
                    let mut r = [0u8; 47];
                    r[0] = 0x05;
                    d.control_in(0xA1, 0x01, 0x305, 0, &mut r, t1)?;
                    let len = r.iter().position(|&c| c == b'\r').map(|p| p + 1).unwrap_or(0);
                    let want = match cs.as_str() {
                        "Q1\r" => 47,
                        "I\r" => 39,
                        "F\r" => 22,
                        _ => 0,
                    };
                    if want != 0 && len != want {
                        continue;
                    }
                    return Ok(r[..len].to_vec());
                }
                Ok(Vec::new())
            }
            Subdriver::Armac => {
                if ["QGS\r", "QS\r", "QPI\r", "M\r", "D\r"].contains(&cs.as_str()) {
                    return Ok(cmd.to_vec());
                }
                for chunk in cmd.chunks(3) {
                    let mut b = [0u8; 4];
                    b[0] = 0xa0 + chunk.len() as u8;
                    b[1..=chunk.len()].copy_from_slice(chunk);
                    d.control_out(OUT_CLASS_IFACE, 0x09, 0x200, 0, &b, t5)?;
                }
                let mut out = Vec::new();
                while out.len() + 6 < 512 {
                    let mut b = [0u8; 6];
                    let n = d.interrupt_in(0x81, &mut b, t1)?;
                    if n != 6 {
                        return Err(io::Error::from(io::ErrorKind::TimedOut));
                    }
                    let avail = (b[0] & 0x0f) as usize;
                    if avail == 0 {
                        break;
                    }
                    out.extend_from_slice(&b[1..1 + avail.min(5)]);
                }
                Ok(out)
            }
        }
    }

    fn hunnox_warmup(&mut self, asking_for: u8) -> io::Result<()> {
        let l = self.langid_fix.unwrap_or(0x0409);
        let mut b = vec![0u8; 1026];
        match self.hunnox_step {
            0 => {
                let _ = get_string(&mut self.dev, 0, l, &mut b);
                let _ = get_string(&mut self.dev, 0, l, &mut b);
                let _ = get_string(&mut self.dev, 1, l, &mut b);
            }
            1..=3 => {
                let idx = [0x0d, 0x03, 0x0c][self.hunnox_step as usize - 1];
                if asking_for != idx {
                    let _ = get_string(&mut self.dev, idx, l, &mut b[..102]);
                }
            }
            _ => self.hunnox_step = 0,
        }
        self.hunnox_step += 1;
        if self.hunnox_step > 3 {
            self.hunnox_step = 1;
        }
        Ok(())
    }
}

impl<D: UsbDev> Transport for UsbTransport<D> {
    fn command(&mut self, cmd: &[u8]) -> io::Result<Vec<u8>> {
        self.run(cmd)
    }
}

/// A libusb device (rusb) with interface 0 claimed.
pub struct RusbDev {
    h: rusb::DeviceHandle<rusb::GlobalContext>,
}

fn usb_err(e: rusb::Error) -> io::Error {
    match e {
        rusb::Error::Timeout => io::Error::from(io::ErrorKind::TimedOut),
        rusb::Error::NoDevice => io::Error::from(io::ErrorKind::NotConnected),
        rusb::Error::Busy => io::Error::other("Got disconnected by another driver"),
        rusb::Error::Access => io::Error::from(io::ErrorKind::PermissionDenied),
        e => io::Error::other(e),
    }
}

impl RusbDev {
    /// The first device [`choose`] accepts (see [`pick`]), interface 0
    /// claimed.
    pub fn open(
        m: &UsbMatch,
        forced: Option<Subdriver>,
        allow_duplicates: bool,
    ) -> io::Result<(RusbDev, Subdriver, UsbDescr)> {
        let list = rusb::devices().map_err(usb_err)?;
        pick(list.iter().map(RusbCandidate), m, forced, allow_duplicates)
    }
}

/// A device found on the bus, not yet claimed.
pub trait Candidate {
    /// The claimed device.
    type Dev;
    /// Open it and read its descriptor and strings (None: cannot open).
    fn describe(&mut self) -> Option<UsbDescr>;
    /// Claim its interface.
    fn claim(self) -> Result<Self::Dev, rusb::Error>;
}

/// The first candidate [`choose`] accepts, claimed. With
/// `allow_duplicates`, one another driver already holds (busy) is skipped
/// for the next match (NUT 2.8.1+; in 2.8.0 the first match is final).
pub fn pick<C: Candidate>(
    cands: impl IntoIterator<Item = C>,
    m: &UsbMatch,
    forced: Option<Subdriver>,
    allow_duplicates: bool,
) -> io::Result<(C::Dev, Subdriver, UsbDescr)> {
    for mut c in cands {
        let Some(d) = c.describe() else { continue };
        let Some(sd) = choose(&d, m, forced) else { continue };
        match c.claim() {
            Ok(dev) => return Ok((dev, sd, d)),
            Err(rusb::Error::Busy) if allow_duplicates => continue,
            Err(e) => return Err(usb_err(e)),
        }
    }
    Err(io::Error::new(io::ErrorKind::NotFound, "No matching USB/HID UPS found"))
}

struct RusbCandidate(rusb::Device<rusb::GlobalContext>);

impl Candidate for RusbCandidate {
    type Dev = RusbDev;
    fn describe(&mut self) -> Option<UsbDescr> {
        let desc = self.0.device_descriptor().ok()?;
        let h = self.0.open().ok()?;
        Some(UsbDescr {
            vendor_id: desc.vendor_id(),
            product_id: desc.product_id(),
            vendor: h.read_manufacturer_string_ascii(&desc).ok(),
            product: h.read_product_string_ascii(&desc).ok(),
            serial: h.read_serial_number_string_ascii(&desc).ok(),
            bus: self.0.bus_number(),
            address: self.0.address(),
            port: self.0.port_number(),
        })
    }
    fn claim(self) -> Result<RusbDev, rusb::Error> {
        let h = self.0.open()?;
        let _ = h.set_auto_detach_kernel_driver(true);
        h.claim_interface(0)?;
        Ok(RusbDev { h })
    }
}

impl UsbDev for RusbDev {
    fn control_out(&mut self, rt: u8, req: u8, value: u16, index: u16, data: &[u8], t: Duration) -> io::Result<usize> {
        self.h.write_control(rt, req, value, index, data, t).map_err(usb_err)
    }
    fn control_in(
        &mut self,
        rt: u8,
        req: u8,
        value: u16,
        index: u16,
        buf: &mut [u8],
        t: Duration,
    ) -> io::Result<usize> {
        self.h.read_control(rt | 0x80, req, value, index, buf, t).map_err(usb_err)
    }
    fn interrupt_in(&mut self, ep: u8, buf: &mut [u8], t: Duration) -> io::Result<usize> {
        self.h.read_interrupt(ep | 0x80, buf, t).map_err(usb_err)
    }
    fn interrupt_out(&mut self, ep: u8, data: &[u8], t: Duration) -> io::Result<usize> {
        self.h.write_interrupt(ep & 0x7f, data, t).map_err(usb_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fabula_indexes() {
        assert_eq!(fabula_shutdown_index("S.5R0000\r"), Some(16));
        assert_eq!(fabula_shutdown_index("S.5R0001\r"), Some(24));
        assert_eq!(fabula_shutdown_index("S03\r"), Some(96 + 32 + 8));
        assert_eq!(fabula_shutdown_index("S02R0005\r"), Some(96 + 16 + 8));
        assert_eq!(match_device(0x0665, 0x5161, None, None), Some(Subdriver::Cypress));
        assert_eq!(
            match_device(0x06da, 0x0002, Some("Phoenixtec Power"), Some("USB Cable (V2.00)")),
            Some(Subdriver::Phoenixtec)
        );
        assert_eq!(match_device(0x06da, 0x0002, None, None), Some(Subdriver::Cypress));
        assert_eq!(match_device(0x0001, 0x0000, None, Some("MEC0003")), Some(Subdriver::Hunnox));
        assert_eq!(match_device(0x0001, 0x0000, None, None), Some(Subdriver::Krauler));
    }
}
