//! Related documents: the nearest live documents to one's opening, by embedding.

use serde::Deserialize;

use crate::error::AiError;
use crate::ports::{with_timeout, DbExt, VectorId, VectorQuery};
use crate::site::Site;
use crate::sql::Statement;

/// The five documents nearest to this one's opening, itself excluded, as a JSON array of ids
/// (whether they are still live is checked when a page reads them).
pub(super) async fn related(
    site: &Site,
    ai: &dyn crate::Ai,
    document_id: i64,
    input: &str,
) -> Result<String, AiError> {
    let ports = &site.ports;
    let failed = |why: String| AiError::Request(why);
    let vectors = ports.vectors.clone().ok_or_else(|| failed("no vector index".into()))?;
    let lookup = async {
        let values =
            ai.embed(vec![input.to_owned()]).await?.pop().ok_or_else(|| failed("no vector".into()))?;
        vectors
            .query(VectorQuery { values, top_k: 40, folder: None })
            .await
            .map_err(|e| failed(e.to_string()))
    };
    let matches = with_timeout(ports.tasks.as_ref(), site.enrich.timeout, lookup)
        .await
        .ok_or_else(|| AiError::Unavailable("the vector lookup timed out".into()))??;
    // Nearest first, the versions they belong to (the live documents are found below).
    let versions: Vec<i64> =
        matches.iter().filter_map(|m| m.id.parse::<VectorId>().ok().map(|id| id.version)).collect();
    #[derive(Deserialize)]
    struct Near {
        document_id: i64,
    }
    let near: Vec<Near> = ports
        .db
        .query_all(
            Statement::new(
                "SELECT v.document_id, MIN(j.key) AS nearness FROM json_each(?1) j
                 JOIN document_versions v ON v.id = j.value
                 JOIN documents d ON d.id = v.document_id AND d.version = v.version AND d.published = 1
                 WHERE v.document_id <> ?2
                 GROUP BY v.document_id ORDER BY nearness LIMIT 5",
            )
            .bind(serde_json::to_string(&versions).unwrap_or_default())
            .bind(document_id),
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
    let ids: Vec<i64> = near.into_iter().map(|n| n.document_id).collect();
    Ok(serde_json::to_string(&ids).unwrap_or_default())
}
