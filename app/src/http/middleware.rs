//! Layers every route shares: refusing cross-site writes, and giving server functions' errors
//! their real status.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::DomainError;

use super::rest::{set_retry_after, ApiError};
use crate::error::AppError;

/// Refuses writes from other sites (CSRF): browsers send `Origin` on every cross-site POST, so
/// an `Origin` that is not this host means a forged form or script. Requests without `Origin`
/// (curl, scripts with tokens) pass; the session cookie is also SameSite=Lax.
pub(super) async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let ours = req
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned));
        let theirs = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, authority)| authority);
        if theirs.is_none() || theirs != ours.as_deref() {
            tracing::warn!(?origin, ?ours, "refused a cross-site write");
            return ApiError(DomainError::Forbidden(
                "Requests from other sites can’t change anything here.".into(),
            ))
            .into_response();
        }
    }
    next.run(req).await
}

/// server_fn answers every error with 500; our errors carry their real status, so restore it
/// here, once, for all server functions (a malformed payload becomes 400, a missing doc 404).
pub(super) async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let err = serde_json::from_slice::<AppError>(&bytes).ok();
    if let Some(err) = &err {
        parts.status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let mut res = Response::from_parts(parts, Body::from(bytes));
    set_retry_after(&mut res, err.and_then(|e| e.retry_after));
    res
}
