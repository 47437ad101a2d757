//! Security through the shared router on the native adapters (real SQLite, real argon2):
//! escaped titles, headers and CSP nonces, inert uploaded originals, sign-in throttling.
//! The browser half (payloads in Chromium, both hosts) is end2end/tests/xss.spec.ts.

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use domain::{PasswordError, Passwords, Ports};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod common;
use common::*;

const PAYLOAD: &str = "</title></textarea><script>alert(1)</script><img src=x onerror=alert(2)>";

fn assert_inert(html: &str) {
    for live in ["<script>alert", "<img src=x onerror", "<img src=\"x\" onerror"] {
        assert!(!html.contains(live), "{live} reached the page as markup: {html}");
    }
}

fn title_of(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    &html[start..start + html[start..].find("</title>").expect("closed")]
}

#[tokio::test]
async fn titles_from_urls_are_escaped() {
    let (native, _dir) = native().await;
    let encoded = "%3C%2Ftitle%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E";
    for (page, expected) in [
        (format!("/folders/{encoded}"), StatusCode::OK),
        (format!("/tags/{encoded}"), StatusCode::OK),
        (format!("/search?q={encoded}"), StatusCode::OK),
        // Not a cursor: an error page with its status, still inert.
        (format!("/?before={encoded}"), StatusCode::BAD_REQUEST),
    ] {
        let (status, _, html) = send(&native.router, get(&page)).await;
        assert_eq!(status, expected, "{page}");
        assert_inert(&html);
    }
    let (_, _, html) = send(&native.router, get(&format!("/search?q={encoded}"))).await;
    assert!(title_of(&html).starts_with("&lt;/title&gt;&lt;script&gt;alert(1)"), "{}", title_of(&html));
    let (_, _, html) = send(&native.router, get(&format!("/folders/{encoded}"))).await;
    assert!(title_of(&html).starts_with("&lt;/title&gt;&lt;script&gt;alert(1)"), "{}", title_of(&html));
}

#[tokio::test]
async fn titles_from_documents_are_escaped() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let markdown = format!(
        "---\ntitle: \"{}\"\ntags: [\"{PAYLOAD}\"]\n---\n\n# {PAYLOAD}\n\n{PAYLOAD}\n",
        "</title><img src=x onerror=alert(2)> & 'q' end"
    );
    let (status, results) = upload(&native, &admin, &[("hostile.md", markdown.as_bytes())]).await;
    assert_eq!(status, StatusCode::CREATED, "{results}");
    native.tasks.wait_idle().await;
    let slug = results[0]["slug"].as_str().expect("slug").to_owned();
    for page in [format!("/docs/{slug}"), format!("/docs/{slug}/edit"), "/".into()] {
        let (_, _, html) = send(&native.router, with_cookie(get(&page), &admin)).await;
        assert_inert(&html);
    }
    let (_, _, html) = send(&native.router, get(&format!("/docs/{slug}"))).await;
    assert_eq!(
        title_of(&html),
        "&lt;/title&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &#39;q&#39; end — Folio"
    );
}

fn nonce_of(headers: &HeaderMap) -> String {
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().expect("csp");
    let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
    csp[start..start + csp[start..].find('\'').expect("quoted")].to_owned()
}

#[tokio::test]
async fn every_page_has_a_strict_csp_whose_nonce_is_on_each_script() {
    let (native, _dir) = native().await;
    let mut nonces = Vec::new();
    for page in ["/", "/docs/welcome-to-folio", "/sign-in", "/no-such-page"] {
        let (_, headers, html) = send(&native.router, get(page)).await;
        let nonce = nonce_of(&headers);
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{page} hydrates");
        assert_eq!(
            html.matches(&format!("<script nonce=\"{nonce}\"")).count()
                + html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\"")).count(),
            scripts,
            "every script on {page} carries this response's nonce: {html}"
        );
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().expect("csp");
        for directive in
            ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]
        {
            assert!(csp.contains(directive), "{page}: {csp}");
        }
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce per response");
}

#[tokio::test]
async fn every_response_has_the_security_headers_and_hsts_only_over_https() {
    let (native, _dir) = native().await;
    for path in ["/", "/healthz", "/api/documents", "/blobs/nope", "/no-such-page"] {
        let (_, headers, _) = send(&native.router, get(path)).await;
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "strict-origin-when-cross-origin", "{path}");
        assert_eq!(headers["cross-origin-opener-policy"], "same-origin", "{path}");
        assert!(headers["permissions-policy"].to_str().expect("policy").contains("camera=()"), "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over http: {path}");
    }
    let https = Request::get("/").header("x-forwarded-proto", "https").body(Body::empty()).expect("req");
    let (_, headers, _) = send(&native.router, https).await;
    assert!(headers[header::STRICT_TRANSPORT_SECURITY].to_str().expect("hsts").starts_with("max-age="));
}

