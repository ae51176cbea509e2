//! One client connection: read → tokenize → [`Session`] → one write per
//! batch of replies (a whole `LIST` leaves in a single write; TCP_NODELAY
//! is on), the 60 s idle timeout, STARTTLS and LOGOUT.
//!
//! Memory per idle connection is kept small on purpose: the task waits
//! for readability without owning a read buffer, and the output buffer is
//! released after large replies. Input is bounded by the tokenizer's
//! limits (32 words of 512 bytes); pending output by [`FLUSH_AT`] plus one
//! reply, because the task stops reading while a slow client drains.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::session::{Next, Session};
use super::state::Shared;
use crate::proto::words::{AfterError, Limits, Tokenizer};

/// A connection is closed when no complete line arrived for this long.
pub const IDLE: Duration = Duration::from_secs(60);
/// Bytes read per `read()`.
pub const READ_CHUNK: usize = 4096;
/// Replies are flushed once this much output is pending.
pub const FLUSH_AT: usize = 64 * 1024;
/// Output capacity kept between writes (larger buffers are freed).
const KEEP_OUT: usize = 1024;

enum Transport {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Transport {
    async fn read_some(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => loop {
                s.readable().await?;
                buf.reserve(READ_CHUNK);
                match s.try_read_buf(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(e),
                }
            },
            Transport::Tls(s) => {
                buf.reserve(READ_CHUNK);
                s.read_buf(buf).await
            }
        }
    }

    async fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.write_all(b).await,
            Transport::Tls(s) => {
                s.write_all(b).await?;
                s.flush().await
            }
        }
    }

    async fn shutdown(&mut self) {
        let _ = match self {
            Transport::Plain(s) => s.shutdown().await,
            Transport::Tls(s) => s.shutdown().await,
        };
    }
}

/// Decrements [`super::state::State::clients`] (incremented by the accept
/// loop) when the connection ends.
struct Counted(Arc<Shared>);

impl Drop for Counted {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.clients = st.clients.saturating_sub(1);
    }
}

async fn write_timed(io: &mut Transport, out: &mut String) -> io::Result<()> {
    let r = tokio::time::timeout(IDLE, io.write_all(out.as_bytes())).await;
    out.clear();
    if out.capacity() > KEEP_OUT {
        // idle connections keep no reply buffer
        *out = String::new();
    }
    match r {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "client does not read")),
    }
}

/// Serves one client until it leaves, idles out, is kicked, or the
/// server stops.
pub async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, id: u64, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let _counted = Counted(shared.clone());
    let mut sess = Session::new(id, peer.ip());
    let kick = sess.kick.clone();
    let mut tok = Tokenizer::new(Limits::NUT, AfterError::SkipLine);
    let mut io = Transport::Plain(stream);
    let mut out = String::new();
    // One timer per connection, moved only when it fires early: no timer
    // work per request. `last` is when the last complete line arrived.
    let mut last = Instant::now();
    let idle = tokio::time::sleep_until(last + IDLE);
    tokio::pin!(idle);
    // Kick and server stop, registered once.
    let gone = async {
        tokio::select! {
            _ = kick.notified() => tracing::info!("Kicking client {}", peer.ip()),
            _ = stop.changed() => {}
        }
    };
    tokio::pin!(gone);
    tracing::debug!("Connect from {}", peer.ip());
    'conn: loop {
        let mut inbuf = Vec::new();
        let n = tokio::select! {
            r = io.read_some(&mut inbuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = &mut idle => {
                if last.elapsed() < IDLE {
                    idle.as_mut().reset(last + IDLE);
                    continue;
                }
                tracing::debug!("Disconnecting inactive client {}", peer.ip());
                break;
            }
            _ = &mut gone => break,
        };
        let lines = tok.feed(&inbuf[..n]);
        drop(inbuf);
        if !lines.is_empty() {
            last = Instant::now();
        }
        for line in &lines {
            match sess.handle_line(&shared, line, &mut out) {
                Next::Continue => {
                    if out.len() >= FLUSH_AT && write_timed(&mut io, &mut out).await.is_err() {
                        break 'conn;
                    }
                }
                Next::Close => {
                    let _ = write_timed(&mut io, &mut out).await;
                    io.shutdown().await;
                    break 'conn;
                }
                Next::StartTls => {
                    if write_timed(&mut io, &mut out).await.is_err() {
                        break 'conn;
                    }
                    let Some(cfg) = shared.lock().tls.clone() else { break 'conn };
                    let Transport::Plain(s) = io else { break 'conn };
                    let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
                    // Boxed: the handshake state is large and only TLS clients need it,
                    // so it must not size every connection's task.
                    match tokio::time::timeout(IDLE, Box::pin(acceptor.accept(s))).await {
                        Ok(Ok(t)) => io = Transport::Tls(Box::new(t)),
                        Ok(Err(e)) => {
                            tracing::warn!("TLS handshake with {} failed: {e}", peer.ip());
                            break 'conn;
                        }
                        Err(_) => break 'conn,
                    }
                    sess.tls = true;
                    tok = Tokenizer::new(Limits::NUT, AfterError::SkipLine);
                    continue 'conn;
                }
            }
        }
        if !out.is_empty() && write_timed(&mut io, &mut out).await.is_err() {
            break;
        }
    }
    sess.release(&shared);
}
