//! One error type per port, rolled into [`DomainError`], which knows its HTTP status once.
//! Internal detail goes to logs; [`DomainError::public_message`] is what a person sees.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("constraint violated: {0}")]
    Constraint(String),
    #[error("query failed: {0}")]
    Query(String),
    #[error("row did not decode: {0}")]
    Decode(String),
    #[error("the query returned no row")]
    NoRow,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BlobError {
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
    #[error("blob store I/O failed: {0}")]
    Io(String),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum VectorError {
    #[error("vector index unavailable: {0}")]
    Unavailable(String),
    #[error("vector index request failed: {0}")]
    Request(String),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AiError {
    #[error("model unavailable: {0}")]
    Unavailable(String),
    #[error("model request failed: {0}")]
    Request(String),
    /// The model is working on another request and takes no more now (not a failure).
    #[error("model busy: {0}")]
    Busy(String),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PasswordError {
    #[error("this host cannot check {0} password hashes")]
    Unsupported(String),
    #[error("password hashing failed: {0}")]
    Failed(String),
    /// Every hashing slot is taken: the request is turned away at once, not queued (each hash
    /// costs a core and 19 MiB natively). Not a failure: `429`, try again in a moment.
    #[error("password hashing is busy")]
    Busy,
}

/// A conversion of an uploaded file ended without an answer ([`crate::ports::Converter`]).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// The converter died on this file: the file's doing, so its version fails, never retried.
    #[error("the {file} converter {why}")]
    Stopped { file: &'static str, why: Stopped },
    /// No converter could run (a process would not start, or answered nonsense): ours, retried.
    #[error("converter unavailable: {0}")]
    Unavailable(String),
}

/// How a converter died, in words that finish "the converter …".
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    #[error("crashed on it")]
    Crashed,
    #[error("needed more than {limit_mib} MiB of memory")]
    OutOfMemory { limit_mib: u64 },
    #[error("took longer than {limit_secs} seconds")]
    TooSlow { limit_secs: u64 },
}

/// Seconds to wait when the password hasher was busy: a hash takes a fraction of one.
pub const PASSWORDS_BUSY_RETRY_SECS: u64 = 1;

/// Everything a use case can fail with.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input: {0}")]
    BadInput(String),
    #[error("not signed in: {0}")]
    Unauthorized(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("read-only: {0}")]
    ReadOnly(String),
    /// Too many failed sign-ins from one account or address; try again after this many seconds.
    #[error("throttled for {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// Too many people are being answered at once; try again after this many seconds.
    #[error("crowded for {retry_after_secs} s")]
    Crowded { retry_after_secs: u64 },
    /// One client used its share of searches or questions; try again after this many seconds.
    #[error("over the per-client limit for {what} for {retry_after_secs} s")]
    OverLimit { what: &'static str, retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Vector(#[from] VectorError),
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// Our own failure outside a port: no randomness, corrupt stored data. A 500 with a
    /// generic message; the detail goes to the logs only.
    #[error("internal: {0}")]
    Internal(String),
}

impl DomainError {
    /// The one mapping from domain failures to HTTP status codes.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::BadInput(_) | Self::Convert(ConvertError::Stopped { .. }) => 400,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::Conflict(_) => 409,
            Self::TooLarge(_) => 413,
            Self::Unsupported(_) => 415,
            Self::ReadOnly(_) => 503,
            Self::Throttled { .. }
            | Self::Crowded { .. }
            | Self::OverLimit { .. }
            | Self::Password(PasswordError::Busy) => 429,
            Self::Db(DbError::Constraint(_)) => 409,
            Self::Db(DbError::Unavailable(_))
            | Self::Blob(BlobError::Unavailable(_))
            | Self::Vector(VectorError::Unavailable(_))
            | Self::Ai(AiError::Unavailable(_) | AiError::Busy(_))
            | Self::Convert(ConvertError::Unavailable(_)) => 503,
            Self::Db(_)
            | Self::Blob(_)
            | Self::Vector(_)
            | Self::Ai(_)
            | Self::Password(_)
            | Self::Internal(_) => 500,
        }
    }

    /// A failure of ours (storage, a model, hashing) rather than of the request or a deliberate
    /// refusal: worth an error in the logs.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Db(_)
                | Self::Blob(_)
                | Self::Vector(_)
                | Self::Ai(_)
                | Self::Password(PasswordError::Unsupported(_) | PasswordError::Failed(_))
                | Self::Convert(ConvertError::Unavailable(_))
                | Self::Internal(_)
        )
    }

    /// Seconds a client should wait before trying again (`Retry-After`), when that is the answer.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Throttled { retry_after_secs }
            | Self::Crowded { retry_after_secs }
            | Self::OverLimit { retry_after_secs, .. } => Some(*retry_after_secs),
            Self::Password(PasswordError::Busy) => Some(PASSWORDS_BUSY_RETRY_SECS),
            _ => None,
        }
    }

    /// Stable machine-readable code for JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::BadInput(_) | Self::Convert(ConvertError::Stopped { .. }) => "bad_input",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict(_) => "conflict",
            Self::TooLarge(_) => "too_large",
            Self::Unsupported(_) => "unsupported_type",
            Self::ReadOnly(_) => "read_only",
            Self::Throttled { .. } => "too_many_attempts",
            Self::OverLimit { .. } => "rate_limited",
            Self::Crowded { .. } | Self::Password(PasswordError::Busy) => "busy",
            Self::Db(DbError::Constraint(_)) => "conflict",
            _ if self.status() == 503 => "unavailable",
            _ => "internal",
        }
    }

    /// What a person is shown: never internal detail such as SQL or paths.
    pub fn public_message(&self) -> String {
        match self {
            Self::NotFound(what) => format!("That {what} does not exist."),
            Self::BadInput(why)
            | Self::Unauthorized(why)
            | Self::Forbidden(why)
            | Self::Conflict(why)
            | Self::TooLarge(why)
            | Self::Unsupported(why)
            | Self::ReadOnly(why) => why.clone(),
            Self::Throttled { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                format!("Too many failed sign-ins. Wait {minutes} {unit}, then try again.")
            }
            Self::Crowded { retry_after_secs } => {
                format!("Many people are asking right now. Try again in {retry_after_secs} seconds.")
            }
            Self::OverLimit { what, retry_after_secs } => {
                let wait = if *retry_after_secs > 90 {
                    format!("{} minutes", retry_after_secs.div_ceil(60))
                } else {
                    format!("{} seconds", retry_after_secs.max(&1))
                };
                format!("You have sent many {what} in a short time. Try again in {wait}.")
            }
            Self::Password(PasswordError::Busy) => {
                "Many people are signing in right now. Try again in a moment.".into()
            }
            Self::Db(DbError::Constraint(_)) => "That conflicts with existing data.".into(),
            Self::Convert(ConvertError::Stopped { file, why }) => {
                format!("This {file} could not be read: the converter {why}.")
            }
            _ if self.status() == 503 => {
                "The service is temporarily unavailable. Please try again shortly.".into()
            }
            _ => "Something went wrong on our side. It has been logged.".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_once() {
        assert_eq!(DomainError::NotFound("document").status(), 404);
        assert_eq!(DomainError::BadInput("x".into()).status(), 400);
        assert_eq!(DomainError::Unauthorized("x".into()).status(), 401);
        assert_eq!(DomainError::Forbidden("x".into()).status(), 403);
        assert_eq!(DomainError::from(PasswordError::Failed("x".into())).status(), 500);
        assert!(DomainError::from(DbError::Unavailable("x".into())).is_internal());
        assert!(!DomainError::ReadOnly("paused".into()).is_internal(), "a deliberate 503 is no error");
        assert_eq!(DomainError::from(DbError::Unavailable("x".into())).status(), 503);
        assert_eq!(DomainError::from(DbError::Query("x".into())).status(), 500);
        assert_eq!(DomainError::from(DbError::Constraint("x".into())).status(), 409);
        let throttled = DomainError::Throttled { retry_after_secs: 61 };
        assert_eq!((throttled.status(), throttled.retry_after()), (429, Some(61)));
        assert!(throttled.public_message().contains("Wait 2 minutes"), "{}", throttled.public_message());
        let busy = DomainError::from(PasswordError::Busy);
        assert_eq!((busy.status(), busy.retry_after(), busy.code()), (429, Some(1), "busy"));
        assert!(!busy.is_internal(), "a full hasher turns people away; nothing failed");
        let bomb = DomainError::from(ConvertError::Stopped {
            file: "PDF",
            why: Stopped::OutOfMemory { limit_mib: 1024 },
        });
        assert_eq!((bomb.status(), bomb.code(), bomb.is_internal()), (400, "bad_input", false));
        assert_eq!(
            bomb.public_message(),
            "This PDF could not be read: the converter needed more than 1024 MiB of memory."
        );
        let down = DomainError::from(ConvertError::Unavailable("spawn failed: /usr/bin/folio".into()));
        assert!(down.is_internal(), "retried, like storage");
        assert!(!down.public_message().contains("/usr"));
    }

    #[test]
    fn public_message_hides_internals() {
        let err = DomainError::from(DbError::Query("SELECT secret FROM t".into()));
        assert!(!err.public_message().contains("SELECT"));
        assert_eq!(err.code(), "internal");
        let err = DomainError::from(BlobError::Unavailable("/var/data".into()));
        assert!(!err.public_message().contains("/var"));
        assert_eq!(err.code(), "unavailable");
        let err = DomainError::Internal("stored text at /srv/blobs/ab is not UTF-8".into());
        assert_eq!((err.status(), err.code()), (500, "internal"));
        assert!(err.is_internal() && !err.public_message().contains("UTF-8"));
    }
}
