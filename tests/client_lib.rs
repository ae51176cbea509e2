//! The client library itself (`nut::client`): typed requests and errors,
//! tracking, timeouts and reconnect against Debian's upsd and ours; STARTTLS with
//! certificate verification against a small rustls server, since Debian's
//! upsd has no certificate (its STARTTLS answer is checked too).

mod common;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nut::client::{blocking, Client, ClientError, Options, TlsMode, TlsOutcome, TrackingResult, Verify};
use nut::proto::net::ErrorCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use common::dumps::dumps;
use common::refnut::{free_port, Bed};

fn tls_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls").join(name)
}

#[test]
fn typed_requests_against_debian_upsd() {
    typed_requests(Bed::new(dumps().into_iter().take(2).collect()), "2.8.0");
}

#[test]
fn typed_requests_against_our_upsd() {
    typed_requests(
        Bed::new(dumps().into_iter().take(2).collect()).upsd(env!("CARGO_BIN_EXE_upsd").into()),
        nut::VERSION,
    );
}

fn typed_requests(bed: Bed, server_version: &str) {
    let bed = bed.without_driver("nodrv").start();
    let mut c = blocking::Client::connect("127.0.0.1", bed.port, Options { tls: TlsMode::Try, ..Options::default() })
        .expect("connect");
    assert_eq!(c.tls(), &TlsOutcome::Refused("ERR FEATURE-NOT-CONFIGURED".into()));
    let ups = c.list_ups().unwrap();
    assert_eq!(
        ups,
        vec![
            ("apc".into(), "Back-UPS CS 500".into()),
            ("pdu".into(), "Description unavailable".into()),
            ("nodrv".into(), "Description unavailable".into())
        ]
    );
    let vars = c.list_var("apc").unwrap();
    assert!(vars.iter().any(|(k, v)| k == "ups.status" && v == "OL"), "{vars:?}");
    assert_eq!(c.get_var("APC", "UPS.STATUS").unwrap(), "OL");
    assert_eq!(c.get_var("whatever", "server.version").unwrap(), server_version);
    let ty = c.get_type("apc", "battery.charge").unwrap();
    assert!(ty.rw);
    assert!(!c.get_desc("apc", "battery.charge").unwrap().is_empty());
    assert_eq!(c.list_cmd("apc").unwrap(), vec!["load.off".to_string()]);
    assert_eq!(c.get_cmd_desc("apc", "load.off").unwrap(), "Turn off the load immediately");
    assert_eq!(c.get_num_logins("apc").unwrap(), 0);
    assert_eq!(c.get_ups_desc("nodrv").unwrap(), "Unavailable");
    // typed server errors, each mapped to libupsclient's message
    let e = c.get_var("nosuch", "ups.status").unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::UnknownUps));
    assert_eq!(e.to_string(), "Unknown UPS");
    let e = c.get_var("apc", "no.such").unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::VarNotSupported));
    let e = c.list_var("nodrv").unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::DriverNotConnected));
    assert_eq!(c.login("apc").unwrap_err().code(), Some(ErrorCode::UsernameRequired));
    // the connection survives server errors
    assert!(c.is_connected());

    // authentication, LOGIN, PRIMARY, NUMLOGINS, LIST CLIENT
    let mut mon = blocking::Client::connect("127.0.0.1", bed.port, Options::default()).unwrap();
    mon.authenticate("mon", "pass").unwrap();
    mon.login("apc").unwrap();
    mon.primary("apc").unwrap();
    assert_eq!(c.get_num_logins("apc").unwrap(), 1);
    assert_eq!(c.list_client("apc").unwrap(), vec!["127.0.0.1".to_string()]);
    assert_eq!(mon.fsd("nosuch").unwrap_err().code(), Some(ErrorCode::UnknownUps));
    drop(mon); // sends LOGOUT
    assert!(common::refnut::poll(|| c.get_num_logins("apc").unwrap() == 0));

    // SET and INSTCMD with tracking: dummy-ups reports 0 for SET, 1 for INSTCMD
    let mut adm = blocking::Client::connect("127.0.0.1", bed.port, Options::default()).unwrap();
    adm.authenticate("admin", "secret").unwrap();
    assert_eq!(adm.set_var("apc", "battery.charge.low", "12").unwrap(), None);
    adm.set_tracking(true).unwrap();
    let id = adm.set_var("apc", "battery.charge.low", "13").unwrap().expect("tracking id");
    assert_eq!(id.len(), 36);
    let r = adm.wait_tracking(&id, Duration::from_secs(10), Duration::from_millis(100)).unwrap();
    assert_eq!(r, TrackingResult::Success);
    assert!(common::refnut::poll(|| c.get_var("apc", "battery.charge.low").unwrap() == "13"));
    let id = adm.instcmd("apc", "load.off", None).unwrap().expect("tracking id");
    match adm.wait_tracking(&id, Duration::from_secs(10), Duration::from_millis(100)).unwrap() {
        TrackingResult::Failed(e) => assert_eq!(e.code, ErrorCode::Unknown),
        r => panic!("{r:?}"),
    }
    assert_eq!(adm.instcmd("apc", "no.such", None).unwrap_err().code(), Some(ErrorCode::CmdNotSupported));
    assert_eq!(adm.set_var("apc", "ups.mfr", &"x".repeat(40)).unwrap_err().code(), Some(ErrorCode::TooLong));
    adm.logout().unwrap();
    assert!(!adm.is_connected());
    assert!(matches!(adm.get_var("apc", "ups.status"), Err(ClientError::NotConnected)));
    adm.reconnect().unwrap();
    assert_eq!(adm.get_var("apc", "ups.status").unwrap(), "OL");

    // TLS required but not offered
    let e = blocking::Client::connect("127.0.0.1", bed.port, Options { tls: TlsMode::Required, ..Options::default() })
        .unwrap_err();
    assert!(matches!(e, ClientError::TlsUnavailable));
    assert_eq!(e.to_string(), "SSL is not available");
}

