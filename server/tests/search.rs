//! Keyword search end to end on the native host (real SQLite FTS5, the same SQL D1 runs):
//! ingest indexes chunks before a version goes live, edits replace them, deletes remove them,
//! the backfill indexes documents that predate search, and bad queries get answers, not 500s.
//! No model is loaded here: `mode=semantic` degrades to keywords (tests/semantic.rs has the model).

mod common;

use axum::http::StatusCode;
use common::*;
use domain::sql::Statement;
use serde_json::Value;

const LIGHTHOUSE: &str = "# Lighthouse keeping\n\nA short guide.\n\n## Lamps\n\nThe Fresnel lens \
focuses the lamp into a beam that sailors see for miles.\n\n## Fog signals\n\nWhen fog rolls in, the \
keeper sounds the diaphone every thirty seconds.\n";

async fn search(native: &server::startup::Native, query: &str) -> (StatusCode, Value) {
    let (status, headers, body) = send(&native.router, get(&format!("/api/search?{query}"))).await;
    if status == StatusCode::OK {
        assert_eq!(headers["cache-control"], "no-store");
    }
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

fn titles(results: &Value) -> Vec<String> {
    results["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// A native site with the lighthouse page uploaded and indexed.
async fn with_lighthouse() -> (server::startup::Native, tempfile::TempDir) {
    let (native, dir) = native().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _) = upload(&native, &admin, &[("lighthouse.md", LIGHTHOUSE.as_bytes())]).await;
    assert_eq!(status, StatusCode::CREATED);
    native.tasks.wait_idle().await;
    (native, dir)
}

#[tokio::test]
async fn an_upload_is_found_by_a_word_at_its_section_and_the_snippet_marks_it() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _) = upload(&native, &admin, &[("lighthouse.md", LIGHTHOUSE.as_bytes())]).await;
    assert_eq!(status, StatusCode::CREATED);
    native.tasks.wait_idle().await;

    let (status, found) = search(&native, "q=diaphone&mode=keyword").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["mode"], "keyword");
    assert_eq!(found["degraded"], false);
    let hit = &found["results"][0];
    assert_eq!(hit["title"], "Lighthouse keeping");
    assert_eq!(hit["url"], "/docs/lighthouse#fog-signals", "deep link to the section");
    assert_eq!(hit["heading"], "Fog signals");
    assert!(hit["snippet_html"].as_str().expect("snippet").contains("<mark>diaphone</mark>"), "{hit}");
    // The anchor is the id the page gives that heading.
    let (_, _, page) = send(&native.router, get("/docs/lighthouse")).await;
    assert!(page.contains("id=\"fog-signals\""), "{page}");

    // Prefix of the word being typed; stemming; one result per document.
    assert_eq!(titles(&search(&native, "q=diaph&mode=keyword").await.1), ["Lighthouse keeping"]);
    assert_eq!(titles(&search(&native, "q=focusing+lenses&mode=keyword").await.1), ["Lighthouse keeping"]);
    // Title words weigh more than a passing mention.
    let (_, found) = search(&native, "q=lighthouse&mode=keyword").await;
    assert_eq!(found["results"].as_array().map(Vec::len), Some(1));
    // Sample pages are indexed too (seeded through the same jobs).
    let (_, found) = search(&native, "q=markdown&mode=keyword").await;
    assert!(titles(&found).iter().any(|t| t == "Writing documents"), "{found}");
}

