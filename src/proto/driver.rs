//! The driver-socket protocol between a driver and upsd: one type per message.
