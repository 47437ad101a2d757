//! A second stage after fusion: the fused top [`TOP`] documents rescored at passage level (each
//! at the chunk the list shows) by a cross-encoder, [`crate::Ai::rerank`]: Workers AI's
//! `@cf/baai/bge-reranker-base` on the Worker. Off unless `SEARCH_RERANK` is on (or a request
//! asks, as `folio eval --rerank` does). A reranker that is missing, fails, is slow or answers
//! the wrong number of scores leaves the fused order as it was: search never waits on it past
//! [`super::Settings::rerank_timeout`].

use serde::Deserialize;

use super::Hit;
use crate::ports::DbExt;
use crate::site::Site;
use crate::sql::Statement;

/// Fused documents rescored: the cross-encoder's cost grows with each passage.
pub const TOP: usize = 30;
/// What a cross-encoder reads of a passage: bge-reranker-base reads 512 tokens of query and
/// passage together; more would only be cut off.
const PASSAGE_CHARS: usize = 1_500;

/// `hits` (best first) with the first [`TOP`] in the reranker's order, and `true`; or as they
/// were, and `false`.
pub(super) async fn rerank(site: &Site, query: &str, mut hits: Vec<Hit>) -> (Vec<Hit>, bool) {
    let Some(ai) = site.ports.ai.as_ref() else {
        return (hits, false);
    };
    if hits.len() < 2 {
        return (hits, false);
    }
    let top = hits.len().min(TOP);
    let Some(passages) = passages(site, &hits[..top]).await else {
        return (hits, false);
    };
    let scored = crate::ports::or_fallback(
        site.ports.tasks.as_ref(),
        site.search.rerank_timeout,
        "reranking",
        "the fused order stays",
        ai.rerank(query.to_owned(), passages),
    )
    .await;
    let Some(scores) = scored.filter(|scores| scores.len() == top && scores.iter().all(|s| s.is_finite()))
    else {
        return (hits, false);
    };
    let mut head: Vec<(Hit, f32)> = hits.drain(..top).zip(scores).collect();
    // Stable: equal scores keep the fused order.
    head.sort_by(|a, b| b.1.total_cmp(&a.1));
    let reranked = head.into_iter().map(|(hit, score)| Hit { score: f64::from(score), ..hit }).chain(hits);
    (reranked.collect(), true)
}

/// Each hit's chunk as a model reads it ([`super::chunk::passage`]), in order; `None` if one
/// is gone (a write landed meanwhile) or the database failed: then nothing is reranked.
async fn passages(site: &Site, hits: &[Hit]) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        title: String,
        heading: String,
        body: String,
    }
    let ids: Vec<i64> = hits.iter().map(|hit| hit.chunk_id).collect();
    let rows: Vec<Row> = site
        .ports
        .db
        .query_all(
            Statement::new(
                "SELECT id, title, heading, body FROM chunks WHERE id IN (SELECT value FROM json_each(?1))",
            )
            .bind(serde_json::to_string(&ids).ok()?),
        )
        .await
        .inspect_err(|err| tracing::warn!(%err, "reranking: the passages could not be read"))
        .ok()?;
    hits.iter()
        .map(|hit| {
            let row = rows.iter().find(|row| row.id == hit.chunk_id)?;
            let passage = super::chunk::passage(&row.title, &row.heading, &row.body);
            Some(passage.chars().take(PASSAGE_CHARS).collect())
        })
        .collect()
}
