//! The session cookie: HttpOnly (scripts can't read it), SameSite=Lax (not sent on cross-site
//! posts), Secure when the request came over https, and a fixed lifetime.

use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

pub const COOKIE: &str = "folio_session";

/// The session token in the request's cookies, if any.
pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// True when the client reached us over https (directly, or through a proxy that says so).
pub fn is_https(parts: &Parts) -> bool {
    is_https_request(&parts.uri, &parts.headers)
}

pub fn is_https_request(uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    uri.scheme_str() == Some("https")
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

pub fn set(token: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        domain::accounts::auth::SESSION_SECONDS
    )
}

pub fn clear(https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// Who is making this request, if anyone: an API token (`Authorization: Bearer folio_…`), the
/// session cookie, or (when configured) the Cloudflare Access identity, in that order.
pub async fn viewer(
    ports: &domain::Ports,
    headers: &HeaderMap,
) -> Result<Option<domain::accounts::auth::User>, domain::DomainError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match (bearer, token(headers)) {
        (Some(api_token), _) => domain::accounts::auth::token_user(ports, api_token).await,
        (None, Some(session)) => match domain::accounts::auth::session_user(ports, &session).await? {
            Some(user) => Ok(Some(user)),
            None => access_user(ports, headers).await,
        },
        (None, None) => access_user(ports, headers).await,
    }
}

async fn access_user(
    ports: &domain::Ports,
    headers: &HeaderMap,
) -> Result<Option<domain::accounts::auth::User>, domain::DomainError> {
    let assertion = headers.get(domain::accounts::access::HEADER).and_then(|v| v.to_str().ok());
    domain::accounts::access::user(ports, assertion).await
}

/// [`viewer`], required: `Unauthorized` when nobody with an account is making the request.
pub async fn actor(
    ports: &domain::Ports,
    headers: &HeaderMap,
) -> Result<domain::accounts::auth::User, domain::DomainError> {
    viewer(ports, headers)
        .await?
        .ok_or_else(|| domain::DomainError::Unauthorized("Sign in, or send an API token, first.".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(cookie: &str, proto: Option<&str>) -> Parts {
        let mut req = Request::get("/").header(header::COOKIE, cookie);
        if let Some(proto) = proto {
            req = req.header("x-forwarded-proto", proto);
        }
        req.body(()).expect("request").into_parts().0
    }

    #[test]
    fn reads_the_session_cookie_among_others() {
        assert_eq!(token(&parts("a=1; folio_session=abc; b=2", None).headers).as_deref(), Some("abc"));
        assert_eq!(token(&parts("folio_sessionx=abc", None).headers), None);
    }

    #[test]
    fn secure_only_over_https() {
        assert!(is_https(&parts("", Some("https"))));
        assert!(!is_https(&parts("", None)));
        assert!(set("t", true).contains("; Secure"));
        assert!(set("t", false).contains("HttpOnly; SameSite=Lax"));
        assert!(!set("t", false).contains("Secure"));
        assert!(clear(false).contains("Max-Age=0"));
    }
}
