//! Helpers shared by the router test files: a native host on a temp dir, requests through
//! `oneshot` (no sockets), sign-in and multipart uploads.
#![allow(dead_code, reason = "each test file uses a different subset")]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use domain::ports::{Ai, Ports};
use http_body_util::BodyExt;
use server::config::Config;
use server::startup::{build, Native};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tower::ServiceExt;

pub const ADMIN_EMAIL: &str = "Admin@Folio.test";
pub const ADMIN_PASSWORD: &str = "a long admin password";

pub async fn native() -> (Native, TempDir) {
    let dir = TempDir::new().expect("temp dir");
    // Keyword search only: the model's own tests load it (tests/semantic.rs).
    let mut config = Config { data_dir: dir.path().to_owned(), ..Config::default() }.without_models();
    config.site.seed_samples = true;
    config.site.admin_email = Some(ADMIN_EMAIL.into());
    config.site.admin_password = Some(ADMIN_PASSWORD.into());
    config.site.max_upload_mb = 1;
    config.convert = converter();
    let options = app::http::leptos_options().expect("leptos options");
    (build(&config, options).await.expect("native host"), dir)
}

/// PDFs convert in children of the built `folio` (this test binary has no `convert` command).
pub fn converter() -> server::config::ConvertConfig {
    server::config::ConvertConfig {
        program: Some(env!("CARGO_BIN_EXE_folio").into()),
        ..server::config::ConvertConfig::default()
    }
}

/// The shared router over another site (a failing database, a counting password hasher).
pub fn router_with(site: domain::Site) -> Router {
    let state = app::http::AppState {
        leptos_options: app::http::leptos_options().expect("options"),
        site,
        host: "native",
        max_upload_bytes: 1024,
        client_ip: app::http::security::ClientIpSource::Peer,
        keep_pages: true,
    };
    app::http::router(state, Router::new())
}

pub async fn send(router: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// The view count a document page shows (`data-views`).
pub fn views_in(html: &str) -> i64 {
    let start = html.find("data-views=\"").expect("views attribute") + "data-views=\"".len();
    html[start..].split('"').next().and_then(|v| v.parse().ok()).expect("a number")
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

pub fn form(uri: &str, body: impl Into<String>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.into()))
        .expect("request")
}

pub fn with_cookie(mut req: Request<Body>, cookie: &str) -> Request<Body> {
    req.headers_mut().insert(header::COOKIE, cookie.parse().expect("cookie"));
    req
}

pub fn json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

pub fn bearer(mut req: Request<Body>, token: &str) -> Request<Body> {
    req.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
    req
}

/// Signs in through the JSON API and returns the `name=value` cookie pair.
pub async fn session_cookie(router: &Router, email: &str, password: &str) -> String {
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    let (status, headers, text) = send(router, json("/api/session", &body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    headers[header::SET_COOKIE].to_str().expect("cookie").split(';').next().expect("pair").to_owned()
}

pub fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

pub fn multipart(files: &[(&str, &[u8])]) -> Request<Body> {
    multipart_in("", files)
}

/// A multipart upload with a `folder` part first (omitted when empty), as the importer sends it.
pub fn multipart_in(folder: &str, files: &[(&str, &[u8])]) -> Request<Body> {
    let (content_type, body) = import::multipart::form(folder, files);
    Request::post("/api/documents")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request")
}

pub async fn count(native: &Native, table: &str) -> i64 {
    let rows = native
        .site
        .ports
        .db
        .query(domain::sql::Statement::new(format!("SELECT COUNT(*) AS n FROM {table}")))
        .await
        .expect("count");
    rows[0]["n"].as_i64().expect("number")
}

pub async fn upload(
    native: &Native,
    cookie: &str,
    files: &[(&str, &[u8])],
) -> (StatusCode, serde_json::Value) {
    let (status, _, body) = send(&native.router, with_cookie(multipart(files), cookie)).await;
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)))
}

/// A native site with `files` uploaded by the admin and processed: the site, the admin's cookie.
pub async fn native_with(files: &[(&str, &[u8])]) -> (Native, String, TempDir) {
    let (native, dir) = native().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, body) = upload(&native, &admin, files).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    native.tasks.wait_idle().await;
    (native, admin, dir)
}

/// The native site's ports with `ai` for a model and a vector index of 4 dimensions (a
/// scripted model's) in `dir`, so that search is hybrid.
pub async fn with_scripted_model(native: &Native, dir: &TempDir, ai: Arc<dyn Ai>) -> Ports {
    let (vectors, _) =
        server::adapters::vector_index::VectorIndex::open(&dir.path().join("vectors.sqlite3"), 4)
            .expect("vectors");
    assert!(vectors.ready(Duration::from_secs(10)).await);
    native.site.ports.clone().with_semantic(ai, Arc::new(vectors))
}

pub fn delete(uri: &str) -> Request<Body> {
    Request::delete(uri).body(Body::empty()).expect("request")
}

/// Fails unless a browser builds the page's tree as the server wrote it. Leptos hydrates the
/// tree it rendered, so markup the HTML parser silently rearranges (a `<form>` inside a `<p>`
/// closes the `<p>`) looks fine without JavaScript but stops an island from hydrating. The
/// parser reports every rearrangement as an error. Two are Leptos's own and harmless: its `<!>`
/// markers, and the resource scripts it writes after `</html>` (a browser appends them to
/// `<body>`, after every island).
pub fn assert_parses_as_written(html: &str) {
    use html5ever::tendril::TendrilSink;
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts { exact_errors: true, ..Default::default() },
        ..Default::default()
    };
    let dom = html5ever::parse_document(markup5ever_rcdom::RcDom::default(), opts)
        .from_utf8()
        .read_from(&mut html.as_bytes())
        .expect("read");
    let errors: Vec<String> = dom
        .errors
        .borrow()
        .iter()
        .filter(|e| {
            !e.contains("in state MarkupDeclarationOpen") && !e.contains("in insertion mode AfterAfterBody")
        })
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "a browser rearranges this page: {errors:?}\n{html}");
}
