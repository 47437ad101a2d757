//! `make bench-search`: search latency at 50k and 500k chunks on the native host, and how fast
//! chunks are embedded. Prints figures; asserts nothing.
//!
//! The corpus is synthetic at this size (embedding 500k chunks with MiniLM would take a day on
//! two cores): chunk text is windows of real documentation (the eval's git-doc pages when
//! `make eval` has fetched them, else Folio's sample pages), and vectors are random unit
//! vectors (no cluster structure: the hard case for an HNSW graph). Queries are the eval's
//! questions, embedded by the real model on every search, as a reader's would be.
//!
//!   FOLIO_BENCH_SIZES=50000,500000 cargo bench -p server --bench search

use domain::ports::{VectorQuery, VectorRecord, Vectors};
use domain::search::{Mode, Request};
use domain::sql::Statement;
use server::adapters::local_model::LocalModel;
use server::adapters::vector_index::VectorIndex;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DIMS: usize = 384;
const CHUNKS_PER_DOC: usize = 10;

/// A small deterministic generator (xorshift): no dependency, same corpus every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
    /// Roughly normal (sum of uniforms), for random directions.
    fn gaussian(&mut self) -> f32 {
        (0..4).map(|_| (self.next() % 10_000) as f32 / 10_000.0).sum::<f32>() - 2.0
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn words_of_real_docs() -> Vec<String> {
    let cache = std::env::var("FOLIO_CACHE")
        .unwrap_or_else(|_| format!("{}/.cache/folio", std::env::var("HOME").unwrap_or_default()));
    let mut text = String::new();
    for dir in [format!("{cache}/eval/git-doc"), format!("{}/../content/samples", env!("CARGO_MANIFEST_DIR"))]
    {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if let Ok(t) = std::fs::read_to_string(entry.path()) {
                    // Tags out, words in: good enough for a vocabulary with real frequencies.
                    let mut in_tag = false;
                    for c in t.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => {
                                in_tag = false;
                                text.push(' ');
                            }
                            _ if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                }
            }
        }
        if text.len() > 1_000_000 {
            break;
        }
    }
    text.split_whitespace().map(str::to_owned).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn fill(db: &dyn domain::Db, n: usize, words: &[String], rng: &mut Rng) {
    let docs = n.div_ceil(CHUNKS_PER_DOC);
    db.execute(
        Statement::new("INSERT INTO blobs (key, size, content_type) VALUES (?1, 1, 'text/markdown')")
            .bind("0".repeat(64)),
    )
    .await
    .expect("blob");
    let mut batch = Vec::new();
    for d in 0..docs {
        let id = i64::try_from(d + 1).expect("id");
        batch.push(
            Statement::new(
                "INSERT INTO documents (id, slug, title, body_md, excerpt, published, version) VALUES (?1, ?2, ?3, '', '', 1, 1)",
            )
            .bind(id)
            .bind(format!("doc-{id}"))
            .bind(format!("Document {id}")),
        );
        batch.push(
            Statement::new(
                "INSERT INTO document_versions (id, document_id, version, blob_key, source_name, kind, status)
                 VALUES (?1, ?1, 1, ?2, 'x.md', 'markdown', 'ready')",
            )
            .bind(id)
            .bind("0".repeat(64)),
        );
        for o in 0..CHUNKS_PER_DOC {
            let start = rng.below(words.len().saturating_sub(200).max(1));
            let body = words[start..(start + 180).min(words.len())].join(" ");
            batch.push(
                Statement::new(
                    "INSERT INTO chunks (version_id, document_id, version, ordinal, title, heading, anchor, body, words, embedded)
                     VALUES (?1, ?1, 1, ?2, ?3, 'Section', 'section', ?4, 180, 1)",
                )
                .bind(id)
                .bind(i64::try_from(o).expect("o"))
                .bind(format!("Document {id}"))
                .bind(body),
            );
        }
        if batch.len() > 5_000 {
            db.batch(std::mem::take(&mut batch)).await.expect("batch");
        }
    }
    db.batch(batch).await.expect("batch");
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("FOLIO_BENCH_SIZES")
        .unwrap_or_else(|_| "50000,500000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let config = server::config::Config::default();
    let source = models::ModelSource::parse(
        config.embedding_model().unwrap_or_default().as_str(),
        &config.model_cache,
    )
    .expect("model source");
    let model = Arc::new(LocalModel::new(
        models::SentenceEmbedder::load(&source).expect("model (run scripts/setup.sh)"),
    ));
    let words = words_of_real_docs();
    let questions: Vec<String> =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../eval/git-doc/questions.jsonl"))
            .expect("questions")
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["q"].as_str().map(str::to_owned))
            .collect();

    // Embedding throughput on real chunk-sized text, as the embed stage runs it.
    let texts: Vec<String> = (0..64).map(|i| words[i * 180..(i + 1) * 180].join(" ")).collect();
    let started = Instant::now();
    for batch in texts.chunks(32) {
        domain::ports::Ai::embed(model.as_ref(), batch.to_vec()).await.expect("embed");
    }
    let embed_rate = texts.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "embedding: {embed_rate:.1} chunks/s (MiniLM, batches of 32, {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    println!("\n| chunks | mode | p50 ms | p95 ms |\n|---|---|---|---|");
    for &n in &sizes {
        let dir = tempfile::TempDir::new().expect("dir");
        let db =
            Arc::new(server::adapters::sqlite::SqliteDb::open(&dir.path().join("folio.db")).expect("db"));
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let started = Instant::now();
        fill(db.as_ref(), n, &words, &mut rng).await;
        let fill_s = started.elapsed().as_secs_f64();
        let (index, _) = VectorIndex::open(&dir.path().join("vectors.sqlite3"), DIMS).expect("index");
        assert!(index.ready(Duration::from_secs(60)).await);
        let started = Instant::now();
        let docs = n.div_ceil(CHUNKS_PER_DOC);
        // Batches small enough that each write ends within the adapter's 5 s time-out even late
        // in a 500k-vector graph (1,000 at a time did not, with other work on the cores).
        let mut records = Vec::with_capacity(250);
        for d in 0..docs {
            for o in 0..CHUNKS_PER_DOC {
                let id = i64::try_from(d + 1).expect("id");
                records.push(VectorRecord {
                    id: format!("{id}:{o}"),
                    values: unit((0..DIMS).map(|_| rng.gaussian()).collect()),
                    document_id: id,
                    folder: String::new(),
                });
                if records.len() == 250 {
                    index.upsert(std::mem::take(&mut records)).await.expect("upsert");
                }
            }
        }
        index.upsert(records).await.expect("upsert");
        let index_s = started.elapsed().as_secs_f64();
        eprintln!(
            "{n} chunks: keyword index {fill_s:.0} s, vector index {index_s:.0} s ({:.0} vectors/s)",
            n as f64 / index_s
        );

        // The vector lookup alone: HNSW against an exact scan (what sqlite-vec's vec0 does).
        let probe: Vec<Vec<f32>> =
            (0..50).map(|_| unit((0..DIMS).map(|_| rng.gaussian()).collect())).collect();
        for (label, exact) in [("vector lookup, HNSW (usearch)", false), ("vector lookup, exact scan", true)]
        {
            let mut times = Vec::new();
            for v in &probe {
                let started = Instant::now();
                if exact {
                    index.exact(v, 100).expect("exact");
                } else {
                    index
                        .query(VectorQuery { values: v.clone(), top_k: 100, folder: None })
                        .await
                        .expect("query");
                }
                times.push(started.elapsed());
            }
            times.sort();
            println!("| {n} | {label} | {:.2} | {:.2} |", percentile(&times, 50.0), percentile(&times, 95.0));
        }

        let tasks = server::adapters::tokio_tasks::TokioTasks::new();
        let ports = domain::Ports::new(
            db.clone(),
            Arc::new(server::adapters::blob_folder::FsBlobs::open(&dir.path().join("blobs")).expect("blobs")),
            Arc::new(tasks),
            Arc::new(server::adapters::argon2id::Argon2Passwords::new()),
        )
        .with_semantic(model.clone(), Arc::new(index));
        let site = domain::Site::new(ports);
        for mode in [Mode::Keyword, Mode::Semantic, Mode::Hybrid] {
            let mut times = Vec::new();
            for q in questions.iter().cycle().take(200) {
                // Nothing kept from the previous rounds: every search pays its way (a repeat is
                // a hash lookup, which is not what this measures).
                let site = domain::Site { searches: Arc::default(), ..site.clone() };
                let started = Instant::now();
                let found = domain::search::search(
                    &site,
                    Request { query: q.clone(), mode, limit: 10, ..Request::default() },
                )
                .await
                .expect("search");
                assert!(!found.degraded, "{mode:?} degraded");
                times.push(started.elapsed());
            }
            times.sort();
            let note = if mode == Mode::Keyword { "" } else { " (query embedding included)" };
            println!(
                "| {n} | {mode:?}{note} | {:.1} | {:.1} |",
                percentile(&times, 50.0),
                percentile(&times, 95.0)
            );
        }
    }
}
