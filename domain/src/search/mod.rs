//! Search: what the indexes hold and how a query finds it. [`chunk`] cuts a document into the
//! heading-aware pieces that the keyword index (FTS5) and the vector index hold and that a
//! result deep-links to; [`query`] turns what a reader types into a keyword query that cannot
//! fail and FTS5 snippets into safe HTML; `keyword` and `semantic` fetch candidates from each
//! index, and [`fusion`] merges them into one list, one result per document.
//!
//! Every result comes from a join with the live version of a published document, so nothing a
//! vector index still remembers (a deleted document, an old version) is ever shown.

mod cache;
pub mod chunk;
pub mod fusion;
mod group;
mod highlight;
mod keyword;
mod params;
pub mod query;
pub mod rerank;
mod semantic;

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::error::DomainError;
use crate::site::Site;
use query::KeywordQuery;

pub use cache::SearchCache;
pub use fusion::Fusion;
pub use params::Params;

/// Which indexes answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keyword and semantic candidates fused.
    #[default]
    Hybrid,
    Keyword,
    Semantic,
}

impl Mode {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "hybrid" => Some(Self::Hybrid),
            "keyword" => Some(Self::Keyword),
            "semantic" => Some(Self::Semantic),
            _ => None,
        }
    }
}

/// Tuning, fixed per host (natively `[search]` in the config, on Workers `[vars]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How much the semantic list counts against the keyword list, 0–1 (Meilisearch's
    /// `semanticRatio`); a request may override it.
    pub semantic_ratio: f32,
    /// The ratio for a query of [`SHORT_QUERY_WORDS`] words or fewer: a name, an option, an
    /// identifier, the word a reader is typing. Those the keyword index knows best, and at 0.8 a
    /// document only it finds (a code the model has no sense of, a page whose vectors are not
    /// written yet) ranks below every semantic neighbour, however faint. A request's ratio
    /// overrides this too.
    pub short_query_ratio: f32,
    pub fusion: Fusion,
    /// RRF's constant: larger flattens the difference between neighbouring ranks.
    pub rrf_k: f32,
    /// Candidates taken from each index before fusion.
    pub candidates: usize,
    /// Most chunks one keyword query scores (bm25 per matching chunk is what a query costs):
    /// words found in more chunks than this are left out unless every word is (see `keyword`).
    pub scored_chunks: usize,
    /// Semantic matches less similar than this are dropped: every query has nearest
    /// neighbours, and for a word no document holds they are noise. Model-specific (MiniLM's
    /// unrelated texts score below ~0.1, related ones above 0.3).
    pub min_similarity: f32,
    /// How long a query embedding plus the vector lookup may take before search answers from
    /// keywords alone.
    pub semantic_timeout: Duration,
    /// Ask says "not found" without calling the model when the best passage found by meaning
    /// is less similar to the question than this (`None`: always asks the model). Model-specific;
    /// calibrated for MiniLM on the tuning set's answerable and unanswerable questions
    /// (docs/performance.md#ask).
    pub ask_min_similarity: Option<f32>,
    /// Ask has the text model rewrite a follow-up into a standalone question (kept only when
    /// it passes [`crate::ask::followup::accept`]); otherwise the rule joins it to the question
    /// before. Off by default: SmolLM2-135M's rewrites fail the check and cost the asker seconds.
    pub ask_rewrite_by_model: bool,
    /// Hybrid results' top [`rerank::TOP`] rescored by the model's cross-encoder
    /// ([`crate::Ai::rerank`]); a request may override it. Off by default: natively no
    /// cross-encoder ships, and what stands in for one was measured (docs/performance.md).
    pub rerank: bool,
    /// How long reranking may take before the fused order is kept.
    pub rerank_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            semantic_ratio: 0.8,
            short_query_ratio: 0.3,
            fusion: Fusion::Rrf,
            rrf_k: 60.0,
            candidates: 50,
            scored_chunks: 3_000,
            min_similarity: 0.2,
            semantic_timeout: Duration::from_millis(1500),
            ask_min_similarity: Some(ASK_MIN_SIMILARITY),
            ask_rewrite_by_model: false,
            rerank: false,
            rerank_timeout: Duration::from_millis(1500),
        }
    }
}

/// Queries of this many words or fewer fuse at [`Settings::short_query_ratio`]. Words as a
/// reader counts them, between spaces: `SQLITE_BUSY` and `--no-ff` are one each.
pub const SHORT_QUERY_WORDS: usize = 3;

impl Settings {
    /// The semantic ratio `query` fuses at unless its request names one.
    fn ratio_for(&self, query: &str) -> f32 {
        if query.split_whitespace().count() <= SHORT_QUERY_WORDS {
            self.short_query_ratio
        } else {
            self.semantic_ratio
        }
    }
}

/// The default of [`Settings::ask_min_similarity`] (MiniLM).
pub const ASK_MIN_SIMILARITY: f32 = 0.3;

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 50;

