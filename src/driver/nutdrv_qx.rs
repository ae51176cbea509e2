//! nutdrv_qx: the Megatec/Q1 family (serial and USB) on the driver
//! framework. The protocol work is [`crate::qx`]; this module opens the
//! transport NUT would (USB when `port = auto` or a USB matching option is
//! given, else the serial port), runs the engine on the device thread and
//! mirrors its variables, flags, ranges, enumerations and commands into the
//! driver store.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use super::{Ctx, DeviceError, Driver, VarDecl};
use crate::model::VarFlags;
use crate::proto::driver::HandlerStatus;
use crate::qx::dialects;
use crate::qx::engine::{CmdResult, InitError, Qx, SetResult};
use crate::qx::serial::{SerialConfig, SerialTransport};
use crate::qx::transport::Transport;
use crate::qx::usb::{RusbDev, Subdriver, UsbMatch, UsbTransport};

/// How the device is reached.
enum Link {
    Serial(SerialTransport),
    Usb(Box<UsbTransport<RusbDev>>),
}

impl Link {
    fn transport(&mut self) -> &mut dyn Transport {
        match self {
            Link::Serial(s) => s,
            Link::Usb(u) => u.as_mut(),
        }
    }
}

/// The driver.
#[derive(Default)]
pub struct NutdrvQx {
    link: Option<Link>,
    usb_vendor: Option<u16>,
    usb_ids: Option<(u16, u16)>,
    qx: Option<Qx>,
    published_vars: BTreeSet<String>,
    published_cmds: BTreeSet<String>,
}

/// Any of these selects USB (like `port = auto`).
const USB_KEYS: [&str; 10] =
    ["subdriver", "vendorid", "productid", "vendor", "product", "serial", "bus", "device", "busport", "langid_fix"];

fn hex16(s: &str) -> Option<u16> {
    u16::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16).ok()
}

fn params_map(ctx: &Ctx) -> HashMap<String, String> {
    let mut m: HashMap<String, String> =
        ctx.params.values.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone().unwrap_or_default())).collect();
    if let Some(p) = &ctx.params.port {
        m.insert("port".into(), p.clone());
    }
    m
}

fn status_of(r: CmdResult) -> HandlerStatus {
    match r {
        CmdResult::Handled => HandlerStatus::Handled,
        CmdResult::Invalid => HandlerStatus::Invalid,
        CmdResult::Failed => HandlerStatus::Failed,
    }
}

impl NutdrvQx {
    fn open(&mut self, ctx: &Ctx) -> Result<(), DeviceError> {
        let port = ctx.params.port.clone().unwrap_or_default();
        let usb = port.eq_ignore_ascii_case("auto") || USB_KEYS.iter().any(|k| ctx.params.get(k).is_some());
        if usb {
            let forced = match ctx.params.get("subdriver") {
                Some(n) => {
                    if ctx.params.get("vendorid").is_none() || ctx.params.get("productid").is_none() {
                        return Err(DeviceError::Fatal(
                            "When specifying a subdriver, 'vendorid' and 'productid' are mandatory.".into(),
                        ));
                    }
                    Some(
                        Subdriver::by_name(n)
                            .ok_or_else(|| DeviceError::Fatal(format!("Subdriver \"{n}\" not found!")))?,
                    )
                }
                None => None,
            };
            let m = UsbMatch::new(|k| ctx.params.get(k)).map_err(|e| DeviceError::Fatal(e.to_string()))?;
            let langid = ctx.params.get("langid_fix").and_then(hex16);
            let dup = ctx.params.get("allow_duplicates").is_some();
            let (dev, sd, d) = RusbDev::open(&m, forced, dup).map_err(|e| DeviceError::Lost(format!("USB: {e}")))?;
            self.usb_vendor = Some(d.vendor_id);
            self.usb_ids = Some((d.vendor_id, d.product_id));
            self.link = Some(Link::Usb(Box::new(UsbTransport::new(dev, sd, langid))));
        } else {
            let mut cfg = SerialConfig::new(&port);
            if let Some(v) = ctx.params.get("cablepower") {
                cfg.cablepower(v).map_err(DeviceError::Fatal)?;
            }
            if let Some(b) = ctx.params.get("baudrate") {
                cfg.baud = b.parse().map_err(|_| DeviceError::Fatal(format!("bad baudrate '{b}'")))?;
            }
            let t = SerialTransport::open(cfg).map_err(|e| DeviceError::Lost(format!("{port}: {e}")))?;
            self.link = Some(Link::Serial(t));
        }
        Ok(())
    }

