//! systemd integration of our upsd: socket activation (LISTEN_FDS checked
//! against LISTEN_PID, several TCP sockets, IPv4 and IPv6) and the notify
//! protocol (READY with STATUS, RELOADING/READY around a reload,
//! WATCHDOG, STOPPING).

mod common;

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::upsd_harness::*;

fn activated(s: &Scratch, fds: &[i32], listen_pid: &str) -> Proc {
    let upsd = our_upsd();
    let mut cmd = env_cmd(std::path::Path::new("/bin/sh"), s);
    let script = format!("export LISTEN_PID={listen_pid} LISTEN_FDS={}; exec {} -F -u root", fds.len(), upsd.display());
    cmd.args(["-c", &script]).stderr(Stdio::null());
    let fds = fds.to_vec();
    // SAFETY: only dup2/fcntl between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            for (i, &fd) in fds.iter().enumerate() {
                let to = 3 + i as i32;
                if fd == to {
                    libc::fcntl(fd, libc::F_SETFD, 0);
                } else if libc::dup2(fd, to) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    Proc { child: cmd.spawn().unwrap(), name: "upsd".into() }
}

#[test]
fn socket_activation_serves_every_passed_socket() {
    let s = golden_bed("sockact");
    let _fake = FakeDriver::start(&s, "fake");
    let conf_port = free_port();
    let l4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let l6 = TcpListener::bind("[::1]:0").unwrap();
    let (p4, p6) = (l4.local_addr().unwrap().port(), l6.local_addr().unwrap().port());
    // one LISTEN line covered by a passed socket, one not
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {p4}\nLISTEN 127.0.0.1 {conf_port}\n"));
    let _upsd = activated(&s, &[l4.as_raw_fd(), l6.as_raw_fd()], "$$");
    drop((l4, l6));
    wait_ups(p4, "fake");
    let mut c6 = {
        let st = std::net::TcpStream::connect(("::1", p6)).unwrap();
        st.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Client { r: std::io::BufReader::new(st.try_clone().unwrap()), w: st }
    };
    assert_eq!(c6.one("GET VAR fake ups.status"), "VAR fake ups.status \"OL\"");
    assert_eq!(c6.one("USERNAME mon"), "OK");
    assert_eq!(c6.one("PASSWORD pass"), "OK");
    assert_eq!(c6.one("LOGIN fake"), "OK");
    assert_eq!(
        Client::connect(p4).cmd("LIST CLIENT fake"),
        ["BEGIN LIST CLIENT fake", "CLIENT fake ::1", "END LIST CLIENT fake"]
    );
    // a LISTEN line the passed sockets do not cover is bound as well
    assert_eq!(Client::connect(conf_port).one("NETVER"), "1.3");
}

#[test]
fn sockets_for_another_pid_are_not_taken() {
    let s = golden_bed("sockpid");
    let _fake = FakeDriver::start(&s, "fake");
    let conf_port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {conf_port}\n"));
    let l4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let _upsd = activated(&s, &[l4.as_raw_fd()], "1");
    wait_port(conf_port);
    assert_eq!(Client::connect(conf_port).one("NETVER"), "1.3");
}

fn recv_until(sock: &UnixDatagram, want: &str, secs: u64, seen: &mut Vec<String>) {
    let t = Instant::now();
    let mut buf = [0u8; 4096];
    while !seen.iter().any(|m| m.lines().any(|l| l == want || l.starts_with(want))) {
        assert!(t.elapsed() < Duration::from_secs(secs), "no {want} in {seen:?}");
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
}

#[test]
fn notify_ready_status_reload_watchdog_stopping() {
    let s = golden_bed("notify");
    let _fake = FakeDriver::start(&s, "fake");
    let port = free_port();
    s.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\n"));
    let npath = s.path("notify.sock");
    let sock = UnixDatagram::bind(&npath).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    // systemd sets WATCHDOG_PID to the service's PID, as this shell does
    let mut cmd = env_cmd(std::path::Path::new("/bin/sh"), &s);
    let script = format!("export WATCHDOG_PID=$$; exec {} -F -u root", our_upsd().display());
    cmd.args(["-c", &script]).env("NOTIFY_SOCKET", &npath).env("WATCHDOG_USEC", "400000").stderr(Stdio::null());
    let mut upsd = Proc { child: cmd.spawn().unwrap(), name: "upsd".into() };
    let mut seen = Vec::new();
    recv_until(&sock, "READY=1", 5, &mut seen);
    // READY only once the listener is bound
    assert_eq!(Client::connect(port).one("NETVER"), "1.3");
    let ready = seen.iter().find(|m| m.contains("READY=1")).unwrap();
    assert!(ready.contains("STATUS=3 UPS, "), "{ready}");
    recv_until(&sock, "STATUS=3 UPS, 1 driver connected", 5, &mut seen);
    recv_until(&sock, "WATCHDOG=1", 2, &mut seen);
    seen.clear();
    upsd.signal(libc::SIGHUP);
    recv_until(&sock, "RELOADING=1", 5, &mut seen);
    let at = seen.len();
    recv_until(&sock, "READY=1", 5, &mut seen);
    assert!(seen[at - 1..].iter().any(|m| m.contains("READY=1")));
    seen.clear();
    upsd.signal(libc::SIGTERM);
    recv_until(&sock, "STOPPING=1", 5, &mut seen);
    let st = upsd.child.wait().unwrap();
    assert!(st.success(), "{st:?}");
}