/// A search as the API and the page ask for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    pub query: String,
    pub mode: Mode,
    /// 1–[`MAX_LIMIT`]; callers check the range (the API answers 400 outside it).
    pub limit: usize,
    pub folder: Option<String>,
    pub tag: Option<String>,
    /// Only documents updated at or after this time (Unix seconds).
    pub after: Option<i64>,
    /// Overrides [`Settings::semantic_ratio`].
    pub semantic_ratio: Option<f32>,
    /// Overrides [`Settings::fusion`].
    pub fusion: Option<Fusion>,
    /// Overrides [`Settings::rerank`].
    pub rerank: Option<bool>,
}

impl Request {
    /// Whether hybrid's second stage is asked for (by the request, else the setting).
    fn reranks(&self, settings: &Settings) -> bool {
        self.mode == Mode::Hybrid && self.rerank.unwrap_or(settings.rerank)
    }
}

/// One document found, at its best chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub document_id: i64,
    /// The chunk shown (Ask reads its passage).
    pub chunk_id: i64,
    pub slug: String,
    pub title: String,
    /// The document page at the chunk's section.
    pub url: String,
    /// The chunk's heading path ('' before the first heading).
    pub heading: String,
    /// Escaped text with the matched words in `<mark>`: safe to insert as HTML.
    pub snippet_html: String,
    pub score: f64,
    /// Other matching sections of the document, best first (at most two; found by meaning).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<HitSection>,
}

/// Another matching section of a found document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitSection {
    pub url: String,
    pub heading: String,
    /// Escaped, as [`Hit::snippet_html`].
    pub snippet_html: String,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub query: String,
    pub mode: Mode,
    pub took_ms: u64,
    /// Semantic results were wanted but the model or the vector index did not answer.
    pub degraded: bool,
    /// When no word matched as typed: the query that was searched instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected: Option<String>,
    /// How similar the best passage found by meaning is to the query (the vector index's
    /// cosine; 0 when none reached [`Settings::min_similarity`]), when semantic search ran. Ask
    /// reads it to say "not found" without the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// The top results are in the reranker's order (and carry its scores): reranking was asked
    /// for and answered in time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reranked: bool,
    pub results: Vec<Hit>,
}

/// A candidate chunk from one index, before fusion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub document_id: i64,
    pub chunk_id: i64,
    pub slug: String,
    pub title: String,
    pub heading: String,
    pub anchor: Option<String>,
    pub snippet: String,
    /// Higher is better within its list.
    pub score: f64,
    /// The document's other matching sections ([`group`]).
    pub sections: Vec<group::Section>,
}

impl Candidate {
    fn into_hit(self, score: f64) -> Hit {
        let sections = self
            .sections
            .into_iter()
            .map(|s| HitSection {
                url: section_url(&self.slug, s.anchor.as_deref()),
                heading: s.heading,
                snippet_html: query::snippet_html(&s.snippet),
            })
            .collect();
        Hit {
            document_id: self.document_id,
            chunk_id: self.chunk_id,
            url: section_url(&self.slug, self.anchor.as_deref()),
            slug: self.slug,
            title: self.title,
            heading: self.heading,
            snippet_html: query::snippet_html(&self.snippet),
            score,
            sections,
        }
    }
}

/// The document page at a section.
fn section_url(slug: &str, anchor: Option<&str>) -> String {
    match anchor {
        Some(anchor) => format!("/docs/{slug}#{anchor}"),
        None => format!("/docs/{slug}"),
    }
}

/// Filters both indexes apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Filters {
    pub folder: Option<String>,
    pub tag: Option<String>,
    pub after: Option<i64>,
}

/// A reader's search, as the page and `/api/search` both take it: checked, counted against
/// the client's limit (429 past it), then run, and recorded for insights after the response.
pub async fn search_for(site: &Site, params: Params, client: Option<&str>) -> Result<Results, DomainError> {
    let live = params.live;
    let request = params.into_request()?;
    crate::site::limits::admit(site, crate::site::limits::Action::Search, client).await?;
    let results = search(site, request).await?;
    crate::insights::record_search_later(site, &results.query, results.results.len(), live);
    Ok(results)
}

/// Runs a search. Never fails because of the model or the vector index: without them the
/// answer is the keyword results, marked `degraded`. A search repeated before the next write
/// is answered from [`SearchCache`] (natively; see there).
pub async fn search(site: &Site, request: Request) -> Result<Results, DomainError> {
    let ports = &site.ports;
    let started = web_time::Instant::now();
    // Read before the search runs: a write landing meanwhile makes its copy stale at once.
    let writes = ports.db.writes();
    let key = cache::key(&request);
    if let Some(kept) = writes.and_then(|writes| site.searches.results(&key, writes)) {
        return Ok(Results {
            query: request.query,
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            ..(*kept).clone()
        });
    }
    let results = run(site, &request, started).await?;
    // A degraded answer is not kept, nor one the reranker should have ordered but did not: the
    // model may be back for the next reader.
    let rerank_missed = request.reranks(&site.search) && !results.reranked && results.results.len() > 1;
    if let Some(writes) = writes.filter(|_| !results.degraded && !rerank_missed) {
        let now = ports.db.writes().unwrap_or(writes);
        site.searches.keep_results(key, writes, results.clone(), now);
    }
    Ok(results)
}

