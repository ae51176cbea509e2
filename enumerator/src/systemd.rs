//! The part of systemd's D-Bus API the enumerator uses, declared once: the
//! Manager's methods (daemon-reload, start/stop/restart, unit listing) and
//! the few unit properties `upsdrvsvcctl status` shows.

use zbus::zvariant::OwnedObjectPath;

/// One row of `ListUnitsByPatterns`: name, description, load state, active
/// state, sub state, following, unit path, job id, job type, job path.
pub type UnitRow = (String, String, String, String, String, String, OwnedObjectPath, u32, String, OwnedObjectPath);

/// `org.freedesktop.systemd1.Manager`, the methods we call.
#[zbus::proxy(
    interface = "org.freedesktop.systemd1.Manager",
    default_service = "org.freedesktop.systemd1",
    default_path = "/org/freedesktop/systemd1"
)]
pub trait Manager {
    /// `systemctl daemon-reload`; returns when the generators have run and
    /// the units are reloaded.
    fn reload(&self) -> zbus::Result<()>;
    /// Queues a start job.
    fn start_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;
    /// Queues a stop job.
    fn stop_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;
    /// Queues a restart job (starts the unit if it is not running).
    fn restart_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;
    /// Reloads the unit if it is running and supports reloading, else
    /// restarts it if it is running; does nothing to a stopped unit.
    fn reload_or_try_restart_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;
    /// Units in memory matching the patterns (any state if `states` is empty).
    fn list_units_by_patterns(&self, states: &[&str], patterns: &[&str]) -> zbus::Result<Vec<UnitRow>>;
    /// Loads a unit (if needed) and returns its object path.
    fn load_unit(&self, name: &str) -> zbus::Result<OwnedObjectPath>;
}

/// What `upsdrvsvcctl status` shows of one unit.
#[derive(Debug, Clone, Default)]
pub struct UnitInfo {
    /// `LoadState`.
    pub load: String,
    /// `ActiveState`.
    pub active: String,
    /// `SubState`.
    pub sub: String,
    /// The service's `StatusText` (the driver's `STATUS=`).
    pub status: String,
    /// The main PID, 0 when not running.
    pub main_pid: u32,
}

/// Reads a unit's state and, for services, its status text and main PID.
pub async fn unit_info(conn: &zbus::Connection, manager: &ManagerProxy<'_>, name: &str) -> zbus::Result<UnitInfo> {
    let path = manager.load_unit(name).await?;
    let unit =
        zbus::Proxy::new(conn, "org.freedesktop.systemd1", path.clone(), "org.freedesktop.systemd1.Unit").await?;
    let mut info = UnitInfo {
        load: unit.get_property("LoadState").await?,
        active: unit.get_property("ActiveState").await?,
        sub: unit.get_property("SubState").await?,
        ..UnitInfo::default()
    };
    if name.ends_with(".service") {
        let svc = zbus::Proxy::new(conn, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Service").await?;
        info.status = svc.get_property("StatusText").await.unwrap_or_default();
        info.main_pid = svc.get_property("MainPID").await.unwrap_or_default();
    }
    Ok(info)
}

/// Connects to PID 1: the system bus, or systemd's private socket when the
/// bus is not up (early boot, minimal containers).
pub async fn connect() -> zbus::Result<zbus::Connection> {
    match zbus::Connection::system().await {
        Ok(c) => Ok(c),
        Err(bus_err) => {
            let stream = match tokio::net::UnixStream::connect("/run/systemd/private").await {
                Ok(s) => s,
                Err(_) => return Err(bus_err),
            };
            zbus::connection::Builder::unix_stream(stream).p2p().build().await
        }
    }
}
