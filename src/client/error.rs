//! The client library's typed errors. Each variant's `Display` is the text
//! libupsclient's `upscli_strerror` gives for the same situation, so the
//! tools can print `Error: {e}` byte for byte like NUT's.

use std::io;

use crate::proto::net::{ErrorCode, ErrorReply};

/// C `strerror` text for an I/O error ("Connection refused").
pub fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// Everything a client operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// upsd answered `ERR <code>`.
    #[error("{}", .0.code.client_message())]
    Server(ErrorReply),
    /// upsd answered `ERR` with a code the protocol does not define.
    #[error("Unknown error")]
    UnknownServerError {
        /// The line received.
        line: String,
    },
    /// The reply does not answer the request.
    #[error("Protocol error")]
    Protocol {
        /// The line received.
        line: String,
    },
    /// The host name did not resolve.
    #[error("No such host")]
    NoSuchHost(String),
    /// Every address of the host refused or failed the connection.
    #[error("Connection failure: {}", strerror(.0))]
    Connect(io::Error),
    /// Connecting took longer than the connect timeout.
    #[error("Connection failure: {}", strerror(&io::Error::from(io::ErrorKind::TimedOut)))]
    ConnectTimeout,
    /// Reading failed.
    #[error("Read error: {}", strerror(.0))]
    Read(io::Error),
    /// Writing failed.
    #[error("Write error: {}", strerror(.0))]
    Write(io::Error),
    /// The server closed the connection.
    #[error("Server disconnected")]
    Disconnected,
    /// No reply within the operation timeout (libupsclient reports this as
    /// a disconnect too).
    #[error("Server disconnected")]
    Timeout,
    /// TLS was required but the server does not offer it.
    #[error("SSL is not available")]
    TlsUnavailable,
    /// The TLS handshake or TLS setup failed.
    #[error("SSL error: {0}")]
    Tls(String),
    /// Connecting failed during STARTTLS (after the TCP connection was
    /// made); libupsclient logs `Error while connecting to NUT server
    /// <host>, disconnect` for it.
    #[error("{0}")]
    DuringStartTls(Box<ClientError>),
    /// The connection is closed (after an earlier error or logout).
    #[error("Driver not connected")]
    NotConnected,
}

impl ClientError {
    /// The server's error code, when upsd answered `ERR`.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Server(e) => Some(e.code),
            _ => None,
        }
    }

    /// Whether the connection is unusable after this error (reconnect
    /// before the next request).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, ClientError::Server(_) | ClientError::UnknownServerError { .. } | ClientError::Protocol { .. })
    }
}

/// Shorthand.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_like_upscli_strerror() {
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(ClientError::Connect(refused).to_string(), "Connection failure: Connection refused");
        assert_eq!(ClientError::Server(ErrorCode::VarNotSupported.into()).to_string(), "Variable not supported by UPS");
        assert_eq!(ClientError::Server(ErrorCode::InvalidArgument.into()).to_string(), "Unknown error");
        assert_eq!(ClientError::Disconnected.to_string(), "Server disconnected");
        assert_eq!(ClientError::NoSuchHost("x".into()).to_string(), "No such host");
    }
}
