//! Everything upsd reads at start and on reload, validated as one unit:
//! ups.conf (the served sections), upsd.conf, upsd.users, cmdvartab and
//! the TLS certificate. A reload that fails to load keeps the old
//! settings (the error says why).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use super::desc::{Descriptions, DEFAULT_DATAPATH};
use crate::config::diag::Diagnostic;
use crate::config::paths;
use crate::config::ups::UpsConf;
use crate::config::upsd::UpsdConf;
use crate::config::users::UsersConf;

/// One UPS upsd serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsEntry {
    /// Section name.
    pub name: String,
    /// `driver =`.
    pub driver: String,
    /// `desc =`.
    pub desc: Option<String>,
}

impl UpsEntry {
    /// The driver socket name `<driver>-<ups>`.
    pub fn socket(&self) -> String {
        format!("{}-{}", self.driver, self.name)
    }
}

/// The loaded configuration.
#[derive(Clone)]
pub struct Settings {
    /// upsd.conf.
    pub upsd: UpsdConf,
    /// The served UPSes in ups.conf order.
    pub upses: Vec<UpsEntry>,
    /// upsd.users.
    pub users: Arc<UsersConf>,
    /// cmdvartab.
    pub descs: Arc<Descriptions>,
    /// Driver socket directory.
    pub statepath: PathBuf,
    /// STARTTLS configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

fn log_diags(diags: &[Diagnostic]) {
    for d in diags {
        if d.is_error() {
            tracing::error!("{d}");
        } else {
            tracing::warn!("{d}");
        }
    }
}

impl Settings {
    /// Loads the files from `confpath` (upsd.conf, ups.conf, upsd.users).
    /// Problems NUT only logs are logged; what makes upsd unable to run is
    /// an error.
    pub fn load(confpath: &Path) -> Result<Settings> {
        let upsd_path = confpath.join("upsd.conf");
        let upsd = match UpsdConf::load(&upsd_path) {
            Ok((c, d)) => {
                log_diags(&d);
                c
            }
            Err(e) => {
                tracing::warn!("Can't open {}: {e}", upsd_path.display());
                UpsdConf::default()
            }
        };
        let ups_path = confpath.join("ups.conf");
        let (ups, d) = UpsConf::load(&ups_path).with_context(|| format!("Can't open {}", ups_path.display()))?;
        log_diags(&d);
        log_diags(&ups.upsd_diagnostics());
        let mut upses: Vec<UpsEntry> = Vec::new();
        for s in &ups.sections {
            let (Some(driver), Some(_)) = (s.driver(), s.port()) else { continue };
            if upses.iter().any(|u| u.name.eq_ignore_ascii_case(&s.name)) {
                continue;
            }
            upses.push(UpsEntry {
                name: s.name.clone(),
                driver: driver.to_string(),
                desc: s.desc().map(str::to_string),
            });
        }
        if upses.is_empty() && !upsd.allow_no_device_env() {
            bail!("Fatal error: at least one UPS must be defined in ups.conf (or set ALLOW_NO_DEVICE)");
        }
        let users_path = confpath.join("upsd.users");
        let users = match UsersConf::load(&users_path) {
            Ok((u, d)) => {
                log_diags(&d);
                u
            }
            Err(e) => {
                tracing::warn!("user_load: can't open {}: {e}", users_path.display());
                UsersConf::default()
            }
        };
        let datapath = std::env::var_os("NUT_DATAPATH")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| upsd.datapath.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATAPATH));
        let descs = Descriptions::load(&datapath).unwrap_or_else(|(p, e)| {
            tracing::warn!("Can't open {}: {e}", p.display());
            Descriptions::default()
        });
        let statepath = paths::statepath(upsd.statepath.as_deref(), ups.global.statepath.as_deref());
        let tls = super::tls::server_config(&upsd)?;
        Ok(Settings { upsd, upses, users: Arc::new(users), descs: Arc::new(descs), statepath, tls })
    }
}
