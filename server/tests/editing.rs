//! Editing, deleting, folders and tags, and the sweep, through the shared router on the native
//! adapters (real SQLite and blob folder).

mod common;

use axum::http::StatusCode;
use common::*;
use domain::sql::Statement;

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn doc_id(native: &server::startup::Native, slug: &str) -> i64 {
    let rows = native
        .site
        .ports
        .db
        .query(Statement::new("SELECT id FROM documents WHERE slug = ?1").bind(slug))
        .await
        .expect("query");
    rows[0]["id"].as_i64().expect("id")
}

#[tokio::test]
async fn an_edit_makes_a_new_version_and_a_stale_edit_is_refused() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let id = doc_id(&native, "welcome-to-folio").await;

    let (status, _, editor) =
        send(&native.router, with_cookie(get("/docs/welcome-to-folio/edit"), &admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        editor.contains("data-testid=\"editor-text\"") && editor.contains("# Welcome to Folio"),
        "{editor}"
    );
    assert!(editor.contains("tags: welcome"), "the front matter is part of what is edited: {editor}");

    let markdown = "---\ntags: welcome, changed\n---\n# Welcome, edited\r\n\r\nA fresh second version.";
    let body = format!("id={id}&base_version=1&markdown={}", urlencode(markdown));
    let (status, _, text) =
        send(&native.router, with_cookie(form("/api/save-document", body.clone()), &admin)).await;
    assert!(status.is_success() || status.is_redirection(), "{status} {text}");
    native.tasks.wait_idle().await;

    let (_, _, page) = send(&native.router, get("/docs/welcome-to-folio")).await;
    assert!(page.contains("<title>Welcome, edited — Folio</title>"), "{page}");
    assert!(page.contains("A fresh second version.") && page.contains("data-version=\"2\""), "{page}");
    assert!(page.contains("href=\"/tags/changed\""), "tags come from the new front matter: {page}");
    let (_, _, tagged) = send(&native.router, get("/tags/overview")).await;
    assert!(!tagged.contains("Welcome, edited"), "the old version's tags are gone: {tagged}");

    // Someone still editing version 1 cannot overwrite version 2.
    let (status, _, text) = send(&native.router, with_cookie(form("/api/save-document", body), &admin)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert!(text.contains("Version 2 was saved while you were editing version 1"), "{text}");

    // Empty text and no session are refused; nothing is written.
    let versions = native
        .site
        .ports
        .db
        .query(Statement::new("SELECT COUNT(*) AS n FROM document_versions WHERE document_id = ?1").bind(id))
        .await
        .expect("count")[0]["n"]
        .as_i64();
    assert_eq!(versions, Some(2));
    let empty = format!("id={id}&base_version=2&markdown=+%0A");
    let (status, _, text) =
        send(&native.router, with_cookie(form("/api/save-document", empty), &admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let anonymous = format!("id={id}&base_version=2&markdown=x");
    assert_eq!(send(&native.router, form("/api/save-document", anonymous)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&native, "ingest_jobs").await, 0);
}

#[tokio::test]
async fn editors_see_edit_and_delete_and_readers_do_not() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (_, _, reader) = send(&native.router, get("/docs/welcome-to-folio")).await;
    assert!(!reader.contains("data-testid=\"editor-actions\""), "{reader}");
    let (_, _, editor) = send(&native.router, with_cookie(get("/docs/welcome-to-folio"), &admin)).await;
    assert!(
        editor.contains("data-testid=\"edit-link\"") && editor.contains("data-testid=\"delete-confirm\"")
    );
    let (status, _, page) = send(&native.router, get("/docs/welcome-to-folio/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-testid=\"edit-sign-in\""), "readers are asked to sign in: {page}");
}

#[tokio::test]
async fn the_delete_form_removes_the_document() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let id = doc_id(&native, "writing-documents").await;
    let (status, _, _) = send(&native.router, form("/api/delete-document", format!("id={id}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "readers cannot delete");
    let (status, _, text) =
        send(&native.router, with_cookie(form("/api/delete-document", format!("id={id}")), &admin)).await;
    assert!(status.is_success() || status.is_redirection(), "{status} {text}");
    assert_eq!(send(&native.router, get("/docs/writing-documents")).await.0, StatusCode::NOT_FOUND);
    let (_, _, folder) = send(&native.router, get("/folders/guides")).await;
    assert!(!folder.contains("Writing documents") && folder.contains("Searching and asking"), "{folder}");
    let (_, _, tag) = send(&native.router, get("/tags/markdown")).await;
    assert!(tag.contains("data-testid=\"empty\""), "its tags went with it: {tag}");
    let (status, _, _) =
        send(&native.router, with_cookie(form("/api/delete-document", format!("id={id}")), &admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn uploads_land_in_folders_and_front_matter_tags_list_them() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let intro = b"---\ntags: [Onboarding, guide]\n---\n# Team intro\n\nHello.";
    let (status, _, body) =
        send(&native.router, with_cookie(multipart_in("Team/../Handbook", &[("intro.md", intro)]), &admin))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let results: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(results[0]["slug"], "team-handbook-intro", "{results}");
    // The same name at the top level is a different document.
    let (_, top) = upload(&native, &admin, &[("intro.md", b"# Top intro")]).await;
    assert_eq!(top[0]["slug"], "intro");
    native.tasks.wait_idle().await;

    let (_, _, page) = send(&native.router, get("/docs/team-handbook-intro")).await;
    assert!(
        page.contains("href=\"/folders/team/handbook\"") && page.contains("href=\"/tags/onboarding\""),
        "{page}"
    );
    let (_, _, folder) = send(&native.router, get("/folders/team")).await;
    assert!(
        folder.contains("Team intro") && !folder.contains("Top intro"),
        "subfolders are included: {folder}"
    );
    let (_, _, tag) = send(&native.router, get("/tags/guide")).await;
    assert!(tag.contains("Team intro") && tag.contains("Writing documents"), "{tag}");
    assert!(!tag.contains("Top intro"), "{tag}");
    let (_, _, home) = send(&native.router, get("/")).await;
    assert!(
        home.contains("href=\"/folders/team/handbook\"") && home.contains("href=\"/tags/onboarding\""),
        "{home}"
    );
    let (_, _, json) = send(&native.router, get("/api/documents?tag=onboarding")).await;
    let listed: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(listed["documents"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["documents"][0]["folder"], "team/handbook");
}

#[tokio::test]
async fn the_sweep_collects_old_unreferenced_blobs_and_nothing_else() {
    let (native, dir) = native().await;
    let key = domain::storage::blobs::store(
        &native.site.ports,
        bytes::Bytes::from_static(b"left by a crash"),
        "text/plain",
    )
    .await
    .expect("store");
    let blobs_before = count(&native, "blobs").await;
    let swept = domain::ingest::sweep(&native.site).await.expect("sweep");
    assert_eq!(swept.blobs_collected, 0);
    assert!(
        native.site.ports.blobs.exists(&key).await.expect("exists"),
        "young blobs may belong to an upload in progress"
    );
    assert_eq!(count(&native, "blobs").await, blobs_before);
    native
        .site
        .ports
        .db
        .execute(Statement::new("UPDATE blobs SET created_at = created_at - 7200"))
        .await
        .expect("age");
    let swept = domain::ingest::sweep(&native.site).await.expect("sweep");
    assert_eq!(swept.blobs_collected, 1, "only the unreferenced one");
    assert_eq!(count(&native, "blobs").await, blobs_before - 1);
    assert!(!native.site.ports.blobs.exists(&key).await.expect("exists"));
    let files = walk(dir.path().join("blobs"));
    assert_eq!(i64::try_from(files).ok(), Some(blobs_before - 1), "a file per remaining row");
    // Everything a reader sees still works.
    let (_, _, page) = send(&native.router, get("/docs/how-folio-is-built")).await;
    assert!(page.contains("src=\"/blobs/"));
}

/// Where no cron sweeps (Pages), the after-response sweep: one claim of the lease sweeps, the
/// next within the minute does not, and once the lease has run out the next caller sweeps.
#[tokio::test]
async fn the_after_response_sweep_runs_once_a_lease() {
    let (native, _dir) = native().await;
    let first = domain::ingest::sweep_if_due(&native.site).await.expect("sweep");
    assert!(first.is_some(), "no lease yet: this caller sweeps");
    let second = domain::ingest::sweep_if_due(&native.site).await.expect("sweep");
    assert_eq!(second, None, "within the minute another caller does not");
    let rows = native
        .site
        .ports
        .db
        .query(Statement::new("SELECT until - unixepoch() AS left FROM site_leases WHERE name = 'sweep'"))
        .await
        .expect("lease");
    let left = rows[0]["left"].as_i64().expect("number");
    assert!(
        (domain::ingest::SWEEP_EVERY_SECONDS - 2..=domain::ingest::SWEEP_EVERY_SECONDS).contains(&left),
        "{left}"
    );
    native
        .site
        .ports
        .db
        .execute(Statement::new("UPDATE site_leases SET until = unixepoch() - 1"))
        .await
        .expect("a minute passes");
    let third = domain::ingest::sweep_if_due(&native.site).await.expect("sweep");
    assert!(third.is_some(), "the lease ran out: the next caller sweeps");
}

fn walk(dir: std::path::PathBuf) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(e.path())
                    } else {
                        usize::from(!e.file_name().to_string_lossy().starts_with('.'))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn leases_are_released_when_the_only_worker_restarts() {
    let (native, _dir) = native().await;
    let admin = domain::accounts::auth::User {
        id: 1,
        email: "admin@folio.test".into(),
        role: domain::accounts::auth::Role::Admin,
    };
    domain::ingest::accept(&native.site.ports, &admin, "held.md", "# Held".into(), 1 << 20, "")
        .await
        .expect("accept");
    native
        .site
        .ports
        .db
        .execute(Statement::new("UPDATE ingest_jobs SET lease_until = unixepoch() + 600"))
        .await
        .expect("a retry's back-off");
    assert_eq!(
        domain::ingest::run_pending(&native.site, 10).await.expect("run"),
        0,
        "a live lease is respected"
    );
    assert_eq!(
        domain::ingest::release_leases(&native.site.ports).await.expect("release"),
        0,
        "a back-off is not a lease a dead process held: it keeps waiting"
    );
    native
        .site
        .ports
        .db
        .execute(Statement::new("UPDATE ingest_jobs SET unfinished = 1"))
        .await
        .expect("a claim that never came back");
    assert_eq!(domain::ingest::release_leases(&native.site.ports).await.expect("release"), 1);
    assert_eq!(domain::ingest::run_pending(&native.site, 10).await.expect("run"), 1);
    let (_, _, page) = send(&native.router, get("/docs/held")).await;
    assert!(page.contains("<title>Held — Folio</title>"), "{page}");
}

#[tokio::test]
async fn the_upload_page_states_the_configured_limit_and_a_paused_site() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let (_, _, page) = send(&native.router, with_cookie(get("/upload"), &admin)).await;
    assert!(page.contains("up to 1 MB each"), "the test host allows 1 MB: {page}");
    assert!(!page.contains("data-testid=\"read-only-banner\""));
    let me = domain::accounts::auth::User {
        id: 1,
        email: "admin@folio.test".into(),
        role: domain::accounts::auth::Role::Admin,
    };
    domain::site::settings::set_writes_disabled(&native.site.ports, &me, true).await.expect("pause");
    let (_, _, page) = send(&native.router, with_cookie(get("/upload"), &admin)).await;
    assert!(page.contains("data-testid=\"read-only-banner\""), "{page}");
}

#[tokio::test]
async fn editors_see_a_newer_version_that_is_still_being_ingested() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, "admin@folio.test", ADMIN_PASSWORD).await;
    let me = domain::accounts::auth::User {
        id: 1,
        email: "admin@folio.test".into(),
        role: domain::accounts::auth::Role::Admin,
    };
    let id = doc_id(&native, "welcome-to-folio").await;
    // Saved, but its job has not run yet.
    domain::ingest::edit(&native.site.ports, &me, id, 1, "# Welcome\n\nNext.", 1 << 20).await.expect("edit");
    let (_, _, page) = send(&native.router, with_cookie(get("/docs/welcome-to-folio"), &admin)).await;
    assert!(page.contains("data-version=\"1\""), "version 1 is still live: {page}");
    assert!(page.contains("Version 2 is queued"), "{page}");
    assert!(page.contains("href=\"/tags/welcome\""), "the live version's tags: {page}");
}
