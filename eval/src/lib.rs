//! `folio eval <questions.jsonl> --url <site>`: how well search ranks the document that answers
//! each question, per mode (keyword, semantic, hybrid), through the site's public
//! `/api/search`, so it measures a native site and a Worker alike.
//!
//! A questions file has one JSON object per line: `{"q": "…", "gold": ["slug", …]}` (the
//! documents that answer it; any of them counts). Relevance is binary, so nDCG@10 is
//! 1/log2(1 + rank of the first gold) normalised by the ideal ranking of all golds.

mod ask;

pub use ask::StreamError;

use serde::Deserialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const CUTOFF: usize = 10;
/// The semantic ratios `--sweep` tries with each fusion.
const SWEEP_RATIOS: [&str; 6] = ["0.3", "0.5", "0.6", "0.7", "0.8", "0.9"];

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub q: String,
    pub gold: Vec<String>,
}

/// Measure search relevance (or Ask) against a running site.
///
/// Prints nDCG@10, recall@10 and MRR@10 per mode as a Markdown table, searching through the
/// site's public <URL>/api/search, so it measures a native site and a Worker alike.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// The labelled questions: one JSON object a line, {"q": "…", "gold": ["slug", …]}.
    #[arg(value_name = "QUESTIONS.jsonl")]
    pub questions: PathBuf,
    /// The site.
    #[arg(long)]
    pub url: String,
    /// The search modes to measure, in this order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "keyword,semantic,hybrid")]
    pub modes: Vec<Mode>,
    /// Also try hybrid with each fusion (rrf, convex) and semantic ratios 0.3–0.9, then name the
    /// best hybrid setting and the default's margin over the better single mode.
    #[arg(long)]
    pub sweep: bool,
    /// Also measure hybrid with its second stage (`rerank=on`): the fused top 30 rescored by
    /// the site's cross-encoder.
    #[arg(long)]
    pub rerank: bool,
    /// Ask each question through <URL>/api/ask instead: the gold document among the sources
    /// and among the cited ones, "not found" rates, and timings.
    #[arg(long, conflicts_with_all = ["modes", "sweep", "rerank"])]
    pub ask: bool,
    /// With --ask, against a site without a text model: the quick answer alone (its rows of the
    /// table, in seconds rather than the model's half hour).
    #[arg(long, requires = "ask")]
    pub quick: bool,
    /// Questions the documents cannot answer (no gold needed), for the "not found" rate.
    #[arg(long, value_name = "QUESTIONS.jsonl", requires = "ask")]
    pub unanswerable: Option<PathBuf>,
}

/// A search mode, as `/api/search?mode=` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Keyword,
    Semantic,
    Hybrid,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::Semantic => "semantic",
            Self::Hybrid => "hybrid",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("could not read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}, line {line}, is not a question: {source}", path.display())]
    Question { path: PathBuf, line: usize, source: serde_json::Error },
    // Boxed: ureq's error is large, and every result here would carry its size.
    #[error("{url}: {source}")]
    Http { url: String, source: Box<ureq::Error> },
    #[error("{url} answered something else than search results: {source}")]
    Results { url: String, source: serde_json::Error },
    #[error("{url} answered something else than an answer's events: {source}")]
    Stream { url: String, source: StreamError },
}

/// Scores of one mode over the whole set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub ndcg: f64,
    pub recall: f64,
    pub mrr: f64,
    pub degraded: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// The metrics for one ranked list of slugs against its golds.
pub fn score(ranked: &[String], gold: &[String]) -> (f64, f64, f64) {
    let top: Vec<&String> = ranked.iter().take(CUTOFF).collect();
    let dcg: f64 = top
        .iter()
        .enumerate()
        .filter(|(_, s)| gold.contains(s))
        .map(|(i, _)| 1.0 / (i as f64 + 2.0).log2())
        .sum();
    let ideal: f64 = (0..gold.len().min(CUTOFF)).map(|i| 1.0 / (i as f64 + 2.0).log2()).sum();
    let found = gold.iter().filter(|g| top.contains(g)).count();
    let recall = if gold.is_empty() { 0.0 } else { found as f64 / gold.len() as f64 };
    let mrr = top.iter().position(|s| gold.contains(s)).map_or(0.0, |i| 1.0 / (i as f64 + 1.0));
    (if ideal > 0.0 { dcg / ideal } else { 0.0 }, recall, mrr)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, b| {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
        out
    })
}