#[test]
fn connection_errors_and_timeouts() {
    let port = free_port();
    let e = blocking::Client::connect("127.0.0.1", port, Options::default()).unwrap_err();
    assert_eq!(e.to_string(), "Connection failure: Connection refused");
    let e = blocking::Client::connect("no.such.host.invalid", 3493, Options::default()).unwrap_err();
    assert_eq!(e.to_string(), "No such host");

    // a peer that accepts and never answers: the read times out
    let l = StdListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let opts = Options { timeout: Duration::from_millis(300), ..Options::default() };
    let mut c = blocking::Client::connect("127.0.0.1", port, opts).unwrap();
    let _peer = l.accept().unwrap();
    let start = Instant::now();
    let e = c.get_var("u", "v").unwrap_err();
    assert!(matches!(e, ClientError::Timeout), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(5), "the timeout is bounded");
    assert!(!c.is_connected());

    // a peer that answers garbage: protocol error, connection kept
    let l = StdListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        let (s, _) = l.accept().unwrap();
        let mut r = std::io::BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        w.write_all(b"VAR other ups.status \"OL\"\n").unwrap();
        line.clear();
        r.read_line(&mut line).unwrap();
        w.write_all(b"ERR SOMETHING-NEW\n").unwrap();
        line.clear();
        r.read_line(&mut line).unwrap();
        w.write_all(b"ERR ACCESS-DENIED-LATER\n").unwrap();
        line.clear();
        let _ = r.read_line(&mut line);
    });
    let mut c = blocking::Client::connect("127.0.0.1", port, Options::default()).unwrap();
    let e = c.get_var("u", "ups.status").unwrap_err();
    assert_eq!(e.to_string(), "Protocol error");
    let e = c.get_var("u", "ups.status").unwrap_err();
    assert_eq!(e.to_string(), "Unknown error");
    let e = c.get_var("u", "ups.status").unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::AccessDenied), "prefix match like libupsclient");
    drop(c);
    t.join().unwrap();
}

