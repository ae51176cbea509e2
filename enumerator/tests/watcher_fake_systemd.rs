//! The watcher's reconcile pass against a fake systemd Manager, served over a
//! peer-to-peer D-Bus connection: the same proxy and the same calls as with
//! PID 1, and a Manager whose Reload really runs our generator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nut_driver_enumerator::generator;
use nut_driver_enumerator::systemd::{ManagerProxy, UnitRow};
use nut_driver_enumerator::watcher::Reconciler;
use zbus::zvariant::OwnedObjectPath;

#[derive(Default, Debug)]
struct State {
    /// unit -> (active state, number of starts)
    units: BTreeMap<String, (String, u32)>,
    calls: Vec<String>,
}

struct FakeManager {
    confdir: PathBuf,
    gendir: PathBuf,
    state: Arc<Mutex<State>>,
}

fn job() -> OwnedObjectPath {
    OwnedObjectPath::try_from("/org/freedesktop/systemd1/job/1").unwrap()
}

fn wanted(gendir: &Path) -> Vec<String> {
    match std::fs::read_dir(gendir.join("nut-driver.target.wants")) {
        Ok(rd) => rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

#[zbus::interface(name = "org.freedesktop.systemd1.Manager")]
impl FakeManager {
    async fn reload(&self) -> zbus::fdo::Result<()> {
        let _ = std::fs::remove_dir_all(&self.gendir);
        std::fs::create_dir_all(&self.gendir).unwrap();
        generator::run(&self.confdir, &self.gendir).map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        let mut st = self.state.lock().unwrap();
        st.calls.push("reload".into());
        // like systemd: units referenced by wants/ are loaded, unwanted
        // inactive ones are garbage-collected, running ones stay
        let w = wanted(&self.gendir);
        st.units.retain(|n, (a, _)| a == "active" || w.contains(n));
        for n in w {
            st.units.entry(n).or_insert(("inactive".into(), 0));
        }
        Ok(())
    }
    async fn start_unit(&self, name: String, _mode: String) -> zbus::fdo::Result<OwnedObjectPath> {
        let mut st = self.state.lock().unwrap();
        st.calls.push(format!("start {name}"));
        if name.contains("@bad") {
            return Err(zbus::fdo::Error::Failed(format!("Unit {name} failed to load")));
        }
        let u = st.units.entry(name).or_insert(("inactive".into(), 0));
        if u.0 != "active" {
            u.0 = "active".into();
            u.1 += 1;
        }
        Ok(job())
    }
    async fn stop_unit(&self, name: String, _mode: String) -> zbus::fdo::Result<OwnedObjectPath> {
        let mut st = self.state.lock().unwrap();
        st.calls.push(format!("stop {name}"));
        if let Some(u) = st.units.get_mut(&name) {
            u.0 = "inactive".into();
        }
        Ok(job())
    }
    async fn restart_unit(&self, name: String, _mode: String) -> zbus::fdo::Result<OwnedObjectPath> {
        let mut st = self.state.lock().unwrap();
        st.calls.push(format!("restart {name}"));
        let u = st.units.entry(name).or_insert(("inactive".into(), 0));
        u.0 = "active".into();
        u.1 += 1;
        Ok(job())
    }
    async fn reload_or_try_restart_unit(&self, name: String, _mode: String) -> zbus::fdo::Result<OwnedObjectPath> {
        self.state.lock().unwrap().calls.push(format!("reload-or-try-restart {name}"));
        Ok(job())
    }
    async fn list_units_by_patterns(&self, _states: Vec<String>, patterns: Vec<String>) -> Vec<UnitRow> {
        let st = self.state.lock().unwrap();
        let matches = |n: &str| {
            patterns.iter().any(|p| match p.strip_suffix("*.service") {
                Some(prefix) => n.starts_with(prefix) && n.ends_with(".service"),
                None => n == p,
            })
        };
        st.units
            .iter()
            .filter(|(n, _)| matches(n))
            .map(|(n, (a, _))| {
                let p = OwnedObjectPath::try_from("/org/freedesktop/systemd1/unit/x").unwrap();
                (
                    n.clone(),
                    String::new(),
                    "loaded".into(),
                    a.clone(),
                    "running".into(),
                    String::new(),
                    p,
                    0,
                    String::new(),
                    job(),
                )
            })
            .collect()
    }
    async fn load_unit(&self, _name: String) -> OwnedObjectPath {
        OwnedObjectPath::try_from("/org/freedesktop/systemd1/unit/x").unwrap()
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    confdir: PathBuf,
    gendir: PathBuf,
    state: Arc<Mutex<State>>,
    _server: zbus::Connection,
    client: zbus::Connection,
}

impl Fixture {
    /// Boots: writes the config, runs the generator as systemd would at boot
    /// and marks the wanted instances active.
    async fn boot(nut_conf: &str, ups_conf: &str) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let confdir = tmp.path().join("etc");
        let gendir = tmp.path().join("generator");
        std::fs::create_dir_all(&confdir).unwrap();
        std::fs::create_dir_all(&gendir).unwrap();
        std::fs::write(confdir.join("nut.conf"), nut_conf).unwrap();
        std::fs::write(confdir.join("ups.conf"), ups_conf).unwrap();
        generator::run(&confdir, &gendir).unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        for u in wanted(&gendir) {
            state.lock().unwrap().units.insert(u, ("active".into(), 1));
        }
        let fake = FakeManager { confdir: confdir.clone(), gendir: gendir.clone(), state: state.clone() };
        let (a, b) = tokio::net::UnixStream::pair().unwrap();
        let guid = zbus::Guid::generate();
        let server = zbus::connection::Builder::unix_stream(a)
            .server(guid)
            .unwrap()
            .p2p()
            .serve_at("/org/freedesktop/systemd1", fake)
            .unwrap()
            .build();
        let client = zbus::connection::Builder::unix_stream(b).p2p().build();
        let (server, client) = tokio::join!(server, client);
        Fixture { _tmp: tmp, confdir, gendir, state, _server: server.unwrap(), client: client.unwrap() }
    }

    async fn pass(&self, rec: &mut Reconciler) -> nut_driver_enumerator::watcher::Outcome {
        let manager = ManagerProxy::new(&self.client).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), rec.pass(&manager)).await.expect("pass timed out").unwrap()
    }

    fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().unwrap().calls)
    }

    fn active(&self) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.units
            .iter()
            .filter(|(n, (a, _))| a == "active" && n.starts_with("nut-driver@"))
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn starts(&self, unit: &str) -> u32 {
        self.state.lock().unwrap().units.get(unit).map(|u| u.1).unwrap_or(0)
    }
}

