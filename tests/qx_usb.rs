//! The USB subdrivers' framing against a fake bridge chip: the fake decodes
//! each framing the way the device does (SET_REPORT chunks, string indexes,
//! interrupt packets...), answers from the simulator's Q1/F/I table, and the
//! whole engine must then produce the same variables as over serial.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::time::{Duration, Instant};

use nut::qx::usb::{Subdriver, UsbDev, UsbTransport, USB_IDS};
use nut::qx::Qx;

struct Fake {
    sd: Subdriver,
    answers: HashMap<Vec<u8>, Vec<u8>>,
    pending: Vec<u8>,
    out: VecDeque<Vec<u8>>,
    report: Vec<u8>,
}

fn answers() -> HashMap<Vec<u8>, Vec<u8>> {
    HashMap::from([
        (b"Q1".to_vec(), b"(230.4 140.0 229.9 021 50.1 27.3 29.0 00001001\r".to_vec()),
        (b"F".to_vec(), b"#230.0 004 024.0 50.0\r".to_vec()),
        (b"I".to_vec(), b"#SimVendor       SIM-1000K  V1.0      \r".to_vec()),
    ])
}

impl Fake {
    fn new(sd: Subdriver) -> Fake {
        Fake { sd, answers: answers(), pending: Vec::new(), out: VecDeque::new(), report: Vec::new() }
    }

    fn answer_for(&self, cmd: &[u8]) -> Vec<u8> {
        let c: Vec<u8> = cmd.iter().copied().take_while(|&b| b != b'\r').collect();
        self.answers.get(&c).cloned().unwrap_or_else(|| {
            let mut e = c.clone();
            e.push(b'\r');
            e
        })
    }

    fn got_bytes(&mut self, b: &[u8], packet: usize) {
        self.pending.extend_from_slice(b);
        if let Some(p) = self.pending.iter().position(|&c| c == b'\r') {
            let cmd: Vec<u8> = self.pending.drain(..=p).collect();
            self.pending.clear();
            let a = self.answer_for(&cmd);
            match self.sd {
                Subdriver::Sgs => {
                    for ch in a.chunks(7) {
                        let mut v = vec![ch.len() as u8];
                        v.extend_from_slice(ch);
                        v.resize(8, 0);
                        self.out.push_back(v);
                    }
                }
                Subdriver::Armac => {
                    for ch in a.chunks(5) {
                        let mut v = vec![0x30 | ch.len() as u8];
                        v.extend_from_slice(ch);
                        v.resize(6, 0);
                        self.out.push_back(v);
                    }
                    self.out.push_back(vec![0; 6]);
                }
                _ => {
                    for ch in a.chunks(packet) {
                        self.out.push_back(ch.to_vec());
                    }
                }
            }
        }
    }

    /// String descriptor `index` as the bridge chips encode commands.
    fn string(&self, index: u8) -> Vec<u8> {
        let cmd: &[u8] = match index {
            0x03 => b"Q1",
            0x0d => b"F",
            0x0c => b"I",
            _ => b"",
        };
        let mut a = if cmd.is_empty() { b"UPS No Ack\r".to_vec() } else { self.answer_for(cmd) };
        if matches!(self.sd, Subdriver::Krauler | Subdriver::Snr) && !a.is_empty() {
            a[0] = b'X'; // these bridges mangle the first byte; the driver restores it
        }
        let mut d = vec![0u8, 3];
        for &c in &a {
            d.push(c);
            d.push(0);
        }
        d[0] = d.len() as u8;
        d
    }
}

