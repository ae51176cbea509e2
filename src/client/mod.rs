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
//!   command lines and `run` functions; `src/bin/` only calls them), with
//!   [`tool`], [`getopt`] and [`prompt`] for what they share, and
//!   [`admin`] for what upsrw and upscmd share.
//!
//! ## Compatibility with NUT 2.8.0's programs
//!
//! stdout, stderr and exit codes are those of Debian's 2.8.0 programs
//! (`tests/clients_*.rs` compare them case by case). Deliberate
//! differences:
//!
//! - Debian's NSS build prints `Init SSL without certificate database` on
//!   stderr whenever upsc/upslog send STARTTLS. That is a log line of the
//!   NSS backend's initialisation, not part of the programs' output
//!   (OpenSSL builds of the same release print nothing, and NUT's docs
//!   tell scripts to read stdout only), so we do not reproduce it; nor
//!   NSS's handshake lines (`Connecting in SSL to …`, `Do not intend to
//!   authenticate server …`, `SSL handshake done successfully …`). The
//!   two lines libupsclient itself logs after a handshake (`Connected to
//!   NUT server <host> in SSL`, `Certificate verification is disabled`)
//!   are printed.
//! - Version banners carry our version; `upsc -V` names itself `upsc`
//!   (2.8.0 says `upscmd`).
//! - Additions from newer NUT: `upsc -j` (2.8.5 JSON output) and
//!   `upslog -m ups,logfile`; each has an extra paragraph in `-h`.
//! - On the wire, upsrw/upscmd send names and an INSTCMD parameter escaped
//!   and quoted when needed (NUT pastes them raw, so `upscmd u c "1 2"`
//!   reaches upsd as four words and the parameter is dropped).

pub mod addr;
pub mod admin;
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
