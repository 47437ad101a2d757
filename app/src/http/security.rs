//! Security headers for every response, the per-response CSP nonce, and who the client is.
//!
//! - Every response: `nosniff`, a referrer policy, `Cross-Origin-Opener-Policy`, a restrictive
//!   `Permissions-Policy`, no framing, and HSTS when the request came over https.
//! - Every HTML page: a `Content-Security-Policy` whose scripts run only with this response's
//!   nonce. The nonce is made here and handed to Leptos (which puts it on its own scripts)
//!   through a request extension, so the header and the page always agree.
//! - Responses that set their own CSP (stored files: `sandbox`) keep it.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::net::IpAddr;
use std::sync::Arc;

/// This response's CSP nonce, as a request extension for the page renderer.
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

/// Where the client's address comes from. Never a header a client can simply set, unless the
/// operator says a proxy in front of Folio overwrites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientIpSource {
    /// The TCP peer (native, facing the internet).
    #[default]
    Peer,
    /// The last `X-Forwarded-For` entry, which the trusted proxy appended (native, behind one).
    ForwardedFor,
    /// `CF-Connecting-IP`, which Cloudflare sets and a client cannot forge (Workers).
    CfConnectingIp,
}

/// The TCP peer's address, as a request extension set by a host that has one (native: from
/// axum's `ConnectInfo`, which needs a runtime this crate does not build with on Workers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub IpAddr);

/// The client's address as [`ClientIpSource`] resolved it (`None` when unknown, e.g. tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub Option<String>);

/// A handler's client, as [`client_addr`] recorded it (unknown when it did not run).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_of(parts).map(str::to_owned)))
    }
}

impl ClientIpSource {
    fn resolve(self, req: &Request) -> Option<String> {
        let peer = || req.extensions().get::<PeerAddr>().map(|p| p.0.to_string());
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        match self {
            Self::Peer => peer(),
            Self::ForwardedFor => header("x-forwarded-for")
                .and_then(|v| v.rsplit(',').map(str::trim).find(|s| !s.is_empty()))
                .map(str::to_owned)
                .or_else(peer),
            Self::CfConnectingIp => header("cf-connecting-ip").map(|v| v.trim().to_owned()),
        }
    }
}

/// The client's address recorded on these request parts, if known.
pub fn client_of(parts: &axum::http::request::Parts) -> Option<&str> {
    parts.extensions.get::<ClientAddr>().and_then(|a| a.0.as_deref())
}

/// Records the client's address on the request for the handlers (sign-in throttling).
pub async fn client_addr(State(source): State<ClientIpSource>, mut req: Request, next: Next) -> Response {
    let addr = ClientAddr(source.resolve(&req));
    req.extensions_mut().insert(addr);
    next.run(req).await
}

/// The policy of every HTML page. Scripts: this response's nonce (Leptos's inline hydration
/// script), this origin (the hydrate bundle it imports and preloads; no stored file is served
/// as script: they are `nosniff` with non-script types), and compiling wasm. No plugins, no
/// `<base>`, no framing, forms post only here. Images may come from https sites (Markdown often
/// embeds them); everything else is this origin only.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' https: data:; object-src 'none'; base-uri 'none'; frame-src 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// Stored files never run as a page of this site: a sandboxed origin without scripts, even if
/// a browser is made to render one.
pub const STORED_FILE_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

const PERMISSIONS_POLICY: &str =
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

/// Adds the security headers (see the module docs) to every response.
pub async fn headers(mut req: Request, next: Next) -> Response {
    let https = crate::http::session::is_https_request(req.uri(), req.headers());
    let nonce = match domain::accounts::auth::random_hex::<16>() {
        Ok(nonce) => Some(Arc::<str>::from(nonce)),
        Err(err) => {
            // Without a nonce the page still renders and reads; only its scripts are refused.
            tracing::error!(%err, "no CSP nonce");
            None
        }
    };
    if let Some(nonce) = &nonce {
        req.extensions_mut().insert(CspNonce(nonce.clone()));
    }
    let mut res = next.run(req).await;
    let is_html = is_html(res.headers());
    let h = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(HeaderName::from_static("permissions-policy"), PERMISSIONS_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    if is_html && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = page_policy(nonce.as_deref().unwrap_or("unavailable"));
        if let Ok(value) = HeaderValue::from_str(&policy) {
            h.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    res
}

pub(super) fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// Hands this response's nonce to Leptos, which puts it on the scripts it writes. Called in the
/// router's per-request context, after leptos_axum provided a nonce of its own (replaced here,
/// so the page and the header agree).
pub fn provide_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().map(|n| n.0.clone()));
    if let Some(nonce) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(headers: &[(&str, &str)], peer: Option<&str>) -> Request {
        let mut req = Request::get("/").body(Body::empty()).expect("request");
        for (name, value) in headers {
            req.headers_mut().insert(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        if let Some(peer) = peer {
            req.extensions_mut().insert(PeerAddr(peer.parse().expect("addr")));
        }
        req
    }

    #[test]
    fn the_client_address_comes_only_from_where_the_operator_says() {
        let spoofed = [("x-forwarded-for", "6.6.6.6"), ("cf-connecting-ip", "7.7.7.7")];
        let req = request(&spoofed, Some("192.0.2.9"));
        assert_eq!(ClientIpSource::Peer.resolve(&req).as_deref(), Some("192.0.2.9"));
        assert_eq!(ClientIpSource::CfConnectingIp.resolve(&req).as_deref(), Some("7.7.7.7"));
        let proxied = request(&[("x-forwarded-for", "6.6.6.6, 198.51.100.4")], Some("10.0.0.1"));
        assert_eq!(ClientIpSource::ForwardedFor.resolve(&proxied).as_deref(), Some("198.51.100.4"));
        let direct = request(&[], Some("10.0.0.1"));
        assert_eq!(ClientIpSource::ForwardedFor.resolve(&direct).as_deref(), Some("10.0.0.1"));
        assert_eq!(ClientIpSource::Peer.resolve(&request(&[], None)), None);
    }

    #[test]
    fn page_policy_allows_scripts_only_by_nonce_and_from_this_origin() {
        let policy = page_policy("abc123");
        let script =
            policy.split(';').map(str::trim).find(|d| d.starts_with("script-src")).expect("script-src");
        assert_eq!(script, "script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'");
        assert!(!policy.contains("unsafe-inline") && !policy.contains(" 'unsafe-eval'"));
        for directive in
            ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]
        {
            assert!(policy.contains(directive), "{directive}");
        }
    }
}
