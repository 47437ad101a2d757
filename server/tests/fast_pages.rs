//! What makes reading pages cheap, and that it stays correct: HTML rendered once per version,
//! browse counts kept on write, pages kept until the next write, and HTTP caching that never
//! shares a signed-in page.

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
        let db = native.site.ports.db.clone();
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

/// Background work held until the test runs it, so it decides when views are written.
#[derive(Default)]
struct HeldTasks(std::sync::Mutex<Vec<domain::ports::Task>>);

impl HeldTasks {
    async fn run(&self) {
        loop {
            let held = std::mem::take(&mut *self.0.lock().expect("held"));
            if held.is_empty() {
                return;
            }
            futures::future::join_all(held).await;
        }
    }
}

impl domain::ports::Tasks for HeldTasks {
    fn spawn(&self, _name: &'static str, task: domain::ports::Task) {
        self.0.lock().expect("held").push(task);
    }
    fn run_cpu(&self, job: domain::ports::CpuJob) -> domain::ports::Task {
        Box::pin(async move { job() })
    }
    fn sleep(&self, _: std::time::Duration) -> domain::ports::Task {
        Box::pin(async {})
    }
}

fn x_cache(headers: &axum::http::HeaderMap) -> &str {
    headers.get("x-cache").and_then(|v| v.to_str().ok()).unwrap_or("-")
}

#[tokio::test]
async fn a_reading_page_is_rendered_once_until_the_next_write_and_hits_count_views() {
    let (native, _dir) = native().await;
    native.tasks.wait_idle().await;
    let held = std::sync::Arc::new(HeldTasks::default());
    let ports = domain::Ports { tasks: held.clone(), ..native.site.ports.clone() };
    let router = router_with(domain::Site { ports, ..native.site.clone() });
    let doc = "/docs/welcome-to-folio";

    let (status, headers, first) = send(&router, get(doc)).await;
    assert_eq!((status, x_cache(&headers)), (StatusCode::OK, "MISS"));
    let before = views_in(&first);
    let (_, headers, second) = send(&router, get(doc)).await;
    assert_eq!(x_cache(&headers), "HIT");
    assert_ne!(first, second, "a kept page gets this response's nonce");
    let nonce = |h: &axum::http::HeaderMap| {
        let policy = h[header::CONTENT_SECURITY_POLICY].to_str().expect("policy").to_owned();
        policy.split("'nonce-").nth(1).and_then(|n| n.split('\'').next()).expect("nonce").to_owned()
    };
    assert!(
        second.contains(&format!("nonce=\"{}\"", nonce(&headers))),
        "the hit's scripts carry its policy's nonce"
    );
    let (_, third, _) = send(&router, get(doc)).await;
    assert_eq!((x_cache(&third), &third[header::ETAG]), ("HIT", &headers[header::ETAG]));
    let (status, headers, _) =
        send(&router, conditional(doc, third[header::ETAG].to_str().expect("etag"))).await;
    assert_eq!(
        (status, x_cache(&headers)),
        (StatusCode::NOT_MODIFIED, "HIT"),
        "a hit answers a revalidation too"
    );

    // The views are written (one write for all four, hits included): the page is made again.
    held.run().await;
    let (_, headers, page) = send(&router, get(doc)).await;
    assert_eq!(x_cache(&headers), "MISS");
    assert_eq!(views_in(&page), before + 4, "every view counted, hits too");

    // A vote is a write: the next reader sees it at once.
    let (status, _, _) = send(&router, form("/api/vote", "slug=welcome-to-folio&helpful=true")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, headers, page) = send(&router, get(doc)).await;
    assert_eq!(x_cache(&headers), "MISS");
    assert!(page.contains("data-testid=\"helpful-yes\">1<"), "the new vote shows");

    // Signed in: never answered from the kept page, never kept.
    let admin = session_cookie(&router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (_, headers, page) = send(&router, with_cookie(get(doc), &admin)).await;
    assert_eq!(x_cache(&headers), "-");
    assert!(page.contains("data-testid=\"editor-actions\""), "an editor's page");
    let (_, headers, page) = send(&router, get(doc)).await;
    assert!(!page.contains("data-testid=\"editor-actions\""), "{}", x_cache(&headers));
}

#[tokio::test]
async fn kept_listings_follow_edits_and_deletes() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    native.tasks.wait_idle().await;
    let (_, headers, _) = send(&native.router, get("/")).await;
    assert_eq!(x_cache(&headers), "MISS");
    let (_, headers, _) = send(&native.router, get("/")).await;
    assert_eq!(x_cache(&headers), "HIT", "the home page counts no view: kept until a write");

    let (_, results) = upload(&native, &admin, &[("kept.md", b"# Kept title one\n\nText.")]).await;
    native.tasks.wait_idle().await;
    let (_, headers, home) = send(&native.router, get("/")).await;
    assert_eq!(x_cache(&headers), "MISS");
    assert!(home.contains("Kept title one"), "the new document is listed");
    upload(&native, &admin, &[("kept.md", b"# Kept title two\n\nText.")]).await;
    native.tasks.wait_idle().await;
    let (_, _, home) = send(&native.router, get("/")).await;
    assert!(home.contains("Kept title two") && !home.contains("Kept title one"), "the edit shows");

    let id = results[0]["id"].as_i64().expect("id");
    let (status, _, _) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{id}")), &admin)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    native.tasks.wait_idle().await;
    let (_, _, home) = send(&native.router, get("/")).await;
    assert!(!home.contains("Kept title"), "the delete shows");
    let (status, _, _) = send(&native.router, get("/docs/kept")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a deleted page is not served from memory");

    // Search and Ask pages are never kept (what they show is not only the database's).
    for uri in ["/search?q=folio", "/ask"] {
        send(&native.router, get(uri)).await;
        let (_, headers, _) = send(&native.router, get(uri)).await;
        assert_eq!(x_cache(&headers), "-", "{uri}");
    }
}

async fn stored_html(native: &server::startup::Native, slug: &str) -> String {
    let rows = native
        .site
        .ports
        .db
        .query(domain::sql::Statement::new("SELECT body_html FROM documents WHERE slug = ?1").bind(slug))
        .await
        .expect("query");
    rows[0]["body_html"].as_str().unwrap_or_default().to_owned()
}

/// Views are written after their pages, by document id: a document deleted in between takes
/// only its own views with it, not the other documents' written in the same batch.
#[tokio::test]
async fn a_document_deleted_before_its_views_are_written_costs_no_other_page_its_views() {
    let (native, _dir) = native().await;
    native.tasks.wait_idle().await;
    let held = std::sync::Arc::new(HeldTasks::default());
    let ports = domain::Ports { tasks: held.clone(), ..native.site.ports.clone() };
    let router = router_with(domain::Site { ports, ..native.site.clone() });
    let (_, _, kept) = send(&router, get("/docs/welcome-to-folio")).await;
    let (status, _, _) = send(&router, get("/docs/writing-documents")).await;
    assert_eq!(status, StatusCode::OK);

    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let slug = domain::sql::Statement::new("SELECT id FROM documents WHERE slug = 'writing-documents'");
    let gone = native.site.ports.db.query(slug).await.expect("id")[0]["id"].as_i64().expect("its id");
    let (status, _, _) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{gone}")), &admin)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    held.run().await;
    let (_, _, page) = send(&native.router, get("/docs/welcome-to-folio")).await;
    assert_eq!(views_in(&page), views_in(&kept) + 1, "the view of the page still there is counted");
}