impl UsbDev for Fake {
    fn control_out(
        &mut self,
        rtype: u8,
        req: u8,
        value: u16,
        _index: u16,
        data: &[u8],
        _t: Duration,
    ) -> io::Result<usize> {
        match self.sd {
            Subdriver::Cypress | Subdriver::Phoenix | Subdriver::Ippon => {
                assert_eq!((rtype, req), (0x21, 0x09));
                assert_eq!(value, if self.sd == Subdriver::Ippon { 0x2 } else { 0x200 });
                assert_eq!(data.len(), 8);
                let n = data.iter().position(|&c| c == 0).unwrap_or(8);
                self.got_bytes(&data[..n], if self.sd == Subdriver::Ippon { 64 } else { 8 });
            }
            Subdriver::Omron => {
                assert_eq!((rtype, req, value, data.len()), (0x21, 0x09, 0x0002, 16), "whole 16-byte reports");
                let n = data.iter().position(|&c| c == 0).unwrap_or(16);
                self.got_bytes(&data[..n], 64);
            }
            Subdriver::Gtec => {
                assert_eq!((rtype, req, value, data.len()), (0x21, 0x09, 0x02, 8));
                let n = data.iter().position(|&c| c == 0).unwrap_or(8);
                self.got_bytes(&data[..n], 128);
            }
            Subdriver::Sgs => {
                let n = data[0] as usize;
                assert!(n <= 7);
                self.got_bytes(&data[1..=n], 8);
            }
            Subdriver::Armac => {
                assert_eq!(data[0] & 0xf0, 0xa0);
                let n = (data[0] & 0x0f) as usize;
                self.got_bytes(&data[1..=n], 6);
            }
            Subdriver::Phoenixtec => {
                assert_eq!((rtype, req), (0x42, 0x0d));
                let mut d = data.to_vec();
                if !d.ends_with(b"\r") {
                    d.push(b'\r');
                }
                self.got_bytes(&d, 64);
            }
            Subdriver::Ablerex => {
                assert_eq!((rtype, req, value, data.len()), (0x21, 0x09, 0x305, 47));
                let n = data[2] as usize;
                let cmd = data[3..3 + n].to_vec();
                self.report = self.answer_for(&cmd);
            }
            _ => panic!("{:?} does not use control OUT", self.sd),
        }
        Ok(data.len())
    }

    fn control_in(
        &mut self,
        rtype: u8,
        req: u8,
        value: u16,
        _index: u16,
        buf: &mut [u8],
        _t: Duration,
    ) -> io::Result<usize> {
        if self.sd == Subdriver::Ablerex && req == 0x01 {
            assert_eq!((rtype, value), (0xA1, 0x305));
            let n = self.report.len().min(buf.len());
            buf[..n].copy_from_slice(&self.report[..n]);
            return Ok(n);
        }
        assert_eq!((rtype, req), (0x80, 6), "GET_DESCRIPTOR");
        assert_eq!(value >> 8, 3, "string descriptor");
        let index = (value & 0xff) as u8;
        let d = if index == 0 { vec![4, 3, 0x09, 0x04] } else { self.string(index) };
        let n = d.len().min(buf.len());
        buf[..n].copy_from_slice(&d[..n]);
        Ok(n)
    }

    fn interrupt_in(&mut self, ep: u8, buf: &mut [u8], _t: Duration) -> io::Result<usize> {
        assert_eq!(ep, 0x81);
        match self.out.pop_front() {
            Some(p) => {
                let n = p.len().min(buf.len());
                buf[..n].copy_from_slice(&p[..n]);
                Ok(n)
            }
            None => Err(io::Error::from(io::ErrorKind::TimedOut)),
        }
    }

    fn interrupt_out(&mut self, ep: u8, data: &[u8], _t: Duration) -> io::Result<usize> {
        assert_eq!(self.sd, Subdriver::Fuji);
        assert_eq!(ep, 0x02);
        assert_eq!(&data[..2], &[0x80, 0x06]);
        let n = data[2] as usize - 1;
        let mut cmd = data[4..4 + n].to_vec();
        cmd.push(b'\r');
        self.got_bytes(&cmd, 8);
        Ok(8)
    }
}

