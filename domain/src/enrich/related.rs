//! Related documents: the nearest live documents to one's opening, by embedding, kept only when
//! they are near enough to be related (every document has nearest neighbours, and for a page
//! about something no other page covers they are noise).

use serde::Deserialize;

use crate::error::AiError;
use crate::ports::{with_timeout, DbExt, VectorId, VectorQuery};
use crate::site::Site;
use crate::sql::Statement;

/// Documents a page lists at most.
pub const MAX_RELATED: usize = 5;
/// Chunks asked of the vector index for a page's related documents.
pub const NEAREST_CHUNKS: usize = 40;

/// Another live document near one's opening, and how near: the cosine similarity of its
/// nearest chunk to the opening's embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub document_id: i64,
    pub similarity: f32,
}

/// What [`neighbours`] looks at and keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// Chunks asked of the vector index.
    pub chunks: usize,
    /// Documents kept at most.
    pub documents: usize,
    /// Documents whose nearest chunk is less similar are left out.
    pub min_similarity: f32,
}

/// The documents of `document_id`'s related list, as stored: the nearest ones to its opening
/// that clear `site.enrich.related_min_similarity`, at most [`MAX_RELATED`], itself excluded,
/// as a JSON array of ids (whether they are still live is checked when a page reads them). An
/// empty list is an answer: nothing is near enough.
pub(super) async fn related(
    site: &Site,
    ai: &dyn crate::Ai,
    document_id: i64,
    input: &str,
) -> Result<String, AiError> {
    let reach = Reach {
        chunks: NEAREST_CHUNKS,
        documents: MAX_RELATED,
        min_similarity: site.enrich.related_min_similarity,
    };
    let near = neighbours(site, ai, document_id, input, reach).await?;
    let ids: Vec<i64> = near.into_iter().map(|n| n.document_id).collect();
    Ok(serde_json::to_string(&ids).unwrap_or_default())
}

/// The live documents other than `document_id` whose chunks are nearest to `input` (a
/// document's [`super::text::input`]), nearest first, each with its best similarity. The related
/// list is this with [`related`]'s reach; the bar was measured with a wider one
/// (`server/tests/related_bar.rs`).
pub async fn neighbours(
    site: &Site,
    ai: &dyn crate::Ai,
    document_id: i64,
    input: &str,
    reach: Reach,
) -> Result<Vec<Neighbour>, AiError> {
    let ports = &site.ports;
    let failed = |why: String| AiError::Request(why);
    let vectors = ports.vectors.clone().ok_or_else(|| failed("no vector index".into()))?;
    let lookup = async {
        let values =
            ai.embed(vec![input.to_owned()]).await?.pop().ok_or_else(|| failed("no vector".into()))?;
        vectors
            .query(VectorQuery { values, top_k: reach.chunks, folder: None })
            .await
            .map_err(|e| failed(e.to_string()))
    };
    let mut matches = with_timeout(ports.tasks.as_ref(), site.enrich.timeout, lookup)
        .await
        .ok_or_else(|| AiError::Unavailable("the vector lookup timed out".into()))??;
    // Nearest first (an index may answer in another order), and only those near enough: a
    // document's first chunk in this order is its best.
    matches.sort_by(|a, b| b.score.total_cmp(&a.score));
    let chunks: Vec<(i64, f32)> = matches
        .iter()
        .filter(|m| m.score >= reach.min_similarity)
        .filter_map(|m| m.id.parse::<VectorId>().ok().map(|id| (id.version, m.score)))
        .collect();
    if chunks.is_empty() {
        return Ok(Vec::new());
    }
    let versions: Vec<i64> = chunks.iter().map(|(version, _)| *version).collect();
    #[derive(Deserialize)]
    struct Near {
        document_id: i64,
        nearness: i64,
    }
    let near: Vec<Near> = ports
        .db
        .query_all(
            Statement::new(
                "SELECT v.document_id, MIN(j.key) AS nearness FROM json_each(?1) j
                 JOIN document_versions v ON v.id = j.value
                 JOIN documents d ON d.id = v.document_id AND d.version = v.version AND d.published = 1
                 WHERE v.document_id <> ?2
                 GROUP BY v.document_id ORDER BY nearness LIMIT ?3",
            )
            .bind(serde_json::to_string(&versions).unwrap_or_default())
            .bind(document_id)
            .bind(i64::try_from(reach.documents).unwrap_or(i64::MAX)),
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
    Ok(near
        .into_iter()
        .filter_map(|n| {
            let (_, similarity) = chunks.get(usize::try_from(n.nearness).ok()?)?;
            Some(Neighbour { document_id: n.document_id, similarity: *similarity })
        })
        .collect())
}
