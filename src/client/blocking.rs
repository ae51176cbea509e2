//! A blocking facade over the async [`Client`](super::Client): a
//! current-thread tokio runtime inside, the same methods, no second copy
//! of the protocol. Dropping it sends `LOGOUT` like libupsclient's
//! disconnect.

use std::time::Duration;

use super::conn::{Client as AsyncClient, Options, TlsOutcome, TrackingResult};
use super::error::{ClientError, Result};
use crate::model::{Range, VarType};
use crate::proto::net::{ListItem, ListQuery, Reply, Request};

/// A connection to upsd for synchronous programs.
#[derive(Debug)]
pub struct Client {
    rt: tokio::runtime::Runtime,
    inner: AsyncClient,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ClientError::Connect)
}

macro_rules! forward {
    ($( $(#[$m:meta])* fn $name:ident(&mut self $(, $a:ident : $t:ty)*) -> $r:ty; )*) => {
        $(
            $(#[$m])*
            pub fn $name(&mut self $(, $a: $t)*) -> $r {
                self.rt.block_on(self.inner.$name($($a),*))
            }
        )*
    };
}

impl Client {
    /// Connects (see [`AsyncClient::connect`]).
    pub fn connect(host: &str, port: u16, opts: Options) -> Result<Client> {
        let rt = runtime()?;
        let inner = rt.block_on(AsyncClient::connect(host, port, opts))?;
        Ok(Client { rt, inner })
    }

    /// The async client inside.
    pub fn inner(&mut self) -> &mut AsyncClient {
        &mut self.inner
    }

    /// What STARTTLS did.
    pub fn tls(&self) -> &TlsOutcome {
        self.inner.tls()
    }

    /// Whether the connection is open.
    pub fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// Changes the per-operation timeout.
    pub fn set_timeout(&mut self, t: Duration) {
        self.inner.set_timeout(t)
    }

    /// Sends one request.
    pub fn send(&mut self, req: &Request) -> Result<()> {
        self.rt.block_on(self.inner.send(req))
    }

    /// Sends a request and returns the raw reply line.
    pub fn roundtrip_line(&mut self, req: &Request) -> Result<String> {
        self.rt.block_on(self.inner.roundtrip_line(req))
    }

    /// Sends a single-line request and decodes its reply.
    pub fn call(&mut self, req: &Request) -> Result<Reply> {
        self.rt.block_on(self.inner.call(req))
    }

    /// Runs a LIST.
    pub fn list(&mut self, q: ListQuery) -> Result<Vec<ListItem>> {
        self.rt.block_on(self.inner.list(q))
    }

    /// Runs a LIST, keeping what was read before a failure.
    pub fn list_partial(&mut self, q: ListQuery) -> Result<(Vec<ListItem>, Option<ClientError>)> {
        self.rt.block_on(self.inner.list_partial(q))
    }

    /// Reads one line with an explicit timeout.
    pub fn read_line_timeout(&mut self, t: Duration) -> Result<String> {
        self.rt.block_on(self.inner.read_line_timeout(t))
    }

    /// `INSTCMD` (see [`AsyncClient::instcmd`]).
    pub fn instcmd(&mut self, ups: &str, cmd: &str, param: Option<&str>) -> Result<Option<String>> {
        self.rt.block_on(self.inner.instcmd(ups, cmd, param))
    }

    forward! {
        /// Dials again.
        fn reconnect(&mut self) -> Result<()>;
        /// Writes raw bytes.
        fn send_raw(&mut self, bytes: &[u8]) -> Result<()>;
        /// Reads one line.
        fn read_line(&mut self) -> Result<String>;
        /// `GET VAR`.
        fn get_var(&mut self, ups: &str, var: &str) -> Result<String>;
        /// `GET TYPE`.
        fn get_type(&mut self, ups: &str, var: &str) -> Result<VarType>;
        /// `GET DESC`.
        fn get_desc(&mut self, ups: &str, var: &str) -> Result<String>;
        /// `GET CMDDESC`.
        fn get_cmd_desc(&mut self, ups: &str, cmd: &str) -> Result<String>;
        /// `GET UPSDESC`.
        fn get_ups_desc(&mut self, ups: &str) -> Result<String>;
        /// `GET NUMLOGINS`.
        fn get_num_logins(&mut self, ups: &str) -> Result<u64>;
        /// `LIST UPS`.
        fn list_ups(&mut self) -> Result<Vec<(String, String)>>;
        /// `LIST VAR`.
        fn list_var(&mut self, ups: &str) -> Result<Vec<(String, String)>>;
        /// `LIST RW`.
        fn list_rw(&mut self, ups: &str) -> Result<Vec<(String, String)>>;
        /// `LIST CMD`.
        fn list_cmd(&mut self, ups: &str) -> Result<Vec<String>>;
        /// `LIST ENUM`.
        fn list_enum(&mut self, ups: &str, var: &str) -> Result<Vec<String>>;
        /// `LIST RANGE`.
        fn list_range(&mut self, ups: &str, var: &str) -> Result<Vec<Range>>;
        /// `LIST CLIENT`.
        fn list_client(&mut self, ups: &str) -> Result<Vec<String>>;
        /// `USERNAME` + `PASSWORD`.
        fn authenticate(&mut self, username: &str, password: &str) -> Result<()>;
        /// `LOGIN`.
        fn login(&mut self, ups: &str) -> Result<()>;
        /// `PRIMARY` (falling back to `MASTER`).
        fn primary(&mut self, ups: &str) -> Result<()>;
        /// `FSD`.
        fn fsd(&mut self, ups: &str) -> Result<()>;
        /// `SET TRACKING`.
        fn set_tracking(&mut self, on: bool) -> Result<()>;
        /// `SET VAR`.
        fn set_var(&mut self, ups: &str, var: &str, value: &str) -> Result<Option<String>>;
        /// One `GET TRACKING <id>`.
        fn get_tracking(&mut self, id: &str) -> Result<Option<TrackingResult>>;
        /// Polls `GET TRACKING <id>` until done.
        fn wait_tracking(&mut self, id: &str, timeout: Duration, interval: Duration) -> Result<TrackingResult>;
        /// `LOGOUT` and close.
        fn logout(&mut self) -> Result<()>;
    }

    /// Sends `LOGOUT` without waiting and closes.
    pub fn disconnect(&mut self) {
        self.rt.block_on(self.inner.disconnect())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.inner.is_connected() {
            self.rt.block_on(self.inner.disconnect());
        }
    }
}