/// Runs every question through `mode` (plus `extra` query parameters) and scores the set.
pub fn run_mode(base: &str, questions: &[Question], mode: Mode, extra: &str) -> Result<Scores, EvalError> {
    #[derive(Deserialize)]
    struct Hit {
        slug: String,
    }
    #[derive(Deserialize)]
    struct Answer {
        degraded: bool,
        results: Vec<Hit>,
    }
    let agent = ureq::Agent::new_with_defaults();
    let mut totals = Scores::default();
    let mut times = Vec::with_capacity(questions.len());
    for question in questions {
        let url =
            format!("{base}/api/search?q={}&mode={}&limit={CUTOFF}{extra}", encode(&question.q), mode.name());
        let started = Instant::now();
        let text = agent
            .get(&url)
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
            .map_err(|source| EvalError::Http { url: url.clone(), source: Box::new(source) })?;
        let answer: Answer =
            serde_json::from_str(&text).map_err(|source| EvalError::Results { url: url.clone(), source })?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let ranked: Vec<String> = answer.results.into_iter().map(|h| h.slug).collect();
        let (ndcg, recall, mrr) = score(&ranked, &question.gold);
        totals.ndcg += ndcg;
        totals.recall += recall;
        totals.mrr += mrr;
        totals.degraded += usize::from(answer.degraded);
    }
    let n = questions.len().max(1) as f64;
    times.sort_by(f64::total_cmp);
    Ok(Scores {
        ndcg: totals.ndcg / n,
        recall: totals.recall / n,
        mrr: totals.mrr / n,
        degraded: totals.degraded,
        p50_ms: percentile(&times, 50.0),
        p95_ms: percentile(&times, 95.0),
    })
}

pub fn read_questions(path: &Path) -> Result<Vec<Question>, EvalError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| EvalError::Read { path: path.into(), source })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|source| EvalError::Question {
                path: path.into(),
                line: i + 1,
                source,
            })
        })
        .collect()
}

