//! The error a person or a script sees from a server function: a status, a stable code and a
//! plain message. Built from [`DomainError`] (one mapping, in the domain) or from server_fn's
//! own failures (a malformed payload is the caller's mistake: 400, never 500).

use domain::DomainError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds to wait before trying again (sent as `Retry-After` with a 429).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.into(), message: message.into(), retry_after: None }
    }
}

/// What a person reads when a call to the REST API fails: the body's `error.message` (the
/// shape every REST error has), or the status when the body holds none.
pub fn rest_failure(status: u16, body: &serde_json::Value) -> String {
    body.pointer("/error/message")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| format!("The server answered {status}."), str::to_owned)
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        if err.is_internal() {
            #[cfg(feature = "ssr")]
            tracing::error!(error = %err, "request failed");
        }
        Self { retry_after: err.retry_after(), ..Self::new(err.status(), err.code(), err.public_message()) }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::MissingArg(detail)
            | ServerFnErrorErr::Deserialization(detail) => {
                Self::new(400, "bad_request", format!("The request was malformed: {detail}"))
            }
            ServerFnErrorErr::UnsupportedRequestMethod(detail) => {
                Self::new(405, "method_not_allowed", detail)
            }
            ServerFnErrorErr::Registration(detail) => Self::new(404, "not_found", detail),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::new(
                503,
                "unreachable",
                "Could not reach the server. Check your connection and try again.",
            ),
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                let _ = other;
                Self::new(500, "internal", "Something went wrong on our side. It has been logged.")
            }
        }
    }
}
