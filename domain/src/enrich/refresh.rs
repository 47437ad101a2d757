//! Making one item again: a claim, the budget, the model, and storing the answer only while
//! the version it was made from is live.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{related::related, text, Kind, Settings};
use crate::error::{AiError, DomainError};
use crate::model_guard as guard;
use crate::ports::{with_timeout, DbExt, Ports};
use crate::site::Site;
use crate::sql::Statement;
use crate::storage::blobs;
use crate::BlobKey;

/// Refreshes `kinds` of a document after the response (Tasks), when the host has a model and
/// no refusal is remembered ([`guard::RecentRefusal`]: an open breaker or a spent budget).
pub fn refresh_later(site: &Site, document_id: i64, kinds: Vec<Kind>) {
    if kinds.is_empty()
        || site.ports.ai.is_none()
        || site.enrich.text_model.is_empty()
        || site.enrich_refused.is_remembered()
    {
        return;
    }
    let task_site = site.clone();
    site.ports.tasks.spawn(
        "enrich",
        Box::pin(async move {
            for kind in kinds {
                match refresh(&task_site, document_id, kind).await {
                    // The other kinds would be refused too.
                    Ok(Outcome::Refused(_)) => {
                        guard::RecentRefusal::remember(&task_site);
                        return;
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(document_id, kind = kind.as_str(), %err, "enrichment failed"),
                }
            }
        }),
    );
}

/// What one refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new item was stored.
    Made,
    /// The input and model were unchanged: the stored item now counts for this version.
    Unchanged,
    /// Another request holds the claim.
    Claimed,
    /// The document is gone or not live.
    Gone,
    /// Over budget or the breaker is open: the item stays as it is.
    Refused(guard::Refusal),
    /// The model was busy with other work: the item waits for a later view or sweep.
    Busy,
    /// The model failed, timed out or answered nothing usable.
    Failed(String),
}

/// Makes one item of a document again, if nobody else is (see the module docs).
pub async fn refresh(site: &Site, document_id: i64, kind: Kind) -> Result<Outcome, DomainError> {
    let ports = &site.ports;
    let settings = site.enrich.clone();
    // A spent budget or an open breaker costs a stale page one read, not a claim.
    let guard = guard::status(ports, &settings).await?;
    if guard.breaker_open {
        return Ok(Outcome::Refused(guard::Refusal::BreakerOpen));
    }
    if guard.budget_spent {
        return Ok(Outcome::Refused(guard::Refusal::BudgetSpent));
    }
    // Held a little longer than one call may take; a crashed holder's claim lapses.
    let lease = i64::try_from(settings.timeout.as_secs()).unwrap_or(60).saturating_mul(2).max(30);
    let claimed = ports
        .db
        .query(
            Statement::new(
                "INSERT INTO enrichment_claims (document_id, kind, until)
                 SELECT ?1, ?2, unixepoch() + ?3 WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?1)
                 ON CONFLICT (document_id, kind) DO UPDATE SET until = excluded.until, failed = 0
                   WHERE enrichment_claims.until < unixepoch()
                 RETURNING document_id",
            )
            .bind(document_id)
            .bind(kind.as_str())
            .bind(lease),
        )
        .await?;
    if claimed.is_empty() {
        let exists = !ports
            .db
            .query(Statement::new("SELECT 1 FROM documents WHERE id = ?1").bind(document_id))
            .await?
            .is_empty();
        return Ok(if exists { Outcome::Claimed } else { Outcome::Gone });
    }
    let outcome = make(site, &settings, document_id, kind).await;
    // After a failure the claim stays as the item's back-off: views of the page meanwhile don't
    // call the model again, nor follow the item.
    if matches!(outcome, Ok(Outcome::Failed(_))) {
        ports
            .db
            .execute(
                Statement::new(
                    "UPDATE enrichment_claims SET failed = 1, until = unixepoch() + ?3
                     WHERE document_id = ?1 AND kind = ?2",
                )
                .bind(document_id)
                .bind(kind.as_str())
                .bind(i64::try_from(settings.failure_backoff.as_secs()).unwrap_or(600)),
            )
            .await?;
        return outcome;
    }
    ports
        .db
        .execute(
            Statement::new("DELETE FROM enrichment_claims WHERE document_id = ?1 AND kind = ?2")
                .bind(document_id)
                .bind(kind.as_str()),
        )
        .await?;
    outcome
}

#[derive(Deserialize)]
struct Source {
    version: i64,
    // What the item is made from: checked again when it is stored, with the version, so a late
    // answer only lands on the text it was made from. Before migration 0013 the next document
    // took a deleted one's id, also at version 1; the check stays as a second guard.
    title: String,
    body_md: String,
    body_key: Option<BlobKey>,
    stored_hash: Option<String>,
    stored_model: Option<String>,
}

