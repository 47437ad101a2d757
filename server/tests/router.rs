//! The shared router on the native adapters: real SQLite and blob folder in a temp dir,
//! requests through `oneshot` (no sockets).

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use domain::sql::{Row, Statement};
use domain::{DbError, Ports};
use std::sync::Arc;

mod common;
use common::*;

#[tokio::test]
async fn home_lists_the_samples_in_order() {
    let (native, _dir) = native().await;
    let (status, _, html) = send(&native.router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("data-testid=\"doc-card\"").count(), 4, "{html}");
    let welcome = html.find("Welcome to Folio").expect("welcome listed");
    let searching = html.find("Searching and asking").expect("searching listed");
    assert!(welcome < searching, "newest first");
    assert!(html.contains("/pkg/folio.js"), "hydration script named from LeptosOptions");
}

#[tokio::test]
async fn a_document_renders_sanitised_markdown_with_its_image() {
    let (native, _dir) = native().await;
    let (status, _, html) = send(&native.router, get("/docs/how-folio-is-built")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<title>How Folio is built — Folio</title>"), "{html}");
    assert!(html.contains("<table>"), "tables render");
    let img = html.find("src=\"/blobs/").expect("image resolved to a blob");
    assert_eq!(&html[img + 64 + "src=\"/blobs/".len()..][..1], "\"");
}

#[tokio::test]
async fn blobs_are_served_with_strong_etags_and_304() {
    let (native, _dir) = native().await;
    let (_, _, html) = send(&native.router, get("/docs/how-folio-is-built")).await;
    let start = html.find("/blobs/").expect("image");
    let path = &html[start..start + "/blobs/".len() + 64];

    let (status, headers, _) = send(&native.router, get(path)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();
    assert_eq!(etag, format!("\"{}\"", &path["/blobs/".len()..]));

    let conditional =
        Request::get(path).header(header::IF_NONE_MATCH, &etag).body(Body::empty()).expect("req");
    let (status, headers, body) = send(&native.router, conditional).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG], etag.as_str());
    assert!(body.is_empty());

    let stale =
        Request::get(path).header(header::IF_NONE_MATCH, "\"other\"").body(Body::empty()).expect("req");
    assert_eq!(send(&native.router, stale).await.0, StatusCode::OK);
}

