//! Optional trust of Cloudflare Access. Behind Access, Cloudflare's edge adds
//! `Cf-Access-Jwt-Assertion` to every request: an RS256 JWT signed with the team's keys
//! (published at `<team>/cdn-cgi/access/certs`). When configured, a valid token whose email
//! belongs to a Folio account signs that account in; roles stay Folio's, and an email without
//! an account stays a reader. Off unless both the team domain and the audience tag are set.
//!
//! The check is pure Rust (rsa + sha2), so both hosts run the same code; only fetching the keys
//! goes through a port ([`KeySource`]), and the keys are cached. Not jsonwebtoken: its only
//! wasm32-capable backend (`rust_crypto`) also brings ed25519-dalek, p256 and p384 into the
//! Worker's size-budgeted wasm, for one algorithm we verify in a page of code.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use rsa::{BigUint, RsaPublicKey};
use serde::Deserialize;
use sha2::Sha256;

use crate::accounts::auth::User;
use crate::error::DomainError;
use crate::site::Site;

/// The request header Cloudflare Access adds.
pub const HEADER: &str = "cf-access-jwt-assertion";

/// Keys are refetched after this long, or sooner when a token names an unknown key (rotation),
/// but not more than once a minute.
const KEYS_MAX_AGE_SECONDS: i64 = 3600;
const REFETCH_MIN_SECONDS: i64 = 60;
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: i64 = 60;

/// Fetches the team's JSON Web Key Set (natively over HTTPS, on the Worker with `fetch`).
#[async_trait]
pub trait KeySource: Send + Sync {
    async fn fetch(&self, url: &str) -> Result<String, KeyFetchError>;
}

/// The key set could not be fetched (network, status, body), in the host's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyFetchError(pub String);

/// Why [`verify`] refused a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a JWT")]
    NotAJwt,
    #[error("malformed {part}: {why}")]
    Malformed { part: &'static str, why: String },
    #[error("unexpected algorithm {0}")]
    Algorithm(String),
    /// The cached key set lacks the token's key id (keys rotated): worth one refetch.
    #[error("no key with that id")]
    UnknownKey,
    #[error("the signature does not match")]
    Signature,
    #[error("issued for another application")]
    Audience,
    #[error("issued by {0}, not the configured team")]
    Issuer(String),
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("no email (a service token?)")]
    NoEmail,
}

fn malformed(part: &'static str) -> impl Fn(String) -> Refused {
    move |why| Refused::Malformed { part, why }
}

/// What to trust: the team (`https://myteam.cloudflareaccess.com`) and the application's
/// audience tag (from the Access application's overview page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    pub issuer: String,
    pub audience: String,
}

impl AccessConfig {
    /// From the two settings; `None` (off) unless both are set. A bare team domain means https.
    pub fn from_settings(team_domain: Option<&str>, audience: Option<&str>) -> Option<Self> {
        let team = team_domain.map(str::trim).filter(|t| !t.is_empty())?;
        let audience = audience.map(str::trim).filter(|a| !a.is_empty())?;
        let issuer = if team.contains("://") { team.to_owned() } else { format!("https://{team}") };
        Some(Self { issuer: issuer.trim_end_matches('/').to_owned(), audience: audience.to_owned() })
    }

    pub fn certs_url(&self) -> String {
        format!("{}/cdn-cgi/access/certs", self.issuer)
    }
}

#[derive(Debug, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct Claims {
    aud: Audience,
    iss: String,
    exp: i64,
    nbf: Option<i64>,
    email: Option<String>,
}

