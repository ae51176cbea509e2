//! `ERR <CODE>[ <extra>]`: every error code of the network protocol
//! (network-protocol.md §11), including the ones upsd defines but never
//! sends, and the client-side mapping libupsclient applies to them.

use std::fmt;
use std::str::FromStr;

macro_rules! error_codes {
    ($( $(#[$m:meta])* $variant:ident => $text:literal, )*) => {
        /// One `ERR` code. The wire word is [`ErrorCode::as_str`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[$m])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in §11's order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code as it appears on the wire (`VAR-NOT-SUPPORTED`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $text, )*
                }
            }

            /// The code for a wire word (exact, upper case as upsd sends it).
            pub fn from_wire(word: &str) -> Option<ErrorCode> {
                match word {
                    $( $text => Some(ErrorCode::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// Unknown user, wrong password, missing right; TLS trust failures.
    AccessDenied => "ACCESS-DENIED",
    /// The UPS name is not in ups.conf.
    UnknownUps => "UNKNOWN-UPS",
    /// The variable does not exist (or an unknown `server.*` name).
    VarNotSupported => "VAR-NOT-SUPPORTED",
    /// The instant command is not in the UPS's command list.
    CmdNotSupported => "CMD-NOT-SUPPORTED",
    /// Missing, extra or unknown sub-command or argument; also a tracking result.
    InvalidArgument => "INVALID-ARGUMENT",
    /// The INSTCMD could not be written to the driver.
    InstcmdFailed => "INSTCMD-FAILED",
    /// The SET could not be written to the driver, or a STRING var has aux < 1.
    SetFailed => "SET-FAILED",
    /// SET on a variable without the RW flag.
    Readonly => "READONLY",
    /// SET value longer than the STRING:n limit.
    TooLong => "TOO-LONG",
    /// SET value not in the ENUM list or in no RANGE.
    InvalidValue => "INVALID-VALUE",
    /// STARTTLS on a server built without TLS.
    FeatureNotSupported => "FEATURE-NOT-SUPPORTED",
    /// STARTTLS without a certificate; `GET TRACKING <id>` with tracking off.
    FeatureNotConfigured => "FEATURE-NOT-CONFIGURED",
    /// STARTTLS on a connection already in TLS.
    AlreadySslMode => "ALREADY-SSL-MODE",
    /// The UPS's driver is not connected to upsd.
    DriverNotConnected => "DRIVER-NOT-CONNECTED",
    /// The UPS's data is stale.
    DataStale => "DATA-STALE",
    /// A second LOGIN on the connection.
    AlreadyLoggedIn => "ALREADY-LOGGED-IN",
    /// A second USERNAME.
    AlreadySetUsername => "ALREADY-SET-USERNAME",
    /// A second PASSWORD.
    AlreadySetPassword => "ALREADY-SET-PASSWORD",
    /// A privileged command before USERNAME.
    UsernameRequired => "USERNAME-REQUIRED",
    /// A privileged command before PASSWORD.
    PasswordRequired => "PASSWORD-REQUIRED",
    /// Unknown command word, or an empty/comment-only line.
    UnknownCommand => "UNKNOWN-COMMAND",
    /// A `GET TRACKING` result: unknown outcome, id not found or expired.
    Unknown => "UNKNOWN",
    /// A `GET TRACKING` result: the driver reported failure.
    Failed => "FAILED",
    /// Defined by upsd, never sent.
    InvalidPassword => "INVALID-PASSWORD",
    /// Defined by upsd, never sent.
    InvalidUsername => "INVALID-USERNAME",
    /// Defined by upsd, never sent.
    PasswordIncorrect => "PASSWORD-INCORRECT",
    /// Defined by upsd, never sent.
    MissingArgument => "MISSING-ARGUMENT",
    /// Defined by upsd, never sent.
    VarUnknown => "VAR-UNKNOWN",
    /// Defined by upsd, never sent.
    UnknownType => "UNKNOWN-TYPE",
    /// Defined by upsd, never sent.
    UnknownInstcmd => "UNKNOWN-INSTCMD",
    /// Defined by libupsclient's table, never sent.
    UnknownVar => "UNKNOWN-VAR",
}

/// libupsclient's table of server codes, in its lookup order, with the
/// `upscli_strerror` text of the client error each maps to. Codes missing
/// here (INVALID-ARGUMENT, FEATURE-*, ALREADY-SSL-MODE, UNKNOWN, FAILED)
/// map to "Unknown error" in NUT's clients.
const CLIENT_TABLE: &[(ErrorCode, &str)] = &[
    (ErrorCode::VarNotSupported, "Variable not supported by UPS"),
    (ErrorCode::UnknownUps, "Unknown UPS"),
    (ErrorCode::AccessDenied, "Access denied"),
    (ErrorCode::PasswordRequired, "Password required"),
    (ErrorCode::PasswordIncorrect, "Password incorrect"),
    (ErrorCode::MissingArgument, "Missing argument"),
    (ErrorCode::DataStale, "Data stale"),
    (ErrorCode::VarUnknown, "Variable unknown"),
    (ErrorCode::AlreadyLoggedIn, "Already logged in"),
    (ErrorCode::AlreadySetPassword, "Already set password"),
    (ErrorCode::UnknownType, "Unknown variable type"),
    (ErrorCode::UnknownVar, "Unknown variable"),
    (ErrorCode::Readonly, "Read-only variable"),
    (ErrorCode::TooLong, "New value is too long"),
    (ErrorCode::InvalidValue, "Invalid value for variable"),
    (ErrorCode::SetFailed, "Set command failed"),
    (ErrorCode::UnknownInstcmd, "Unknown instant command"),
    (ErrorCode::InstcmdFailed, "Instant command failed"),
    (ErrorCode::CmdNotSupported, "Instant command not supported"),
    (ErrorCode::InvalidUsername, "Invalid username"),
    (ErrorCode::AlreadySetUsername, "Already set username"),
    (ErrorCode::UnknownCommand, "Unknown command"),
    (ErrorCode::InvalidPassword, "Invalid password"),
    (ErrorCode::UsernameRequired, "Username required"),
    (ErrorCode::DriverNotConnected, "Driver not connected"),
];

impl ErrorCode {
    /// The message NUT's clients print for this code (`upscli_strerror`):
    /// `VAR-NOT-SUPPORTED` → "Variable not supported by UPS"; codes
    /// libupsclient does not know give "Unknown error".
    pub fn client_message(self) -> &'static str {
        CLIENT_TABLE.iter().find(|(c, _)| *c == self).map_or("Unknown error", |(_, m)| m)
    }

    /// Whether libupsclient knows this code (otherwise it reports "Unknown
    /// error" for it).
    pub fn known_to_libupsclient(self) -> bool {
        CLIENT_TABLE.iter().any(|(c, _)| *c == self)
    }

    /// libupsclient's matching: the text after `ERR ` is compared by prefix
    /// against its table, in table order. Returns the matched code, or
    /// `None` for "Unknown error".
    pub fn match_like_libupsclient(after_err: &str) -> Option<ErrorCode> {
        CLIENT_TABLE.iter().find(|(c, _)| after_err.starts_with(c.as_str())).map(|(c, _)| *c)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not one of the protocol's error codes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::from_wire(s).ok_or_else(|| UnknownErrorCode(s.to_string()))
    }
}

/// An `ERR` reply: the code and, rarely, extra text after it (upsd only
/// ever sends `ERR ACCESS-DENIED "SSL trust failed"` style extras; the
/// extra is kept verbatim, quotes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorReply {
    /// The code.
    pub code: ErrorCode,
    /// Raw text after `ERR <CODE> `, if any.
    pub extra: Option<String>,
}

impl From<ErrorCode> for ErrorReply {
    fn from(code: ErrorCode) -> Self {
        ErrorReply { code, extra: None }
    }
}

impl fmt::Display for ErrorReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ERR {}", self.code)?;
        if let Some(x) = &self.extra {
            write!(f, " {x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_words_round_trip() {
        assert_eq!(ErrorCode::ALL.len(), 31);
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_wire(c.as_str()), Some(*c));
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(*c));
        }
        assert!("access-denied".parse::<ErrorCode>().is_err());
    }

    #[test]
    fn client_messages() {
        assert_eq!(ErrorCode::VarNotSupported.client_message(), "Variable not supported by UPS");
        assert_eq!(ErrorCode::DriverNotConnected.client_message(), "Driver not connected");
        assert_eq!(ErrorCode::InvalidArgument.client_message(), "Unknown error");
        assert_eq!(ErrorCode::FeatureNotConfigured.client_message(), "Unknown error");
        assert!(!ErrorCode::Unknown.known_to_libupsclient());
        assert_eq!(ErrorCode::match_like_libupsclient("UNKNOWN-UPS"), Some(ErrorCode::UnknownUps));
        assert_eq!(ErrorCode::match_like_libupsclient("ACCESS-DENIED \"x\""), Some(ErrorCode::AccessDenied));
        assert_eq!(ErrorCode::match_like_libupsclient("UNKNOWN"), None);
    }
}
