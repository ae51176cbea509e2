//! The network protocol (upsd on TCP 3493): one type per request and reply.
