//! The async client: one connection to upsd, speaking only through
//! [`Request`] and [`Reply`] (no second copy of the protocol).
//!
//! Every operation has a timeout ([`Options::timeout`], default 5 s like
//! libupsclient's `DEFAULT_NETWORK_TIMEOUT`; connecting has its own
//! [`Options::connect_timeout`]). After an I/O error or timeout the
//! connection is closed ([`Client::is_connected`] turns false) and
//! [`Client::reconnect`] dials again with the same options.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::error::{ClientError, Result};
use super::tls::{self, TlsMode, Verify};
use crate::model::{Range, VarType};
use crate::proto::net::{ListItem, ListQuery, Reply, ReplyError, Request, TrackingStatus};

/// libupsclient reads at most this many bytes into one line (its buffer
/// is 512 bytes including the terminating NUL).
pub const MAX_LINE: usize = 511;

/// Connection options.
#[derive(Clone, Debug)]
pub struct Options {
    /// STARTTLS policy.
    pub tls: TlsMode,
    /// Certificate check once TLS is up.
    pub verify: Verify,
    /// Timeout of each read or write.
    pub timeout: Duration,
    /// Timeout of the TCP connect (per address tried).
    pub connect_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: TlsMode::Off,
            verify: Verify::None,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

enum Transport {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// What happened to STARTTLS during connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsOutcome {
    /// Not attempted.
    NotTried,
    /// upsd refused (its reply line); the session continues in plain text.
    Refused(String),
    /// The session is encrypted.
    Established {
        /// Whether the certificate was verified.
        verified: bool,
    },
}

/// The result of waiting for a tracked SET/INSTCMD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackingResult {
    /// The driver reported success.
    Success,
    /// The driver (or upsd) reported an error; the raw `ERR …` reply.
    Failed(crate::proto::net::ErrorReply),
}

/// One connection to upsd.
pub struct Client {
    host: String,
    port: u16,
    opts: Options,
    io: Option<Transport>,
    buf: Vec<u8>,
    tls: TlsOutcome,
    peer: Option<SocketAddr>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("connected", &self.io.is_some())
            .field("tls", &self.tls)
            .finish()
    }
}

async fn dial(host: &str, port: u16, timeout: Duration) -> Result<(TcpStream, SocketAddr)> {
    let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(a) => a.collect(),
        Err(_) => return Err(ClientError::NoSuchHost(host.to_string())),
    };
    if addrs.is_empty() {
        return Err(ClientError::NoSuchHost(host.to_string()));
    }
    let mut last = ClientError::NoSuchHost(host.to_string());
    for a in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect(a)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return Ok((s, a));
            }
            Ok(Err(e)) => last = ClientError::Connect(e),
            Err(_) => last = ClientError::ConnectTimeout,
        }
    }
    Err(last)
}

fn reply_error(e: ReplyError) -> ClientError {
    match e {
        ReplyError::Unexpected { line } => ClientError::Protocol { line },
        // libupsclient matches codes by prefix (`ERR ACCESS-DENIED-X` is
        // "Access denied"); only what matches nothing is "Unknown error"
        ReplyError::UnknownError { line } => {
            match line.get(4..).and_then(crate::proto::net::ErrorCode::match_like_libupsclient) {
                Some(code) => ClientError::Server(code.into()),
                None => ClientError::UnknownServerError { line },
            }
        }
    }
}

impl Client {
    /// Connects to `host:port` (every address the name resolves to is
    /// tried in turn) and runs STARTTLS according to `opts.tls`.
    pub async fn connect(host: &str, port: u16, opts: Options) -> Result<Client> {
        let mut c = Client {
            host: host.to_string(),
            port,
            opts,
            io: None,
            buf: Vec::new(),
            tls: TlsOutcome::NotTried,
            peer: None,
        };
        c.reconnect().await?;
        Ok(c)
    }