/// Checks a token against a key set; returns the email it vouches for.
pub fn verify(jwks: &str, token: &str, config: &AccessConfig, now: i64) -> Result<String, Refused> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::NotAJwt);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| malformed("base64")(e.to_string()));
    let header: Header =
        serde_json::from_slice(&decode(header)?).map_err(|e| malformed("header")(e.to_string()))?;
    if header.alg != "RS256" {
        return Err(Refused::Algorithm(header.alg));
    }
    let jwks: Jwks = serde_json::from_str(jwks).map_err(|e| malformed("key set")(e.to_string()))?;
    let key = jwks
        .keys
        .iter()
        .find(|k| k.kty == "RSA" && (header.kid.is_none() || k.kid == header.kid))
        .ok_or(Refused::UnknownKey)?;
    let (Some(n), Some(e)) = (&key.n, &key.e) else {
        return Err(malformed("key")("no modulus".into()));
    };
    let public = RsaPublicKey::new(BigUint::from_bytes_be(&decode(n)?), BigUint::from_bytes_be(&decode(e)?))
        .map_err(|e| malformed("key")(e.to_string()))?;
    let signature = Signature::try_from(decode(signature)?.as_slice())
        .map_err(|e| malformed("signature")(e.to_string()))?;
    let signed = token.rsplit_once('.').map_or("", |(signed, _)| signed);
    VerifyingKey::<Sha256>::new(public)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| Refused::Signature)?;

    let claims: Claims =
        serde_json::from_slice(&decode(payload)?).map_err(|e| malformed("claims")(e.to_string()))?;
    let audiences = match claims.aud {
        Audience::One(aud) => vec![aud],
        Audience::Many(auds) => auds,
    };
    if !audiences.contains(&config.audience) {
        return Err(Refused::Audience);
    }
    if claims.iss.trim_end_matches('/') != config.issuer {
        return Err(Refused::Issuer(claims.iss));
    }
    if claims.exp + LEEWAY_SECONDS < now {
        return Err(Refused::Expired);
    }
    if claims.nbf.is_some_and(|nbf| nbf - LEEWAY_SECONDS > now) {
        return Err(Refused::NotYetValid);
    }
    claims.email.filter(|e| !e.is_empty()).ok_or(Refused::NoEmail)
}

/// Access trust for one site: configuration, where keys come from, a clock, and the key cache.
pub struct Access {
    config: AccessConfig,
    keys: Arc<dyn KeySource>,
    clock: fn() -> i64,
    cache: Mutex<Option<(i64, String)>>,
}

impl Access {
    /// `clock` gives Unix seconds (hosts differ: `SystemTime` natively, `Date.now()` on wasm).
    pub fn new(config: AccessConfig, keys: Arc<dyn KeySource>, clock: fn() -> i64) -> Self {
        Self { config, keys, clock, cache: Mutex::new(None) }
    }

    async fn key_set(&self, refresh: bool) -> Result<String, DomainError> {
        let now = (self.clock)();
        if let Ok(cache) = self.cache.lock() {
            if let Some((fetched, jwks)) = cache.as_ref() {
                let fresh = now - fetched < KEYS_MAX_AGE_SECONDS;
                if fresh && (!refresh || now - fetched < REFETCH_MIN_SECONDS) {
                    return Ok(jwks.clone());
                }
            }
        }
        let jwks = self.keys.fetch(&self.config.certs_url()).await.map_err(|e| {
            tracing::warn!(error = %e, "could not fetch the Cloudflare Access keys");
            DomainError::Unauthorized("Cloudflare Access could not be checked right now; try again.".into())
        })?;
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((now, jwks.clone()));
        }
        Ok(jwks)
    }

    /// The email a request's Access token vouches for. Unknown keys trigger one refetch.
    pub async fn email(&self, token: &str) -> Result<String, DomainError> {
        let now = (self.clock)();
        let first = verify(&self.key_set(false).await?, token, &self.config, now);
        let result = match first {
            Err(Refused::UnknownKey) => verify(&self.key_set(true).await?, token, &self.config, now),
            other => other,
        };
        result.map_err(|reason| {
            tracing::warn!(%reason, "refused a Cloudflare Access token");
            DomainError::Unauthorized(format!(
                "The Cloudflare Access identity could not be verified ({reason})."
            ))
        })
    }
}