/// The megatec variables of NUT's golden dump of the same answers.
fn golden() -> Vec<(String, String)> {
    include_str!("data/qx/megatec-pty-sim.expected.dev")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("driver.") || l.starts_with("driver.version.data"))
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn run(sd: Subdriver, protocol: Option<&str>) -> Qx {
    let mut t = UsbTransport::new(Fake::new(sd), sd, None);
    let mut p = HashMap::new();
    if let Some(pr) = protocol {
        p.insert("protocol".to_string(), pr.to_string());
    }
    let now = Instant::now();
    let mut q = Qx::detect(&mut t, p, None).unwrap_or_else(|e| panic!("{sd:?}: {e}"));
    q.init(&mut t, now).unwrap();
    assert!(q.update(&mut t, now), "{sd:?}: update");
    q
}

fn check(sd: Subdriver, protocol: Option<&str>, skip: &[&str]) {
    let q = run(sd, protocol);
    for (k, v) in golden() {
        if skip.contains(&k.as_str()) {
            continue;
        }
        assert_eq!(q.store.get(&k), Some(v.as_str()), "{sd:?}: {k}");
    }
}

#[test]
fn cypress_phoenix_ippon_sgs_fuji_armac_autodetect_megatec() {
    for sd in
        [Subdriver::Cypress, Subdriver::Phoenix, Subdriver::Ippon, Subdriver::Sgs, Subdriver::Fuji, Subdriver::Armac]
    {
        check(sd, None, &[]);
    }
}

#[test]
fn string_descriptor_bridges() {
    // These bridges only carry Q1/F/I: the protocol must be forced or found.
    for sd in [Subdriver::Krauler, Subdriver::Snr, Subdriver::Fabula, Subdriver::Hunnox] {
        check(sd, Some("megatec"), &[]);
    }
}

/// The two subdrivers of newer NUT: OMRON's whole 16-byte reports and
/// G-Tec's cypress-like chunks with long reads.
#[test]
fn omron_and_gtec_framing() {
    check(Subdriver::Omron, None, &[]);
    check(Subdriver::Gtec, None, &[]);
}

/// An OMRON BN150T on USB: vendor 0590 makes autodetection try the omron
/// dialect first, over the omron subdriver; the data is the vectors'
/// golden dump.
#[test]
fn omron_over_usb_is_autodetected() {
    assert_eq!(nut::qx::usb::match_device(0x0590, 0x00b7, None, None), Some(Subdriver::Omron));
    let mut fake = Fake::new(Subdriver::Omron);
    fake.answers = nut::qx::transport::parse_vectors(include_str!("data/qx/nutdrv_qx-testing-vectors.tsv"))
        .into_iter()
        .filter(|v| v.protocol == "omron")
        .map(|v| (v.command.strip_suffix(b"\r").unwrap_or(&v.command).to_vec(), v.answer))
        .collect();
    let mut t = UsbTransport::new(fake, Subdriver::Omron, None);
    let now = Instant::now();
    let mut q = Qx::detect(&mut t, HashMap::new(), Some(0x0590)).unwrap();
    assert_eq!(q.dialect.name, "omron");
    q.init(&mut t, now).unwrap();
    assert!(q.update(&mut t, now));
    assert!(q.update(&mut t, now + Duration::from_secs(31)));
    let golden = include_str!("data/qx/expected/omron.dev");
    assert_eq!(q.store.dump(), golden);
    assert_eq!(q.instcmd(&mut t, "shutdown.stop", None), nut::qx::CmdResult::Handled);
}

#[test]
fn ablerex_and_phoenixtec_reports() {
    check(Subdriver::Ablerex, Some("megatec"), &[]);
    check(Subdriver::Phoenixtec, Some("megatec"), &[]);
}

