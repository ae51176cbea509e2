//! The client side of the network protocol: one async client (tokio) with
//! a blocking facade, used by every client program (upsc, upsrw, upscmd,
//! upslog), upsmon and the dummy-ups repeater. It speaks only through the
//! message types of [`crate::proto::net`].
//!
//! - [`addr`]: `ups@host:port` parsing exactly like libupsclient.
//! - [`conn`]: the async [`Client`]: connect, STARTTLS ([`tls`]), typed
//!   requests and replies, tracking, timeouts, reconnect.
//! - [`blocking`]: the same client for synchronous code.
//! - [`error`]: [`ClientError`], whose messages are libupsclient's.
//! - [`upsc`], [`upsrw`], [`upscmd`], [`upslog`]: the programs (their
//!   command lines and `run` functions; `src/bin/` only calls them).

pub mod addr;
pub mod blocking;
pub mod conn;
pub mod error;
pub mod getopt;
pub mod prompt;
pub mod tls;
pub mod tool;
pub mod upsc;
pub mod upscmd;
pub mod upslog;
pub mod upsrw;

pub use addr::{split_addr, split_name, AddrError, Target, DEFAULT_PORT};
pub use conn::{Client, Options, TlsOutcome, TrackingResult};
pub use error::ClientError;
pub use tls::{TlsMode, Verify};
