//! Semantic search with the real parts: all-MiniLM-L6-v2 on candle (from the model cache that
//! set-up fills from the PyPI wheel) and the usearch index over its SQLite store. The contract
//! suites run against both adapters; then a document is found by a question in other words,
//! an edit and a delete are followed, and a model that is down degrades to keywords.

mod common;

use common::*;
use domain::sql::Statement;
use server::adapters::local_model::LocalModel;
use server::adapters::vector_index::{Opened, VectorIndex};
use server::config::Config;
use std::sync::Arc;
use std::time::Duration;

fn model_config(dir: &std::path::Path, fault: Option<&str>) -> Config {
    let mut config = Config {
        data_dir: dir.to_owned(),
        ai_fault: fault.map(|f| server::adapters::local_model::Misbehaviour::parse(f).expect("a fault")),
        ..Config::default()
    };
    config.site.admin_email = Some(ADMIN_EMAIL.into());
    config.site.admin_password = Some(ADMIN_PASSWORD.into());
    // Search only: the text model's own tests are in tests/enrich.rs.
    config.site.text_model = domain::config::ModelChoice::Off;
    config
}

fn embedder() -> models::SentenceEmbedder {
    let config = Config::default();
    let name = config.embedding_model().expect("a default model");
    let source = models::ModelSource::parse(&name, &config.model_cache).expect("source");
    models::SentenceEmbedder::load(&source).unwrap_or_else(|e| {
        panic!("{e}: run scripts/setup.sh, which unpacks the model into {}", config.model_cache.display())
    })
}