#[tokio::test]
async fn after_an_edit_only_the_new_text_is_found_and_after_a_delete_nothing() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, created) = upload(&native, &admin, &[("lighthouse.md", LIGHTHOUSE.as_bytes())]).await;
    native.tasks.wait_idle().await;
    let id = created[0]["id"].as_i64().expect("id");

    let edited = LIGHTHOUSE.replace("diaphone", "foghorn");
    let body = format!(
        "id={id}&base_version=1&markdown={}",
        edited.replace(' ', "+").replace('\n', "%0A").replace('#', "%23")
    );
    let (status, _, text) = send(&native.router, with_cookie(form("/api/save-document", body), &admin)).await;
    assert!(status.is_success() || status.is_redirection(), "{status} {text}");
    native.tasks.wait_idle().await;

    assert!(
        titles(&search(&native, "q=diaphone&mode=keyword").await.1).is_empty(),
        "the old version's words are gone"
    );
    let (_, found) = search(&native, "q=foghorn&mode=keyword").await;
    assert_eq!(titles(&found), ["Lighthouse keeping"]);
    let chunks = native
        .site
        .ports
        .db
        .query(Statement::new("SELECT DISTINCT version FROM chunks WHERE document_id = ?1").bind(id))
        .await
        .expect("chunks");
    assert_eq!(chunks.len(), 1, "only the live version keeps chunks: {chunks:?}");

    let (status, _, _) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{id}")), &admin)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(titles(&search(&native, "q=foghorn&mode=keyword").await.1).is_empty());
    let (_, fts) = (
        0,
        native
            .site
            .ports
            .db
            .query(Statement::new("SELECT COUNT(*) AS n FROM chunks_fts WHERE chunks_fts MATCH 'foghorn'"))
            .await
            .expect("fts"),
    );
    assert_eq!(fts[0]["n"], 0, "the keyword index forgot the deleted chunks");
}

#[tokio::test]
async fn bad_queries_answer_with_results_or_a_clear_400_never_a_500() {
    let (native, _dir) = native().await;
    let long = "sqlite+".repeat(800);
    for query in [
        "q=",
        "q=+++",
        "q=%22unbalanced",
        "q=a+AND+OR+NEAR(b",
        "q=*",
        "q=-x",
        "q=col%3Avalue",
        "q=%E2%80%8B",
        "q=%F0%9F%99%82",
        "q=x&folder=no-such-folder",
        "q=x&tag=nope",
        "q=markdown&unknown=1",
    ] {
        let (status, found) = search(&native, query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {found}");
        assert!(found["results"].is_array(), "{query}: {found}");
    }
    let (status, _) = search(&native, &format!("q={long}")).await;
    assert_eq!(status, StatusCode::OK);
    for (query, word) in [
        ("q=x&limit=0", "limit"),
        ("q=x&limit=51", "limit"),
        ("q=x&mode=fuzzy", "mode"),
        ("q=x&after=soon", "after"),
    ] {
        let (status, found) = search(&native, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(found["error"]["message"].as_str().unwrap_or("").contains(word), "{query}: {found}");
    }
    // No model here: semantic search answers from keywords and says so.
    let (status, found) = search(&native, "q=markdown&mode=semantic").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["degraded"], true);
    assert!(!titles(&found).is_empty(), "{found}");
    let (_, found) = search(&native, "q=markdown").await;
    assert_eq!((found["mode"].as_str(), found["degraded"].as_bool()), (Some("hybrid"), Some(true)));
}

#[tokio::test]
async fn a_misspelt_word_is_corrected_from_the_index() {
    let (native, _dir) = with_lighthouse().await;
    let (_, found) = search(&native, "q=diafone+&mode=keyword").await;
    assert_eq!(found["corrected"], "diaphone", "{found}");
    assert_eq!(titles(&found), ["Lighthouse keeping"]);
}

#[tokio::test]
async fn filters_and_the_search_page_without_javascript() {
    let (native, _dir) = native().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _, _) = send(
        &native.router,
        with_cookie(multipart_in("coast", &[("lighthouse.md", LIGHTHOUSE.as_bytes())]), &admin),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    native.tasks.wait_idle().await;
    assert_eq!(titles(&search(&native, "q=lamp&folder=coast").await.1), ["Lighthouse keeping"]);
    assert!(titles(&search(&native, "q=lamp&folder=inland").await.1).is_empty());
    assert!(titles(&search(&native, "q=lamp&after=2999-01-01").await.1).is_empty());

    let (status, _, page) = send(&native.router, get("/search?q=fresnel&folder=coast")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-testid=\"search-result\""), "{page}");
    assert!(page.contains("href=\"/docs/coast-lighthouse#lamps\""), "{page}");
    assert!(page.contains("<mark>Fresnel</mark>"), "{page}");
    assert!(page.contains("data-testid=\"search-degraded\""), "no model: the page says so");
    assert!(page.contains("<title>fresnel — search — Folio</title>"), "{page}");
    let (_, _, empty) = send(&native.router, get("/search?q=zeppelin")).await;
    assert!(empty.contains("data-testid=\"search-empty\""), "{empty}");
    let (status, _, bad) = send(&native.router, get("/search?q=x&limit=500")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("limit must be"), "{bad}");
}

