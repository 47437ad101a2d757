//! The session cookie: HttpOnly (scripts can't read it), SameSite=Lax (not sent on cross-site
//! posts), Secure when the request came over https, and a fixed lifetime.

use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use cookie::time::Duration;
use cookie::{Cookie, SameSite};

pub const COOKIE: &str = "folio_session";

/// The session token in the request's cookies, if any.
pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
}

/// True when the client reached us over https (directly, or through a proxy that says so).
pub fn is_https(parts: &Parts) -> bool {
    is_https_request(&parts.uri, &parts.headers)
}

pub fn is_https_request(uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    uri.scheme_str() == Some("https")
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// The `Set-Cookie` value that starts a session.
pub fn set(token: &str, https: bool) -> String {
    session_cookie(token.to_owned(), domain::accounts::auth::SESSION_SECONDS, https)
}

/// The `Set-Cookie` value that ends it.
pub fn clear(https: bool) -> String {
    session_cookie(String::new(), 0, https)
}

fn session_cookie(value: String, max_age_secs: i64, https: bool) -> String {
    Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .max_age(Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

/// Who is making this request, if anyone: an API token (`Authorization: Bearer folio_…`), the
/// session cookie, or (when configured) the Cloudflare Access identity, in that order.
pub async fn viewer(
    site: &domain::Site,
    headers: &HeaderMap,
) -> Result<Option<domain::accounts::auth::User>, domain::DomainError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match (bearer, token(headers)) {
        (Some(api_token), _) => domain::accounts::auth::token_user(&site.ports, api_token).await,
        (None, Some(session)) => match domain::accounts::auth::session_user(&site.ports, &session).await? {
            Some(user) => Ok(Some(user)),
            None => access_user(site, headers).await,
        },
        (None, None) => access_user(site, headers).await,
    }
}

async fn access_user(
    site: &domain::Site,
    headers: &HeaderMap,
) -> Result<Option<domain::accounts::auth::User>, domain::DomainError> {
    let assertion = headers.get(domain::accounts::access::HEADER).and_then(|v| v.to_str().ok());
    domain::accounts::access::user(site, assertion).await
}

/// [`viewer`], required: `Unauthorized` when nobody with an account is making the request.
pub async fn actor(
    site: &domain::Site,
    headers: &HeaderMap,
) -> Result<domain::accounts::auth::User, domain::DomainError> {
    viewer(site, headers)
        .await?
        .ok_or_else(|| domain::DomainError::Unauthorized("Sign in, or send an API token, first.".into()))
}

/// The signed-in account making a REST request ([`actor`]), as an extractor: a handler that
/// takes one is refused with 401 before it runs.
pub struct Actor(pub domain::accounts::auth::User);

impl<S> axum::extract::FromRequestParts<S> for Actor
where
    domain::Site: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = crate::error::AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let site = <domain::Site as axum::extract::FromRef<S>>::from_ref(state);
        Ok(Self(actor(&site, &parts.headers).await?))
    }
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
