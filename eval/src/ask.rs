//! `folio eval --ask`: how Ask does over the same labelled questions, through the site's
//! public `POST /api/ask`: how often the document that answers a question is among the
//! sources, and among the sources the answer cites; how often the answer says "not found"
//! for questions the documents answer and for questions they cannot (a second file, whose
//! questions have no gold), and how often that "not found" came at once, without the model
//! (done within 100 ms of the sources); the same for the quick answer (the passages' own
//! sentences sent before the model writes: how often there is one, how often it cites the gold
//! document, how often there is none for an unanswerable question); and the server's own timings (to the sources, to the first
//! piece of the answer, to the end) with the answer's pieces per second.

use serde::Deserialize;
use std::fmt::Write as _;

use super::{percentile, EvalError, Question};

#[derive(Debug, Default, Deserialize)]
struct Source {
    n: usize,
    url: String,
}

#[derive(Debug, Default, Deserialize)]
struct Timings {
    sources_ms: f64,
    quick_ms: Option<f64>,
    first_text_ms: Option<f64>,
    total_ms: f64,
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    citations: Vec<usize>,
    not_found: bool,
    cached: bool,
    #[serde(default)]
    quoted: bool,
    unavailable: Option<String>,
    timings: Timings,
}

#[derive(Debug, Default, Deserialize)]
struct Cited {
    n: usize,
}

#[derive(Debug, Default, Deserialize)]
struct Quick {
    sentences: Vec<Cited>,
}

/// One answer as the stream delivered it.
#[derive(Debug, Default)]
struct Answer {
    sources: Vec<Source>,
    quick: Quick,
    pieces: usize,
    done: Done,
}

/// The document slug a source's `/docs/{slug}#…` link names.
fn slug(url: &str) -> &str {
    let path = url.strip_prefix("/docs/").unwrap_or(url);
    path.split('#').next().unwrap_or(path)
}

/// Why an answer's event stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("unexpected event {0:?}")]
    UnexpectedEvent(Option<String>),
    #[error("the stream ended without a done event")]
    NoDone,
}

fn parse(stream: &str) -> Result<Answer, StreamError> {
    #[derive(Deserialize)]
    struct Sources {
        sources: Vec<Source>,
    }
    let mut answer = Answer::default();
    let mut ended = false;
    for block in stream.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
        let data = field("data:").unwrap_or("");
        match field("event:") {
            Some("sources") => {
                answer.sources = serde_json::from_str::<Sources>(data)?.sources;
            }
            Some("quick") => answer.quick = serde_json::from_str(data)?,
            Some("text") => answer.pieces += 1,
            Some("done") => {
                answer.done = serde_json::from_str(data)?;
                ended = true;
            }
            other => return Err(StreamError::UnexpectedEvent(other.map(str::to_owned))),
        }
    }
    if ended {
        Ok(answer)
    } else {
        Err(StreamError::NoDone)
    }
}

fn ask(agent: &ureq::Agent, base: &str, question: &str) -> Result<Answer, EvalError> {
    let url = format!("{base}/api/ask");
    let body = serde_json::json!({ "question": question }).to_string();
    let text = agent
        .post(&url)
        .header("content-type", "application/json")
        .send(body.as_bytes())
        .and_then(|mut r| r.body_mut().read_to_string())
        .map_err(|source| EvalError::Http { url: url.clone(), source: Box::new(source) })?;
    parse(&text).map_err(|source| EvalError::Stream { url, source })
}

