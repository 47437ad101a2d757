//! Semantic candidates: the query's embedding → nearest chunks in the vector index → checked
//! against the database (live version of a published document, filters), so an eventually
//! consistent index can never show a deleted document or an old version. `None` when the model
//! or the index is missing, slow or failing: search then answers from keywords.

use serde::Deserialize;
use std::collections::HashMap;

use super::query::KeywordQuery;
use super::{group, highlight, Candidate, Filters};
use crate::ports::{or_fallback, DbExt, VectorQuery};
use crate::site::Site;
use crate::sql::Statement;

/// Vectorize returns at most 100 ids without metadata.
const MAX_TOP_K: usize = 100;

pub(super) async fn candidates(
    site: &Site,
    text: &str,
    words: &KeywordQuery,
    filters: &Filters,
    limit: usize,
) -> Option<Vec<Candidate>> {
    let ports = &site.ports;
    let (ai, vectors) = (ports.ai.as_ref()?, ports.vectors.as_ref()?);
    let lookup = async {
        let text: String = text.chars().take(2000).collect();
        let model = ai.embedding_model();
        let values = match site.searches.embedding(model, &text) {
            Some(kept) => kept.as_ref().clone(),
            None => {
                let mut embedded = ai.embed_now(vec![text.clone()]).await.map_err(|e| e.to_string())?;
                let values = embedded.pop().filter(|v| v.len() == vectors.dimensions()).ok_or_else(|| {
                    format!(
                        "the model's query vector does not have the index's {} dimensions",
                        vectors.dimensions()
                    )
                })?;
                site.searches.keep_embedding(model, &text, values.clone());
                values
            }
        };
        // Several chunks of one document may come first: ask for more than `limit` documents.
        let top_k = (limit * 2).min(MAX_TOP_K);
        vectors
            .query(VectorQuery { values, top_k, folder: filters.folder.clone() })
            .await
            .map_err(|e| e.to_string())
    };
    let wait = site.search.semantic_timeout;
    let matches =
        or_fallback(ports.tasks.as_ref(), wait, "semantic search", "answering from keywords", lookup).await?;
    // An id that is not a [`VectorId`] is not ours.
    let mut wanted: HashMap<(i64, i64), f32> = HashMap::new();
    for m in matches.iter().filter(|m| m.score >= site.search.min_similarity) {
        if let Ok(id) = m.id.parse::<crate::ports::VectorId>() {
            wanted.entry((id.version, id.ordinal)).or_insert(m.score);
        }
    }
    if wanted.is_empty() {
        return Some(Vec::new());
    }
    let versions: Vec<i64> = wanted.keys().map(|(v, _)| *v).collect();
    #[derive(Deserialize)]
    struct Row {
        chunk_id: i64,
        version_id: i64,
        ordinal: i64,
        document_id: i64,
        slug: String,
        title: String,
        heading: String,
        anchor: Option<String>,
        body: String,
    }
    let rows: Result<Vec<Row>, _> = ports
        .db
        .query_all(
            Statement::new(
                "SELECT c.id AS chunk_id, c.version_id, c.ordinal, c.document_id, d.slug, d.title, c.heading, c.anchor, c.body
                 FROM chunks c
                 JOIN documents d ON d.id = c.document_id AND d.version = c.version AND d.published = 1
                 WHERE c.version_id IN (SELECT value FROM json_each(?1))
                   AND (?2 IS NULL OR d.folder = ?2)
                   AND (?3 IS NULL OR EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id AND t.tag = ?3))
                   AND (?4 IS NULL OR d.updated_at >= ?4)",
            )
            .bind(serde_json::to_string(&versions).unwrap_or_default())
            .bind(filters.folder.clone())
            .bind(filters.tag.clone())
            .bind(filters.after),
        )
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(err) => {
            tracing::warn!(%err, "semantic candidates could not be checked; answering from keywords");
            return None;
        }
    };
    let query_words: Vec<String> = words.words().map(str::to_lowercase).collect();
    let mut found: Vec<Candidate> = rows
        .into_iter()
        .filter_map(|r| {
            let score = *wanted.get(&(r.version_id, r.ordinal))?;
            Some(Candidate {
                chunk_id: r.chunk_id,
                document_id: r.document_id,
                snippet: highlight::window(&r.body, &query_words, 28),
                slug: r.slug,
                title: r.title,
                heading: r.heading,
                anchor: r.anchor,
                score: f64::from(score),
                sections: Vec::new(),
            })
        })
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut found = group::per_document(found, true);
    found.truncate(limit);
    Some(found)
}