    /// Drops the current connection (if any) and dials again with the same
    /// host, port and options. Session state (credentials, LOGIN) is not
    /// replayed: the caller re-authenticates.
    pub async fn reconnect(&mut self) -> Result<()> {
        self.close_now();
        let (stream, peer) = dial(&self.host, self.port, self.opts.connect_timeout).await?;
        self.io = Some(Transport::Plain(stream));
        self.peer = Some(peer);
        self.buf.clear();
        self.tls = TlsOutcome::NotTried;
        if self.opts.tls != TlsMode::Off {
            self.starttls().await.map_err(|e| match e {
                ClientError::TlsUnavailable => e,
                e => {
                    self.close_now();
                    ClientError::DuringStartTls(Box::new(e))
                }
            })?;
        }
        Ok(())
    }

    async fn starttls(&mut self) -> Result<()> {
        let line = self.roundtrip_line(&Request::StartTls).await?;
        if !line.starts_with("OK STARTTLS") {
            if self.opts.tls == TlsMode::Required {
                self.close_now();
                return Err(ClientError::TlsUnavailable);
            }
            self.tls = TlsOutcome::Refused(line);
            return Ok(());
        }
        let cfg = tls::client_config(&self.opts.verify)?;
        let name = tls::server_name(&self.host)?;
        let Some(Transport::Plain(stream)) = self.io.take() else {
            return Err(ClientError::NotConnected);
        };
        let connector = tokio_rustls::TlsConnector::from(cfg);
        match tokio::time::timeout(self.opts.timeout, connector.connect(name, stream)).await {
            Ok(Ok(s)) => {
                self.io = Some(Transport::Tls(Box::new(s)));
                self.tls = TlsOutcome::Established { verified: self.opts.verify != Verify::None };
                Ok(())
            }
            Ok(Err(e)) => Err(ClientError::Tls(e.to_string())),
            Err(_) => Err(ClientError::Timeout),
        }
    }

    /// The host this client dials.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port this client dials.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address actually connected to.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// What STARTTLS did on this connection.
    pub fn tls(&self) -> &TlsOutcome {
        &self.tls
    }

