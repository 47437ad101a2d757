//! What makes reading pages cheap, and that it stays correct: HTML rendered once per version,
//! browse counts kept on write, and HTTP caching that never shares a signed-in page.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

mod common;
use common::*;

fn conditional(uri: &str, etag: &str) -> Request<Body> {
    Request::get(uri).header(header::IF_NONE_MATCH, etag).body(Body::empty()).expect("request")
}

#[tokio::test]
async fn anonymous_pages_get_an_etag_and_a_304_without_a_policy() {
    let (native, _dir) = native().await;
    let (status, headers, first) = send(&native.router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], app::http::caching::PAGE_CACHE);
    assert_eq!(headers[header::VARY], "Cookie");
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");

    // Same content, a new nonce: the same tag, so the reader's copy is still good.
    let (status, again, second) = send(&native.router, get("/")).await;
    assert_eq!((status, &again[header::ETAG]), (StatusCode::OK, &headers[header::ETAG]));
    assert_ne!(first, second, "each response has its own nonce");

    let (status, headers, body) = send(&native.router, conditional("/", &etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG], etag.as_str());
    // The stored page keeps the policy whose nonce its scripts carry.
    assert!(!headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    let (status, _, _) = send(&native.router, conditional("/", "W/\"someone-else\"")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn signed_in_pages_are_never_stored() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (status, headers, html) =
        send(&native.router, with_cookie(get("/docs/welcome-to-folio"), &admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"editor-actions\""), "an editor's page");
    assert_eq!(headers[header::CACHE_CONTROL], app::http::caching::PRIVATE_PAGE);
    assert!(!headers.contains_key(header::ETAG));
    // Nor is an answer to a signed-in request made from an anonymous copy.
    let (_, anonymous, _) = send(&native.router, get("/docs/welcome-to-folio")).await;
    let etag = anonymous[header::ETAG].to_str().expect("etag");
    let (status, _, _) =
        send(&native.router, with_cookie(conditional("/docs/welcome-to-folio", etag), &admin)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_edit_changes_the_stored_html_and_the_page_tag() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    upload(&native, &admin, &[("cached.md", b"# Cached\n\nFirst words.")]).await;
    native.tasks.wait_idle().await;
    let html = stored_html(&native, "cached").await;
    assert!(html.contains("<p>First words.</p>"), "publish stored the rendered HTML: {html}");
    let (_, headers, _) = send(&native.router, get("/docs/cached")).await;
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();

    upload(&native, &admin, &[("cached.md", b"# Cached\n\nSecond words.")]).await;
    native.tasks.wait_idle().await;
    assert!(stored_html(&native, "cached").await.contains("Second words."));
    let (status, _, page) = send(&native.router, conditional("/docs/cached", &etag)).await;
    assert_eq!(status, StatusCode::OK, "the old copy is stale");
    assert!(page.contains("Second words.") && !page.contains("First words."), "{page}");
}

#[tokio::test]
async fn sample_pages_are_stored_rendered_with_their_picture() {
    let (native, _dir) = native().await;
    let html = stored_html(&native, "how-folio-is-built").await;
    assert!(html.contains("<img src=\"/blobs/"), "the sample's picture resolved at publish: {html}");
    assert!(html.contains("<h2 id=\"one-codebase-two-hosts\">"), "{html}");
}

#[tokio::test]
async fn browse_counts_follow_publishes_and_deletes() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let facets = |native: &server::startup::Native| {
        let db = native.ports.db.clone();
        async move { domain::documents::browse(db.as_ref()).await.expect("browse") }
    };
    let before = facets(&native).await;
    assert!(!before.tags.iter().any(|t| t.name == "zebra"));

    let (_, results) =
        upload(&native, &admin, &[("striped.md", b"---\ntags: zebra\n---\n# Striped\n\nText.")]).await;
    native.tasks.wait_idle().await;
    let after = facets(&native).await;
    assert_eq!(after.tags.iter().find(|t| t.name == "zebra").map(|t| t.count), Some(1), "{after:?}");
    let (_, _, home) = send(&native.router, get("/")).await;
    assert!(home.contains("/tags/zebra"), "the home page shows the new tag");

    let id = results[0]["id"].as_i64().expect("id");
    let (status, _, _) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{id}")), &admin)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(facets(&native).await, before, "the delete recounted");
}

async fn stored_html(native: &server::startup::Native, slug: &str) -> String {
    let rows = native
        .ports
        .db
        .query(domain::sql::Statement::new("SELECT body_html FROM documents WHERE slug = ?1").bind(slug))
        .await
        .expect("query");
    rows[0]["body_html"].as_str().unwrap_or_default().to_owned()
}
