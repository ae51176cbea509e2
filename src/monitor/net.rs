//! upsmon's upsd sessions over the one client library
//! ([`crate::client::Client`]): STARTTLS (tried, or required with
//! FORCESSL), USERNAME/PASSWORD/LOGIN, PRIMARY (falling back to MASTER),
//! then GET VAR, FSD and GET NUMLOGINS — the conversation of NUT's
//! upsmon (golden-transcripts §10.1).

use std::time::Duration;

use super::engine::{ConnectError, Connector, Session, SessionError};
use super::settings::{MonitorSpec, Role, Settings};
use crate::client::{Client, ClientError, Options, TlsMode, Verify};
use crate::proto::net::ErrorCode;

/// NUT's NET_TIMEOUT: upsmon waits at most 10 s for upsd.
const NET_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes [`NetSession`]s.
#[derive(Clone, Debug, Default)]
pub struct NetConnector {
    /// `-W`: the connect timeout (NUT's default 10 s otherwise).
    pub connect_timeout: Option<Duration>,
}

/// One MONITOR line's connection.
pub struct NetSession {
    spec: MonitorSpec,
    opts: Options,
    client: Option<Client>,
}

fn options(s: &Settings, spec: &MonitorSpec, connect_timeout: Option<Duration>) -> Options {
    let host_rule =
        s.tls.certhosts.iter().find(|h| h.host == spec.host || h.host == format!("{}:{}", spec.host, spec.port));
    let forcessl = s.tls.forcessl || host_rule.is_some_and(|h| h.forcessl);
    let verify = s.tls.certverify || host_rule.is_some_and(|h| h.verify);
    Options {
        tls: if forcessl { TlsMode::Required } else { TlsMode::Try },
        verify: match (&s.tls.certpath, verify) {
            (Some(p), true) => Verify::CaFile(p.clone()),
            _ => Verify::None,
        },
        timeout: NET_TIMEOUT,
        connect_timeout: connect_timeout.unwrap_or(NET_TIMEOUT),
    }
}

impl Connector for NetConnector {
    type Session = NetSession;
    fn session(&self, spec: &MonitorSpec, settings: &Settings) -> NetSession {
        NetSession { spec: spec.clone(), opts: options(settings, spec, self.connect_timeout), client: None }
    }
}

fn session_error(e: ClientError) -> SessionError {
    SessionError {
        unknown_ups: e.code() == Some(ErrorCode::UnknownUps),
        connection_lost: e.is_fatal(),
        message: e.to_string(),
    }
}

impl NetSession {
    fn client(&mut self) -> Result<&mut Client, SessionError> {
        match self.client.as_mut() {
            Some(c) if c.is_connected() => Ok(c),
            _ => Err(SessionError::lost("Not connected")),
        }
    }

    async fn call<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut Client, &str) -> Result<T, ClientError>,
    ) -> Result<T, SessionError> {
        let ups = self.spec.ups.clone();
        let c = self.client()?;
        let r = f(c, &ups).await.map_err(session_error);
        if r.as_ref().is_err_and(|e| e.connection_lost) {
            self.client = None;
        }
        r
    }
}

impl Session for NetSession {
    fn is_connected(&self) -> bool {
        self.client.as_ref().is_some_and(|c| c.is_connected())
    }

    async fn connect(&mut self) -> Result<(), ConnectError> {
        let spec = self.spec.clone();
        let mut c = Client::connect(&spec.host, spec.port, self.opts.clone())
            .await
            .map_err(|e| ConnectError::Connect(e.to_string()))?;
        let sys = &spec.system;
        let auth = async {
            c.authenticate(&spec.user, &spec.password)
                .await
                .map_err(|e| format!("Set username/password on [{sys}] failed: {e}"))?;
            c.login(&spec.ups).await.map_err(|e| format!("Login on UPS [{sys}] failed: {e}"))?;
            if spec.role == Role::Primary {
                c.primary(&spec.ups)
                    .await
                    .map_err(|e| format!("Primary managerial privileges unavailable on UPS [{sys}]: {e}"))?;
            }
            Ok::<(), String>(())
        }
        .await;
        self.client = Some(c);
        auth.map_err(ConnectError::Auth)
    }

    async fn get_var(&mut self, var: &str) -> Result<String, SessionError> {
        let var = var.to_string();
        self.call(async move |c: &mut Client, ups: &str| c.get_var(ups, &var).await).await
    }

    async fn set_fsd(&mut self) -> Result<(), SessionError> {
        self.call(async |c: &mut Client, ups: &str| c.fsd(ups).await).await
    }

    async fn num_logins(&mut self) -> Result<u32, SessionError> {
        self.call(async |c: &mut Client, ups: &str| c.get_num_logins(ups).await)
            .await
            .map(|n| n.min(u64::from(u32::MAX)) as u32)
    }

    async fn disconnect(&mut self) {
        if let Some(mut c) = self.client.take() {
            c.disconnect().await;
        }
    }
}
