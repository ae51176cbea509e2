//! Interactive prompts as NUT's upsrw/upscmd do them: `Username (<login>): `
//! on stdout read from stdin, and `getpass("Password: ")` — on the
//! controlling terminal with echo off when there is one, otherwise prompt
//! on stderr and read stdin (glibc's fallback).

use std::fs::OpenOptions;
use std::io::{self, BufRead, Write};
use std::os::fd::{AsRawFd, RawFd};

fn get_termios(fd: RawFd) -> Option<libc::termios> {
    let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: tcgetattr writes a termios into the buffer on success.
    let r = unsafe { libc::tcgetattr(fd, t.as_mut_ptr()) };
    // SAFETY: initialised when tcgetattr returned 0.
    (r == 0).then(|| unsafe { t.assume_init() })
}

fn set_termios(fd: RawFd, t: &libc::termios) {
    // SAFETY: t is a valid termios obtained from tcgetattr.
    unsafe {
        libc::tcsetattr(fd, libc::TCSAFLUSH, t);
    }
}

/// The login name of the real user (`getpwuid(getuid())`).
pub fn login_name() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name)
}

/// Reads one line like C `fgets` into a `SMALLBUF` (512-byte) buffer: at
/// most 511 bytes, newline kept; `None` at EOF with nothing read.
pub fn fgets(input: &mut dyn BufRead) -> Option<String> {
    let mut buf = Vec::new();
    while let Ok(avail) = input.fill_buf() {
        if avail.is_empty() {
            break;
        }
        let room = 511 - buf.len();
        let take = avail.iter().take(room).position(|&b| b == b'\n').map_or(avail.len().min(room), |i| i + 1);
        buf.extend_from_slice(&avail[..take]);
        input.consume(take);
        if buf.last() == Some(&b'\n') || buf.len() >= 511 {
            break;
        }
    }
    if buf.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(&buf).into_owned())
    }
}

/// Strips the last byte the way NUT's "pesky newline" code does
/// (`s[strlen(s) - 1] = '\0'`).
pub fn chop(mut s: String) -> String {
    s.pop();
    s
}

/// `getpass(prompt)`.
pub fn getpass(prompt: &str) -> io::Result<String> {
    match OpenOptions::new().read(true).write(true).open("/dev/tty") {
        Ok(tty) => {
            let mut out = tty.try_clone()?;
            let fd = tty.as_raw_fd();
            let saved = get_termios(fd);
            if let Some(t) = &saved {
                let mut t2 = *t;
                t2.c_lflag &= !(libc::ECHO | libc::ECHOE | libc::ECHOK | libc::ECHONL);
                set_termios(fd, &t2);
            }
            out.write_all(prompt.as_bytes())?;
            out.flush()?;
            let mut line = String::new();
            let r = io::BufReader::new(&tty).read_line(&mut line);
            if let Some(t) = &saved {
                set_termios(fd, t);
            }
            r?;
            if line.ends_with('\n') {
                line.pop();
                if saved.is_some() {
                    let _ = out.write_all(b"\n");
                }
            }
            Ok(line)
        }
        Err(_) => {
            let mut err = io::stderr();
            err.write_all(prompt.as_bytes())?;
            err.flush()?;
            let mut line = String::new();
            io::stdin().lock().read_line(&mut line)?;
            if line.ends_with('\n') {
                line.pop();
            }
            Ok(line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fgets_like_c() {
        let mut r = io::Cursor::new(b"abc\ndef".to_vec());
        assert_eq!(fgets(&mut r).as_deref(), Some("abc\n"));
        assert_eq!(fgets(&mut r).as_deref(), Some("def"));
        assert_eq!(fgets(&mut r), None);
        let long = vec![b'x'; 600];
        let mut r = io::Cursor::new(long);
        assert_eq!(fgets(&mut r).unwrap().len(), 511);
        assert_eq!(chop("ab\n".into()), "ab");
    }
}
