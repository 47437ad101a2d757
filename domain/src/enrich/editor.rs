//! What an editor does to a summary: write it again, hide it.

use super::{refresh_later, Kind};
use crate::error::DomainError;
use crate::ports::Ports;
use crate::site::Site;
use crate::sql::Statement;

/// An editor's "write it again": the summary is made anew after the response.
pub async fn regenerate_summary(site: &Site, document_id: i64) -> Result<(), DomainError> {
    let ports = &site.ports;
    crate::site::settings::ensure_writable(ports).await?;
    let gone = ports
        .db
        .query(
            Statement::new("UPDATE documents SET summary_hidden = 0 WHERE id = ?1 RETURNING id")
                .bind(document_id),
        )
        .await?
        .is_empty();
    if gone {
        return Err(DomainError::NotFound("document"));
    }
    // The stored summary and any claim (a failed attempt's back-off) go: asked, it starts now.
    ports
        .db
        .batch(vec![
            Statement::new("DELETE FROM enrichments WHERE document_id = ?1 AND kind = 'summary'")
                .bind(document_id),
            Statement::new("DELETE FROM enrichment_claims WHERE document_id = ?1 AND kind = 'summary'")
                .bind(document_id),
        ])
        .await?;
    refresh_later(site, document_id, vec![Kind::Summary]);
    Ok(())
}

/// An editor hides (or shows again) a document's summary.
pub async fn set_summary_hidden(ports: &Ports, document_id: i64, hidden: bool) -> Result<(), DomainError> {
    crate::site::settings::ensure_writable(ports).await?;
    let found = ports
        .db
        .query(
            Statement::new("UPDATE documents SET summary_hidden = ?2 WHERE id = ?1 RETURNING id")
                .bind(document_id)
                .bind(hidden),
        )
        .await?;
    if found.is_empty() {
        return Err(DomainError::NotFound("document"));
    }
    Ok(())
}