/// Asks every question of `answerable` and `unanswerable` and prints the table; `quick_only`:
/// the rows of the quick answer only (the site has no text model).
pub fn run(
    base: &str,
    answerable: &[Question],
    unanswerable: &[Question],
    quick_only: bool,
) -> Result<String, EvalError> {
    let agent = ureq::Agent::new_with_defaults();
    let (mut in_sources, mut cited_gold, mut cited_any, mut wrongly_not_found) = (0, 0, 0, 0);
    let (mut quick_any, mut quick_gold, mut quick_none) = (0, 0, 0);
    let (mut unavailable, mut cached) = (0, 0);
    let (mut quoted, mut model_gold) = (0, 0);
    let (mut to_sources, mut to_first, mut to_end, mut rates) = (vec![], vec![], vec![], vec![]);
    let mut to_quick = vec![];
    let mut timing = |a: &Answer| {
        to_sources.push(a.done.timings.sources_ms);
        to_quick.extend(a.done.timings.quick_ms);
        to_end.push(a.done.timings.total_ms);
        if let Some(first) = a.done.timings.first_text_ms {
            to_first.push(first);
            let writing = (a.done.timings.total_ms - first) / 1000.0;
            if a.pieces > 1 && writing > 0.0 {
                rates.push(a.pieces as f64 / writing);
            }
        }
    };
    for question in answerable {
        let a = ask(&agent, base, &question.q)?;
        let gold_n: Vec<usize> = a
            .sources
            .iter()
            .filter(|s| question.gold.iter().any(|g| g == slug(&s.url)))
            .map(|s| s.n)
            .collect();
        in_sources += usize::from(!gold_n.is_empty());
        cited_gold += usize::from(a.done.citations.iter().any(|n| gold_n.contains(n)));
        cited_any += usize::from(!a.done.citations.is_empty());
        quoted += usize::from(a.done.quoted);
        model_gold += usize::from(!a.done.quoted && a.done.citations.iter().any(|n| gold_n.contains(n)));
        quick_any += usize::from(!a.quick.sentences.is_empty());
        quick_gold += usize::from(a.quick.sentences.iter().any(|c| gold_n.contains(&c.n)));
        wrongly_not_found += usize::from(a.done.not_found);
        unavailable += usize::from(a.done.unavailable.is_some());
        cached += usize::from(a.done.cached);
        timing(&a);
    }
    let (mut said_not_found, mut at_once) = (0, 0);
    for question in unanswerable {
        let a = ask(&agent, base, &question.q)?;
        said_not_found += usize::from(a.done.not_found);
        quick_none += usize::from(a.quick.sentences.is_empty());
        // Without the model: done within 100 ms of the sources (a model takes seconds).
        at_once +=
            usize::from(a.done.not_found && a.done.timings.total_ms - a.done.timings.sources_ms < 100.0);
        unavailable += usize::from(a.done.unavailable.is_some());
        timing(&a);
    }
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let (n, u) = (answerable.len(), unanswerable.len());
    let sorted = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v
    };
    let (to_sources, to_quick, to_first, to_end, rates) =
        (sorted(to_sources), sorted(to_quick), sorted(to_first), sorted(to_end), sorted(rates));
    let mut table = format!("Ask: {n} answerable and {u} unanswerable questions against {base}\n\n");
    let _ = writeln!(table, "| measure | value |\n|---|---|");
    let shares = [
        ("gold document among the sources", in_sources, n),
        ("gold document among the cited sources", cited_gold, n),
        ("answers citing any source", cited_any, n),
        ("gold document among the cited sources of the model's own answers", model_gold, n),
        ("answers quoting the quick answer (the model's did not hold up)", quoted, n),
        ("\"not found\" for an answerable question", wrongly_not_found, n),
        ("\"not found\" for an unanswerable question", said_not_found, u),
        ("\"not found\" for an unanswerable question at once, without the model", at_once, u),
        ("quick answer given, answerable", quick_any, n),
        ("quick answer: gold document among its cited sources", quick_gold, n),
        ("quick answer: none for an unanswerable question", quick_none, u),
    ];
    let quick_rows = ["gold document among the sources", "quick answer"];
    for (label, count, of) in shares {
        if quick_only && !quick_rows.iter().any(|row| label.starts_with(row)) {
            continue;
        }
        let _ = writeln!(table, "| {label} | {count}/{of} ({:.0}%) |", pct(count, of));
    }
    if !quick_only {
        let _ =
            writeln!(table, "| no answer (model unavailable) / from storage | {unavailable} / {cached} |");
    }
    let timings: &[(&str, &Vec<f64>)] = if quick_only {
        &[("to the sources", &to_sources), ("to the quick answer", &to_quick)]
    } else {
        &[
            ("to the sources", &to_sources),
            ("to the quick answer", &to_quick),
            ("to the first piece", &to_first),
            ("to the end", &to_end),
        ]
    };
    for &(label, v) in timings {
        let _ = writeln!(
            table,
            "| ms {label}, p50 / p95 | {:.0} / {:.0} |",
            percentile(v, 50.0),
            percentile(v, 95.0)
        );
    }
    if !quick_only {
        let _ = writeln!(table, "| pieces per second while writing, p50 | {:.1} |", percentile(&rates, 50.0));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_read_into_sources_pieces_and_done() {
        let stream = "event: sources\ndata: {\"sources\":[{\"n\":1,\"url\":\"/docs/git-stash#description\",\"title\":\"x\"}]}\n\n\
event: quick\ndata: {\"sentences\":[{\"text\":\"Run git stash.\",\"n\":1}]}\n\n\
event: text\ndata: {\"text\":\"Use\"}\n\nevent: text\ndata: {\"text\":\" stash [1].\"}\n\n\
event: done\ndata: {\"citations\":[1],\"not_found\":false,\"cached\":false,\"degraded\":false,\"timings\":{\"sources_ms\":40,\"first_text_ms\":900,\"total_ms\":2900}}\n\n";
        let a = parse(stream).expect("parsed");
        assert_eq!((a.sources.len(), a.pieces, a.done.citations.clone()), (1, 2, vec![1]));
        assert_eq!(slug(&a.sources[0].url), "git-stash");
        assert_eq!(a.quick.sentences.iter().map(|c| c.n).collect::<Vec<_>>(), [1]);
        assert!(parse("event: sources\ndata: {\"sources\":[]}\n\n").is_err(), "no done: an error");
    }
}