    /// Mirror the engine's data into the store.
    fn publish(&mut self, ctx: &Ctx) {
        let Some(q) = &self.qx else { return };
        let mut st = ctx.store();
        let mut now_vars = BTreeSet::new();
        for (name, v) in &q.store.vars {
            now_vars.insert(name.clone());
            if name.eq_ignore_ascii_case("ups.status") {
                let words: Vec<&str> = v.value.split_whitespace().collect();
                st.commit_status(&words);
            } else {
                st.set_info(name, &v.value);
            }
            let flags = VarFlags { rw: v.rw, string: v.string, number: false };
            if !flags.is_empty() {
                st.set_flags(name, flags);
            }
            if let Some(a) = v.aux {
                st.set_aux(name, a);
            }
            for e in &v.enums {
                st.add_enum(name, e);
            }
            for &(lo, hi) in &v.ranges {
                st.add_range(name, lo, hi);
            }
        }
        for gone in self.published_vars.difference(&now_vars) {
            st.del_info(gone);
        }
        self.published_vars = now_vars;
        for c in q.store.cmds.difference(&self.published_cmds) {
            st.add_cmd(c);
        }
        self.published_cmds.extend(q.store.cmds.iter().cloned());
    }
}

impl Driver for NutdrvQx {
    fn name(&self) -> &'static str {
        "nutdrv_qx"
    }

    fn description(&self) -> &'static str {
        "Generic Q* USB/Serial driver"
    }

    fn version(&self) -> &'static str {
        "0.32"
    }

    fn declare(&self) -> Vec<VarDecl> {
        let mut v = vec![
            VarDecl::value("ondelay", "Set startup delay, in seconds (default=180)"),
            VarDecl::value("offdelay", "Set shutdown delay, in seconds (default=30)"),
            VarDecl::flag("stayoff", "If invoked the UPS won't return after a shutdown when FSD arises"),
            VarDecl::value("pollfreq", "Set polling frequency, in seconds, to reduce data flow (default=30)"),
            VarDecl::value("protocol", "Preselect communication protocol (skip autodetection)"),
            VarDecl::value("runtimecal", "Parameters used for runtime calculation"),
            VarDecl::value("chargetime", "Nominal charge time for UPS battery"),
            VarDecl::value("idleload", "Minimum load to be used for runtime calculation"),
            VarDecl::value("subdriver", "Serial-over-USB subdriver selection"),
            VarDecl::value("vendor", "Regular expression to match UPS Manufacturer string"),
            VarDecl::value("product", "Regular expression to match UPS Product string"),
            VarDecl::value("serial", "Regular expression to match UPS Serial number"),
            VarDecl::value(
                "vendorid",
                "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)",
            ),
            VarDecl::value("productid", "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)"),
            VarDecl::value("bus", "Regular expression to match USB bus name"),
            VarDecl::value("device", "Regular expression to match USB device name"),
            VarDecl::value("busport", "Regular expression to match USB bus port name"),
            VarDecl::flag(
                "allow_duplicates",
                "If you have several similar devices, try the next matching one when one is held by another driver",
            ),
            VarDecl::value("langid_fix", "Apply the language ID workaround to the krauler subdriver (0x409 or 0x4095)"),
            VarDecl::flag("noscanlangid", "Don't autoscan valid range for langid"),
            VarDecl::value("cablepower", "Set cable power for serial interface"),
            VarDecl::value("baudrate", "Serial line speed (default 2400; 8N1)"),
            VarDecl::flag(
                "battery_voltage_reports_one_pack",
                "Multiply battery.voltage by battery.packs (for devices reporting one pack)",
            ),
        ];
        let mut seen: BTreeSet<&str> = v.iter().map(|d| d.name).collect();
        for d in dialects::all() {
            for &(name, flag, help) in d.vars {
                if seen.insert(name) {
                    v.push(if flag { VarDecl::flag(name, help) } else { VarDecl::value(name, help) });
                }
            }
        }
        v
    }

    fn init_ups(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        self.open(ctx)?;
        let params = params_map(ctx);
        let link = self.link.as_mut().expect("opened");
        match Qx::detect(link.transport(), params, self.usb_vendor) {
            Ok(mut q) => {
                // NUT publishes the IDs of the USB device it opened.
                if let Some((v, p)) = self.usb_ids {
                    q.set("ups.vendorid", &format!("{v:04x}"));
                    q.set("ups.productid", &format!("{p:04x}"));
                }
                for l in &q.log {
                    tracing::info!("{l}");
                }
                self.qx = Some(q);
                Ok(())
            }
            Err(e @ InitError::UnknownProtocol(_)) => Err(DeviceError::Fatal(e.to_string())),
            Err(e) => Err(DeviceError::Lost(e.to_string())),
        }
    }

    fn init_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        let (Some(q), Some(link)) = (self.qx.as_mut(), self.link.as_mut()) else {
            return Err(DeviceError::Lost("not connected".into()));
        };
        q.init(link.transport(), Instant::now()).map_err(|e| DeviceError::Fatal(e.to_string()))?;
        self.publish(ctx);
        Ok(())
    }

    fn update_info(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        let (Some(q), Some(link)) = (self.qx.as_mut(), self.link.as_mut()) else {
            return Err(DeviceError::Lost("not connected".into()));
        };
        let ok = q.update(link.transport(), Instant::now());
        let stale = q.is_stale();
        self.publish(ctx);
        if !ok && stale {
            return Err(DeviceError::Lost("Communications with the UPS lost: status read failed!".into()));
        }
        Ok(())
    }

    fn reconnect(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        if self.qx.is_none() {
            return self.init_ups(ctx);
        }
        // The serial transport reopens itself on the next command; USB
        // devices are opened again.
        if matches!(self.link, Some(Link::Usb(_)) | None) {
            self.open(ctx)?;
        }
        Ok(())
    }

    fn set_var(&mut self, ctx: &mut Ctx, var: &str, value: &str) -> HandlerStatus {
        let (Some(q), Some(link)) = (self.qx.as_mut(), self.link.as_mut()) else { return HandlerStatus::Failed };
        let r = q.setvar(link.transport(), var, Some(value));
        self.publish(ctx);
        match r {
            SetResult::Handled => HandlerStatus::Handled,
            SetResult::Unknown => HandlerStatus::Unknown,
        }
    }

    fn instcmd(&mut self, ctx: &mut Ctx, cmd: &str, param: Option<&str>) -> HandlerStatus {
        let (Some(q), Some(link)) = (self.qx.as_mut(), self.link.as_mut()) else { return HandlerStatus::Failed };
        let r = q.instcmd(link.transport(), cmd, param);
        self.publish(ctx);
        status_of(r)
    }

    fn shutdown(&mut self, ctx: &mut Ctx) -> Result<(), DeviceError> {
        if self.qx.is_none() {
            self.init_ups(ctx)?;
        }
        let (Some(q), Some(link)) = (self.qx.as_mut(), self.link.as_mut()) else {
            return Err(DeviceError::Fatal("not connected".into()));
        };
        // Like NUT, the delays come from ups.conf (ondelay/offdelay).
        q.init(link.transport(), Instant::now()).map_err(|e| DeviceError::Fatal(e.to_string()))?;
        match q.shutdown(link.transport()) {
            CmdResult::Handled => Ok(()),
            _ => Err(DeviceError::Fatal("Shutdown failed!".into())),
        }
    }

    fn cleanup(&mut self, _ctx: &mut Ctx) {
        self.link = None;
    }
}
