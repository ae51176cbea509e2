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

/// The UPS name of a MONITOR system string (`myups@host:port` → `myups`):
/// what upsmon's journal lines carry as `NUT_UPS=`, so that
/// `journalctl NUT_UPS=myups` finds them beside the driver's and upsd's
/// lines; the whole system string goes in `NUT_MONITOR=`.
///
/// ```
/// assert_eq!(nut::monitor::journal_ups("myups@localhost:3493"), "myups");
/// assert_eq!(nut::monitor::journal_ups("solo"), "solo");
/// ```
pub fn journal_ups(system: &str) -> &str {
    system.split('@').next().unwrap_or(system)
}
