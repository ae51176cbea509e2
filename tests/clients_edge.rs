//! Odd server behaviour, scripted: a fake upsd answers each request line
//! with prepared lines (errors in the middle of a list, lists that do not
//! echo the query, unknown or prefixed error codes, unparseable values,
//! overlong lines, disconnects), and Debian's upsc/upsrw/upscmd and ours
//! must react identically.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::compare::{debian, normalise_debian, run, same};

/// What the fake server says to one request line: lines to send, then
/// whether to hang up.
#[derive(Clone)]
struct Answer(Vec<String>, bool);

fn say(lines: &[&str]) -> Answer {
    Answer(lines.iter().map(|s| s.to_string()).collect(), false)
}

fn say_and_close(lines: &[&str]) -> Answer {
    Answer(lines.iter().map(|s| s.to_string()).collect(), true)
}

struct Fake {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Fake {
    fn start(script: HashMap<String, Answer>) -> Fake {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        l.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let Ok((s, _)) = l.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                s.set_nonblocking(false).unwrap();
                let script = script.clone();
                std::thread::spawn(move || {
                    let mut r = BufReader::new(s.try_clone().unwrap());
                    let mut w = s;
                    let mut line = String::new();
                    while r.read_line(&mut line).unwrap_or(0) > 0 {
                        let req = line.trim_end_matches('\n').to_string();
                        line.clear();
                        let ans = match script.get(&req) {
                            Some(a) => a.clone(),
                            None if req == "LOGOUT" => say_and_close(&["OK Goodbye"]),
                            None if req == "STARTTLS" => say(&["ERR FEATURE-NOT-CONFIGURED"]),
                            None if req.starts_with("USERNAME ") || req.starts_with("PASSWORD ") => say(&["OK"]),
                            None => say(&["ERR UNKNOWN-COMMAND"]),
                        };
                        for l in &ans.0 {
                            if w.write_all(format!("{l}\n").as_bytes()).is_err() {
                                return;
                            }
                        }
                        if ans.1 {
                            return;
                        }
                    }
                });
            }
        });
        Fake { port, stop, thread: Some(thread) }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// (program, arguments with `{}` for the fake's port, request, answer)
type EdgeCase = (&'static str, &'static [&'static str], &'static str, Answer);

fn cases() -> Vec<EdgeCase> {
    let long = format!("VAR u x.y \"{}\"", "v".repeat(600));
    let long: &'static str = Box::leak(long.into_boxed_str());
    vec![
        ("upsc", &["u@127.0.0.1:{}"], "LIST VAR u", say(&["BEGIN LIST VAR u", "VAR u a.b \"1\"", "ERR DATA-STALE"])),
        ("upsc", &["u@127.0.0.1:{}"], "LIST VAR u", say_and_close(&["BEGIN LIST VAR u", "VAR u a.b \"1\""])),
        ("upsc", &["u@127.0.0.1:{}"], "LIST VAR u", say(&["BEGIN LIST VAR other", "END LIST VAR other"])),
        ("upsc", &["u@127.0.0.1:{}"], "LIST VAR u", say(&["VAR u a.b \"1\""])),
        (
            "upsc",
            &["u@127.0.0.1:{}"],
            "LIST VAR u",
            say(&["BEGIN LIST VAR u", "VAR other a.b \"1\"", "END LIST VAR u"]),
        ),
        ("upsc", &["u@127.0.0.1:{}"], "LIST VAR u", say(&["BEGIN LIST VAR U", "var U A.B \"1\"", "END LIST VAR U"])),
        (
            "upsc",
            &["u@127.0.0.1:{}"],
            "LIST VAR u",
            say(&["BEGIN LIST VAR u", "VAR u a.b \"1\"", "end list VAR u", "END LIST VAR u"]),
        ),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["ERR SOMETHING-NEW"])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["ERR ACCESS-DENIED-AND-MORE"])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["ERR UNKNOWN-COMMAND"])),
        ("upsc", &["u@127.0.0.1:{}"], "LIST VAR u", say(&["ERR UNKNOWN-COMMAND"])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["VAR u x.y \"a\\#b \\\"q\\\"\""])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["VAR u x.y \"a#b\""])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["VAR U X.Y \"case\""])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["VAR u x.z \"other\""])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&["VAR u x.y \"a\" \"b\""])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say(&[long])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "GET VAR u x.y", say_and_close(&[])),
        ("upsc", &["u@127.0.0.1:{}", "x.y"], "STARTTLS", say_and_close(&[])),
        (
            "upsc",
            &["-l", "127.0.0.1:{}"],
            "LIST UPS",
            say(&["BEGIN LIST UPS", "UPS a \"A\"", "UPS b \"\"", "END LIST UPS"]),
        ),
        (
            "upsc",
            &["-c", "u@127.0.0.1:{}"],
            "LIST CLIENT u",
            say(&["BEGIN LIST CLIENT u", "CLIENT U ::1", "CLIENT u 10.0.0.1", "END LIST CLIENT u"]),
        ),
        (
            "upscmd",
            &["-l", "u@127.0.0.1:{}"],
            "LIST CMD u",
            say(&["BEGIN LIST CMD u", "CMD u a.b", "CMD u c.d", "END LIST CMD u"]),
        ),
        ("upscmd", &["-u", "a", "-p", "b", "u@127.0.0.1:{}", "x.y"], "INSTCMD u x.y", say(&["OK TRACKING short"])),
        (
            "upscmd",
            &["-w", "-u", "a", "-p", "b", "u@127.0.0.1:{}", "x.y"],
            "INSTCMD u x.y",
            say(&["OK TRACKING short"]),
        ),
        ("upscmd", &["-u", "a", "-p", "b", "u@127.0.0.1:{}", "x.y"], "INSTCMD u x.y", say(&["OKAY then"])),
        ("upscmd", &["-u", "a", "-p", "b", "u@127.0.0.1:{}", "x.y"], "INSTCMD u x.y", say_and_close(&[])),
        ("upsrw", &["u@127.0.0.1:{}"], "LIST RW u", say(&["BEGIN LIST RW u", "RW u a.b \"1\"", "END LIST RW u"])),
        ("upsrw", &["-s", "a.b=1", "-u", "a", "-p", "b", "u@127.0.0.1:{}"], "SET VAR u a.b \"1\"", say(&["OK"])),
        (
            "upsrw",
            &["-s", "a.b=1", "-u", "a", "-p", "b", "u@127.0.0.1:{}"],
            "SET VAR u a.b \"1\"",
            say(&["ERR FEATURE-NOT-CONFIGURED"]),
        ),
    ]
}

#[test]
fn odd_servers_get_the_same_reactions() {
    let mut failures = Vec::new();
    let n = cases().len();
    for (prog, args, req, ans) in cases() {
        let fake = Fake::start(HashMap::from([(req.to_string(), ans)]));
        let args: Vec<String> = args.iter().map(|a| a.replace("{}", &fake.port.to_string())).collect();
        let ours = match prog {
            "upsc" => env!("CARGO_BIN_EXE_upsc"),
            "upsrw" => env!("CARGO_BIN_EXE_upsrw"),
            _ => env!("CARGO_BIN_EXE_upscmd"),
        };
        let d = normalise_debian(run(&debian(prog), &args, b""));
        let o = run(Path::new(ours), &args, b"");
        if let Err(r) = same(&format!("{prog} {} (server answers {req:?} oddly)", args.join(" ")), &d, &o) {
            failures.push(r);
        }
    }
    assert!(failures.is_empty(), "{} of {n} cases differ:\n{}", failures.len(), failures.join("\n"));
}
