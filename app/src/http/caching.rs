//! HTTP caching of pages. An anonymous reader's page gets a weak `ETag` made from its content
//! with this response's CSP nonce left out (the nonce is new on every response, the content is
//! not), and a `304 Not Modified` when the reader already has it. A signed-in page (editor
//! controls, the account's email) is never stored anywhere: `private, no-store`.
//!
//! Natively, a page whose render offered it ([`super::page_cache::allow`]) is also kept in
//! memory and served to the next anonymous readers until the database is written to
//! ([`super::page_cache`]); `X-Cache: HIT` marks a page served that way.
//!
//! A 304 carries no `Content-Security-Policy`: the browser keeps the stored page together with
//! the stored policy whose nonce that page's scripts have.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Site;
use headers::{ETag, HeaderMapExt, IfNoneMatch};
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::page_cache::{Offer, Page, PageCache};
use super::security::CspNonce;

/// Anonymous pages: revalidate on every view (a 304 is cheap), and a shared cache may answer
/// with the last copy for half a minute while it revalidates.
pub const PAGE_CACHE: &str = "public, max-age=0, stale-while-revalidate=30";
/// Pages for someone signed in.
pub const PRIVATE_PAGE: &str = "private, no-store";
/// Says whether the page came from the kept pages (`HIT`) or was rendered and kept (`MISS`).
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// What the page layer reads: the kept pages (`None` where this host cannot see every write)
/// and the site (the database's write count, the views a hit counts).
#[derive(Clone)]
pub struct Pages {
    cache: Option<Arc<PageCache>>,
    site: Site,
}

impl Pages {
    /// Keeps pages only if `keep` and the database counts its writes ([`domain::Db::writes`]).
    pub fn new(site: Site, keep: bool) -> Self {
        let cache = (keep && site.ports.db.writes().is_some()).then(|| Arc::new(PageCache::default()));
        Self { cache, site }
    }
}

pub(super) async fn pages(State(pages): State<Pages>, mut req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let signed_in = headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key(domain::accounts::access::HEADER)
        || super::session::token(headers).is_some();
    let nonce = req.extensions().get::<CspNonce>().map(|n| n.0.clone());
    let if_none_match = headers.typed_get::<IfNoneMatch>();
    // Only an anonymous reader's GET is answered from, or kept in, the cache.
    let keep = match (&pages.cache, pages.site.ports.db.writes(), req.uri().path_and_query()) {
        (Some(cache), Some(writes), Some(key)) if !signed_in && req.method() == Method::GET => {
            Some((cache.clone(), writes, key.as_str().to_owned()))
        }
        _ => None,
    };
    if let Some((cache, writes, key)) = &keep {
        if let Some(page) = cache.get(key, *writes) {
            if let Some(document_id) = page.view {
                domain::documents::record_view_later(&pages.site, document_id);
            }
            let mut res = Response::new(Body::from(page.body(nonce.as_deref())));
            *res.headers_mut() = page.headers.clone();
            let mut res = public(res, &page.etag, if_none_match.as_ref());
            // On the 304 too: a browser revalidating its copy is answered from the kept page.
            res.headers_mut().insert(X_CACHE, HeaderValue::from_static("HIT"));
            return res;
        }
    }
    let offer = Offer::default();
    if keep.is_some() {
        req.extensions_mut().insert(offer.clone());
    }
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
    if let (Some((cache, writes, key)), Some(view)) = (keep, offer.taken()) {
        if !parts.headers.contains_key(header::SET_COOKIE) {
            let page = Page::new(writes, parts.headers.clone(), &bytes, nonce.as_deref(), etag.clone(), view);
            cache.put(key, page);
            parts.headers.insert(X_CACHE, HeaderValue::from_static("MISS"));
        }
    }
    public(Response::from_parts(parts, Body::from(bytes)), &etag, if_none_match.as_ref())
}

/// An anonymous page with its caching headers, or a `304` when the reader has it already.
fn public(mut res: Response, etag: &str, if_none_match: Option<&IfNoneMatch>) -> Response {
    let mut cache_headers = HeaderMap::new();
    cache_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
    // The same URL is a different page once signed in.
    cache_headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        cache_headers.insert(header::ETAG, value);
    }
    if if_none_match.is_some_and(|v| has(v, etag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        not_modified.headers_mut().extend(cache_headers);
        return not_modified;
    }
    res.headers_mut().extend(cache_headers);
    res
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

/// The reader already has `etag` (weak comparison, RFC 9110 §13.1.2: `*`, or any tag in the
/// list equal to it apart from `W/`).
pub(super) fn has(if_none_match: &IfNoneMatch, etag: &str) -> bool {
    etag.parse::<ETag>().is_ok_and(|tag| !if_none_match.precondition_passes(&tag))
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
        let header = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            headers.typed_get::<IfNoneMatch>().expect("a valid If-None-Match")
        };
        let tag = "W/\"abc\"";
        assert!(has(&header("W/\"abc\""), tag));
        assert!(has(&header("\"x\", \"abc\""), tag));
        assert!(has(&header("*"), tag));
        assert!(!has(&header("W/\"abd\""), tag));
        assert!(has(&header("\"abc\""), "\"abc\""), "a stored file's strong tag");
    }
}