/// The Folio account an Access token signs in, if Access is on and the request carries one.
/// A verified email without an account is a reader (`None`); a token that fails is a 401.
pub async fn user(site: &Site, token: Option<&str>) -> Result<Option<User>, DomainError> {
    let ports = &site.ports;
    let (Some(access), Some(token)) = (site.access.as_ref(), token) else { return Ok(None) };
    let email = access.email(token).await?;
    crate::accounts::auth::user_by_email(ports, &email).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    use rsa::traits::PublicKeyParts as _;
    use rsa::RsaPrivateKey;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A key pair, its JWKS, and a way to mint tokens with it.
    pub(crate) struct TestIssuer {
        key: RsaPrivateKey,
        pub jwks: String,
    }

    impl TestIssuer {
        pub(crate) fn new(kid: &str) -> Self {
            let key = RsaPrivateKey::new(&mut rand_core::OsRng, 1024).expect("key");
            let public = key.to_public_key();
            let jwks = serde_json::json!({ "keys": [{
                "kid": kid, "kty": "RSA", "alg": "RS256",
                "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be()),
            }]})
            .to_string();
            Self { key, jwks }
        }

        pub(crate) fn token(&self, kid: &str, claims: &serde_json::Value) -> String {
            let header = serde_json::json!({ "alg": "RS256", "kid": kid, "typ": "JWT" });
            let signed =
                format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
            let signature = SigningKey::<Sha256>::new(self.key.clone()).sign(signed.as_bytes());
            format!("{signed}.{}", b64(&signature.to_bytes()))
        }
    }

    fn config() -> AccessConfig {
        AccessConfig::from_settings(Some("team.cloudflareaccess.com"), Some("aud-tag")).expect("on")
    }

    fn claims(aud: &str, exp: i64) -> serde_json::Value {
        serde_json::json!({ "aud": [aud], "iss": "https://team.cloudflareaccess.com", "exp": exp,
                            "nbf": 900, "email": "ed@folio.test" })
    }

    #[test]
    fn settings_turn_access_on_only_when_complete() {
        assert_eq!(AccessConfig::from_settings(Some("team.cloudflareaccess.com"), None), None);
        assert_eq!(AccessConfig::from_settings(None, Some("aud")), None);
        assert_eq!(config().certs_url(), "https://team.cloudflareaccess.com/cdn-cgi/access/certs");
        let local = AccessConfig::from_settings(Some("http://127.0.0.1:9/"), Some("a")).expect("on");
        assert_eq!(local.issuer, "http://127.0.0.1:9");
    }

    #[test]
    fn valid_tokens_give_their_email_and_everything_else_is_refused() {
        let issuer = TestIssuer::new("k1");
        let ok = issuer.token("k1", &claims("aud-tag", 2000));
        assert_eq!(verify(&issuer.jwks, &ok, &config(), 1000), Ok("ed@folio.test".into()));

        assert_eq!(verify(&issuer.jwks, &ok, &config(), 3000), Err(Refused::Expired));
        let other_app = issuer.token("k1", &claims("other", 2000));
        assert!(verify(&issuer.jwks, &other_app, &config(), 1000).is_err());
        let stranger = TestIssuer::new("k1");
        let forged = stranger.token("k1", &claims("aud-tag", 2000));
        assert_eq!(verify(&issuer.jwks, &forged, &config(), 1000), Err(Refused::Signature));
        let mut tampered = ok.clone();
        tampered.insert(ok.find('.').expect("dot") + 3, 'x');
        assert!(verify(&issuer.jwks, &tampered, &config(), 1000).is_err());
        let unknown_key = issuer.token("k2", &claims("aud-tag", 2000));
        assert_eq!(verify(&issuer.jwks, &unknown_key, &config(), 1000), Err(Refused::UnknownKey));
        let none_alg =
            format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(claims("aud-tag", 2000).to_string().as_bytes()));
        assert!(verify(&issuer.jwks, &none_alg, &config(), 1000).is_err());
        assert!(verify(&issuer.jwks, "garbage", &config(), 1000).is_err());
    }
}
