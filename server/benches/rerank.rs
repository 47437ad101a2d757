//! `make bench-rerank`: what hybrid's second stage costs natively, per search (the fused top 30
//! passages of up to 1,500 characters, as `domain::search::rerank` sends them), through
//! `LocalModel::rerank` as search calls it. Prints figures; asserts nothing.
//!
//! Three rerankers: the embedding model standing in (the default), and the two cross-encoder
//! shapes `RERANK_MODEL` reads. No published cross-encoder ships offline, so those two are the
//! test fixtures of the same size (`models::fixtures`): ms-marco-MiniLM-L-6-v2's shape is
//! MiniLM's real BERT with a one-score head; bge-reranker-base's is its 12 × 768 encoder with
//! random weights. Their scores mean nothing; their cost is the published models' cost.

use domain::ports::Ai;
use server::adapters::local_model::LocalModel;
use std::time::{Duration, Instant};

/// Passages a search reranks, and the characters of each (`domain::search::rerank`).
const PASSAGES: usize = 30;
const PASSAGE_CHARS: usize = 1_500;
const SEARCHES: usize = 8;

fn passages() -> Vec<String> {
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../content/samples");
    let mut text = String::new();
    let mut files: Vec<_> =
        std::fs::read_dir(samples).expect("samples").flatten().map(|e| e.path()).collect();
    files.sort();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "md")) {
        text.push_str(&std::fs::read_to_string(file).expect("a sample"));
        text.push('\n');
    }
    let chars: Vec<char> = text.chars().collect();
    (0..PASSAGES)
        .map(|i| {
            let start = (i * 997) % chars.len().saturating_sub(PASSAGE_CHARS).max(1);
            chars[start..(start + PASSAGE_CHARS).min(chars.len())].iter().collect()
        })
        .collect()
}

fn questions() -> Vec<String> {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../eval/git-doc/questions.jsonl"))
        .expect("questions")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["q"].as_str().map(str::to_owned))
        .take(SEARCHES)
        .collect()
}

fn embedder() -> models::SentenceEmbedder {
    let config = server::config::Config::default();
    let source =
        models::ModelSource::parse(&config.embedding_model().unwrap_or_default(), &config.model_cache)
            .expect("model source");
    models::SentenceEmbedder::load(&source).expect("model (run scripts/setup.sh)")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn measure(label: &str, model: &LocalModel) {
    let passages = passages();
    let mut times = Vec::new();
    for question in questions() {
        let started = Instant::now();
        let scores = model.rerank(question, passages.clone()).await.expect("reranked");
        assert_eq!(scores.len(), PASSAGES);
        times.push(started.elapsed());
    }
    times.sort();
    println!("| {label} | {:.0} | {:.0} |", percentile(&times, 50.0), percentile(&times, 95.0));
}

#[tokio::main]
async fn main() {
    let minilm = models::fixtures::minilm();
    println!(
        "{PASSAGES} passages of {PASSAGE_CHARS} characters a search, {SEARCHES} searches, {} cores\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| reranker | p50 ms | p95 ms |\n|---|---|---|");
    measure("the embedding model standing in (MiniLM-L6-v2, 256 tokens)", &LocalModel::new(embedder())).await;
    let small = tempfile::tempdir().expect("dir");
    models::fixtures::bert_cross_encoder(&minilm, small.path()).expect("fixture");
    measure_cross_encoder("a cross-encoder the size of ms-marco-MiniLM-L-6-v2 (512 tokens)", small.path())
        .await;
    let base = tempfile::tempdir().expect("dir");
    models::fixtures::xlm_roberta_cross_encoder(
        &minilm,
        base.path(),
        models::fixtures::XlmShape::BGE_RERANKER_BASE,
    )
    .expect("fixture");
    measure_cross_encoder("a cross-encoder the size of bge-reranker-base (512 tokens)", base.path()).await;
}

async fn measure_cross_encoder(label: &str, dir: &std::path::Path) {
    let reranker = models::CrossEncoder::load(&models::ModelSource::Dir(dir.to_owned())).expect("loads");
    measure(label, &LocalModel::new(embedder()).with_reranker(reranker)).await;
}
