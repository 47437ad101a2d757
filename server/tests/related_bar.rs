//! Measures the bar a related document must clear (`related_min_similarity`), on the labelled
//! sets with the real model: both corpora (eval/git-doc, eval/sqlite3-doc) and the sample pages
//! are imported into one native site with all-MiniLM-L6-v2, then every page's neighbours are
//! found as its related list finds them (`domain::enrich::related::neighbours`: its opening's
//! embedding against the chunks of every other live document, a document's best chunk its
//! similarity). Pages that are gold for one question answer the same thing (related); a page and
//! one of the other corpus are surely unrelated. Prints the distributions and, per bar, what a
//! page would show; docs/performance.md ("Related documents") quotes it. Ignored: it embeds
//! ~4,300 chunks (13–15 minutes on 2 cores). The corpora are the ones `scripts/eval.sh`
//! copies out of Debian's packages into `$FOLIO_CACHE/eval/<set>/`:
//!
//! ```sh
//! source scripts/env.sh
//! flock /tmp/folio-build.lock cargo test -p server --test related_bar -- --ignored --nocapture
//! ```

mod common;

use common::*;
use domain::enrich::related::{neighbours, Neighbour, Reach, MAX_RELATED, NEAREST_CHUNKS};
use domain::enrich::text;
use domain::ports::DbExt;
use domain::sql::Statement;
use serde::Deserialize;
use server::config::Config;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

const SETS: [&str; 2] = ["git-doc", "sqlite3-doc"];

/// The issue's example: a page about something no other page is about.
const LIGHTHOUSE: &str = "# The Hook Head lighthouse\n\nThe tower at Hook Head in County Wexford has \
guided ships into Waterford harbour for about eight hundred years. Monks kept a fire burning on \
the headland before the stone tower was built, and its walls are four metres thick. The light is \
now automatic, and visitors climb the 115 steps to the balcony to watch the sea.\n";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus(set: &str) -> PathBuf {
    let cache = std::env::var_os("FOLIO_CACHE").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/folio"),
        PathBuf::from,
    );
    cache.join("eval").join(set)
}

