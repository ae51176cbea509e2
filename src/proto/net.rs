//! The network protocol (upsd on TCP 3493): one type per request and reply,
//! used by both ends — upsd decodes [`Request`]s and encodes [`Reply`]s; the
//! client library encodes requests and decodes replies against the request
//! they answer.
//!
//! - [`request`]: [`Request`], [`ListQuery`], [`CommandWord`] and
//!   [`DecodeError`], which keeps the recognised command word so a server
//!   can answer `USERNAME-REQUIRED` before argument errors (NUT's order).
//! - [`reply`]: [`Reply`], [`ListItem`], [`TrackingStatus`], the 512-byte
//!   line limit and the validation of replies against requests.
//! - The [`error`] module: [`ErrorCode`] (every `ERR` code, also the never-sent ones)
//!   and [`ErrorReply`].
//!
//! Lines are tokenized with [`crate::proto::words`] (never a second
//! tokenizer); names stay raw strings as explained in [`request`].

pub mod error;
pub mod reply;
pub mod request;

pub use error::{ErrorCode, ErrorReply, UnknownErrorCode};
pub use reply::{ListItem, Reply, ReplyError, TrackingStatus, MAX_REPLY_LINE, PROTOCOL_VERSION};
pub use request::{CommandWord, DecodeError, ListQuery, Request};
