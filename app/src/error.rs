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
            .answering()
    }
}

impl AppError {
    /// Made while answering a server function call, the error sets that response's status and
    /// `Retry-After` (server_fn itself answers every error with 500). Pages set theirs where
    /// they show an error (`ErrorBox`), and REST handlers through `IntoResponse`.
    fn answering(self) -> Self {
        #[cfg(feature = "ssr")]
        {
            use leptos::prelude::use_context;
            let server_fn_call = use_context::<http::request::Parts>()
                .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
            if let (true, Some(response)) = (server_fn_call, use_context::<leptos_axum::ResponseOptions>()) {
                if let Ok(status) = http::StatusCode::from_u16(self.status) {
                    response.set_status(status);
                }
                if let Some(seconds) = self.retry_after {
                    response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
                }
            }
        }
        self
    }
}

/// A REST answer: `{"error": {"code", "message"}}` with the error's status (and `Retry-After`).
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status =
            http::StatusCode::from_u16(self.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let mut res = (status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            res.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        res
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::from_server_fn_failure(value).answering()
    }
}

impl AppError {
    fn from_server_fn_failure(value: ServerFnErrorErr) -> Self {
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