fn files(set: &str) -> Vec<String> {
    std::fs::read_to_string(repo().join("eval").join(set).join("files.txt"))
        .expect("files.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Unordered pairs of pages gold for one question.
fn co_gold(set: &str) -> BTreeSet<(String, String)> {
    #[derive(Deserialize)]
    struct Question {
        gold: Vec<String>,
    }
    let text =
        std::fs::read_to_string(repo().join("eval").join(set).join("questions.jsonl")).expect("questions");
    let mut pairs = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let q: Question = serde_json::from_str(line).expect("question");
        for a in &q.gold {
            for b in &q.gold {
                if a < b {
                    pairs.insert((a.clone(), b.clone()));
                }
            }
        }
    }
    pairs
}

/// [`neighbours`], asked again when the model misses its deadline on a busy machine.
async fn nearest(
    site: &domain::Site,
    ai: &dyn domain::Ai,
    (id, slug): (i64, &str),
    input: &str,
    reach: Reach,
) -> Vec<Neighbour> {
    let mut tries = 0;
    loop {
        match neighbours(site, ai, id, input, reach).await {
            Err(domain::error::AiError::Unavailable(why)) if tries < 5 => {
                tries += 1;
                eprintln!("{slug}: {why}; again");
            }
            other => break other.expect("neighbours"),
        }
    }
}

fn percentile(sorted: &[f32], p: f64) -> f32 {
    if sorted.is_empty() {
        return f32::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, values: &mut [f32]) {
    values.sort_by(f32::total_cmp);
    println!(
        "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
        values.len(),
        percentile(values, 0.0),
        percentile(values, 0.1),
        percentile(values, 0.5),
        percentile(values, 0.9),
        percentile(values, 0.99),
        values.last().copied().unwrap_or(f32::NAN),
    );
}

#[derive(Default)]
struct Page {
    /// Every other live document and its best similarity.
    all: HashMap<i64, f32>,
    /// What the related list looks at: the nearest chunks' documents, at most five.
    listed: Vec<Neighbour>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "embeds both labelled corpora with the real model (minutes): run by hand, see the module docs"]
async fn measure_the_related_bar_on_the_labelled_sets() {
    for set in SETS {
        assert!(
            corpus(set).join(".complete").exists(),
            "no corpus in {}: scripts/eval.sh copies it out of Debian's package",
            corpus(set).display()
        );
    }
    let dir = tempfile::TempDir::new().expect("dir");
    let mut config = Config { data_dir: dir.path().to_owned(), ..Config::default() };
    config.site.admin_email = Some(ADMIN_EMAIL.into());
    config.site.admin_password = Some(ADMIN_PASSWORD.into());
    // Related lists only: no summaries, no topics.
    config.site.text_model = domain::config::ModelChoice::Off;
    let native =
        server::startup::build(&config, app::http::leptos_options().expect("options")).await.expect("host");
    native.tasks.wait_idle().await;
    let admin = session_cookie(&native.router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let started = std::time::Instant::now();
    let (status, _) = upload(&native, &admin, &[("lighthouse.md", LIGHTHOUSE.as_bytes())]).await;
    assert_eq!(status, 201);
    let mut set_of: HashMap<String, &str> = HashMap::new();
    for set in SETS {
        let names = files(set);
        for batch in names.chunks(8) {
            let bytes: Vec<(String, Vec<u8>)> = batch
                .iter()
                .map(|f| (f.clone(), std::fs::read(corpus(set).join(f)).expect("page")))
                .collect();
            let parts: Vec<(&str, &[u8])> = bytes.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
            let (status, body) = upload(&native, &admin, &parts).await;
            assert_eq!(status, 201, "{body}");
            native.tasks.wait_idle().await;
        }
        for f in names {
            set_of.insert(domain::content::upload::slug_for(&f).as_str().to_owned(), set);
        }
    }
    native.tasks.wait_idle().await;
    assert_eq!(count(&native, "chunks WHERE embedded = 0").await, 0, "every chunk has its vector");
    let chunks = count(&native, "chunks").await;
    eprintln!("imported and embedded {chunks} chunks in {:.0} s", started.elapsed().as_secs_f64());

    #[derive(Deserialize)]
    struct Doc {
        id: i64,
        slug: String,
        title: String,
        body_md: String,
        body_key: Option<domain::BlobKey>,
    }
    let site = &native.site;
    let docs: Vec<Doc> = site
        .ports
        .db
        .query_all(Statement::new(
            "SELECT id, slug, title, body_md, body_key FROM documents WHERE published = 1 ORDER BY id",
        ))
        .await
        .expect("documents");
    let slug_of: HashMap<i64, String> = docs.iter().map(|d| (d.id, d.slug.clone())).collect();
    for set in SETS {
        let found = set_of.values().filter(|s| **s == set).count();
        let live = docs.iter().filter(|d| set_of.get(&d.slug) == Some(&set)).count();
        assert_eq!(live, found, "every page of {set} is live under its slug");
    }
    let ai = site.ports.ai.clone().expect("the model");
    let everything = Reach {
        chunks: usize::try_from(chunks).expect("chunks") + 10,
        documents: 10_000,
        min_similarity: -1.0,
    };
    let production = Reach { chunks: NEAREST_CHUNKS, documents: MAX_RELATED, min_similarity: -1.0 };
    let mut pages: HashMap<String, Page> = HashMap::new();
    for doc in &docs {
        let markdown =
            domain::storage::blobs::load_text(&site.ports, Some(doc.body_md.clone()), doc.body_key.as_ref())
                .await
                .expect("text");
        let input = text::input(&doc.title, &markdown);
        let all = nearest(site, ai.as_ref(), (doc.id, &doc.slug), &input, everything).await;
        let listed = nearest(site, ai.as_ref(), (doc.id, &doc.slug), &input, production).await;
        let all = all.into_iter().map(|n| (n.document_id, n.similarity)).collect();
        pages.insert(doc.slug.clone(), Page { all, listed });
    }
    let id_of: HashMap<&str, i64> = docs.iter().map(|d| (d.slug.as_str(), d.id)).collect();
    let sim = |a: &str, b: &str| -> f32 { pages[a].all.get(&id_of[b]).copied().unwrap_or(-1.0) };

    let lighthouse = &pages["lighthouse"];
    let mut near: Vec<(String, f32)> =
        lighthouse.all.iter().map(|(id, s)| (slug_of[id].clone(), *s)).collect();
    near.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("\nThe lighthouse page's nearest: {:?}", &near[..5.min(near.len())]);
    let samples: Vec<&(String, f32)> = near.iter().filter(|(s, _)| !set_of.contains_key(s)).take(3).collect();
    println!("… among the sample pages: {samples:?}");

    let bars: Vec<f32> = (20..=80).step_by(5).map(|b| b as f32 / 100.0).collect();
    for set in SETS {
        let other = SETS.iter().find(|s| **s != set).expect("other");
        let members: Vec<&str> =
            docs.iter().filter(|d| set_of.get(&d.slug) == Some(&set)).map(|d| d.slug.as_str()).collect();
        let pairs = co_gold(set);
        let is_pair = |a: &str, b: &str| pairs.contains(&(a.min(b).to_owned(), a.max(b).to_owned()));
        // Directed: a page's opening against the other page's chunks, both ways.
        let mut related: Vec<f32> = pairs.iter().flat_map(|(a, b)| [sim(a, b), sim(b, a)]).collect();
        let mut same: Vec<f32> = Vec::new();
        let mut cross: Vec<f32> = Vec::new();
        let mut best_cross: Vec<f32> = Vec::new();
        for a in &members {
            let mut best = -1.0_f32;
            for (id, s) in &pages[*a].all {
                match set_of.get(&slug_of[id]) {
                    Some(x) if *x == set && !is_pair(a, &slug_of[id]) => same.push(*s),
                    Some(x) if x == other => {
                        cross.push(*s);
                        best = best.max(*s);
                    }
                    _ => {}
                }
            }
            best_cross.push(best);
        }
        println!("\n## {set}: {} pages, {} co-gold pairs", members.len(), pairs.len());
        println!("\n| pairs | n | min | p10 | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|---|");
        summary("related (co-gold, both ways)", &mut related);
        summary("same corpus, never co-gold", &mut same);
        summary("other corpus (unrelated)", &mut cross);
        summary("a page's best other-corpus match", &mut best_cross);
        println!(
            "\n| bar | related kept | other-corpus pairs over | pages whose best other-corpus match clears | \
             lists: shown | of them co-gold | of them other corpus | empty lists | co-gold pairs listed |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for bar in &bars {
            let kept = related.iter().filter(|s| **s >= *bar).count();
            let over = cross.iter().filter(|s| **s >= *bar).count();
            let lone = best_cross.iter().filter(|s| **s >= *bar).count();
            let (mut shown, mut gold, mut wrong, mut empty, mut listed_pairs) = (0, 0, 0, 0, 0);
            for a in &members {
                let list: Vec<&Neighbour> =
                    pages[*a].listed.iter().filter(|n| n.similarity >= *bar).collect();
                empty += usize::from(list.is_empty());
                for n in list {
                    let b = &slug_of[&n.document_id];
                    shown += 1;
                    match set_of.get(b) {
                        Some(x) if *x == set && is_pair(a, b) => {
                            gold += 1;
                            listed_pairs += 1;
                        }
                        Some(x) if x == other => wrong += 1,
                        None => wrong += 1,
                        _ => {}
                    }
                }
            }
            println!(
                "| {bar:.2} | {kept}/{} ({:.0}%) | {over}/{} ({:.2}%) | {lone}/{} | {shown} | {gold} | {wrong} | {empty}/{} | {listed_pairs}/{} |",
                related.len(),
                100.0 * kept as f64 / related.len().max(1) as f64,
                cross.len(),
                100.0 * over as f64 / cross.len().max(1) as f64,
                best_cross.len(),
                members.len(),
                related.len(),
            );
        }
    }
    // Something was measured: the corpora are about different things.
    let unique: HashSet<&String> = pages.keys().collect();
    assert!(unique.len() > 240, "{}", unique.len());
}
