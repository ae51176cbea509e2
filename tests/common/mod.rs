//! Shared test harness: [`refnut`] runs Debian's NUT daemons in a scratch
//! dir; [`compare`] runs our client programs beside Debian's and diffs;
//! [`dumps`] lists the device dumps served; [`upsd_harness`] is the upsd
//! test bed (golden config, fake driver, line client).

pub mod compare;
pub mod dumps;
pub mod refnut;
pub mod upsd_harness;
