//! Layers every route shares: refusing cross-site writes.

use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::DomainError;

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
            return AppError::from(DomainError::Forbidden(
                "Requests from other sites can’t change anything here.".into(),
            ))
            .into_response();
        }
    }
    next.run(req).await
}