/// Every device of our table is in the shared table the udev rules are
/// generated from (data/usb-devices.toml), as a nutdrv_qx device — but
/// 0925:1234, which NUT 2.8.0 gives to richcomm_usb (newer NUT's armac
/// subdriver claims it too; its udev rule is the same either way).
#[test]
fn id_table_covers_every_subdriver_and_feeds_udev() {
    for (name, sd) in Subdriver::ALL {
        // NUT has no device entry for gtec: only `subdriver = gtec` picks it.
        if sd == Subdriver::Gtec {
            assert!(!USB_IDS.iter().any(|u| u.subdriver == sd));
            continue;
        }
        assert!(USB_IDS.iter().any(|u| u.subdriver == sd), "{name} has no USB ID");
    }
    let toml = include_str!("../data/usb-devices.toml");
    for u in USB_IDS {
        let (v, p) = (format!("{:04x}", u.vendor), format!("{:04x}", u.product));
        let driver = if (u.vendor, u.product) == (0x0925, 0x1234) { "richcomm_usb" } else { "nutdrv_qx" };
        let needle = format!("vendor = \"{v}\"\nproduct = \"{p}\"\ndriver = \"{driver}\"");
        assert!(toml.contains(&needle), "data/usb-devices.toml lacks {v}:{p} ({driver})");
    }
}

// ---- the USB matching options (no USB here: descriptors we build) ----

use nut::qx::usb::{choose, pick, Candidate, UsbDescr, UsbMatch};

fn descr(v: u16, p: u16, mfr: Option<&str>, prod: Option<&str>) -> UsbDescr {
    UsbDescr {
        vendor_id: v,
        product_id: p,
        vendor: mfr.map(|s| s.to_string()),
        product: prod.map(|s| s.to_string()),
        serial: Some("  SN-0042 \t".to_string()),
        bus: 2,
        address: 5,
        port: 3,
    }
}

fn matcher(opts: &[(&str, &str)]) -> UsbMatch {
    UsbMatch::new(|k| opts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)).expect("valid regexes")
}

fn ok(opts: &[(&str, &str)], d: &UsbDescr) -> bool {
    matcher(opts).matches(d)
}

/// Without options every known device gets its table row's subdriver
/// (first row wins, strings decide between shared IDs).
#[test]
fn usb_table_without_options() {
    let none = matcher(&[]);
    assert!(none.is_empty());
    for u in USB_IDS {
        let d = descr(u.vendor, u.product, u.mfr, u.prod);
        let want = USB_IDS
            .iter()
            .find(|r| {
                r.vendor == u.vendor
                    && r.product == u.product
                    && r.mfr.is_none_or(|m| u.mfr == Some(m))
                    && r.prod.is_none_or(|p| u.prod == Some(p))
            })
            .unwrap()
            .subdriver;
        assert_eq!(choose(&d, &none, None), Some(want), "{}", u.note);
    }
    assert_eq!(choose(&descr(0x1234, 0x5678, None, None), &none, None), None, "unknown device");
}

/// Each option: an extended regex, case-insensitive, matching the whole
/// field (blanks around the field ignored; missing strings are empty).
#[test]
fn usb_regex_options() {
    let d = descr(0x06da, 0x0002, Some("Phoenixtec Power"), Some("USB Cable (V2.00)"));
    // IDs: four lower-case hex digits, any case in the pattern, anchored.
    assert!(ok(&[("vendorid", "06da")], &d));
    assert!(ok(&[("vendorid", "06DA"), ("productid", "0002")], &d));
    assert!(ok(&[("vendorid", "06d[a-f]")], &d));
    assert!(ok(&[("vendorid", "0665|06da")], &d));
    assert!(!ok(&[("vendorid", "06d")], &d), "a prefix is not a match");
    assert!(!ok(&[("vendorid", "6da")], &d), "nor a suffix");
    assert!(!ok(&[("productid", "0x0002")], &d));
    assert!(!ok(&[("vendorid", "06da"), ("productid", "0003")], &d), "all options must match");
    // Strings, case-insensitive, whole string.
    assert!(ok(&[("vendor", "phoenixtec power")], &d));
    assert!(ok(&[("vendor", "Phoenix.*")], &d));
    assert!(!ok(&[("vendor", "Phoenix")], &d));
    assert!(ok(&[("product", "USB Cable \\(V2\\.00\\)")], &d));
    assert!(ok(&[("product", "usb cable \\(v[[:digit:]]+\\.[0-9]{2}\\)")], &d));
    // POSIX picks the longest alternative: anchoring must too.
    assert!(ok(&[("vendor", "Phoenixtec|Phoenixtec Power")], &d));
    // Blanks around the field are ignored, not inside the pattern.
    assert!(ok(&[("serial", "SN-0042")], &d));
    assert!(!ok(&[("serial", " SN-0042")], &d));
    // A missing string is empty.
    let bare = descr(0x0001, 0x0000, None, None);
    assert!(ok(&[("vendor", "")], &bare));
    assert!(ok(&[("vendor", ".*")], &bare));
    assert!(!ok(&[("vendor", ".+")], &bare));
    // bus, device, busport: three decimal digits.
    assert!(ok(&[("bus", "002")], &d));
    assert!(ok(&[("bus", "00[1-3]"), ("device", "005"), ("busport", "003")], &d));
    assert!(!ok(&[("bus", "2")], &d));
    assert!(!ok(&[("device", "004")], &d));
    let mut noport = d.clone();
    noport.port = 0;
    assert!(!ok(&[("busport", "[0-9]+")], &noport), "no port number: empty");
    // The check names the first failing option, in NUT's order.
    assert_eq!(matcher(&[("serial", "x"), ("vendor", "y")]).check(&d), Err("vendor"));
    // A bad pattern is refused with its option.
    let e = UsbMatch::new(|k| (k == "product").then_some("USB (Cable")).unwrap_err();
    assert_eq!(e.name, "product");
    assert_eq!(e.to_string(), "Invalid regular expression: USB (Cable (product: unclosed group)");
}