/// Documents published before search existed: the migration gives each live version an
/// `index` job, the sweep runs it, and re-publishing the live version changes nothing readers see.
#[tokio::test]
async fn documents_from_before_search_are_indexed_by_the_backfill() {
    let dir = tempfile::TempDir::new().expect("dir");
    let config =
        server::config::Config { data_dir: dir.path().to_owned(), ..server::config::Config::default() }
            .without_models();
    let options = || app::http::leptos_options().expect("options");
    let native = server::startup::build(&config, options()).await.expect("host");
    native.tasks.wait_idle().await;
    let before = documents(&native).await;
    assert!(before.len() >= 4, "samples: {before:?}");
    drop(native);
    // Undo migration 0010, as on a database from the previous release.
    {
        let db = rusqlite::Connection::open(dir.path().join("folio.db")).expect("db");
        db.execute_batch(
            "DROP TABLE chunks_vocab; DROP TABLE chunks_fts; DROP TABLE chunks; DROP TABLE vector_garbage;
             DELETE FROM d1_migrations WHERE name = '0010_search_chunks.sql';",
        )
        .expect("undo 0010");
    }
    let native = server::startup::build(&config, options()).await.expect("host");
    assert_eq!(count(&native, "chunks").await, 0);
    assert_eq!(
        count(&native, "ingest_jobs").await,
        i64::try_from(before.len()).expect("n"),
        "one job per live version"
    );
    let swept = domain::ingest::sweep(&native.site).await.expect("sweep");
    assert_eq!(swept.jobs_run, before.len());
    assert!(count(&native, "chunks").await > 0);
    assert_eq!(count(&native, "ingest_jobs").await, 0);
    let after = documents(&native).await;
    assert_eq!(before, after, "the backfill is not an update");
    let (_, found) = search(&native, "q=markdown&mode=keyword").await;
    assert!(!titles(&found).is_empty());
}

/// A query scores at most `scored_chunks` chunks: a word in more chunks than that is left out
/// when rarer words are there, and when every word is that common the newest chunks holding it
/// are ranked. Here the budget is 2 chunks, so "beacon" (in every document) is common.
#[tokio::test]
async fn words_in_more_chunks_than_the_budget_give_way_to_rarer_ones() {
    let dir = tempfile::TempDir::new().expect("dir");
    let mut config =
        server::config::Config { data_dir: dir.path().to_owned(), ..server::config::Config::default() }
            .without_models();
    config.site.seed_samples = false;
    config.site.admin_email = Some(ADMIN_EMAIL.into());
    config.site.admin_password = Some(ADMIN_PASSWORD.into());
    config.site.search.scored_chunks = 2;
    let native =
        server::startup::build(&config, app::http::leptos_options().expect("options")).await.expect("host");
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let pages: Vec<(String, String)> = ["Alder", "Birch", "Cedar", "Damson"]
        .iter()
        .map(|name| (format!("{name}.md"), format!("# {name}\n\nThe beacon by the {name} tree.\n")))
        .chain([("keeper.md".into(), "# Keeper\n\nThe beacon keeper winds the diaphone clockwork.\n".into())])
        .collect();
    for (name, text) in &pages {
        let (status, _) = upload(&native, &admin, &[(name.as_str(), text.as_bytes())]).await;
        assert_eq!(status, StatusCode::CREATED);
        native.tasks.wait_idle().await;
    }
    // "beacon" is in 5 chunks: over the budget, so the rare word decides, and finds its page.
    assert_eq!(titles(&search(&native, "q=beacon+diaphone&mode=keyword").await.1), ["Keeper"]);
    let mut found = titles(&search(&native, "q=beacon+clockwork+birch&mode=keyword").await.1);
    found.sort();
    assert_eq!(found, ["Birch", "Keeper"], "any of the rare words");
    // Only common words: the newest chunks that hold them, never nothing.
    let mut found = titles(&search(&native, "q=beacon&mode=keyword").await.1);
    found.sort();
    assert_eq!(found, ["Damson", "Keeper"], "the two newest of five");
    // The word being typed is still a prefix while it is not a word of the index yet.
    assert_eq!(titles(&search(&native, "q=diaph&mode=keyword").await.1), ["Keeper"]);
}