fn assert_all_pass(checks: &[domain::contract::Check], expected: usize) {
    let failed: Vec<_> = checks.iter().filter(|c| !c.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(checks.len(), expected);
}

/// A query runs on one thread and a batch on every core: the same text gets the same vector
/// either way (the batch pads it to its longest text; the mask keeps padding out of the mean).
#[test]
fn a_short_query_gets_the_same_vector_alone_as_in_a_long_batch() {
    let embedder = embedder();
    let query = "How do I undo the last commit?".to_owned();
    let long = "A commit records a snapshot of the project. ".repeat(20);
    let alone = embedder.embed(std::slice::from_ref(&query)).expect("alone").remove(0);
    let batched = embedder.embed(&[query, long]).expect("batched").remove(0);
    let cosine: f32 = alone.iter().zip(&batched).map(|(a, b)| a * b).sum();
    assert!(cosine > 0.9999, "cosine {cosine}");
}

#[tokio::test]
async fn the_local_model_passes_the_ai_contract() {
    let model = LocalModel::new(embedder());
    assert_eq!(model.dimensions(), 384);
    assert_all_pass(&domain::contract::ai_embeddings(&model, 384).await, 2);
}

/// Background embeddings queue one batch at a time, a single text too (a one-chunk page being
/// ingested is not a reader), and are not failed for the time they waited: each slice's
/// time-out counts from when it runs. A reader's query goes ahead of the queue.
#[tokio::test]
async fn background_embeddings_queue_without_timing_out_and_a_query_goes_first() {
    use domain::ports::Ai;
    let model = Arc::new(LocalModel::new(embedder()));
    let long = "A commit records a snapshot of the project, with its author and a message. ".repeat(16);
    let texts: Vec<String> = (0..48).map(|i| format!("{i}. {long}")).collect();
    let order = Arc::new(std::sync::Mutex::new(Vec::<&str>::new()));
    let ended = |name: &'static str| {
        let order = order.clone();
        move || order.lock().expect("order").push(name)
    };
    let started = std::time::Instant::now();
    let batch = tokio::spawn({
        let (model, done) = (model.clone(), ended("batch"));
        async move {
            let vectors = model.embed(texts).await;
            done();
            vectors
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let single = tokio::spawn({
        let (model, done) = (model.clone(), ended("one background text"));
        async move {
            let vectors = model.embed(vec!["A page of one chunk.".into()]).await;
            done();
            vectors
        }
    });
    let query = model.embed_now(vec!["How do I undo a commit?".into()]).await;
    ended("query")();
    let (batch, single) = (batch.await.expect("joined"), single.await.expect("joined"));
    eprintln!("48 long texts, then one queued behind them: {:?}", started.elapsed());
    assert_eq!(batch.expect("the batch").len(), 48);
    assert_eq!(query.expect("the query").len(), 1);
    assert_eq!(single.expect("not failed for waiting behind the batch").len(), 1);
    assert_eq!(*order.lock().expect("order"), ["query", "batch", "one background text"]);
}

/// Natively the embedder stands in for a cross-encoder: a passage that answers the question
/// in other words scores above one that shares none of its meaning, one score per passage.
#[tokio::test]
async fn the_local_models_rerank_scores_passages_by_meaning() {
    use domain::ports::Ai;
    let model = LocalModel::new(embedder());
    let scores = model
        .rerank(
            "how do I protect against losing my files".into(),
            vec![
                "Tomatoes — Watering\nWater the plants early in the morning, at the roots.".into(),
                "Keeping copies safe — Snapshots\nBefore any upgrade, copy the whole data folder to another disk.".into(),
            ],
        )
        .await
        .expect("scores");
    eprintln!("rerank scores: {scores:?}");
    assert_eq!(scores.len(), 2);
    assert!(scores[1] > scores[0] + 0.1, "{scores:?}");
    assert!(scores.iter().all(|s| (-1.0..=1.0).contains(s)), "cosines: {scores:?}");
}

/// A cross-encoder named by `RERANK_MODEL` answers the reranker's call in the embedder's place.
/// (Built from MiniLM for the test: no published cross-encoder ships offline; see
/// `models::fixtures`.)
#[tokio::test]
async fn a_named_cross_encoder_reranks_in_the_embedders_place() {
    use domain::ports::Ai;
    let dir = tempfile::TempDir::new().expect("dir");
    models::fixtures::bert_cross_encoder(&models::fixtures::minilm(), dir.path()).expect("fixture");
    let source = models::ModelSource::Dir(dir.path().to_owned());
    let direct = models::CrossEncoder::load(&source).expect("loads");
    let model =
        LocalModel::new(embedder()).with_reranker(models::CrossEncoder::load(&source).expect("loads"));
    let (query, passages) =
        ("how do I protect against losing my files", vec![GARDEN.to_owned(), BACKUPS.to_owned()]);
    let scores = model.rerank(query.into(), passages.clone()).await.expect("scores");
    assert_eq!(scores, direct.score(query, &passages, || true).expect("scored"));
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "probabilities: {scores:?}");
}

/// The setting is read at start: search's second stage shows the named model's scores. A name
/// that does not load leaves the site up, the embedder standing in; `off` reranks nothing.
#[tokio::test]
async fn the_rerank_model_setting_loads_at_start_and_a_bad_one_leaves_the_embedder() {
    use domain::config::ModelChoice;
    let models_dir = tempfile::TempDir::new().expect("dir");
    models::fixtures::same_score_cross_encoder(&models::fixtures::minilm(), models_dir.path(), 0.75)
        .expect("fixture");
    let named = models_dir.path().to_str().expect("utf-8").to_owned();
    // (the setting, reranked, every score the named model's)
    for (choice, reranked, named_model_scores) in [
        (ModelChoice::Named(named), true, true),
        (ModelChoice::Named("/not/a/model".into()), true, false),
        (ModelChoice::Off, false, false),
    ] {
        let dir = tempfile::TempDir::new().expect("dir");
        let mut config = model_config(dir.path(), None);
        config.site.rerank_model = choice.clone();
        config.site.search.rerank = true;
        let native =
            server::startup::build(&config, app::http::leptos_options().expect("o")).await.expect("host");
        native.tasks.wait_idle().await;
        let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        upload(&native, &admin, &[("backups.md", BACKUPS.as_bytes()), ("garden.md", GARDEN.as_bytes())])
            .await;
        native.tasks.wait_idle().await;
        let found = search(&native, "q=water+the+plants+or+copy+the+data+folder").await;
        assert_eq!(found["reranked"].as_bool().unwrap_or(false), reranked, "{choice:?}: {found}");
        let scores: Vec<f64> = found["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter_map(|r| r["score"].as_f64())
            .collect();
        assert!(scores.len() >= 2, "{found}");
        let all_the_named_models = scores.iter().all(|s| (s - 0.75).abs() < 1e-4);
        assert_eq!(all_the_named_models, named_model_scores, "{choice:?}: {scores:?}");
    }
}

#[tokio::test]
async fn the_vector_index_passes_the_contract_and_survives_a_restart() {
    let dir = tempfile::TempDir::new().expect("dir");
    let path = dir.path().join("vectors.sqlite3");
    let (index, opened) = VectorIndex::open(&path, 384).expect("open");
    assert_eq!(opened, Opened::Kept { vectors: 0 });
    assert!(index.ready(Duration::from_secs(10)).await);
    let settle = || -> futures::future::BoxFuture<'static, ()> { Box::pin(async {}) };
    assert_all_pass(&domain::contract::vectors(&index, 999_999, settle).await, 5);

    // Vectors written survive a restart (the graph is rebuilt from the store).
    use domain::ports::{VectorQuery, VectorRecord, Vectors};
    let values: Vec<f32> = (0..384).map(|i| if i == 3 { 1.0 } else { 0.0 }).collect();
    index
        .upsert(vec![VectorRecord {
            id: "7:1".into(),
            values: values.clone(),
            document_id: 1,
            folder: String::new(),
        }])
        .await
        .expect("upsert");
    drop(index);
    let (index, opened) = VectorIndex::open(&path, 384).expect("reopen");
    assert_eq!(opened, Opened::Kept { vectors: 1 });
    assert!(index.ready(Duration::from_secs(10)).await);
    let found = index.query(VectorQuery { values, top_k: 1, folder: None }).await.expect("query");
    assert_eq!(found[0].id, "7:1");
    // A model of another size empties the store rather than mixing vectors.
    drop(index);
    let (_, opened) = VectorIndex::open(&path, 768).expect("resized");
    assert_eq!(opened, Opened::Reset);
}

const BACKUPS: &str = "# Keeping copies safe\n\n## Snapshots\n\nBefore any upgrade, copy the whole data \
folder to another disk. Restoring it is the way back if something breaks.\n";
const GARDEN: &str = "# Tomatoes\n\n## Watering\n\nWater the plants early in the morning, at the roots, \
so the leaves stay dry in the sun.\n";

async fn search(native: &server::startup::Native, query: &str) -> serde_json::Value {
    let (status, _, body) = send(&native.router, get(&format!("/api/search?{query}"))).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("json")
}

fn first_title(found: &serde_json::Value) -> &str {
    found["results"][0]["title"].as_str().unwrap_or("")
}

/// A site with the real model, signed in as the admin, with the backups and garden pages
/// uploaded and embedded: (site, admin cookie, the upload results, its data folder).
async fn with_backups_and_garden() -> (server::startup::Native, String, serde_json::Value, tempfile::TempDir)
{
    let dir = tempfile::TempDir::new().expect("dir");
    let native =
        server::startup::build(&model_config(dir.path(), None), app::http::leptos_options().expect("o"))
            .await
            .expect("host");
    native.tasks.wait_idle().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, created) =
        upload(&native, &admin, &[("backups.md", BACKUPS.as_bytes()), ("garden.md", GARDEN.as_bytes())])
            .await;
    native.tasks.wait_idle().await;
    (native, admin, created, dir)
}

#[tokio::test]
async fn a_question_in_other_words_finds_the_passage_and_old_text_never_shows() {
    let (native, admin, created, _dir) = with_backups_and_garden().await;
    assert_eq!(count(&native, "chunks WHERE embedded = 0").await, 0, "every chunk has its vector");

    // No word of the question is in the document.
    let found = search(&native, "q=how+do+I+protect+against+losing+my+files&mode=semantic").await;
    assert_eq!(found["degraded"], false, "{found}");
    assert_eq!(first_title(&found), "Keeping copies safe", "{found}");
    assert_eq!(found["results"][0]["url"], "/docs/backups#snapshots");
    let found = search(&native, "q=when+should+plants+get+water&mode=hybrid").await;
    assert_eq!(first_title(&found), "Tomatoes", "{found}");

    // An edit: the old version's vectors are forgotten and never shown.
    let id = created[1]["id"].as_i64().expect("id");
    let body = format!("id={id}&base_version=1&markdown=%23+Tomatoes%0A%0AStake+the+stems+against+the+wind.");
    send(&native.router, with_cookie(form("/api/save-document", body), &admin)).await;
    native.tasks.wait_idle().await;
    assert_eq!(count(&native, "vector_garbage").await, 0, "the vector index was told");
    let found = search(&native, "q=when+should+plants+get+water&mode=semantic").await;
    let urls: Vec<&str> =
        found["results"].as_array().expect("r").iter().filter_map(|r| r["url"].as_str()).collect();
    assert!(!urls.contains(&"/docs/garden#watering"), "an old version's section: {urls:?}");

    // A delete: nothing of it is found, by meaning or by words.
    send(&native.router, with_cookie(delete(&format!("/api/documents/{}", created[0]["id"])), &admin)).await;
    native.tasks.wait_idle().await;
    let found = search(&native, "q=how+do+I+protect+against+losing+my+files").await;
    assert!(found["results"].as_array().expect("r").iter().all(|r| r["slug"] != "backups"), "{found}");
}

const BREAD: &str = "# Baking bread\n\n## Kneading\n\nWork the dough with your hands for ten minutes, \
until it is smooth and springs back when you press it.\n";

/// A document's version ids and its chunks' ids.
async fn ids_of(native: &server::startup::Native, document_id: i64) -> (Vec<i64>, Vec<i64>) {
    let ids = |sql: &'static str| async move {
        let rows = native.site.ports.db.query(Statement::new(sql).bind(document_id)).await.expect("ids");
        rows.iter().map(|r| r["id"].as_i64().expect("id")).collect::<Vec<i64>>()
    };
    (
        ids("SELECT id FROM document_versions WHERE document_id = ?1 ORDER BY id").await,
        ids("SELECT id FROM chunks WHERE document_id = ?1 ORDER BY id").await,
    )
}

/// The newest document deleted and another uploaded at once: the new one gets ids of its own, so
/// the vector ids the deleted one left to forget (`<version>:<ordinal>`) are never its vectors.
#[tokio::test]
async fn a_document_uploaded_right_after_the_newest_is_deleted_is_found_by_meaning() {
    let (native, admin, created, _dir) = with_backups_and_garden().await;
    let garden = created[1]["id"].as_i64().expect("id");
    let (garden_versions, garden_chunks) = ids_of(&native, garden).await;
    assert!(!garden_chunks.is_empty() && count(&native, "chunks WHERE embedded = 0").await == 0);

    let (status, _, body) =
        send(&native.router, with_cookie(delete(&format!("/api/documents/{garden}")), &admin)).await;
    assert_eq!(status, 204, "{body}");
    let (_, added) = upload(&native, &admin, &[("bread.md", BREAD.as_bytes())]).await;
    native.tasks.wait_idle().await;
    domain::ingest::sweep(&native.site).await.expect("sweep");
    native.tasks.wait_idle().await;

    // No word of the question is in the document.
    let found = search(&native, "q=what+makes+a+loaf+rise+from+flour+and+yeast&mode=semantic").await;
    assert_eq!(first_title(&found), "Baking bread", "{found}");
    let bread = added[0]["id"].as_i64().expect("id");
    let (bread_versions, bread_chunks) = ids_of(&native, bread).await;
    assert!(bread > garden, "document {bread} after the deleted {garden}");
    assert!(
        bread_versions[0] > garden_versions[garden_versions.len() - 1],
        "{bread_versions:?} {garden_versions:?}"
    );
    assert!(bread_chunks[0] > garden_chunks[garden_chunks.len() - 1], "{bread_chunks:?} {garden_chunks:?}");
}

#[tokio::test]
async fn with_the_model_down_search_answers_from_keywords_and_ingest_waits() {
    let dir = tempfile::TempDir::new().expect("dir");
    let native = server::startup::build(
        &model_config(dir.path(), Some("down")),
        app::http::leptos_options().expect("o"),
    )
    .await
    .expect("host");
    native.tasks.wait_idle().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    upload(&native, &admin, &[("backups.md", BACKUPS.as_bytes())]).await;
    native.tasks.wait_idle().await;
    // Live and keyword-searchable, its chunks waiting for vectors, its embed job retrying.
    let found = search(&native, "q=snapshots").await;
    assert_eq!(
        (found["degraded"].as_bool(), first_title(&found)),
        (Some(true), "Keeping copies safe"),
        "{found}"
    );
    assert!(count(&native, "chunks WHERE embedded = 0").await > 0);
    let jobs = native
        .site
        .ports
        .db
        .query(Statement::new("SELECT stage, last_error FROM ingest_jobs"))
        .await
        .expect("jobs");
    assert!(
        jobs.iter()
            .any(|j| j["stage"] == "embed" && j["last_error"].as_str().is_some_and(|e| e.contains("down"))),
        "{jobs:?}"
    );
    let (_, _, status) = send(&native.router, with_cookie(get("/api/inventory"), &admin)).await;
    assert!(status.contains("\"chunks_waiting\":"), "editors see what waits: {status}");
    let (_, _, page) = send(&native.router, get("/search?q=snapshots")).await;
    assert!(page.contains("Semantic results are unavailable right now"), "{page}");
}

/// A document deleted while the model embeds its chunks: the vectors written for them after the
/// delete are forgotten too (the chunks were not marked embedded yet, so their delete trigger
/// queued nothing for the vector index).
#[tokio::test]
async fn vectors_written_for_a_document_deleted_meanwhile_are_forgotten() {
    struct DeletesMeanwhile {
        db: Arc<dyn domain::ports::Db>,
        document_id: i64,
    }
    #[async_trait::async_trait]
    impl domain::ports::Ai for DeletesMeanwhile {
        async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, domain::error::AiError> {
            // Only while its own chunks are embedded (the sample pages' come first).
            if texts.iter().any(|t| t.contains("Keeping copies safe")) {
                let delete = Statement::new("DELETE FROM documents WHERE id = ?1").bind(self.document_id);
                self.db.execute(delete).await.expect("delete");
            }
            Ok(texts.iter().map(|_| (0..384).map(|i| if i == 7 { 1.0 } else { 0.0 }).collect()).collect())
        }
        async fn generate(&self, _: String, _: String) -> Result<String, domain::error::AiError> {
            Err(domain::error::AiError::Unavailable("none".into()))
        }
    }
    // Keyword search only at first: the upload's chunks wait for vectors.
    let (native, dir) = native().await;
    native.tasks.wait_idle().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, created) = upload(&native, &admin, &[("backups.md", BACKUPS.as_bytes())]).await;
    native.tasks.wait_idle().await;
    let document_id = created[0]["id"].as_i64().expect("id");
    let (versions, _) = ids_of(&native, document_id).await;

    let (index, _) = VectorIndex::open(&dir.path().join("v.sqlite3"), 384).expect("index");
    assert!(index.ready(Duration::from_secs(10)).await);
    let index = Arc::new(index);
    let ai = Arc::new(DeletesMeanwhile { db: native.site.ports.db.clone(), document_id });
    let ports = native.site.ports.clone().with_semantic(ai, index.clone());
    // Queues the waiting chunks' embed jobs and runs them; the model deletes the document.
    domain::ingest::sweep(&domain::Site { ports, ..native.site.clone() }).await.expect("sweep");
    native.tasks.wait_idle().await;

    use domain::ports::{VectorQuery, Vectors};
    let values = (0..384).map(|i| if i == 7 { 1.0 } else { 0.0 }).collect();
    let found = index.query(VectorQuery { values, top_k: 100, folder: None }).await.expect("query");
    assert!(!found.is_empty(), "the other pages' chunks were embedded");
    let prefix = format!("{}:", versions[0]);
    assert!(!found.iter().any(|m| m.id.starts_with(&prefix)), "the deleted document's vectors: {found:?}");
    assert_eq!(count(&native, &format!("documents WHERE id = {document_id}")).await, 0, "deleted meanwhile");
    assert_eq!(count(&native, "vector_garbage").await, 0, "the vector index was told");
}

#[tokio::test]
async fn a_model_of_the_wrong_size_degrades_instead_of_failing() {
    struct Wrong;
    #[async_trait::async_trait]
    impl domain::ports::Ai for Wrong {
        async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, domain::error::AiError> {
            Ok(texts.iter().map(|_| vec![0.1; 17]).collect())
        }
        async fn generate(&self, _: String, _: String) -> Result<String, domain::error::AiError> {
            Err(domain::error::AiError::Unavailable("none".into()))
        }
    }
    let (native, dir) = native().await;
    let (index, _) = VectorIndex::open(&dir.path().join("v.sqlite3"), 384).expect("index");
    let ports = native.site.ports.clone().with_semantic(Arc::new(Wrong), Arc::new(index));
    let router = router_with(domain::Site { ports, ..native.site.clone() });
    let (status, _, body) = send(&router, get("/api/search?q=markdown&mode=semantic")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"degraded\":true") && body.contains("Writing documents"), "{body}");
}
