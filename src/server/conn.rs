//! One client connection: read → tokenize → [`Session`] → one write per
//! batch of replies (a whole `LIST` leaves in a single write; TCP_NODELAY
//! is on), the 60 s idle timeout, STARTTLS and LOGOUT.
//!
//! Memory per idle connection is kept small on purpose: the task waits
//! for readability without owning a read buffer, the tokenizer exists only
//! while a partial line is buffered, reply buffers are freed after each
//! write, and there is no per-connection timer — the server's once-a-second
//! sweep kicks connections idle for [`IDLE`] (also those that stop reading
//! for that long), through the same `Notify` a reload uses. Input is bounded by the tokenizer's
//! limits (32 words of 512 bytes); pending output by [`FLUSH_AT`] plus one
//! reply, because the task stops reading while a slow client drains.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
                // A stack buffer, not live across the await: a connection
                // waiting for input (after a spurious wake-up too) owns no
                // read buffer.
                let mut chunk = [0u8; READ_CHUNK];
                match s.try_read(&mut chunk) {
                    Ok(n) => {
                        buf.extend_from_slice(&chunk[..n]);
                        return Ok(n);
                    }
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

/// Unregisters the connection and decrements
/// [`super::state::State::clients`] (incremented by the accept loop) when
/// the connection ends.
struct Counted(Arc<Shared>, u64);

impl Drop for Counted {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.clients = st.clients.saturating_sub(1);
        st.conns.remove(&self.1);
    }
}

/// Writes `out`, giving up when the connection is kicked (which is also
/// how a client that stops reading for [`IDLE`] is dropped).
async fn write_kickable(
    io: &mut Transport,
    out: &mut String,
    gone: &mut std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>,
) -> io::Result<()> {
    let r = tokio::select! {
        r = io.write_all(out.as_bytes()) => r,
        _ = gone.as_mut() => Err(io::Error::new(io::ErrorKind::TimedOut, "client does not read")),
    };
    out.clear();
    if out.capacity() > KEEP_OUT {
        // idle connections keep no reply buffer
        *out = String::new();
    }
    r
}

/// Serves one client until it leaves, idles out or is kicked. (When the
/// server stops, the runtime drops every connection task.)
pub async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, id: u64) {
    let _ = stream.set_nodelay(true);
    let mut sess = Session::new(id, peer.ip());
    let meta = sess.meta.clone();
    shared.lock().conns.insert(id, meta.clone());
    let _counted = Counted(shared.clone(), id);
    // The tokenizer exists only while a partial line is buffered.
    let mut tok: Option<Box<Tokenizer>> = None;
    let mut io = Transport::Plain(stream);
    let mut out = String::new();
    // Kicks (reload, idle timeout from the sweeper), registered once.
    let gone = meta.kick.notified();
    tokio::pin!(gone);
    tracing::debug!("Connect from {}", peer.ip());
    'conn: loop {
        let mut inbuf = Vec::new();
        let n = tokio::select! {
            r = io.read_some(&mut inbuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = gone.as_mut() => {
                tracing::debug!("Dropping client {}", peer.ip());
                break;
            }
        };
        let t = tok.get_or_insert_with(|| Box::new(Tokenizer::new(Limits::NUT, AfterError::SkipLine)));
        let lines = t.feed(&inbuf[..n]);
        if t.is_idle() {
            tok = None;
        }
        drop(inbuf);
        if !lines.is_empty() {
            meta.touch();
        }
        for line in &lines {
            match sess.handle_line(&shared, line, &mut out) {
                Next::Continue => {
                    if out.len() >= FLUSH_AT && write_kickable(&mut io, &mut out, &mut gone).await.is_err() {
                        break 'conn;
                    }
                }
                Next::Close => {
                    let _ = write_kickable(&mut io, &mut out, &mut gone).await;
                    io.shutdown().await;
                    break 'conn;
                }
                Next::StartTls => {
                    if write_kickable(&mut io, &mut out, &mut gone).await.is_err() {
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
                    tok = None;
                    continue 'conn;
                }
            }
        }
        if !out.is_empty() && write_kickable(&mut io, &mut out, &mut gone).await.is_err() {
            break;
        }
    }
    sess.release(&shared);
}