/// A minimal STARTTLS server: answers STARTTLS, then serves `GET VAR`
/// with `VAR <u> <v> "tls"` inside TLS.
async fn tls_server(l: tokio::net::TcpListener) {
    let certs: Vec<_> = rustls_pemfile::certs(&mut std::fs::read(tls_file("server.pem")).unwrap().as_slice())
        .collect::<Result<_, _>>()
        .unwrap();
    let key =
        rustls_pemfile::private_key(&mut std::fs::read(tls_file("server.key")).unwrap().as_slice()).unwrap().unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    loop {
        let (mut s, _) = l.accept().await.unwrap();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            while byte[0] != b'\n' {
                if tokio::io::AsyncReadExt::read(&mut s, &mut byte).await.unwrap_or(0) == 0 {
                    return;
                }
                line.push(byte[0]);
            }
            assert_eq!(line, b"STARTTLS\n");
            s.write_all(b"OK STARTTLS\n").await.unwrap();
            let Ok(tls) = acceptor.accept(s).await else { return };
            let (r, mut w) = tokio::io::split(tls);
            let mut lines = BufReader::new(r).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let words: Vec<&str> = l.split(' ').collect();
                let reply = match words.as_slice() {
                    ["GET", "VAR", u, v] => format!("VAR {u} {v} \"tls\"\n"),
                    ["LOGOUT"] => "OK Goodbye\n".to_string(),
                    _ => "ERR UNKNOWN-COMMAND\n".to_string(),
                };
                if w.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[tokio::test(flavor = "current_thread")]
async fn starttls_with_certificate_verification() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(tls_server(l));

    let verified = Options { tls: TlsMode::Required, verify: Verify::CaFile(tls_file("ca.pem")), ..Options::default() };
    for host in ["127.0.0.1", "localhost"] {
        let mut c = Client::connect(host, port, verified.clone()).await.unwrap();
        assert_eq!(c.tls(), &TlsOutcome::Established { verified: true });
        assert_eq!(c.get_var("u", "ups.status").await.unwrap(), "tls");
        c.logout().await.unwrap();
    }

    // a directory of CA files (NUT's CERTPATH) works too
    let dir = Options { tls: TlsMode::Required, verify: Verify::CaFile(tls_file("")), ..Options::default() };
    let c = Client::connect("127.0.0.1", port, dir).await.unwrap();
    assert_eq!(c.tls(), &TlsOutcome::Established { verified: true });

    // a certificate from another CA is refused
    let wrong = Options { tls: TlsMode::Try, verify: Verify::CaFile(tls_file("other-ca.pem")), ..Options::default() };
    let e = Client::connect("127.0.0.1", port, wrong).await.unwrap_err();
    assert!(matches!(&e, ClientError::DuringStartTls(inner) if matches!(**inner, ClientError::Tls(_))), "{e:?}");
    assert!(e.to_string().starts_with("SSL error: "), "{e}");

    // NUT's default (CERTVERIFY 0): encrypted, not verified
    let mut c = Client::connect("127.0.0.1", port, Options { tls: TlsMode::Try, ..Options::default() }).await.unwrap();
    assert_eq!(c.tls(), &TlsOutcome::Established { verified: false });
    assert_eq!(c.get_var("u", "v").await.unwrap(), "tls");

    // a missing CA file is reported, not ignored
    let missing =
        Options { tls: TlsMode::Try, verify: Verify::CaFile("/nonexistent.pem".into()), ..Options::default() };
    let e = Client::connect("127.0.0.1", port, missing).await.unwrap_err();
    assert!(matches!(&e, ClientError::DuringStartTls(inner) if matches!(**inner, ClientError::Tls(_))), "{e:?}");
}
