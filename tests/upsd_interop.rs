//! Interop: Debian's NUT 2.8.0 clients (upsc, upsrw, upscmd, upsmon) and
//! PyNUT against our upsd, which serves Debian's C dummy-ups and the fake
//! driver. Expected outputs are the ones golden-transcripts.md §10 shows
//! for Debian's upsd (minus the FSD latch, not set here).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::upsd_harness::*;

struct Bed {
    s: Scratch,
    fake: FakeDriver,
    _dummy: Proc,
    _upsd: Proc,
    port: u16,
}

fn bed(tag: &str) -> Bed {
    let s = golden_bed(tag);
    let fake = FakeDriver::start(&s, "fake");
    let dummy = start_dummy(&s, "dummy");
    let port = free_port();
    let upsd = start_upsd(Which::Ours, &s, port, "");
    wait_ups(port, "dummy");
    wait_ups(port, "fake");
    Bed { s, fake, _dummy: dummy, _upsd: upsd, port }
}

fn run(bed: &Bed, prog: &str, args: &[&str]) -> (i32, String, String) {
    let out =
        Command::new(debian(prog)).args(args).env("NUT_CONFPATH", &bed.s.dir).stdin(Stdio::null()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn upsc_against_our_upsd() {
    let b = bed("upsc");
    let at = |u: &str| format!("{u}@127.0.0.1:{}", b.port);
    let hp = format!("127.0.0.1:{}", b.port);
    assert_eq!(
        run(&b, "/usr/bin/upsc", &["-l", &hp]),
        (0, "dummy\nfake\nnodrv\n".into(), "Init SSL without certificate database\n".into())
    );
    let (rc, out, _) = run(&b, "/usr/bin/upsc", &["-L", &hp]);
    assert_eq!((rc, out.as_str()), (0, "dummy: Dummy \"test\" UPS #1 with \\ backslash\nfake: Fake socket driver\nnodrv: Description unavailable\n"));
    let (rc, out, _) = run(&b, "/usr/bin/upsc", &[&at("fake")]);
    assert_eq!(
        (rc, out.as_str()),
        (
            0,
            "battery.charge: 100\ndevice.type: ups\ninput.transfer.high: 130\ninput.transfer.low: 100\n\
             ups.delay.shutdown: 20\nups.id: Fake \"quoted\" id\nups.status: OL\nups.test.result: back\\slash and # hash\n"
        )
    );
    let (rc, out, _) = run(&b, "/usr/bin/upsc", &[&at("fake"), "ups.status"]);
    assert_eq!((rc, out.as_str()), (0, "OL\n"));
    let (rc, _, err) = run(&b, "/usr/bin/upsc", &[&at("fake"), "no.such.var"]);
    assert_eq!(rc, 1);
    assert!(err.contains("Error: Variable not supported by UPS"), "{err}");
    let (rc, _, err) = run(&b, "/usr/bin/upsc", &[&at("nodrv")]);
    assert_eq!(rc, 1);
    assert!(err.contains("Error: Driver not connected"), "{err}");
    let (rc, out, _) = run(&b, "/usr/bin/upsc", &["-c", &at("fake")]);
    assert_eq!((rc, out.as_str()), (0, ""));
    let (rc, out, _) = run(&b, "/usr/bin/upsc", &[&at("dummy"), "device.description"]);
    assert_eq!((rc, out.as_str()), (0, "a quoted value\n"));
}

#[test]
fn upsrw_and_upscmd_against_our_upsd() {
    let b = bed("upsrw");
    let at = format!("fake@127.0.0.1:{}", b.port);
    let (rc, out, _) = run(&b, "/usr/bin/upsrw", &[&at]);
    assert_eq!(rc, 0);
    assert_eq!(
        out,
        "[input.transfer.high]\nHigh voltage transfer point (V)\nType: RANGE NUMBER\nOption: \"120-135\" SELECTED\nOption: \"140-150\"\n\n\
         [input.transfer.low]\nLow voltage transfer point (V)\nType: ENUM NUMBER\nOption: \"100\" SELECTED\nOption: \"103\"\nOption: \"97\"\n\n\
         [ups.delay.shutdown]\nInterval to wait after shutdown with delay command (seconds)\nType: NUMBER\nValue: 20\n\n\
         [ups.id]\nUPS system identifier\nType: STRING\nMaximum length: 16\nValue: Fake \"quoted\" id\n\n"
    );
    let (rc, out, err) = run(&b, "/usr/bin/upsrw", &["-s", "ups.id=new id", "-u", "admin", "-p", "secret", &at]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("OK"), "{out}{err}");
    let (rc, _, err) = run(&b, "/usr/bin/upsrw", &["-s", "input.transfer.low=104", "-u", "admin", "-p", "secret", &at]);
    assert_eq!(rc, 1);
    assert!(err.contains("Unexpected response from upsd: ERR INVALID-VALUE"), "{err}");
    let (rc, out, _) = run(&b, "/usr/bin/upscmd", &["-l", &at]);
    assert_eq!(
        (rc, out.as_str()),
        (
            0,
            "Instant commands supported on UPS [fake]:\n\nload.off - Turn off the load immediately\n\
             load.off.delay - Turn off the load with a delay (seconds)\ntest.panel.start - Start testing the UPS panel\n"
        )
    );
    let (rc, out, err) = run(&b, "/usr/bin/upscmd", &["-u", "admin", "-p", "secret", &at, "load.off.delay", "10"]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("OK"), "{out}{err}");
    b.fake.state.lock().unwrap().codes.push_back(0);
    let (rc, out, err) =
        run(&b, "/usr/bin/upscmd", &["-w", "-t", "5", "-u", "admin", "-p", "secret", &at, "test.panel.start"]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("SUCCESS"), "{out}{err}");
    let (rc, _, _) = run(&b, "/usr/bin/upscmd", &["-u", "limited", "-p", "lim", &at, "load.off"]);
    assert_eq!(rc, 1);
    std::thread::sleep(Duration::from_millis(300));
    let log = b.fake.log();
    for want in ["SET ups.id \"new id\"", "INSTCMD load.off.delay 10"] {
        assert!(log.iter().any(|l| l == want), "{want} not forwarded: {log:?}");
    }
    assert!(log.iter().any(|l| l.starts_with("INSTCMD test.panel.start TRACKING ")), "{log:?}");
}

#[test]
fn upsmon_against_our_upsd() {
    let b = bed("upsmon");
    b.s.write(
        "upsmon.conf",
        &format!(
            "MONITOR dummy@127.0.0.1:{p} 0 mon pass primary\nMONITOR fake@127.0.0.1:{p} 0 sec pass2 secondary\n\
             MINSUPPLIES 0\nPOLLFREQ 2\nPOWERDOWNFLAG {}/killpower\nSHUTDOWNCMD \"/bin/true\"\n",
            b.s.dir.display(),
            p = b.port
        ),
    );
    // upsmon 2.8.0 keeps its PID file in /run/nut whatever we say: give it a
    // private /run/nut so it neither sees nor disturbs other instances.
    debian("/lib/nut/upsmon");
    let mut c = env_cmd(Path::new("/usr/bin/unshare"), &b.s);
    c.args(["-m", "sh", "-c", "mount -t tmpfs none /run/nut && exec /lib/nut/upsmon -F -u root"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _mon = Proc { child: c.spawn().unwrap(), name: "upsmon".into() };
    let mut cl = Client::connect(b.port);
    let t = Instant::now();
    loop {
        let d = cl.one("GET NUMLOGINS dummy");
        let f = cl.one("GET NUMLOGINS fake");
        if d == "NUMLOGINS dummy 1" && f == "NUMLOGINS fake 1" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(15), "upsmon did not log in: {d} / {f}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        cl.cmd("LIST CLIENT dummy"),
        ["BEGIN LIST CLIENT dummy", "CLIENT dummy 127.0.0.1", "END LIST CLIENT dummy"]
    );
}

#[test]
fn pynut_against_our_upsd() {
    // PyNUT splits `UPS <u> "<desc>"` at every quote, so it cannot read the
    // golden bed's escaped description (nor can it with Debian's upsd).
    let b = bed("pynut");
    let conf = UPS_CONF.replace(r#"desc = "Dummy \"test\" UPS \#1 with \\ backslash""#, r#"desc = "Dummy UPS""#);
    assert_ne!(conf, UPS_CONF);
    b.s.write("ups.conf", &conf);
    b._upsd.signal(libc::SIGHUP);
    let t = Instant::now();
    while Client::connect(b.port).cmd("GET UPSDESC dummy") != ["UPSDESC dummy \"Dummy UPS\""] {
        assert!(t.elapsed() < Duration::from_secs(5), "reload did not apply");
        std::thread::sleep(Duration::from_millis(50));
    }
    let script = format!(
        r#"
import PyNUT
c = PyNUT.PyNUTClient(host="127.0.0.1", port={p}, login="admin", password="secret")
print(sorted(c.GetUPSList().items()))
v = c.GetUPSVars("fake")
print(v[b"ups.delay.shutdown"])
print(sorted(c.GetUPSCommands("fake").keys()))
print(sorted(c.GetRWVars("fake").keys()))
print(c.RunUPSCommand("fake", "load.off"))
print(c.SetRWVar("fake", "ups.id", "pynut"))
print(c.ver())
"#,
        p = b.port
    );
    let out = Command::new("/usr/bin/python3").args(["-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("dummy") && lines[0].contains("fake") && lines[0].contains("nodrv"), "{text}");
    assert_eq!(lines[1], "b'20'", "{text}");
    assert!(lines[2].contains("load.off") && lines[2].contains("test.panel.start"), "{text}");
    assert!(lines[3].contains("ups.id") && lines[3].contains("input.transfer.low"), "{text}");
    assert!(lines[4].contains("OK"), "{text}");
    assert!(lines[5].contains("OK"), "{text}");
    assert!(lines[6].contains(&format!("upsd {}", nut::VERSION)), "{text}");
    std::thread::sleep(Duration::from_millis(300));
    let log = b.fake.log();
    assert!(log.iter().any(|l| l == "INSTCMD load.off") && log.iter().any(|l| l == "SET ups.id \"pynut\""), "{log:?}");
}
