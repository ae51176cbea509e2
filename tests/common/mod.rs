//! Shared test harness: [`refnut`] runs Debian's NUT daemons in a scratch
//! dir; [`compare`] runs our client programs beside Debian's and diffs;
//! [`dumps`] lists the device dumps served.

pub mod compare;
pub mod dumps;
pub mod refnut;
