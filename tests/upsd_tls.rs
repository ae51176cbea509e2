//! STARTTLS with rustls, tested with real TLS clients: Python's `ssl`,
//! Debian's upsc 2.8.0 (NSS), and client certificates with CERTREQUEST.
//! Certificates are made fresh with the `openssl` command.

mod common;

use std::process::Command;

use common::upsd_harness::*;

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let st = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is needed");
    assert!(st.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&st.stderr));
}

/// CA, server cert+key in one PEM (upsd.pem), client cert+key signed by the CA.
fn certs(s: &Scratch) {
    let d = &s.dir;
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=test CA",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "srv.key",
            "-out",
            "srv.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ],
    );
    let pem =
        std::fs::read_to_string(s.path("srv.pem")).unwrap() + &std::fs::read_to_string(s.path("srv.key")).unwrap();
    s.write("upsd.pem", &pem);
    openssl(
        d,
        &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "cli.key", "-out", "cli.csr", "-subj", "/CN=client"],
    );
    s.write("ext.cnf", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n");
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "cli.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cli.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

fn python_tls(port: u16, client_cert: Option<(&str, &str)>) -> (bool, String) {
    let cert = match client_cert {
        Some((c, k)) => format!("ctx.load_cert_chain({c:?}, {k:?})"),
        None => String::new(),
    };
    let script = format!(
        r#"
import socket, ssl, time
s = socket.create_connection(("127.0.0.1", {port}))
s.sendall(b"STARTTLS extra-args-ignored\n")
print(s.recv(100).decode(), end="")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
{cert}
t = ctx.wrap_socket(s)
t.sendall(b"STARTTLS\nNETVER\nUSERNAME mon\nPASSWORD pass\nLOGIN fake\nGET VAR fake ups.status\nLOGOUT\n")
data = b""
while True:
    b = t.recv(4096)
    if not b:
        break
    data += b
print(data.decode(), end="")
"#
    );
    let out = Command::new("/usr/bin/python3").args(["-c", &script]).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

const INSIDE: &str = "OK STARTTLS\nERR ALREADY-SSL-MODE\n1.3\nOK\nOK\nOK\nVAR fake ups.status \"OL\"\nOK Goodbye\n";

#[test]
fn starttls_with_python_and_debian_upsc() {
    let s = golden_bed("tls");
    certs(&s);
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    let _upsd = start_upsd(Which::Ours, &s, port, &format!("CERTFILE {}\n", s.path("upsd.pem").display()));
    wait_ups(port, "fake");
    let (ok, out) = python_tls(port, None);
    assert!(ok, "{out}");
    assert_eq!(out, INSIDE);
    // the login inside TLS counts like any other
    let out =
        Command::new(debian("/usr/bin/upsc")).args([&format!("fake@127.0.0.1:{port}"), "ups.status"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OL\n", "{err}");
    assert!(err.contains("SSL handshake done successfully"), "{err}");
    // without CERTFILE: FEATURE-NOT-CONFIGURED (golden §3)
    let port2 = free_port();
    let s2 = golden_bed("notls");
    let _upsd2 = start_upsd(Which::Ours, &s2, port2, "");
    assert_eq!(Client::connect(port2).one("STARTTLS"), "ERR FEATURE-NOT-CONFIGURED");
}

#[test]
fn client_certificates_can_be_required() {
    let s = golden_bed("tlsreq");
    certs(&s);
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    let conf = format!(
        "CERTFILE {}\nCERTPATH {}\nCERTREQUEST REQUIRE\n",
        s.path("upsd.pem").display(),
        s.path("ca.pem").display()
    );
    let _upsd = start_upsd(Which::Ours, &s, port, &conf);
    wait_ups(port, "fake");
    let cli = (s.path("cli.pem").display().to_string(), s.path("cli.key").display().to_string());
    let (ok, out) = python_tls(port, Some((&cli.0, &cli.1)));
    assert!(ok, "{out}");
    assert_eq!(out, INSIDE);
    let (ok, out) = python_tls(port, None);
    assert!(!ok || !out.contains("1.3"), "a client without certificate got through: {out}");
    // the server is still fine
    assert_eq!(Client::connect(port).one("NETVER"), "1.3");
}

#[test]
fn unusable_tls_settings_refuse_to_start() {
    let s = golden_bed("tlsbad");
    let port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\nCERTPATH /etc/nut/cert-db\nCERTIDENT \"x\" \"y\"\n"));
    let out = env_cmd(&our_upsd(), &s).args(["-F", "-u", "root"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NSS") && err.contains("CERTFILE"), "{err}");
}