#[tokio::test]
async fn bad_blob_keys_are_400_and_missing_ones_404() {
    let (native, _dir) = native().await;
    for key in
        ["..", "..%2F..%2Fetc%2Fpasswd", "a/b", "../../etc/passwd", "zz", &"A".repeat(64), &"a".repeat(65)]
    {
        let (status, _, body) = send(&native.router, get(&format!("/blobs/{key}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {body}");
        assert!(body.contains("\"code\":\"bad_input\""), "{body}");
    }
    let (status, _, _) = send(&native.router, get(&format!("/blobs/{}", "0".repeat(64)))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_routes_and_documents_get_the_404_page() {
    let (native, _dir) = native().await;
    for path in ["/nope", "/docs/no-such-doc", "/docs/..%2F..%2Fetc"] {
        let (status, _, html) = send(&native.router, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("data-testid=\"not-found\""), "{path}: {html}");
    }
}

#[tokio::test]
async fn views_are_counted_in_the_background_after_the_response() {
    let (native, _dir) = native().await;
    let (_, _, first) = send(&native.router, get("/docs/welcome-to-folio")).await;
    assert_eq!(views_in(&first), 0, "the response does not wait for its own view");
    native.tasks.wait_idle().await;
    let (_, _, second) = send(&native.router, get("/docs/welcome-to-folio")).await;
    assert_eq!(views_in(&second), 1);
}

#[tokio::test]
async fn votes_persist_one_per_reader_and_bad_payloads_are_400() {
    use domain::ports::DbExt as _;
    let (native, _dir) = native().await;
    let vote = |from: &str, helpful: bool| {
        let mut req = form("/api/vote", format!("slug=welcome-to-folio&helpful={helpful}"));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(from.parse::<std::net::SocketAddr>().expect("addr")));
        req
    };
    let (status, _, body) = send(&native.router, vote("192.0.2.1:1", true)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, r#"{"helpful_yes":1,"helpful_no":0}"#);
    // The same reader again: nothing is written, not even the kept pages' write count moves.
    let writes = native.site.ports.db.writes();
    for _ in 0..5 {
        let (_, _, body) = send(&native.router, vote("192.0.2.1:2", true)).await;
        assert_eq!(body, r#"{"helpful_yes":1,"helpful_no":0}"#, "one vote per reader");
    }
    assert_eq!(native.site.ports.db.writes(), writes, "a repeated vote writes nothing");
    // Changing their mind moves their one vote; another reader adds one.
    let (_, _, body) = send(&native.router, vote("192.0.2.1:3", false)).await;
    assert_eq!(body, r#"{"helpful_yes":0,"helpful_no":1}"#);
    let (_, _, body) = send(&native.router, vote("198.51.100.7:1", false)).await;
    assert_eq!(body, r#"{"helpful_yes":0,"helpful_no":2}"#);
    let stored: Vec<String> = native
        .site
        .ports
        .db
        .query_all::<serde_json::Value>(Statement::new("SELECT voter FROM document_votes"))
        .await
        .expect("votes")
        .into_iter()
        .map(|row| row["voter"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().all(|v| v.len() == 64 && !v.contains("192.0.2.1")),
        "no address stored: {stored:?}"
    );

    for bad in ["", "slug=welcome-to-folio", "slug=welcome-to-folio&helpful=perhaps", "%%%"] {
        let (status, _, body) = send(&native.router, form("/api/vote", bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert!(body.contains("malformed"), "{body}");
    }
    let (status, _, _) = send(&native.router, form("/api/vote", "slug=missing-doc&helpful=true")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&native.router, form("/api/vote", "slug=..%2Fetc&helpful=true")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn healthz_reports_ports() {
    let (native, _dir) = native().await;
    let (status, _, body) = send(&native.router, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["host"], "native");
    assert_eq!(json["ports"]["db"]["status"], "ok");
    assert_eq!(json["ports"]["vectors"]["status"], "not_configured");
}

struct UnreachableDb;

#[async_trait]
impl domain::Db for UnreachableDb {
    async fn query(&self, _: Statement) -> Result<Vec<Row>, DbError> {
        Err(DbError::Unavailable("disk unplugged".into()))
    }
    async fn execute(&self, _: Statement) -> Result<u64, DbError> {
        Err(DbError::Unavailable("disk unplugged".into()))
    }
    async fn batch(&self, _: Vec<Statement>) -> Result<(), DbError> {
        Err(DbError::Unavailable("disk unplugged".into()))
    }
}

#[tokio::test]
async fn healthz_is_503_when_the_database_is_unreachable() {
    let (native, _dir) = native().await;
    let ports = Ports::new(
        Arc::new(UnreachableDb),
        native.site.ports.blobs.clone(),
        native.site.ports.tasks.clone(),
        native.site.ports.passwords.clone(),
    );
    let router = router_with(domain::Site::new(ports));
    let (status, _, body) = send(&router, get("/healthz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("\"unavailable\""), "{body}");
    // Pages degrade to a readable error with the status it deserves, not a crash.
    let (status, _, html) = send(&router, get("/")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("temporarily unavailable"), "{html}");
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let (native, _dir) = native().await;
    assert!(!app::http::seed_samples_if_empty(&native.site).await.expect("seed"));
    domain::site::seed::seed(&native.site, app::samples::DOCS, app::samples::FILES).await.expect("reseed");
    let docs = domain::documents::list_page(
        native.site.ports.db.as_ref(),
        &domain::documents::model::Listing::All,
        None,
        100,
    )
    .await
    .expect("list")
    .docs;
    assert_eq!(docs.len(), app::samples::DOCS.len());
}

#[tokio::test]
async fn the_configured_admin_signs_in_and_out() {
    let (native, _dir) = native().await;
    let wrong = send(&native.router, form("/api/sign-in", "email=admin%40folio.test&password=nope")).await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED, "{}", wrong.2);
    assert!(wrong.2.contains("don’t match an account"), "{}", wrong.2);
    assert!(wrong.1.get(header::SET_COOKIE).is_none());
    let unknown = send(&native.router, form("/api/sign-in", "email=nobody%40folio.test&password=nope")).await;
    assert_eq!(unknown.2, wrong.2, "an unknown email looks the same as a wrong password");

    let (status, headers, body) =
        send(&native.router, form("/api/sign-in", "email=admin%40folio.test&password=a+long+admin+password"))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"role\":\"admin\""), "{body}");
    let set_cookie = headers[header::SET_COOKIE].to_str().expect("cookie").to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http gets no Secure flag");
    let cookie = set_cookie.split(';').next().expect("pair").to_owned();

    let (_, _, me) = send(&native.router, with_cookie(form("/api/me", ""), &cookie)).await;
    assert!(me.contains("admin@folio.test"), "{me}");
    let (_, _, home) = send(&native.router, with_cookie(get("/"), &cookie)).await;
    assert!(home.contains("data-testid=\"signed-in-as\""), "the header shows who is signed in");

    let (status, headers, _) = send(&native.router, with_cookie(form("/api/sign-out", ""), &cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::SET_COOKIE].to_str().expect("cookie").contains("Max-Age=0"));
    let (_, _, me) = send(&native.router, with_cookie(form("/api/me", ""), &cookie)).await;
    assert_eq!(me, "null", "the old cookie no longer signs anyone in");
}

#[tokio::test]
async fn sessions_are_secure_over_https_and_forged_tokens_fail() {
    let (native, _dir) = native().await;
    let mut req = form("/api/sign-in", "email=admin%40folio.test&password=a+long+admin+password");
    req.headers_mut().insert("x-forwarded-proto", "https".parse().expect("header"));
    let (_, headers, _) = send(&native.router, req).await;
    assert!(headers[header::SET_COOKIE].to_str().expect("cookie").contains("; Secure"));
    for forged in ["folio_session=", "folio_session=abc", &format!("folio_session={}", "0".repeat(64))] {
        let (_, _, me) = send(&native.router, with_cookie(form("/api/me", ""), forged)).await;
        assert_eq!(me, "null", "{forged}");
    }
}

#[tokio::test]
async fn writes_from_another_site_are_refused() {
    let (native, _dir) = native().await;
    let mut forged = form("/api/vote", "slug=welcome-to-folio&helpful=true");
    forged.headers_mut().insert(header::HOST, "folio.test".parse().expect("host"));
    forged.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().expect("origin"));
    let (status, _, body) = send(&native.router, forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("other sites"), "{body}");

    let mut same = form("/api/vote", "slug=welcome-to-folio&helpful=true");
    same.headers_mut().insert(header::HOST, "folio.test".parse().expect("host"));
    same.headers_mut().insert(header::ORIGIN, "http://folio.test".parse().expect("origin"));
    assert_eq!(send(&native.router, same).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_json_session_api_explains_bad_requests() {
    let (native, _dir) = native().await;
    let (status, _, body) = send(&native.router, json("/api/session", "{not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("must be JSON"), "{body}");
    let (status, _, body) =
        send(&native.router, json("/api/session", r#"{"email":"admin@folio.test"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("missing field `password`"), "says what is missing: {body}");
    let mut plain = json("/api/session", r#"{"email":"a@b.c","password":"x"}"#);
    plain.headers_mut().remove(header::CONTENT_TYPE);
    let (status, _, body) = send(&native.router, plain).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body.contains("Content-Type: application/json"), "{body}");
    let (status, _, body) =
        send(&native.router, json("/api/session", r#"{"email":"admin@folio.test","password":"wrong"}"#))
            .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains(r#""code":"unauthorized""#), "{body}");
    let (status, _, body) = send(&native.router, json("/api/tokens", r#"{"name":"ci"}"#)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no credentials: {body}");
}

#[tokio::test]
async fn admins_create_editors_and_editors_cannot() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let create = |cookie: &str, body: &'static str| with_cookie(form("/api/create-account", body), cookie);

    let (status, _, body) =
        send(&native.router, create(&admin, "email=Ed%40Folio.test&password=editor+password+1&role=editor"))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#""email":"ed@folio.test""#) && body.contains(r#""role":"editor""#), "{body}");

    let (status, _, body) =
        send(&native.router, create(&admin, "email=ed%40folio.test&password=editor+password+1&role=editor"))
            .await;
    assert_eq!(status, StatusCode::CONFLICT, "a taken email: {body}");
    let (status, _, body) =
        send(&native.router, create(&admin, "email=x%40folio.test&password=short&role=editor")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a weak password: {body}");
    let (status, _, _) =
        send(&native.router, create(&admin, "email=x%40folio.test&password=long+enough+pw&role=owner")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown role");

    let editor = session_cookie(&native.router, "ed@folio.test", "editor password 1").await;
    let (status, _, body) =
        send(&native.router, create(&editor, "email=y%40folio.test&password=long+enough+pw&role=admin"))
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = send(
        &native.router,
        form("/api/create-account", "email=y%40folio.test&password=long+enough+pw&role=admin"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_tokens_authenticate_until_revoked() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (status, _, body) =
        send(&native.router, with_cookie(json("/api/tokens", r#"{"name":"ci import"}"#), &admin)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).expect("json");
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("folio_") && token.len() == 70, "{token}");

    // The token alone is enough to act: it creates a second token.
    let (status, _, _) =
        send(&native.router, bearer(json("/api/tokens", r#"{"name":"second"}"#), &token)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) =
        send(&native.router, bearer(json("/api/tokens", r#"{"name":"x"}"#), "folio_nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&native.router, bearer(json("/api/tokens", r#"{"name":"  "}"#), &token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a blank name");

    let id = created["id"].as_i64().expect("id");
    let revoke = with_cookie(form("/api/revoke-token", format!("id={id}")), &admin);
    assert_eq!(send(&native.router, revoke).await.0, StatusCode::OK);
    let (status, _, _) =
        send(&native.router, bearer(json("/api/tokens", r#"{"name":"again"}"#), &token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked token is dead");

    let (_, _, overview) = send(&native.router, with_cookie(form("/api/admin-overview", ""), &admin)).await;
    assert!(overview.contains(r#""revoked":true"#) && !overview.contains(&token), "{overview}");
}

fn card_titles(html: &str) -> Vec<String> {
    html.split("class=\"doc-card__title\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_home_page_pages_through_documents_with_a_stable_cursor() {
    let (native, _dir) = native().await;
    let extra: Vec<domain::site::seed::SampleDoc> = (0..25)
        .map(|i| domain::site::seed::SampleDoc {
            slug: leak(format!("extra-{i:02}")),
            folder: "",
            markdown: leak(format!("# Extra {i:02}\n\nBody {i}.")),
        })
        .collect();
    domain::site::seed::seed(&native.site, &extra, &[]).await.expect("seed");

    let (_, _, first) = send(&native.router, get("/")).await;
    let first_titles = card_titles(&first);
    assert_eq!(first_titles.len(), 20, "{first_titles:?}");
    let start = first.find("href=\"/?before=").expect("an older-documents link") + "href=\"/?before=".len();
    let cursor = first[start..].split('"').next().expect("cursor");
    let (_, _, second) = send(&native.router, get(&format!("/?before={cursor}"))).await;
    let second_titles = card_titles(&second);
    assert_eq!(second_titles.len(), 29 - 20, "{second_titles:?}");
    assert!(second_titles.iter().all(|t| !first_titles.contains(t)), "pages do not overlap");
    assert!(!second.contains("data-testid=\"older\""), "the last page has no older link");

    let (status, _, bad) = send(&native.router, get("/?before=garbage")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("That page link is not valid."), "{bad}");
}

#[tokio::test]
async fn a_document_has_anchors_a_contents_list_reading_time_and_attachments() {
    let (native, _dir) = native().await;
    let (_, _, html) = send(&native.router, get("/docs/how-folio-is-built")).await;
    assert!(html.contains("<h2 id=\"one-codebase-two-hosts\">"), "{html}");
    assert!(html.contains("href=\"#one-codebase-two-hosts\""), "the contents list links to the anchor");
    assert!(html.contains("data-testid=\"toc\""));
    assert!(html.contains("1 min read"));
    let attachments = html.split("data-testid=\"attachments\"").nth(1).expect("attachments list");
    assert!(attachments.contains("folio-hosts.png") && attachments.contains("image/png"), "{attachments}");
}

#[tokio::test]
async fn the_kill_switch_makes_the_site_read_only_until_resumed() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let vote = || form("/api/vote", "slug=welcome-to-folio&helpful=true");
    assert_eq!(send(&native.router, vote()).await.0, StatusCode::OK);

    let (status, _, _) =
        send(&native.router, with_cookie(form("/api/set-writes", "disabled=true"), &admin)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = send(&native.router, vote()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("read-only") && body.contains(r#""code":"read_only""#), "{body}");
    let (status, _, _) = send(&native.router, get("/docs/welcome-to-folio")).await;
    assert_eq!(status, StatusCode::OK, "reads keep working");

    let editor_body = "email=ed2%40folio.test&password=editor+password+2&role=editor";
    let (status, _, _) =
        send(&native.router, with_cookie(form("/api/create-account", editor_body), &admin)).await;
    assert_eq!(status, StatusCode::OK, "admins can still manage accounts while paused");
    let editor = session_cookie(&native.router, "ed2@folio.test", "editor password 2").await;
    let (status, _, _) =
        send(&native.router, with_cookie(form("/api/set-writes", "disabled=false"), &editor)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins flip the switch");

    send(&native.router, with_cookie(form("/api/set-writes", "disabled=false"), &admin)).await;
    assert_eq!(send(&native.router, vote()).await.0, StatusCode::OK);
}

const PNG_BYTES: &[u8] = include_bytes!("../../content/samples/folio-hosts.png");
const PDF_BYTES: &[u8] = include_bytes!("../../domain/tests/fixtures/report.pdf");
const BROKEN_PDF: &[u8] = include_bytes!("../../domain/tests/fixtures/broken.pdf");

#[tokio::test]
async fn editors_upload_several_formats_and_ingest_makes_them_readable() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (status, results) = upload(
        &native,
        &admin,
        &[
            ("guide.md", b"# Upload guide\n\nSee the diagram:\n\n![hosts](diagram.png)\n"),
            ("page.html", b"<html><body><h1>From HTML</h1><p>Converted <b>nicely</b>.</p><script>x()</script></body></html>"),
            ("report.pdf", PDF_BYTES),
            ("diagram.png", PNG_BYTES),
            ("evil.md", b"MZ\x90\x00\x03 not markdown"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{results}");
    let results = results.as_array().expect("array");
    assert_eq!(results.len(), 5);
    for r in &results[..4] {
        assert_eq!(r["result"], "created", "{r}");
        assert_eq!(r["status"], "queued", "{r}");
        assert_eq!(r["version"], 1);
    }
    assert_eq!(results[4]["error"]["code"], "unsupported_type", "{}", results[4]);
    assert!(results[4]["error"]["message"].as_str().expect("msg").contains("Windows program"));

    native.tasks.wait_idle().await;
    for r in &results[..4] {
        let (_, _, body) =
            send(&native.router, with_cookie(get(&format!("/api/documents/{}", r["id"])), &admin)).await;
        let status: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(status["status"], "ready", "{status}");
        assert_eq!(status["published"], true);
    }
    let (_, _, guide) = send(&native.router, get("/docs/guide")).await;
    assert!(guide.contains("<title>Upload guide — Folio</title>"), "{guide}");
    assert!(guide.contains("src=\"/blobs/"), "the image resolves to its blob: {guide}");
    let (_, _, page) = send(&native.router, get("/docs/page")).await;
    assert!(page.contains("<strong>nicely</strong>") && !page.contains("x()"), "{page}");
    let (_, _, report) = send(&native.router, get("/docs/report")).await;
    assert!(report.contains("Revenue grew in every region."), "{report}");
    let (_, _, home) = send(&native.router, get("/")).await;
    assert!(home.contains("Upload guide") && home.contains("From HTML"), "listed");
}

#[tokio::test]
async fn re_uploads_are_idempotent_and_edits_make_new_versions() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (_, first) = upload(&native, &admin, &[("notes.md", b"# Notes\n\nFirst draft.")]).await;
    native.tasks.wait_idle().await;
    let (blobs, versions) = (count(&native, "blobs").await, count(&native, "document_versions").await);

    let (status, again) = upload(&native, &admin, &[("notes.md", b"# Notes\n\nFirst draft.")]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again[0]["result"], "duplicate", "{again}");
    assert_eq!(again[0]["id"], first[0]["id"]);
    assert_eq!((count(&native, "blobs").await, count(&native, "document_versions").await), (blobs, versions));

    let (_, edited) = upload(&native, &admin, &[("notes.md", b"# Notes\n\nSecond draft.")]).await;
    assert_eq!(edited[0]["result"], "updated", "{edited}");
    assert_eq!(edited[0]["version"], 2);
    native.tasks.wait_idle().await;
    let (_, _, page) = send(&native.router, get("/docs/notes")).await;
    assert!(page.contains("Second draft.") && !page.contains("First draft."), "{page}");
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_leave_nothing_behind() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let before = (count(&native, "documents").await, count(&native, "blobs").await);
    let big = vec![b'a'; 1024 * 1024 + 1];
    for (name, bytes, status, code) in [
        ("big.txt", big.as_slice(), StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        ("empty.md", b"".as_slice(), StatusCode::BAD_REQUEST, "bad_input"),
        ("photo.pdf", PNG_BYTES, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type"),
        ("latin1.txt", b"caf\xe9".as_slice(), StatusCode::BAD_REQUEST, "bad_input"),
        (
            "../../etc/passwd.svg",
            b"<svg onload=alert(1)>".as_slice(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        // A NUL inside the part's header is malformed multipart: refused before any file is read.
        ("bad\0name.md", b"# A".as_slice(), StatusCode::BAD_REQUEST, "bad_input"),
    ] {
        let (got, body) = upload(&native, &admin, &[(name, bytes)]).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body["error"]["code"], code, "{name}: {body}");
    }
    let (got, _) = upload(&native, &admin, &[]).await;
    assert_eq!(got, StatusCode::BAD_REQUEST, "no files");
    let (got, _, _) = send(&native.router, multipart(&[("a.md", b"# A")])).await;
    assert_eq!(got, StatusCode::UNAUTHORIZED, "no session");
    let mut foreign = with_cookie(multipart(&[("a.md", b"# A")]), &admin);
    foreign.headers_mut().insert(header::HOST, "folio.test".parse().expect("host"));
    foreign.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().expect("origin"));
    assert_eq!(send(&native.router, foreign).await.0, StatusCode::FORBIDDEN, "foreign origin");
    send(&native.router, with_cookie(form("/api/set-writes", "disabled=true"), &admin)).await;
    let (got, body) = upload(&native, &admin, &[("a.md", b"# A")]).await;
    assert_eq!(got, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    native.tasks.wait_idle().await;
    assert_eq!((count(&native, "documents").await, count(&native, "blobs").await), before, "nothing stored");
    assert_eq!(count(&native, "ingest_jobs").await, 0, "no stuck jobs");
}

#[tokio::test]
async fn an_unreadable_pdf_fails_with_a_reason_and_stays_unpublished() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (_, results) = upload(&native, &admin, &[("broken.pdf", BROKEN_PDF)]).await;
    native.tasks.wait_idle().await;
    let uri = format!("/api/documents/{}", results[0]["id"]);
    // An unpublished upload's title, status and error are the editors' business only, as in the
    // `ingest-status` server function: anyone else is told to sign in.
    let (status, _, body) = send(&native.router, get(&uri)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(!body.contains("broken") && !body.contains("could not be read"), "{body}");
    let (status, _, body) = send(&native.router, with_cookie(get(&uri), &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let status: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(status["status"], "failed", "{status}");
    assert!(status["error"].as_str().expect("error").contains("could not be read"), "{status}");
    assert_eq!(status["published"], false);
    assert_eq!(send(&native.router, get("/docs/broken")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(count(&native, "ingest_jobs").await, 0);
}

#[tokio::test]
async fn a_job_interrupted_mid_stage_is_resumed_by_the_next_sweep() {
    let (native, _dir) = native().await;
    let admin = domain::accounts::auth::User {
        id: 1,
        email: "admin@folio.test".into(),
        role: domain::accounts::auth::Role::Admin,
    };
    // Accepted, but the process "dies" before the job runs, then again mid-extract.
    let accepted = domain::ingest::accept(
        &native.site.ports,
        &admin,
        "resume.md",
        "# Resumed\n\nAfter a crash.".into(),
        1 << 20,
        "",
    )
    .await
    .expect("accept");
    native
        .site
        .ports
        .db
        .execute(domain::sql::Statement::new(
            "UPDATE ingest_jobs SET attempts = 1, lease_until = unixepoch() - 1",
        ))
        .await
        .expect("expire the lease");
    assert_eq!(domain::ingest::run_pending(&native.site, 10).await.expect("sweep"), 1);
    let status = domain::ingest::status(&native.site.ports, accepted.id).await.expect("status");
    assert_eq!(status.status, Some(domain::documents::model::VersionStatus::Ready));
    assert_eq!(domain::ingest::run_pending(&native.site, 10).await.expect("sweep"), 0, "nothing left");
    let (_, _, page) = send(&native.router, get("/docs/resume")).await;
    assert!(page.contains("After a crash."), "{page}");
}

#[tokio::test]
async fn deleting_removes_a_document_everywhere_and_collects_only_unshared_blobs() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let doc = b"# Doomed\n\nGone soon. ![hosts](folio-hosts.png) ![own](own.gif)";
    let (_, results) =
        upload(&native, &admin, &[("doomed.md", doc), ("own.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")])
            .await;
    native.tasks.wait_idle().await;
    let id = results[0]["id"].as_i64().expect("id");
    let gif_doc = results[1]["id"].as_i64().expect("id");
    let own_key = domain::BlobKey::of(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    let md_key = domain::BlobKey::of(doc);

    assert_eq!(
        send(&native.router, delete(&format!("/api/documents/{id}"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{id}")), &admin)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(send(&native.router, get("/docs/doomed")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&native.router, with_cookie(get(&format!("/api/documents/{id}")), &admin)).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, _, home) = send(&native.router, get("/")).await;
    assert!(!home.contains("Doomed"), "gone from the listing");
    // The Markdown's blob had no other reference: row and bytes are gone.
    assert!(!native.site.ports.blobs.exists(&md_key).await.expect("exists"));
    assert_eq!(send(&native.router, get(&format!("/blobs/{md_key}"))).await.0, StatusCode::NOT_FOUND);
    // The GIF is still its own document's version, and the sample PNG still the sample's.
    assert!(native.site.ports.blobs.exists(&own_key).await.expect("exists"));
    let (_, _, sample) = send(&native.router, get("/docs/how-folio-is-built")).await;
    assert!(sample.contains("src=\"/blobs/"), "the shared sample image survives");

    let (status, _, _) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{gif_doc}")), &admin)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!native.site.ports.blobs.exists(&own_key).await.expect("exists"), "now unreferenced, collected");
    let (status, _, _) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{id}")), &admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleting twice");
}

#[tokio::test]
async fn the_json_listing_pages_with_a_cursor() {
    let (native, _dir) = native().await;
    let (status, _, body) = send(&native.router, get("/api/documents")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["documents"].as_array().expect("array").len(), 4);
    assert!(json["next"].is_null());
    let (status, _, _) = send(&native.router, get("/api/documents?cursor=nope")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Every page, to a reader and to an editor, reaches the browser as the tree it was rendered
/// as (islands hydrate that tree; see `assert_parses_as_written`).
#[tokio::test]
async fn every_page_parses_into_the_tree_it_was_rendered_as() {
    let (native, _dir) = native().await;
    let (_, _, home) = send(&native.router, get("/")).await;
    let first_href = |prefix: &str| {
        let start = home.find(&format!("href=\"{prefix}")).unwrap_or_else(|| panic!("a {prefix} link")) + 6;
        home[start..].split('"').next().expect("href").to_owned()
    };
    let pages = [
        "/".to_owned(),
        "/docs/how-folio-is-built".to_owned(),
        "/docs/how-folio-is-built/edit".to_owned(),
        first_href("/folders/"),
        first_href("/tags/"),
        "/search?q=folio".to_owned(),
        "/search?q=".to_owned(),
        "/ask".to_owned(),
        "/sign-in".to_owned(),
        "/upload".to_owned(),
        "/admin".to_owned(),
        "/no-such-page".to_owned(),
    ];
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for page in &pages {
        for cookie in [None, Some(admin.as_str())] {
            let req = match cookie {
                Some(c) => with_cookie(get(page), c),
                None => get(page),
            };
            let (status, _, html) = send(&native.router, req).await;
            assert!(
                status.is_success() || status.is_redirection() || status == StatusCode::NOT_FOUND,
                "{page}: {status}"
            );
            if status.is_redirection() {
                continue;
            }
            assert_parses_as_written(&html);
        }
    }
}
