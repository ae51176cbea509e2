//! One client connection: read → tokenize → [`Session`] → one write per
//! batch of replies (a whole `LIST` leaves in a single write; TCP_NODELAY
//! is on), the 60 s idle timeout, STARTTLS and LOGOUT.
//!
//! Memory per idle connection is kept small on purpose: the task waits
//! for readability without owning a read buffer (input is read into a
//! stack buffer inside one poll), a connection owns a tokenizer only while
//! a partial line is buffered (otherwise it borrows one from the thread's
//! spare pool for the time of one read, see [`spare`]), reply buffers are
//! freed after each write, and there is no per-connection timer — the server's once-a-second
//! sweep kicks connections idle for [`IDLE`] (also those that stop reading
//! for that long), through the same `Notify` a reload uses. Input is bounded by the tokenizer's
//! limits (32 words of 512 bytes); pending output by [`FLUSH_AT`] plus one
//! reply, because the task stops reading while a slow client drains.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::session::{Next, Session};
use super::state::Shared;
use crate::proto::words::{AfterError, Limits, Line, Tokenizer};

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
    /// Waits for input and feeds it to the connection's tokenizer, which
    /// comes from (and, once no partial line is buffered, goes back to) the
    /// thread's spare pool; the completed lines are appended to `lines`.
    /// Returns the number of bytes read (0 at EOF).
    ///
    /// The read buffer lives on the stack of one poll, never across an
    /// await, so a connection waiting for input owns no buffer. Reading
    /// through `poll_read` (not `readable()` + `try_read`) lets tokio clear
    /// the readiness after a short read, which saves the `read()` that
    /// would only return EAGAIN after every request.
    async fn read_lines(&mut self, tok: &mut Option<Box<Tokenizer>>, lines: &mut Vec<Line>) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            // Uninitialized: zeroing 4 KiB on every poll (also the ones
            // that find no input) cost more than the rest of a request.
            let mut chunk = [std::mem::MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut rb = ReadBuf::uninit(&mut chunk);
            let r = match self {
                Transport::Plain(s) => std::pin::Pin::new(s).poll_read(cx, &mut rb),
                Transport::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, &mut rb),
            };
            match r {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    let got = rb.filled();
                    if !got.is_empty() {
                        let mut t = tok.take().unwrap_or_else(spare::tokenizer);
                        t.feed_into(got, lines);
                        if t.is_idle() {
                            spare::give_back(t);
                        } else {
                            *tok = Some(t);
                        }
                    }
                    Poll::Ready(Ok(got.len()))
                }
            }
        })
        .await
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
    // The usual case first: the socket takes the whole reply at once, with
    // no future to set up. Whatever is left goes out through the kickable
    // path (still one reply after the other, in order).
    let mut done = 0;
    let mut r = Ok(());
    if let Transport::Plain(s) = io {
        match s.try_write(out.as_bytes()) {
            Ok(n) => done = n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => r = Err(e),
        }
    }
    if r.is_ok() && done < out.len() {
        r = tokio::select! {
            biased;
            r = io.write_all(&out.as_bytes()[done..]) => r,
            _ = gone.as_mut() => Err(io::Error::new(io::ErrorKind::TimedOut, "client does not read")),
        };
    }
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
        let mut lines = spare::lines();
        tokio::select! {
            // biased: no random branch order to draw per request
            biased;
            r = io.read_lines(&mut tok, &mut lines) => match r {
                Ok(0) | Err(_) => {
                    spare::give_lines(lines);
                    break;
                }
                Ok(_) => {}
            },
            _ = gone.as_mut() => {
                tracing::debug!("Dropping client {}", peer.ip());
                spare::give_lines(lines);
                break;
            }
        };
        if lines.is_empty() {
            // a partial line: nothing to answer yet
            spare::give_lines(lines);
            continue;
        }
        // One clock read per batch of lines: the idle sweep and MAXAGE
        // count in seconds.
        let now = std::time::Instant::now();
        meta.touch(now);
        for line in &mut lines {
            match sess.handle_line(&shared, line, now, &mut out) {
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
        spare::give_lines(lines);
        if !out.is_empty() && write_kickable(&mut io, &mut out, &mut gone).await.is_err() {
            break;
        }
    }
    sess.release(&shared);
}

/// The thread's spare tokenizers and line buffers. A request that arrives
/// whole (the usual case) borrows one of each for the time it takes to
/// tokenize and answer it, so serving it allocates neither, and a
/// connection between requests owns neither. A tokenizer holding a partial
/// line stays with its connection until the line is complete.
mod spare {
    use std::cell::RefCell;

    use super::{AfterError, Limits, Line, Tokenizer};

    /// At most this many of each are kept.
    const KEEP: usize = 16;
    /// Line buffers that grew beyond this (a long pipelined burst) are freed.
    const KEEP_LINES: usize = 64;

    thread_local! {
        // Boxed: connections hold them boxed (it keeps every connection's
        // task small), so they move in and out of the pool without a copy.
        #[allow(clippy::vec_box)]
        static TOKENIZERS: RefCell<Vec<Box<Tokenizer>>> = const { RefCell::new(Vec::new()) };
        static LINES: RefCell<Vec<Vec<Line>>> = const { RefCell::new(Vec::new()) };
    }

    /// A tokenizer in its initial state (NUT's limits, the rest of a line
    /// after an error skipped).
    pub fn tokenizer() -> Box<Tokenizer> {
        TOKENIZERS
            .with_borrow_mut(Vec::pop)
            .unwrap_or_else(|| Box::new(Tokenizer::new(Limits::NUT, AfterError::SkipLine)))
    }

    /// Returns an idle tokenizer to the pool.
    pub fn give_back(mut t: Box<Tokenizer>) {
        t.reset();
        TOKENIZERS.with_borrow_mut(|v| {
            if v.len() < KEEP {
                v.push(t);
            }
        });
    }

    /// An empty line buffer.
    pub fn lines() -> Vec<Line> {
        LINES.with_borrow_mut(Vec::pop).unwrap_or_default()
    }

    /// Returns a line buffer (its lines are dropped).
    pub fn give_lines(mut l: Vec<Line>) {
        if l.capacity() == 0 || l.capacity() > KEEP_LINES {
            return;
        }
        l.clear();
        LINES.with_borrow_mut(|v| {
            if v.len() < KEEP {
                v.push(l);
            }
        });
    }
}