/// The SQLite adapter, counting the statements a use case sends it.
struct Counted {
    inner: std::sync::Arc<dyn domain::Db>,
    statements: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl domain::Db for Counted {
    async fn query(&self, stmt: Statement) -> Result<Vec<domain::sql::Row>, domain::DbError> {
        self.statements.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.query(stmt).await
    }
    async fn execute(&self, stmt: Statement) -> Result<u64, domain::DbError> {
        self.statements.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.execute(stmt).await
    }
    async fn batch(&self, stmts: Vec<Statement>) -> Result<(), domain::DbError> {
        self.statements.fetch_add(stmts.len(), std::sync::atomic::Ordering::SeqCst);
        self.inner.batch(stmts).await
    }
}

/// A query of 100 words no document holds costs a bounded number of statements (not a
/// spelling correction each), typed loose or as one long phrase, and still answers; a misspelt
/// word among a few is still corrected.
#[tokio::test]
async fn a_query_of_many_unknown_words_costs_a_bounded_number_of_statements() {
    let (native, _dir) = with_lighthouse().await;
    let db = std::sync::Arc::new(Counted {
        inner: native.site.ports.db.clone(),
        statements: std::sync::atomic::AtomicUsize::new(0),
    });
    let ports = domain::Ports { db: db.clone(), ..native.site.ports.clone() };
    let site = domain::Site { ports, ..native.site.clone() };
    // Four letters each ("qzab", "qzac", …): long enough to be corrected, near no real word.
    let words: Vec<String> =
        (0..100).map(|i| format!("qz{}{}", (b'a' + i / 26) as char, (b'a' + i % 26) as char)).collect();
    let loose = words.join(" ");
    let phrase = format!("\"{}\"", words.join(" "));
    for query in [loose, phrase] {
        db.statements.store(0, std::sync::atomic::Ordering::SeqCst);
        let request = domain::search::Request {
            query: query.clone(),
            mode: domain::search::Mode::Keyword,
            limit: 10,
            ..Default::default()
        };
        let found = domain::search::search(&site, request).await.expect("an answer");
        assert!(found.results.is_empty(), "{found:?}");
        let statements = db.statements.load(std::sync::atomic::Ordering::SeqCst);
        assert!(statements <= 12, "{statements} statements for {query:?}");
    }
    let request = domain::search::Request {
        query: "qzaa qzab diafone ".into(),
        mode: domain::search::Mode::Keyword,
        limit: 10,
        ..Default::default()
    };
    let found = domain::search::search(&site, request).await.expect("an answer");
    assert_eq!(found.results.first().map(|h| h.title.as_str()), Some("Lighthouse keeping"), "{found:?}");
}

/// Every document's slug, update time and version.
async fn documents(native: &server::startup::Native) -> Vec<domain::sql::Row> {
    let sql = "SELECT slug, updated_at, version FROM documents ORDER BY slug";
    native.site.ports.db.query(Statement::new(sql)).await.expect("docs")
}
