//! upsmon: watches UPSes through upsd and shuts the machine down in time.
//!
//! - [`settings`]: the typed settings the rest works from;
//! - [`notify`]: notification types, NUT's messages and flags;
//! - [`state`]: one UPS's state and NUT's rules (pure, clock as input);
//! - [`engine`]: the loop — polling, recalculation, the primary/secondary
//!   FSD procedure — generic over the upsd sessions and the effects.

pub mod control;
pub mod effects;
pub mod engine;
pub mod notify;
pub mod privileged;
pub mod settings;
pub mod state;
#[cfg(test)]
mod tests;