#[tokio::test]
async fn uploaded_originals_are_downloads_in_a_sandbox_and_pictures_show_inline() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let html = b"<html><body><h1>Hostile</h1><script>alert(document.cookie)</script></body></html>";
    let (status, results) =
        upload(&native, &admin, &[("hostile page ü.html", html), ("notes.md", b"# Notes\n")]).await;
    assert_eq!(status, StatusCode::CREATED, "{results}");
    native.tasks.wait_idle().await;
    for (result, name) in results.as_array().expect("results").iter().zip(["hostile page _.html", "notes.md"])
    {
        let rows = native
            .site
            .ports
            .db
            .query(
                domain::sql::Statement::new("SELECT blob_key FROM document_versions WHERE document_id = ?1")
                    .bind(result["id"].as_i64().expect("id")),
            )
            .await
            .expect("query");
        let key = rows[0]["blob_key"].as_str().expect("key");
        let (status, headers, _) = send(&native.router, get(&format!("/blobs/{key}"))).await;
        assert_eq!(status, StatusCode::OK);
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().expect("disposition");
        assert!(disposition.starts_with(&format!("attachment; filename=\"{name}\"")), "{disposition}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().expect("csp");
        assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
    let (_, _, page) = send(&native.router, get("/docs/how-folio-is-built")).await;
    let start = page.find("/blobs/").expect("image");
    let (_, headers, _) = send(&native.router, get(&page[start..start + "/blobs/".len() + 64])).await;
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(headers[header::CONTENT_DISPOSITION].to_str().expect("disposition").starts_with("inline"));
}

fn sign_in_from(addr: &str, email: &str, password: &str) -> Request<Body> {
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    from(addr, json("/api/session", &body))
}

/// The request as if from `addr`: the connection (the native host's router reads it) and the
/// peer address it records (what a bare `router_with` reads).
fn from(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let addr = addr.parse::<SocketAddr>().expect("addr");
    req.extensions_mut().insert(ConnectInfo(addr));
    req.extensions_mut().insert(app::http::security::PeerAddr(addr.ip()));
    req
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_and_address_until_the_window_ends_and_success_resets_it() {
    let (native, _dir) = native().await;
    let r = &native.router;
    let admin = "admin@folio.test";
    // Four failures, then a success: the account starts afresh from that address.
    for _ in 0..4 {
        assert_eq!(send(r, sign_in_from("192.0.2.1:1", admin, "wrong")).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(send(r, sign_in_from("192.0.2.1:1", admin, ADMIN_PASSWORD)).await.0, StatusCode::OK);
    for _ in 0..5 {
        assert_eq!(send(r, sign_in_from("192.0.2.2:1", admin, "wrong")).await.0, StatusCode::UNAUTHORIZED);
    }
    // The sixth from that address is refused before the password is checked, even when right.
    let (status, headers, body) = send(r, sign_in_from("192.0.2.2:1", admin, ADMIN_PASSWORD)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = headers[header::RETRY_AFTER].to_str().expect("retry").parse().expect("seconds");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    assert!(body.contains("Too many failed sign-ins. Wait 15 minutes"), "{body}");
    // The sign-in form (a server function) says the same, with the same status and header.
    let req = from("192.0.2.2:1", form("/api/sign-in", "email=admin%40folio.test&password=x"));
    let (status, headers, body) = send(r, req).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER) && body.contains("Too many failed sign-ins"), "{body}");

    // When the window has passed, the address may try again.
    native
        .site
        .ports
        .db
        .execute(domain::sql::Statement::new("UPDATE sign_in_failures SET window_start = window_start - 900"))
        .await
        .expect("age the window");
    assert_eq!(send(r, sign_in_from("192.0.2.2:1", admin, ADMIN_PASSWORD)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_attacker_cannot_lock_the_owner_out_from_another_address() {
    let (native, _dir) = native().await;
    let r = &native.router;
    let admin = "admin@folio.test";
    for _ in 0..5 {
        assert_eq!(send(r, sign_in_from("203.0.113.9:1", admin, "guess")).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        send(r, sign_in_from("203.0.113.9:1", admin, "guess")).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is locked out of this account"
    );
    assert_eq!(
        send(r, sign_in_from("198.51.100.20:1", admin, ADMIN_PASSWORD)).await.0,
        StatusCode::OK,
        "the owner, elsewhere, is not"
    );
}

#[tokio::test]
async fn unknown_emails_are_throttled_alike_and_one_address_cannot_spray_accounts() {
    let (native, _dir) = native().await;
    let r = &native.router;
    // An email with no account locks like one with an account: a lock-out reveals nothing.
    for _ in 0..5 {
        assert_eq!(
            send(r, sign_in_from("192.0.2.3:1", "nobody@folio.test", "x")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        send(r, sign_in_from("192.0.2.3:1", "nobody@folio.test", "x")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // One address guessing at many accounts: 20 failures, then every account is refused to it.
    for i in 0..15 {
        let email = format!("user{i}@folio.test");
        assert_eq!(
            send(r, sign_in_from("192.0.2.3:1", &email, "x")).await.0,
            StatusCode::UNAUTHORIZED,
            "{i}"
        );
    }
    let (status, _, body) = send(r, sign_in_from("192.0.2.3:1", "admin@folio.test", ADMIN_PASSWORD)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Others are not affected.
    assert_eq!(
        send(r, sign_in_from("192.0.2.5:1", "admin@folio.test", ADMIN_PASSWORD)).await.0,
        StatusCode::OK
    );
}

/// The real argon2 adapter, counting what sign-in asks of it.
struct Counting {
    inner: Arc<dyn Passwords>,
    hashes: AtomicUsize,
    verifies: AtomicUsize,
}

#[async_trait]
impl Passwords for Counting {
    // A call the hasher turns away as busy hashed nothing (and the attempt is not counted
    // against the account either): only the others count.
    async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let hashed = self.inner.hash(password).await;
        if !matches!(hashed, Err(PasswordError::Busy)) {
            self.hashes.fetch_add(1, Ordering::SeqCst);
        }
        hashed
    }
    async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        let verified = self.inner.verify(password, phc).await;
        if !matches!(verified, Err(PasswordError::Busy)) {
            self.verifies.fetch_add(1, Ordering::SeqCst);
        }
        verified
    }
}

#[tokio::test]
async fn an_unknown_email_costs_one_password_hash_like_a_wrong_password() {
    let (native, _dir) = native().await;
    let counting = Arc::new(Counting {
        inner: native.site.ports.passwords.clone(),
        hashes: AtomicUsize::new(0),
        verifies: AtomicUsize::new(0),
    });
    let ports = Ports::new(
        native.site.ports.db.clone(),
        native.site.ports.blobs.clone(),
        native.site.ports.tasks.clone(),
        counting.clone(),
    );
    let router = router_with(domain::Site::new(ports));
    let (wrong_status, _, wrong) =
        send(&router, sign_in_from("192.0.2.6:1", "admin@folio.test", "nope")).await;
    assert_eq!((counting.hashes.load(Ordering::SeqCst), counting.verifies.load(Ordering::SeqCst)), (0, 1));
    let (unknown_status, _, unknown) =
        send(&router, sign_in_from("192.0.2.6:1", "ghost@folio.test", "nope")).await;
    assert_eq!((counting.hashes.load(Ordering::SeqCst), counting.verifies.load(Ordering::SeqCst)), (1, 1));
    let (invalid_status, _, invalid) =
        send(&router, sign_in_from("192.0.2.6:1", "not an email", "nope")).await;
    assert_eq!(counting.hashes.load(Ordering::SeqCst), 2, "even a malformed email costs a hash");
    assert_eq!(
        (wrong_status, unknown_status, invalid_status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert!(wrong == unknown && unknown == invalid, "one message for all: {wrong} / {unknown} / {invalid}");
}

/// A router whose password checks are counted; `real` keeps argon2 (slow, 19 MiB each), else
/// a stand-in that refuses every password at once.
fn counted(native: &server::startup::Native, real: bool) -> (axum::Router, Arc<Counting>) {
    let inner: Arc<dyn Passwords> =
        if real { native.site.ports.passwords.clone() } else { Arc::new(Refuses) };
    let counting = Arc::new(Counting { inner, hashes: AtomicUsize::new(0), verifies: AtomicUsize::new(0) });
    let ports = Ports::new(
        native.site.ports.db.clone(),
        native.site.ports.blobs.clone(),
        native.site.ports.tasks.clone(),
        counting.clone(),
    );
    (router_with(domain::Site::new(ports)), counting)
}

/// Checks no password: every one is wrong, at once.
struct Refuses;

#[async_trait]
impl Passwords for Refuses {
    async fn hash(&self, _: &str) -> Result<String, PasswordError> {
        Ok("$refuses$".into())
    }
    async fn verify(&self, _: &str, _: &str) -> Result<bool, PasswordError> {
        Ok(false)
    }
}

impl Counting {
    fn checks(&self) -> usize {
        self.hashes.load(Ordering::SeqCst) + self.verifies.load(Ordering::SeqCst)
    }
}

/// How many of `answers` had each status: (401, 429).
fn tally(answers: &[StatusCode]) -> (usize, usize) {
    let of = |s| answers.iter().filter(|a| **a == s).count();
    (of(StatusCode::UNAUTHORIZED), of(StatusCode::TOO_MANY_REQUESTS))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_for_one_account_hash_at_most_the_limit() {
    let (native, _dir) = native().await;
    let (router, counting) = counted(&native, true);
    let answers = futures::future::join_all((0..40).map(|_| {
        let router = router.clone();
        async move { send(&router, sign_in_from("203.0.113.1:1", "admin@folio.test", "guess")).await.0 }
    }))
    .await;
    let (unauthorized, throttled) = tally(&answers);
    assert_eq!(unauthorized + throttled, 40, "{answers:?}");
    assert!(
        counting.checks() <= 5,
        "{} passwords were hashed for one account and address",
        counting.checks()
    );
    assert!(unauthorized <= 5 && throttled >= 35, "{unauthorized} × 401, {throttled} × 429");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spraying_many_emails_from_one_address_is_throttled_even_at_once() {
    let (native, _dir) = native().await;
    let (router, counting) = counted(&native, false);
    let answers =
        futures::future::join_all(
            (0..30).map(|i| {
                let router = router.clone();
                async move {
                    send(&router, sign_in_from("203.0.113.2:1", &format!("u{i}@folio.test"), "x")).await.0
                }
            }),
        )
        .await;
    let (unauthorized, throttled) = tally(&answers);
    assert_eq!((unauthorized, throttled), (20, 10), "{answers:?}");
    assert_eq!(counting.checks(), 20);
}

#[tokio::test]
async fn one_email_from_many_addresses_is_locked_only_at_a_much_higher_bar() {
    let (native, _dir) = native().await;
    let (router, counting) = counted(&native, false);
    // Five guesses from each of 20 addresses: 100, each refused only as a wrong password.
    for address in 0..20 {
        for _ in 0..5 {
            let (status, _, body) =
                send(&router, sign_in_from(&format!("10.0.0.{address}:1"), "admin@folio.test", "x")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "from address {address}: {body}");
        }
    }
    // Now the account is locked from everywhere, without another password checked.
    let (status, headers, _) = send(&router, sign_in_from("10.0.1.1:1", "admin@folio.test", "x")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(counting.checks(), 100);
}

/// A router whose per-client limits are small, counted in memory as the native host does.
fn limited(native: &server::startup::Native, searches: u32, questions: u32) -> axum::Router {
    let limits =
        domain::site::limits::ClientLimits { searches_per_minute: searches, questions_per_hour: questions };
    // A fresh count, as a new process would start with.
    let ports = native.site.ports.clone().with_throttle(Arc::new(domain::ports::MemoryThrottle::default()));
    router_with(domain::Site { ports, ..native.site.clone() }.with_limits(limits))
}

fn retry_after(headers: &HeaderMap) -> u64 {
    headers[header::RETRY_AFTER].to_str().expect("retry").parse().expect("seconds")
}

#[tokio::test]
async fn one_client_past_its_searches_a_minute_gets_429_on_every_surface_and_others_do_not() {
    let (native, _dir) = native().await;
    let r = &limited(&native, 3, 30);
    let search = |addr: &str| from(addr, get("/api/search?q=folio&mode=keyword"));
    for n in 0..3 {
        let (status, _, body) = send(r, search("192.0.2.30:1")).await;
        assert_eq!(status, StatusCode::OK, "search {n}: {body}");
    }
    let (status, headers, body) = send(r, search("192.0.2.30:2")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!((1..=60).contains(&retry_after(&headers)), "{headers:?}");
    assert!(body.contains("You have sent many searches in a short time. Try again in"), "{body}");
    assert!(body.contains("\"rate_limited\""), "{body}");
    // The search page (its server function) is the same use case, counted together.
    let (status, _, page) = send(r, from("192.0.2.30:3", get("/search?q=folio"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("You have sent many searches"), "the page says why");
    // Another reader is not held back by this one.
    assert_eq!(send(r, search("192.0.2.31:1")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn one_client_past_its_questions_an_hour_gets_429_before_any_model_work() {
    let (native, _dir) = native().await;
    let r = &limited(&native, 300, 2);
    let ask = |addr: &str| {
        from(addr, json("/api/ask", &serde_json::json!({ "question": "How is Folio built?" }).to_string()))
    };
    for n in 0..2 {
        let (status, _, body) = send(r, ask("192.0.2.40:1")).await;
        assert_eq!(status, StatusCode::OK, "question {n}: {body}");
    }
    let (status, headers, body) = send(r, ask("192.0.2.40:1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!((1..=3_600).contains(&retry_after(&headers)), "{headers:?}");
    assert!(body.contains("You have sent many questions in a short time"), "{body}");
    // Without JavaScript (`/ask?q=`, which any site could embed) it is the same count.
    let (status, _, page) = send(r, from("192.0.2.40:1", get("/ask?q=How+is+Folio+built%3F"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("You have sent many questions"), "the page says why");
    assert_eq!(send(r, ask("192.0.2.41:1")).await.0, StatusCode::OK, "another reader still asks");
}
