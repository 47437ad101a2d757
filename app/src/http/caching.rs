//! HTTP caching of pages. An anonymous reader's page gets a weak `ETag` made from its content
//! with this response's CSP nonce left out (the nonce is new on every response, the content is
//! not), and a `304 Not Modified` when the reader already has it. A signed-in page (editor
//! controls, the account's email) is never stored anywhere: `private, no-store`.
//!
//! A 304 carries no `Content-Security-Policy`: the browser keeps the stored page together with
//! the stored policy whose nonce that page's scripts have.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::security::CspNonce;

/// Anonymous pages: revalidate on every view (a 304 is cheap), and a shared cache may answer
/// with the last copy for half a minute while it revalidates.
pub const PAGE_CACHE: &str = "public, max-age=0, stale-while-revalidate=30";
/// Pages for someone signed in.
pub const PRIVATE_PAGE: &str = "private, no-store";

pub(super) async fn pages(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let signed_in =
        req.headers().contains_key(header::AUTHORIZATION) || super::session::token(req.headers()).is_some();
    let nonce = req.extensions().get::<CspNonce>().map(|n| n.0.clone());
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let mut res = next.run(req).await;
    if res.status() != StatusCode::OK || !super::security::is_html(res.headers()) {
        return res;
    }
    if signed_in {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE_PAGE));
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let etag = page_etag(&bytes, nonce.as_deref());
    let mut cache_headers = HeaderMap::new();
    cache_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
    // The same URL is a different page once signed in.
    cache_headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        cache_headers.insert(header::ETAG, value);
    }
    if if_none_match.as_ref().is_some_and(|v| matches_etag(v, &etag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        not_modified.headers_mut().extend(cache_headers);
        return not_modified;
    }
    parts.headers.extend(cache_headers);
    Response::from_parts(parts, Body::from(bytes))
}

/// `W/"…"`: the first 128 bits of SHA-256 over the page with every occurrence of `nonce`
/// removed. Weak, because compression may re-encode the bytes.
fn page_etag(page: &[u8], nonce: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    match (nonce.filter(|n| !n.is_empty()), std::str::from_utf8(page)) {
        (Some(nonce), Ok(text)) => text.split(nonce).for_each(|piece| hasher.update(piece.as_bytes())),
        _ => hasher.update(page),
    }
    let digest = hasher.finalize();
    format!("W/\"{}\"", hex::encode(&digest[..16]))
}

/// `If-None-Match` holds `*` or a list of tags; weak comparison (RFC 9110 §13.1.2).
fn matches_etag(header: &HeaderValue, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    header.to_str().is_ok_and(|list| list.split(',').any(|t| t.trim() == "*" || bare(t) == bare(etag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_ignores_the_nonce_but_not_the_content() {
        let a = page_etag(b"<script nonce=\"n1\"></script><p>hi</p>", Some("n1"));
        let b = page_etag(b"<script nonce=\"n2\"></script><p>hi</p>", Some("n2"));
        let c = page_etag(b"<script nonce=\"n3\"></script><p>ho</p>", Some("n3"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("W/\"") && a.len() == 2 + 1 + 32 + 1, "{a}");
    }

    #[test]
    fn if_none_match_compares_weakly_and_in_lists() {
        let tag = "W/\"abc\"";
        assert!(matches_etag(&HeaderValue::from_static("W/\"abc\""), tag));
        assert!(matches_etag(&HeaderValue::from_static("\"x\", \"abc\""), tag));
        assert!(matches_etag(&HeaderValue::from_static("*"), tag));
        assert!(!matches_etag(&HeaderValue::from_static("W/\"abd\""), tag));
    }
}