/// `folio eval …`: runs and prints a Markdown table.
pub fn main(args: EvalArgs) -> ExitCode {
    match run(&args) {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("folio eval: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &EvalArgs) -> Result<String, EvalError> {
    let base = args.url.trim_end_matches('/');
    let questions = read_questions(&args.questions)?;
    if args.ask {
        let unanswerable = match &args.unanswerable {
            Some(path) => read_questions(path)?,
            None => Vec::new(),
        };
        return ask::run(base, &questions, &unanswerable, args.quick);
    }
    let mut runs: Vec<(String, Mode, String)> =
        args.modes.iter().map(|&m| (m.name().to_owned(), m, String::new())).collect();
    if args.rerank {
        runs.push(("hybrid + rerank".to_owned(), Mode::Hybrid, "&rerank=on".to_owned()));
    }
    if args.sweep {
        for fusion in ["rrf", "convex"] {
            for ratio in SWEEP_RATIOS {
                runs.push((
                    format!("hybrid {fusion} r={ratio}"),
                    Mode::Hybrid,
                    format!("&fusion={fusion}&ratio={ratio}"),
                ));
            }
        }
    }
    let mut table = format!(
        "{} questions from {} against {base}\n\n| mode | nDCG@10 | recall@10 | MRR@10 | p50 ms | p95 ms | degraded |\n|---|---|---|---|---|---|---|\n",
        questions.len(),
        args.questions.display()
    );
    let mut scored = Vec::with_capacity(runs.len());
    for (label, mode, extra) in runs {
        let s = run_mode(base, &questions, mode, &extra)?;
        let _ = writeln!(
            table,
            "| {label} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} | {} |",
            s.ndcg, s.recall, s.mrr, s.p50_ms, s.p95_ms, s.degraded
        );
        scored.push((label, s.ndcg));
    }
    if args.sweep {
        table.push('\n');
        table.push_str(&verdict(&scored));
    }
    Ok(table)
}

/// Under a sweep's table: the best hybrid setting by nDCG@10, and the default hybrid against
/// the better single mode (the rule is "hybrid at least as good as its best part").
fn verdict(scored: &[(String, f64)]) -> String {
    let get = |label: &str| scored.iter().find(|(l, _)| l == label).map(|(_, n)| *n);
    let mut out = String::new();
    let best = scored
        .iter()
        .filter(|(l, _)| l.starts_with("hybrid"))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    if let Some((label, ndcg)) = best {
        let _ = writeln!(out, "best hybrid by nDCG@10: {label} ({ndcg:.3})");
    }
    let single = [("keyword", get("keyword")), ("semantic", get("semantic"))]
        .into_iter()
        .filter_map(|(l, n)| n.map(|n| (l, n)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some((label, single)), Some(hybrid)) = (single, get("hybrid")) {
        let _ = writeln!(
            out,
            "default hybrid {hybrid:.3} against the better single mode ({label}) {single:.3}: {:+.3}",
            hybrid - single
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn metrics_reward_the_gold_document_near_the_top() {
        assert_eq!(score(&s(&["a", "b"]), &s(&["a"])), (1.0, 1.0, 1.0));
        let (ndcg, recall, mrr) = score(&s(&["x", "a"]), &s(&["a"]));
        assert!((ndcg - 1.0 / 3f64.log2()).abs() < 1e-9);
        assert_eq!((recall, mrr), (1.0, 0.5));
        assert_eq!(score(&s(&["x"]), &s(&["a"])), (0.0, 0.0, 0.0));
        let beyond: Vec<String> = (0..10).map(|i| format!("x{i}")).chain(["a".to_owned()]).collect();
        assert_eq!(score(&beyond, &s(&["a"])).1, 0.0, "rank 11 is outside @10");
        assert_eq!(score(&s(&["b", "a"]), &s(&["a", "b"])).0, 1.0, "two golds at the top: ideal");
    }

    #[derive(clap::Parser)]
    struct Eval {
        #[command(flatten)]
        args: EvalArgs,
    }

    fn parse(list: &[&str]) -> Result<EvalArgs, clap::Error> {
        use clap::Parser as _;
        Eval::try_parse_from(std::iter::once("eval").chain(list.iter().copied())).map(|e| e.args)
    }

    #[test]
    fn modes_default_to_all_three_and_ask_stands_alone() {
        let args = parse(&["q.jsonl", "--url", "http://h"]).expect("parses");
        assert_eq!(args.modes, [Mode::Keyword, Mode::Semantic, Mode::Hybrid]);
        let args = parse(&["q.jsonl", "--url", "http://h", "--modes", "hybrid,keyword"]).expect("parses");
        assert_eq!(args.modes, [Mode::Hybrid, Mode::Keyword]);
        assert!(parse(&["q.jsonl", "--url", "http://h", "--modes", "fuzzy"]).is_err(), "not a mode");
        assert!(parse(&["q.jsonl"]).is_err(), "--url is required");
        assert!(parse(&["q.jsonl", "--url", "http://h", "--ask", "--sweep"]).is_err(), "ask does not sweep");
        assert!(
            parse(&["q.jsonl", "--url", "http://h", "--unanswerable", "u.jsonl"]).is_err(),
            "only with --ask"
        );
    }

    #[test]
    fn the_verdict_names_the_best_hybrid_and_the_margin_over_the_better_single_mode() {
        let scored: Vec<(String, f64)> = [
            ("keyword", 0.5),
            ("semantic", 0.75),
            ("hybrid", 0.7),
            ("hybrid rrf r=0.5", 0.64),
            ("hybrid convex r=0.8", 0.76),
        ]
        .iter()
        .map(|(l, n)| ((*l).to_owned(), *n))
        .collect();
        let v = verdict(&scored);
        assert!(v.contains("best hybrid by nDCG@10: hybrid convex r=0.8 (0.760)"), "{v}");
        assert!(v.contains("better single mode (semantic) 0.750: -0.050"), "{v}");
    }

    #[test]
    fn queries_are_encoded() {
        assert_eq!(encode("how do I undo?"), "how%20do%20I%20undo%3F");
    }
}
