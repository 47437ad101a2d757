//! Trusting Cloudflare Access natively: a local server plays the team's key endpoint, tokens
//! are signed with a key generated here, and requests carry them in `Cf-Access-Jwt-Assertion`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPrivateKey;
use server::config::Config;
use sha2::Sha256;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn token(key: &RsaPrivateKey, claims: &serde_json::Value) -> String {
    let header = serde_json::json!({ "alg": "RS256", "kid": "test-key" });
    let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    format!("{signed}.{}", b64(&SigningKey::<Sha256>::new(key.clone()).sign(signed.as_bytes()).to_bytes()))
}

fn with_assertion(uri: &str, jwt: &str) -> Request<Body> {
    Request::post(uri).header("cf-access-jwt-assertion", jwt).body(Body::empty()).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_access_token_signs_in_its_account_and_a_forged_one_is_refused() {
    let key = RsaPrivateKey::new(&mut rand_core::OsRng, 1024).expect("key");
    let public = key.to_public_key();
    let jwks = serde_json::json!({ "keys": [{ "kid": "test-key", "kty": "RSA", "alg": "RS256",
        "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be()) }] })
    .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let team = format!("http://{}", listener.local_addr().expect("addr"));
    let certs =
        axum::Router::new().route("/cdn-cgi/access/certs", axum::routing::get(move || async move { jwks }));
    tokio::spawn(async move { axum::serve(listener, certs).await });

    let dir = tempfile::TempDir::new().expect("dir");
    let mut config = Config { data_dir: dir.path().to_owned(), ..Config::default() }.without_models();
    config.site.seed_samples = false;
    config.site.admin_email = Some("admin@folio.test".into());
    config.site.admin_password = Some(ADMIN_PASSWORD.into());
    config.site.access_team_domain = Some(team.clone());
    config.site.access_aud = Some("folio-aud".into());
    let options = app::http::leptos_options().expect("options");
    let native = server::startup::build(&config, options).await.expect("host");
    let now = server::adapters::access_keys::now();
    let claims = |email: &str, aud: &str| serde_json::json!({ "aud": [aud], "iss": team, "exp": now + 600, "iat": now, "email": email });

    // The admin, identified by Access alone: no cookie, no token.
    let admin = token(&key, &claims("Admin@Folio.test", "folio-aud"));
    let (status, _, me) = send(&native.router, with_assertion("/api/me", &admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(me.contains("\"role\":\"admin\""), "{me}");
    let (_, _, page) = send(
        &native.router,
        Request::get("/").header("cf-access-jwt-assertion", &admin).body(Body::empty()).expect("req"),
    )
    .await;
    assert!(page.contains("data-testid=\"signed-in-as\""), "the header shows the Access identity: {page}");

    // Someone Access let in but who has no Folio account is a reader.
    let stranger = token(&key, &claims("visitor@example.org", "folio-aud"));
    assert_eq!(send(&native.router, with_assertion("/api/me", &stranger)).await.2, "null");

    // Another application's token, or one signed by another key, is refused with a reason.
    let other_app = token(&key, &claims("admin@folio.test", "someone-else"));
    let (status, _, body) = send(&native.router, with_assertion("/api/me", &other_app)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("another application"), "{body}");
    let forger = RsaPrivateKey::new(&mut rand_core::OsRng, 1024).expect("key");
    let forged = token(&forger, &claims("admin@folio.test", "folio-aud"));
    assert_eq!(send(&native.router, with_assertion("/api/me", &forged)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_configuration_the_header_is_ignored() {
    let (native, _dir) = native().await;
    let (status, _, me) = send(&native.router, with_assertion("/api/me", "anything.at.all")).await;
    assert_eq!((status, me.as_str()), (StatusCode::OK, "null"));
}