/// The options pick between devices; a forced subdriver still needs them
/// to match.
#[test]
fn usb_options_choose_the_device() {
    let a = descr(0x0665, 0x5161, Some("INNO TECH"), Some("USB to Serial"));
    let mut b = a.clone();
    b.serial = Some("SECOND".into());
    b.address = 9;
    let m = matcher(&[("serial", "second")]);
    assert_eq!(choose(&a, &m, None), None);
    assert_eq!(choose(&b, &m, None), Some(Subdriver::Cypress));
    let m = matcher(&[("vendorid", "0665"), ("productid", "5161")]);
    assert_eq!(choose(&a, &m, Some(Subdriver::Krauler)), Some(Subdriver::Krauler), "forced subdriver");
    let m = matcher(&[("vendorid", "06da"), ("productid", "5161")]);
    assert_eq!(choose(&a, &m, Some(Subdriver::Krauler)), None);
}

/// A fake bus for [`pick`]: each device has a descriptor (None: cannot be
/// opened) and a claim result.
struct FakeCand {
    d: Option<UsbDescr>,
    claim: Result<u8, rusb::Error>,
}

impl Candidate for FakeCand {
    type Dev = u8;
    fn describe(&mut self) -> Option<UsbDescr> {
        self.d.clone()
    }
    fn claim(self) -> Result<u8, rusb::Error> {
        self.claim
    }
}

/// `allow_duplicates`: a matching device held by another driver (busy) is
/// skipped for the next one; without it, busy is an error. Devices that
/// cannot be opened are skipped either way.
#[test]
fn usb_pick_and_allow_duplicates() {
    let d = |n: u8| {
        let mut x = descr(0x0665, 0x5161, None, None);
        x.address = n;
        Some(x)
    };
    let bus = || {
        vec![
            FakeCand { d: None, claim: Ok(0) },
            FakeCand { d: Some(descr(0x1234, 1, None, None)), claim: Ok(1) },
            FakeCand { d: d(2), claim: Err(rusb::Error::Busy) },
            FakeCand { d: d(3), claim: Ok(3) },
        ]
    };
    let any = matcher(&[]);
    let (dev, sd, got) = pick(bus(), &any, None, true).unwrap();
    assert_eq!((dev, sd, got.address), (3, Subdriver::Cypress, 3));
    let e = pick(bus(), &any, None, false).unwrap_err();
    assert!(e.to_string().contains("another driver"), "{e}");
    let (dev, _, _) = pick(bus(), &matcher(&[("device", "003")]), None, false).unwrap();
    assert_eq!(dev, 3);
    let e = pick(bus(), &matcher(&[("device", "009")]), None, true).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
}