async fn run(site: &Site, request: &Request, started: web_time::Instant) -> Result<Results, DomainError> {
    let limit = request.limit.clamp(1, MAX_LIMIT);
    let settings = &site.search;
    let filters = Filters { folder: request.folder.clone(), tag: request.tag.clone(), after: request.after };
    let parsed = KeywordQuery::parse(&request.query);
    let finish =
        |results: Vec<Hit>, degraded: bool, corrected: Option<String>, similarity: Option<f32>| Results {
            query: request.query.clone(),
            mode: request.mode,
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            degraded,
            corrected,
            similarity,
            reranked: false,
            results,
        };
    let Some(parsed) = parsed else {
        return Ok(finish(Vec::new(), false, None, None));
    };
    let ratio = request.semantic_ratio.unwrap_or_else(|| settings.ratio_for(&request.query)).clamp(0.0, 1.0);
    let wants_semantic = request.mode != Mode::Keyword;
    let wants_keyword = request.mode != Mode::Semantic;
    let candidates = settings.candidates.max(limit);
    let (keyword, semantic) = futures::join!(
        async {
            if wants_keyword {
                keyword::candidates(site, &parsed, &filters, candidates, limit).await.map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if wants_semantic {
                semantic::candidates(site, &request.query, &parsed, &filters, candidates).await
            } else {
                None
            }
        }
    );
    let mut keyword = keyword?;
    let degraded = wants_semantic && semantic.is_none();
    // Semantic search that could not run answers from keywords (and says so).
    if request.mode == Mode::Semantic && degraded {
        keyword = Some(keyword::candidates(site, &parsed, &filters, candidates, limit).await?);
    }
    // Lists are best first; an empty one had nothing above the floor.
    #[allow(clippy::cast_possible_truncation)]
    let similarity = semantic.as_ref().map(|list| list.first().map_or(0.0, |c| c.score as f32));
    let mut corrected = None;
    if keyword.as_ref().is_some_and(Vec::is_empty) && semantic.as_ref().is_none_or(Vec::is_empty) {
        if let Some((fixed, found)) = keyword::corrected(site, &parsed, &filters, candidates).await? {
            corrected = Some(fixed);
            keyword = Some(found);
        }
    }
    let hits = match (keyword, semantic) {
        (Some(keyword), Some(semantic)) => {
            let fusion = request.fusion.unwrap_or(settings.fusion);
            if !request.reranks(settings) {
                fusion::fuse(fusion, settings.rrf_k, ratio, keyword, semantic, limit)
            } else {
                let fused =
                    fusion::fuse(fusion, settings.rrf_k, ratio, keyword, semantic, limit.max(rerank::TOP));
                let (mut hits, reranked) = rerank::rerank(site, &request.query, fused).await;
                hits.truncate(limit);
                return Ok(Results { reranked, ..finish(hits, degraded, corrected, similarity) });
            }
        }
        (Some(list), None) | (None, Some(list)) => fusion::single(list, limit),
        (None, None) => Vec::new(),
    };
    Ok(finish(hits, degraded, corrected, similarity))
}

/// Keeps the first (best) candidate of each document, in order.
pub(crate) fn best_per_document(list: Vec<Candidate>) -> Vec<Candidate> {
    group::per_document(list, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Document `id`'s one chunk, scored `score` by its index (the fusion tests share it).
    pub(super) fn candidate(id: i64, score: f64) -> Candidate {
        Candidate {
            chunk_id: id,
            document_id: id,
            slug: format!("d{id}"),
            title: format!("D{id}"),
            heading: String::new(),
            anchor: None,
            snippet: String::new(),
            score,
            sections: Vec::new(),
        }
    }

    /// What hybrid puts first for `query` when only the keyword index finds document 1 and the
    /// semantic side lists three faint neighbours.
    fn first_for(query: &str) -> i64 {
        let settings = Settings::default();
        let ratio = settings.ratio_for(query);
        let semantic = vec![candidate(2, 0.35), candidate(3, 0.3), candidate(4, 0.25)];
        fusion::fuse(settings.fusion, settings.rrf_k, ratio, vec![candidate(1, 3.5)], semantic, 10)[0]
            .document_id
    }

    #[test]
    fn a_name_only_the_keyword_index_knows_comes_first() {
        // The e2e case: a word no model knows, in a page whose vectors are not written yet.
        assert_eq!(first_for("foghornmxd5dbfq82vj"), 1);
        assert_eq!(first_for("--no-ff merge"), 1);
        assert_eq!(first_for("SQLITE_BUSY retry loop"), 1);
        // A question in words leans on meaning, as the labelled sets measured.
        assert_eq!(first_for("how do I stop a merge from fast forwarding"), 2);
    }

    #[test]
    fn words_are_counted_between_spaces() {
        let settings = Settings::default();
        let short = settings.ratio_for("sqlite3_prepare_v2 errors");
        assert!((short - settings.short_query_ratio).abs() < f32::EPSILON);
        let long = settings.ratio_for("when does the foghorn sound at night");
        assert!((long - settings.semantic_ratio).abs() < f32::EPSILON);
    }
}
