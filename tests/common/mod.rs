//! Shared test harness: [`refnut`] runs Debian's NUT daemons in a scratch
//! dir; [`compare`] runs our client programs beside Debian's and diffs.

pub mod compare;
pub mod refnut;
