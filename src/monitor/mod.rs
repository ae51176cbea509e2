//! upsmon: watches UPSes through upsd and shuts the machine down in time.
//!
//! - [`settings`]: the typed settings the rest works from;
//! - [`notify`]: notification types, NUT's messages and flags;
//! - [`state`]: one UPS's state and NUT's rules (pure, clock as input);
//! - [`engine`]: the loop — polling, recalculation, the primary/secondary
//!   FSD procedure — generic over the upsd sessions and the effects;
//! - [`net`]: the sessions over the client library;
//! - [`effects`]: journal, `wall`, NOTIFYCMD, `STATUS=`;
//! - [`privileged`]: the privileged part (POWERDOWNFLAG, SHUTDOWNCMD or
//!   logind) and the split into a root parent and an unprivileged child;
//! - [`control`]: `-c fsd|stop|reload` over the control socket, the PID
//!   file and signals;
//! - [`daemon`]: the program (command line, start-up, runtime).
//!
//! Deliberate differences from NUT's upsmon (same events, notifications
//! and shutdown decisions otherwise):
//! - POLLFREQ applies from the first poll (NUT polls every 5 s until a UPS
//!   first reports OL or OB), and POLLFREQALERT applies while *any* UPS is
//!   on battery or alerting (in NUT the last transition of any UPS wins).
//! - Time is compared exactly, not in whole seconds: a DEADTIME or
//!   HOSTSYNC expiry can come up to a second earlier than NUT's.
//! - "Executing automatic power-fail shutdown" goes to terminals only when
//!   SHUTDOWN has the WALL flag (NUT walls it unconditionally).
//! - Without SHUTDOWNCMD, logind is asked to power off (NUT does nothing).
//! - Under socket activation there is no PID file; `-c` uses the socket.
//! - Only `ups.status` (and `ups.alarm` on ALARM) is polled, as 2.8.0 does;
//!   newest NUT also asks for the mode buzzwords.
//! - CERTIDENT (a client certificate) is read but not used: the client
//!   library has no client certificates.

pub mod control;
pub mod daemon;
pub mod effects;
pub mod engine;
pub mod net;
pub mod notify;
pub mod privileged;
pub mod settings;
pub mod state;
#[cfg(test)]
mod tests;