const THREE: &str = "[a]\n driver = dummy-ups\n port = a.dev\n[b]\n driver = dummy-ups\n port = b.dev\n[c]\n driver = dummy-ups\n port = c.dev\n";

#[tokio::test]
async fn add_remove_change_touch_only_what_changed() {
    let f = Fixture::boot("MODE=standalone\n", THREE).await;
    let mut rec = Reconciler::new(f.confdir.clone(), f.gendir.clone());
    assert!(!rec.out_of_step(), "right after boot systemd is in step");
    std::fs::write(
        f.confdir.join("ups.conf"),
        "[a]\n driver = dummy-ups\n port = a.dev\n[b]\n driver = dummy-ups\n port = b2.dev\n[ups+1]\n driver = dummy-ups\n port = d.dev\n",
    )
    .unwrap();
    assert!(rec.out_of_step());
    let o = f.pass(&mut rec).await;
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(
        f.take_calls(),
        vec![
            "reload",
            "stop nut-driver@c.service",
            "restart nut-driver@b.service",
            "start nut-driver@ups\\x2b1.service",
            "reload-or-try-restart nut-server.service",
        ]
    );
    assert_eq!(f.active(), vec!["nut-driver@a.service", "nut-driver@b.service", "nut-driver@ups\\x2b1.service"]);
    assert_eq!(f.starts("nut-driver@a.service"), 1, "a was not touched");
    assert_eq!(f.starts("nut-driver@b.service"), 2, "b was restarted once");
    assert!(o.plan.diff.iter().any(|d| d.contains("[c] removed")), "{:?}", o.plan.diff);
    assert!(!rec.out_of_step());
    // a second pass without a change does nothing but the reload
    let o = f.pass(&mut rec).await;
    assert!(o.plan.is_empty(), "{:?}", o.plan);
    assert_eq!(f.take_calls(), vec!["reload"]);
}

