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
