//! Helpers shared by the upsd integration tests.

pub mod upsd_harness;