#[tokio::test]
async fn global_change_restarts_every_driver() {
    let f = Fixture::boot("MODE=standalone\n", THREE).await;
    let mut rec = Reconciler::new(f.confdir.clone(), f.gendir.clone());
    std::fs::write(f.confdir.join("ups.conf"), format!("pollinterval = 5\n{THREE}")).unwrap();
    f.pass(&mut rec).await;
    let mut calls = f.take_calls();
    calls.sort();
    assert_eq!(
        calls,
        vec![
            "reload",
            "reload-or-try-restart nut-server.service",
            "restart nut-driver@a.service",
            "restart nut-driver@b.service",
            "restart nut-driver@c.service",
        ]
    );
}

#[tokio::test]
async fn netclient_stops_all_and_standalone_brings_them_back() {
    let f = Fixture::boot("MODE=standalone\n", THREE).await;
    let mut rec = Reconciler::new(f.confdir.clone(), f.gendir.clone());
    std::fs::write(f.confdir.join("nut.conf"), "MODE=netclient\n").unwrap();
    let o = f.pass(&mut rec).await;
    assert_eq!(o.plan.stop.len(), 3);
    assert!(f.active().is_empty());
    assert!(!f.gendir.join("nut-driver.target.wants").exists());
    let calls = f.take_calls();
    assert!(calls.contains(&"stop nut-server.socket".to_string()), "{calls:?}");
    assert!(calls.contains(&"stop nut-server.service".to_string()), "{calls:?}");
    assert!(!calls.iter().any(|c| c.contains("nut-monitor")), "upsmon stays in netclient: {calls:?}");
    std::fs::write(f.confdir.join("nut.conf"), "MODE=standalone\n").unwrap();
    let o = f.pass(&mut rec).await;
    assert_eq!(o.plan.start.len(), 3, "{:?}", o.plan);
    assert_eq!(f.active().len(), 3);
    assert!(f.take_calls().contains(&"start nut.target".to_string()));
}

#[tokio::test]
async fn a_failed_start_is_reported_and_the_rest_still_happens() {
    let f = Fixture::boot("MODE=standalone\n", "[a]\n driver = dummy-ups\n").await;
    let mut rec = Reconciler::new(f.confdir.clone(), f.gendir.clone());
    std::fs::write(
        f.confdir.join("ups.conf"),
        "[a]\n driver = dummy-ups\n[bad]\n driver = x\n[b]\n driver = dummy-ups\n",
    )
    .unwrap();
    let o = f.pass(&mut rec).await;
    assert_eq!(
        o.plan.start.iter().cloned().collect::<Vec<_>>(),
        vec!["nut-driver@b.service", "nut-driver@bad.service"]
    );
    assert_eq!(o.errors.len(), 1, "{:?}", o.errors);
    assert!(o.errors[0].starts_with("start nut-driver@bad.service:"), "{:?}", o.errors);
    assert!(f.active().contains(&"nut-driver@b.service".to_string()));
}

#[tokio::test]
async fn new_listen_addresses_restart_the_socket_other_upsd_changes_reload() {
    let f = Fixture::boot("MODE=netserver\n", "[a]\n driver = dummy-ups\n").await;
    std::fs::write(f.confdir.join("upsd.conf"), "LISTEN 127.0.0.1 3493\n").unwrap();
    generator::run(&f.confdir, &f.gendir).unwrap(); // as at boot, with upsd.conf
    f.state.lock().unwrap().units.insert("nut-server.service".into(), ("active".into(), 1));
    let mut rec = Reconciler::new(f.confdir.clone(), f.gendir.clone());
    std::fs::write(f.confdir.join("upsd.conf"), "LISTEN 127.0.0.1 3493\nMAXAGE 30\n").unwrap();
    f.pass(&mut rec).await;
    assert_eq!(f.take_calls(), vec!["reload", "reload-or-try-restart nut-server.service"]);
    std::fs::write(f.confdir.join("upsd.conf"), "LISTEN 0.0.0.0 3493\nMAXAGE 30\n").unwrap();
    let o = f.pass(&mut rec).await;
    assert!(o.plan.restart_socket);
    assert_eq!(f.take_calls(), vec!["reload", "restart nut-server.socket", "start nut-server.service"]);
    let dropin = std::fs::read_to_string(f.gendir.join("nut-server.socket.d/50-listen.conf")).unwrap();
    assert!(dropin.contains("ListenStream=\nListenStream=0.0.0.0:3493\n"), "{dropin}");
}