async fn make(
    site: &Site,
    settings: &Settings,
    document_id: i64,
    kind: Kind,
) -> Result<Outcome, DomainError> {
    let ports = &site.ports;
    let Some(ai) = ports.ai.clone() else { return Ok(Outcome::Failed("no model".into())) };
    let source: Option<Source> = ports
        .db
        .query_opt(
            Statement::new(
                "SELECT d.version, d.title, d.body_md, d.body_key, e.input_hash AS stored_hash, e.model AS stored_model
                 FROM documents d LEFT JOIN enrichments e ON e.document_id = d.id AND e.kind = ?2
                 WHERE d.id = ?1 AND d.published = 1",
            )
            .bind(document_id)
            .bind(kind.as_str()),
        )
        .await?;
    let Some(source) = source else { return Ok(Outcome::Gone) };
    let markdown = blobs::load_text(ports, Some(source.body_md.clone()), source.body_key.as_ref()).await?;
    let input = text::input(&source.title, &markdown);
    let model = match kind {
        Kind::Related => "vectors",
        Kind::Summary | Kind::Topics => settings.text_model.as_str(),
    };
    let hash = hex::encode(Sha256::digest(format!("{}\n{model}\n{input}", kind.as_str())));
    // An edit that left the input as it was (a tag, a later paragraph) needs no new call.
    if kind != Kind::Related
        && source.stored_hash.as_deref() == Some(hash.as_str())
        && source.stored_model.as_deref() == Some(model)
    {
        store(ports, document_id, kind, &source, model, &hash, None).await?;
        return Ok(Outcome::Unchanged);
    }
    if let Err(refusal) = guard::admit(ports, settings, guard::Purpose::Enrich).await? {
        return Ok(Outcome::Refused(refusal));
    }
    let answer = match kind {
        Kind::Summary => generate(site, ai.as_ref(), text::SUMMARY_SYSTEM, text::summary_prompt(&input))
            .await
            .and_then(|a| {
                text::clean_summary(&a).ok_or_else(|| AiError::Request("the answer held no summary".into()))
            }),
        Kind::Topics => generate(site, ai.as_ref(), text::TOPICS_SYSTEM, text::topics_prompt(&input))
            .await
            .and_then(|a| {
                text::clean_topics(&a).ok_or_else(|| AiError::Request("the answer held no topics".into()))
            })
            .map(|topics| serde_json::to_string(&topics).unwrap_or_default()),
        Kind::Related => related(site, ai.as_ref(), document_id, &input).await,
    };
    // The breaker watches the text model; related documents only embed.
    let generated = kind != Kind::Related;
    match answer {
        Ok(body) => {
            if generated {
                guard::succeeded(ports).await?;
            }
            let stored = store(ports, document_id, kind, &source, model, &hash, Some(&body)).await?;
            Ok(if stored { Outcome::Made } else { Outcome::Gone })
        }
        Err(AiError::Busy(_)) => {
            guard::refund(ports, guard::Purpose::Enrich).await?;
            Ok(Outcome::Busy)
        }
        Err(why) => {
            if generated {
                guard::failed(ports, settings).await?;
            }
            Ok(Outcome::Failed(why.to_string()))
        }
    }
}

/// The model's answer within the time-out.
async fn generate(site: &Site, ai: &dyn crate::Ai, system: &str, prompt: String) -> Result<String, AiError> {
    let ports = &site.ports;
    with_timeout(ports.tasks.as_ref(), site.enrich.timeout, ai.generate(system.to_owned(), prompt))
        .await
        .unwrap_or_else(|| Err(AiError::Unavailable("the model timed out".into())))
}

/// Stores an item for `version`, only while that version is live (`body: None` marks the
/// stored one as made for it). Whether anything was written.
async fn store(
    ports: &Ports,
    document_id: i64,
    kind: Kind,
    source: &Source,
    model: &str,
    hash: &str,
    body: Option<&str>,
) -> Result<bool, DomainError> {
    let written = ports
        .db
        .query(
            Statement::new(
                "INSERT INTO enrichments (document_id, kind, version, model, input_hash, body)
                 SELECT ?1, ?2, ?3, ?4, ?5, COALESCE(?6, '') FROM documents
                 WHERE id = ?1 AND version = ?3 AND published = 1
                   AND title = ?7 AND body_md = ?8 AND body_key IS ?9
                 ON CONFLICT (document_id, kind) DO UPDATE SET version = excluded.version,
                   model = excluded.model, input_hash = excluded.input_hash,
                   body = CASE WHEN ?6 IS NULL THEN enrichments.body ELSE excluded.body END,
                   made_at = CASE WHEN ?6 IS NULL THEN enrichments.made_at ELSE unixepoch() END
                 RETURNING document_id",
            )
            .bind(document_id)
            .bind(kind.as_str())
            .bind(source.version)
            .bind(model)
            .bind(hash)
            .bind(body)
            .bind(source.title.as_str())
            .bind(source.body_md.as_str())
            .bind(source.body_key.clone()),
        )
        .await?;
    Ok(!written.is_empty())
}

/// Catch-up for the sweep: up to `limit` live documents whose summary is missing or stale and
/// that nobody is working on get a refresh, so items are made without waiting for a reader
/// after a busy model, a spent budget or a failure.
pub async fn catch_up(site: &Site, limit: i64) -> Result<usize, DomainError> {
    let ports = &site.ports;
    if ports.ai.is_none() || site.enrich.text_model.is_empty() {
        return Ok(0);
    }
    #[derive(Deserialize)]
    struct Row {
        id: i64,
    }
    let rows: Vec<Row> = ports
        .db
        .query_all(
            Statement::new(
                "SELECT d.id FROM documents d
                 LEFT JOIN enrichments e ON e.document_id = d.id AND e.kind = 'summary'
                 WHERE d.published = 1 AND d.summary_hidden = 0
                   AND (e.document_id IS NULL OR e.version <> d.version OR e.model <> ?1)
                   AND NOT EXISTS (SELECT 1 FROM enrichment_claims c
                                   WHERE c.document_id = d.id AND c.until >= unixepoch())
                 ORDER BY d.updated_at DESC LIMIT ?2",
            )
            .bind(site.enrich.text_model.as_str())
            .bind(limit),
        )
        .await?;
    for row in &rows {
        refresh_later(site, row.id, Kind::ALL.to_vec());
    }
    Ok(rows.len())
}