    /// Whether the connection is open.
    pub fn is_connected(&self) -> bool {
        self.io.is_some()
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Changes the per-operation timeout.
    pub fn set_timeout(&mut self, t: Duration) {
        self.opts.timeout = t;
    }

    fn close_now(&mut self) {
        self.io = None;
        self.buf.clear();
    }

    /// Writes raw bytes (one or more complete lines).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<()> {
        let t = self.opts.timeout;
        let io = self.io.as_mut().ok_or(ClientError::NotConnected)?;
        let r = tokio::time::timeout(t, async {
            io.write_all(bytes).await?;
            io.flush().await
        })
        .await;
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                self.close_now();
                Err(ClientError::Write(e))
            }
            Err(_) => {
                self.close_now();
                Err(ClientError::Timeout)
            }
        }
    }

    /// Sends one request.
    pub async fn send(&mut self, req: &Request) -> Result<()> {
        self.send_raw(req.encode().as_bytes()).await
    }

    /// Reads one line (without its LF) within the operation timeout. Like
    /// libupsclient, a line longer than [`MAX_LINE`] bytes is returned in
    /// pieces.
    pub async fn read_line(&mut self) -> Result<String> {
        let t = self.opts.timeout;
        self.read_line_timeout(t).await
    }

    /// [`Client::read_line`] with an explicit timeout.
    pub async fn read_line_timeout(&mut self, t: Duration) -> Result<String> {
        let deadline = Instant::now() + t;
        loop {
            if let Some(i) = self.buf.iter().take(MAX_LINE + 1).position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).take(i).collect();
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() >= MAX_LINE {
                let line: Vec<u8> = self.buf.drain(..MAX_LINE).collect();
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            let io = self.io.as_mut().ok_or(ClientError::NotConnected)?;
            let mut chunk = [0u8; 512];
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, io.read(&mut chunk)).await {
                Ok(Ok(0)) => {
                    self.close_now();
                    return Err(ClientError::Disconnected);
                }
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(Err(e)) => {
                    self.close_now();
                    return Err(ClientError::Read(e));
                }
                Err(_) => {
                    self.close_now();
                    return Err(ClientError::Timeout);
                }
            }
        }
    }

    /// Sends a request and returns the raw reply line, whatever it is
    /// (NUT's upsrw/upscmd work at this level for USERNAME, SET, INSTCMD).
    pub async fn roundtrip_line(&mut self, req: &Request) -> Result<String> {
        self.send(req).await?;
        self.read_line().await
    }

    /// Sends a single-line request and decodes its reply; `ERR` becomes
    /// [`ClientError::Server`].
    pub async fn call(&mut self, req: &Request) -> Result<Reply> {
        let line = self.roundtrip_line(req).await?;
        match Reply::decode(req, &line).map_err(reply_error)? {
            Reply::Err(e) => Err(ClientError::Server(e)),
            r => Ok(r),
        }
    }

    /// Runs a `LIST` and collects its items (validated against the query).
    pub async fn list(&mut self, q: ListQuery) -> Result<Vec<ListItem>> {
        let (items, err) = self.list_partial(q).await?;
        match err {
            Some(e) => Err(e),
            None => Ok(items),
        }
    }

    /// Runs a `LIST`. A failure before `BEGIN LIST` is the outer error; a
    /// failure after it is returned beside the items read so far (NUT's
    /// clients print those and stop quietly).
    pub async fn list_partial(&mut self, q: ListQuery) -> Result<(Vec<ListItem>, Option<ClientError>)> {
        let req = Request::List(q);
        let first = self.roundtrip_line(&req).await?;
        match Reply::decode(&req, &first).map_err(reply_error)? {
            Reply::BeginList(_) => {}
            Reply::Err(e) => return Err(ClientError::Server(e)),
            _ => return Err(ClientError::Protocol { line: first }),
        }
        let mut items = Vec::new();
        loop {
            let line = match self.read_line().await {
                Ok(l) => l,
                Err(e) => return Ok((items, Some(e))),
            };
            match Reply::decode(&req, &line) {
                Ok(Reply::EndList(_)) => return Ok((items, None)),
                Ok(Reply::Item(i)) => items.push(i),
                Ok(Reply::Err(e)) => return Ok((items, Some(ClientError::Server(e)))),
                Ok(_) => return Ok((items, Some(ClientError::Protocol { line }))),
                Err(e) => return Ok((items, Some(reply_error(e)))),
            }
        }
    }

    fn unexpected<T>(r: Reply) -> Result<T> {
        Err(ClientError::Protocol { line: r.to_string() })
    }

    /// `GET VAR`: the value.
    pub async fn get_var(&mut self, ups: &str, var: &str) -> Result<String> {
        match self.call(&Request::GetVar { ups: ups.into(), var: var.into() }).await? {
            Reply::Var { value, .. } => Ok(value),
            r => Self::unexpected(r),
        }
    }

    /// `GET TYPE`.
    pub async fn get_type(&mut self, ups: &str, var: &str) -> Result<VarType> {
        match self.call(&Request::GetType { ups: ups.into(), var: var.into() }).await? {
            Reply::Type { ty, .. } => Ok(ty),
            r => Self::unexpected(r),
        }
    }

    /// `GET DESC`.
    pub async fn get_desc(&mut self, ups: &str, var: &str) -> Result<String> {
        match self.call(&Request::GetDesc { ups: ups.into(), var: var.into() }).await? {
            Reply::Desc { desc, .. } => Ok(desc),
            r => Self::unexpected(r),
        }
    }

    /// `GET CMDDESC`.
    pub async fn get_cmd_desc(&mut self, ups: &str, cmd: &str) -> Result<String> {
        match self.call(&Request::GetCmdDesc { ups: ups.into(), cmd: cmd.into() }).await? {
            Reply::CmdDesc { desc, .. } => Ok(desc),
            r => Self::unexpected(r),
        }
    }

    /// `GET UPSDESC`.
    pub async fn get_ups_desc(&mut self, ups: &str) -> Result<String> {
        match self.call(&Request::GetUpsDesc { ups: ups.into() }).await? {
            Reply::UpsDesc { desc, .. } => Ok(desc),
            r => Self::unexpected(r),
        }
    }

    /// `GET NUMLOGINS`.
    pub async fn get_num_logins(&mut self, ups: &str) -> Result<u64> {
        match self.call(&Request::GetNumLogins { ups: ups.into() }).await? {
            Reply::NumLogins { count, .. } => Ok(count),
            r => Self::unexpected(r),
        }
    }

    /// `LIST UPS`: (name, description) pairs.
    pub async fn list_ups(&mut self) -> Result<Vec<(String, String)>> {
        let items = self.list(ListQuery::Ups).await?;
        Ok(items
            .into_iter()
            .filter_map(|i| if let ListItem::Ups { ups, desc } = i { Some((ups, desc)) } else { None })
            .collect())
    }

    /// `LIST VAR`: (variable, value) pairs in server order.
    pub async fn list_var(&mut self, ups: &str) -> Result<Vec<(String, String)>> {
        let items = self.list(ListQuery::Var { ups: ups.into() }).await?;
        Ok(items
            .into_iter()
            .filter_map(|i| if let ListItem::Var { var, value, .. } = i { Some((var, value)) } else { None })
            .collect())
    }

    /// `LIST RW`: (variable, value) pairs.
    pub async fn list_rw(&mut self, ups: &str) -> Result<Vec<(String, String)>> {
        let items = self.list(ListQuery::Rw { ups: ups.into() }).await?;
        Ok(items
            .into_iter()
            .filter_map(|i| if let ListItem::Rw { var, value, .. } = i { Some((var, value)) } else { None })
            .collect())
    }

    /// `LIST CMD`: command names.
    pub async fn list_cmd(&mut self, ups: &str) -> Result<Vec<String>> {
        let items = self.list(ListQuery::Cmd { ups: ups.into() }).await?;
        Ok(items.into_iter().filter_map(|i| if let ListItem::Cmd { cmd, .. } = i { Some(cmd) } else { None }).collect())
    }

    /// `LIST ENUM`: allowed values.
    pub async fn list_enum(&mut self, ups: &str, var: &str) -> Result<Vec<String>> {
        let items = self.list(ListQuery::Enum { ups: ups.into(), var: var.into() }).await?;
        Ok(items
            .into_iter()
            .filter_map(|i| if let ListItem::Enum { value, .. } = i { Some(value) } else { None })
            .collect())
    }

    /// `LIST RANGE`: allowed ranges.
    pub async fn list_range(&mut self, ups: &str, var: &str) -> Result<Vec<Range>> {
        let items = self.list(ListQuery::Range { ups: ups.into(), var: var.into() }).await?;
        Ok(items
            .into_iter()
            .filter_map(|i| if let ListItem::Range { range, .. } = i { Some(range) } else { None })
            .collect())
    }

    /// `LIST CLIENT`: addresses of the clients logged into the UPS.
    pub async fn list_client(&mut self, ups: &str) -> Result<Vec<String>> {
        let items = self.list(ListQuery::Client { ups: ups.into() }).await?;
        Ok(items
            .into_iter()
            .filter_map(|i| if let ListItem::Client { addr, .. } = i { Some(addr) } else { None })
            .collect())
    }

    async fn expect_ok(&mut self, req: Request) -> Result<Reply> {
        let r = self.call(&req).await?;
        if r.is_ok() {
            Ok(r)
        } else {
            Self::unexpected(r)
        }
    }

    /// `USERNAME` then `PASSWORD` (both sent raw, as NUT's clients do).
    pub async fn authenticate(&mut self, username: &str, password: &str) -> Result<()> {
        self.expect_ok(Request::Username(username.into())).await?;
        self.expect_ok(Request::Password(password.into())).await?;
        Ok(())
    }

    /// `LOGIN <ups>` (counts this connection in NUMLOGINS).
    pub async fn login(&mut self, ups: &str) -> Result<()> {
        self.expect_ok(Request::Login { ups: ups.into() }).await.map(drop)
    }

    /// `PRIMARY <ups>`, falling back to `MASTER <ups>` when upsd refuses
    /// PRIMARY (pre-2.8 servers), as upsmon does.
    pub async fn primary(&mut self, ups: &str) -> Result<()> {
        match self.expect_ok(Request::Primary { ups: ups.into() }).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_fatal() => Err(e),
            Err(_) => self.expect_ok(Request::Master { ups: ups.into() }).await.map(drop),
        }
    }

    /// `FSD <ups>`.
    pub async fn fsd(&mut self, ups: &str) -> Result<()> {
        self.expect_ok(Request::Fsd { ups: ups.into() }).await.map(drop)
    }

    /// `SET TRACKING ON|OFF`.
    pub async fn set_tracking(&mut self, on: bool) -> Result<()> {
        self.expect_ok(Request::SetTracking { on }).await.map(drop)
    }

    /// `SET VAR`; returns the tracking id when tracking is on.
    pub async fn set_var(&mut self, ups: &str, var: &str, value: &str) -> Result<Option<String>> {
        match self.expect_ok(Request::SetVar { ups: ups.into(), var: var.into(), value: value.into() }).await? {
            Reply::OkTracking { id } => Ok(Some(id)),
            _ => Ok(None),
        }
    }

    /// `INSTCMD`; returns the tracking id when tracking is on.
    pub async fn instcmd(&mut self, ups: &str, cmd: &str, param: Option<&str>) -> Result<Option<String>> {
        let req = Request::Instcmd { ups: ups.into(), cmd: cmd.into(), param: param.map(Into::into) };
        match self.expect_ok(req).await? {
            Reply::OkTracking { id } => Ok(Some(id)),
            _ => Ok(None),
        }
    }

    /// `GET TRACKING <id>` once: `Ok(None)` while pending.
    pub async fn get_tracking(&mut self, id: &str) -> Result<Option<TrackingResult>> {
        let req = Request::GetTracking { id: Some(id.into()) };
        let line = self.roundtrip_line(&req).await?;
        match Reply::decode(&req, &line).map_err(reply_error)? {
            Reply::Tracking(TrackingStatus::Pending) => Ok(None),
            Reply::Tracking(TrackingStatus::Success) => Ok(Some(TrackingResult::Success)),
            Reply::Err(e) => Ok(Some(TrackingResult::Failed(e))),
            _ => Err(ClientError::Protocol { line }),
        }
    }

    /// Polls `GET TRACKING <id>` every `interval` until it is no longer
    /// pending; [`ClientError::Timeout`] after `timeout`.
    pub async fn wait_tracking(&mut self, id: &str, timeout: Duration, interval: Duration) -> Result<TrackingResult> {
        let deadline = Instant::now() + timeout;
        loop {
            if Instant::now() >= deadline {
                return Err(ClientError::Timeout);
            }
            if let Some(r) = self.get_tracking(id).await? {
                return Ok(r);
            }
            tokio::time::sleep(interval.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// Sends `LOGOUT` without waiting for the answer and closes, as
    /// libupsclient's disconnect does.
    pub async fn disconnect(&mut self) {
        if self.io.is_some() {
            let _ = tokio::time::timeout(Duration::from_secs(1), self.send_raw(b"LOGOUT\n")).await;
            if let Some(mut io) = self.io.take() {
                let _ = tokio::time::timeout(Duration::from_millis(500), io.shutdown()).await;
            }
        }
        self.close_now();
    }

    /// `LOGOUT`, waiting for `OK Goodbye`, then closes.
    pub async fn logout(&mut self) -> Result<()> {
        let r = self.call(&Request::Logout).await;
        self.close_now();
        r.map(drop)
    }
}
