//! AI enrichment by stale-while-revalidate: a document's summary, topics and related documents.
//!
//! A page shows what is stored ([`Enrichment`], read with the document in its one query) and
//! never waits for a model: [`assess`] says what is missing or stale, and [`refresh_later`]
//! hands that to `Tasks` (a spawned task natively, `waitUntil` on Workers), which runs after
//! the response. Publishing schedules the same refresh, so most pages are fresh before their
//! first reader.
//!
//! A refresh of one item: claim it (a lease in the database, so 50 concurrent views make one
//! generation across processes and isolates) → read the live version → skip the model when the
//! input and the model are unchanged → [`guard::admit`] (budget, circuit breaker) → the model,
//! raced against a time-out → store it only if that version is still live (a document deleted
//! or edited meanwhile gets nothing) → let go of the claim.

pub mod guard;
pub mod text;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;

use crate::error::{AiError, DomainError};
use crate::ports::{with_timeout, DbExt, Ports, VectorQuery};
use crate::sql::Statement;
use crate::storage::blobs;
use crate::BlobKey;

/// Tuning, fixed per host (natively `[enrich]` in the config, on Workers `[vars]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The text model's name, stored with what it made: another model makes items stale.
    pub text_model: String,
    pub calls_per_minute: u32,
    pub calls_per_day: u32,
    /// How long one model call may take.
    pub timeout: Duration,
    /// Failures in a row that open the circuit breaker, and how long it stays open.
    pub breaker_failures: u32,
    pub breaker_cooldown: Duration,
    /// How long an item whose making failed waits before it is tried again.
    pub failure_backoff: Duration,
    /// The share of the budget (per cent, at most 50) each of enrichment and readers'
    /// questions keeps for itself: the other never takes it.
    pub reserved_percent: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            text_model: String::new(),
            calls_per_minute: 30,
            calls_per_day: 2_000,
            timeout: Duration::from_secs(60),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(60),
            failure_backoff: Duration::from_secs(600),
            reserved_percent: 25,
        }
    }
}

/// What enrichment makes for a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Summary,
    Topics,
    Related,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Summary, Self::Topics, Self::Related];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::Topics => "topics",
            Self::Related => "related",
        }
    }
}

/// How a stored item stands against the live version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Freshness {
    Fresh,
    /// Shown, with "updated … ago · refreshing"; a refresh is scheduled.
    Stale,
    /// Not made yet: a placeholder is shown and a refresh scheduled.
    Missing,
}

/// One item as a page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item<T> {
    pub value: Option<T>,
    pub freshness: Freshness,
    /// When it was made (Unix seconds).
    pub made_at: Option<i64>,
}

impl<T> Item<T> {
    fn missing() -> Self {
        Self { value: None, freshness: Freshness::Missing, made_at: None }
    }
}

/// A related document, live when read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub slug: String,
    pub title: String,
}

/// A document's enrichment as stored, judged against its live version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrichment {
    /// `false` when the host has no text model: pages show nothing of enrichment.
    pub available: bool,
    pub summary: Item<String>,
    /// An editor hid the summary.
    pub summary_hidden: bool,
    pub topics: Item<Vec<String>>,
    pub related: Item<Vec<Related>>,
    /// Items whose making failed lately: not asked for again until their back-off ends.
    pub backing_off: Vec<Kind>,
    /// Something is missing or stale and may arrive soon: a page follows it (see [`Self::wanted`]).
    pub settling: bool,
    /// When this was read (Unix seconds, the database's clock): "updated … ago" counts from it.
    pub read_at: i64,
}

impl Enrichment {
    /// Nothing stale is shown, so nothing of it moves with the clock ("updated … ago" does): a
    /// page showing it changes only with a write. Missing items show fixed placeholders (or
    /// nothing); whether one is still backing off only decides what the next render asks for.
    pub fn timeless(&self) -> bool {
        !self.available
            || [
                self.summary.freshness != Freshness::Stale || self.summary_hidden,
                self.topics.freshness != Freshness::Stale,
                self.related.freshness != Freshness::Stale,
            ]
            .iter()
            .all(|timeless| *timeless)
    }

    /// What to make again: missing or stale items, except a hidden summary and items backing
    /// off after a failure.
    pub fn wanted(&self) -> Vec<Kind> {
        if !self.available {
            return Vec::new();
        }
        [
            (Kind::Summary, self.summary.freshness, self.summary_hidden),
            (Kind::Topics, self.topics.freshness, false),
            (Kind::Related, self.related.freshness, false),
        ]
        .into_iter()
        .filter(|(kind, freshness, hidden)| {
            *freshness != Freshness::Fresh && !hidden && !self.backing_off.contains(kind)
        })
        .map(|(kind, _, _)| kind)
        .collect()
    }
}

/// The columns a document query selects for [`assess`] (`d` is the document).
pub const SELECT_COLUMNS: &str = "
  (SELECT json_group_array(json_object('kind', e.kind, 'version', e.version, 'model', e.model,
     'made_at', e.made_at, 'body', e.body,
     'related', CASE WHEN e.kind = 'related' THEN
        (SELECT json_group_array(json_object('slug', r.slug, 'title', r.title))
         FROM json_each(e.body) j JOIN documents r ON r.id = j.value AND r.published = 1) END))
   FROM enrichments e WHERE e.document_id = d.id) AS enrichments_json,
  d.summary_hidden AS summary_hidden,
  (SELECT MAX(updated_at) FROM documents WHERE published = 1) AS corpus_changed_at,
  (SELECT json_group_array(c.kind) FROM enrichment_claims c
   WHERE c.document_id = d.id AND c.failed = 1 AND c.until >= unixepoch()) AS backing_off_json,
  unixepoch() AS read_at";

/// What [`SELECT_COLUMNS`] reads.
#[derive(Debug, Deserialize)]
pub struct Stored {
    pub enrichments_json: Option<String>,
    pub summary_hidden: i64,
    pub corpus_changed_at: i64,
    pub backing_off_json: Option<String>,
    pub read_at: i64,
}

#[derive(Deserialize)]
struct StoredItem {
    kind: Kind,
    version: i64,
    model: String,
    made_at: i64,
    body: String,
    /// For related documents: the live ones, resolved by the query.
    related: Option<Vec<Related>>,
}

/// Judges what the document query read (see [`SELECT_COLUMNS`]) against the live `version`.
/// Summaries and topics are stale when made from another version or by another model; related
/// documents when the set of documents changed after they were found.
pub fn assess(ports: &Ports, version: i64, stored: Stored) -> Enrichment {
    let model = &ports.enrich.text_model;
    let items: Vec<StoredItem> = match stored.enrichments_json.as_deref().map(serde_json::from_str) {
        Some(Ok(items)) => items,
        Some(Err(err)) => {
            tracing::warn!(%err, "stored enrichment does not decode; treated as missing");
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut enrichment = Enrichment {
        available: ports.ai.is_some() && !model.is_empty(),
        summary: Item::missing(),
        summary_hidden: stored.summary_hidden != 0,
        topics: Item::missing(),
        related: Item::missing(),
        backing_off: stored
            .backing_off_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default(),
        settling: false,
        read_at: stored.read_at,
    };
    for item in items {
        let fresh = match item.kind {
            Kind::Related => item.made_at >= stored.corpus_changed_at,
            Kind::Summary | Kind::Topics => item.version == version && &item.model == model,
        };
        let freshness = if fresh { Freshness::Fresh } else { Freshness::Stale };
        let made_at = Some(item.made_at);
        match item.kind {
            Kind::Summary => enrichment.summary = Item { value: Some(item.body), freshness, made_at },
            Kind::Topics => {
                let value = serde_json::from_str(&item.body).ok();
                enrichment.topics = Item { value, freshness, made_at };
            }
            Kind::Related => enrichment.related = Item { value: item.related, freshness, made_at },
        }
    }
    enrichment.settling = !enrichment.wanted().is_empty();
    enrichment
}

/// A published document's id and enrichment alone (what a page polls while items are made).
pub async fn read(ports: &Ports, slug: &str) -> Result<(i64, Enrichment), DomainError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        version: i64,
        #[serde(flatten)]
        stored: Stored,
    }
    let row: Row = ports
        .db
        .query_opt(
            Statement::new(format!(
                "SELECT d.id, d.version, {SELECT_COLUMNS} FROM documents d WHERE d.slug = ?1 AND d.published = 1"
            ))
            .bind(slug),
        )
        .await?
        .ok_or(DomainError::NotFound("document"))?;
    Ok((row.id, assess(ports, row.version, row.stored)))
}

/// Refreshes `kinds` of a document after the response (Tasks), when the host has a model and
/// no refusal is remembered ([`guard::RecentRefusal`]: an open breaker or a spent budget).
pub fn refresh_later(ports: &Ports, document_id: i64, kinds: Vec<Kind>) {
    if kinds.is_empty()
        || ports.ai.is_none()
        || ports.enrich.text_model.is_empty()
        || ports.enrich_refused.is_remembered()
    {
        return;
    }
    let task_ports = ports.clone();
    ports.tasks.spawn(
        "enrich",
        Box::pin(async move {
            for kind in kinds {
                match refresh(&task_ports, document_id, kind).await {
                    // The other kinds would be refused too.
                    Ok(Outcome::Refused(_)) => {
                        guard::RecentRefusal::remember(&task_ports);
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
pub async fn refresh(ports: &Ports, document_id: i64, kind: Kind) -> Result<Outcome, DomainError> {
    let settings = ports.enrich.clone();
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
    let outcome = make(ports, &settings, document_id, kind).await;
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
    ports: &Ports,
    settings: &Settings,
    document_id: i64,
    kind: Kind,
) -> Result<Outcome, DomainError> {
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
        Kind::Summary => generate(ports, ai.as_ref(), text::SUMMARY_SYSTEM, text::summary_prompt(&input))
            .await
            .and_then(|a| {
                text::clean_summary(&a).ok_or_else(|| AiError::Request("the answer held no summary".into()))
            }),
        Kind::Topics => generate(ports, ai.as_ref(), text::TOPICS_SYSTEM, text::topics_prompt(&input))
            .await
            .and_then(|a| {
                text::clean_topics(&a).ok_or_else(|| AiError::Request("the answer held no topics".into()))
            })
            .map(|topics| serde_json::to_string(&topics).unwrap_or_default()),
        Kind::Related => related(ports, ai.as_ref(), document_id, &input).await.map_err(AiError::Request),
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
async fn generate(
    ports: &Ports,
    ai: &dyn crate::Ai,
    system: &str,
    prompt: String,
) -> Result<String, AiError> {
    with_timeout(ports.tasks.as_ref(), ports.enrich.timeout, ai.generate(system.to_owned(), prompt))
        .await
        .unwrap_or_else(|| Err(AiError::Unavailable("the model timed out".into())))
}

/// The five documents nearest to this one's opening, itself excluded, as a JSON array of ids
/// (whether they are still live is checked when a page reads them).
async fn related(ports: &Ports, ai: &dyn crate::Ai, document_id: i64, input: &str) -> Result<String, String> {
    let vectors = ports.vectors.clone().ok_or("no vector index")?;
    let lookup = async {
        let values =
            ai.embed(vec![input.to_owned()]).await.map_err(|e| e.to_string())?.pop().ok_or("no vector")?;
        vectors.query(VectorQuery { values, top_k: 40, folder: None }).await.map_err(|e| e.to_string())
    };
    let matches = with_timeout(ports.tasks.as_ref(), ports.enrich.timeout, lookup)
        .await
        .ok_or("the vector lookup timed out")??;
    // Vector ids are `<version_id>:<ordinal>`: nearest first, the live documents they belong to.
    let versions: Vec<i64> =
        matches.iter().filter_map(|m| m.id.split_once(':').and_then(|(v, _)| v.parse().ok())).collect();
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
        .map_err(|e| e.to_string())?;
    let ids: Vec<i64> = near.into_iter().map(|n| n.document_id).collect();
    Ok(serde_json::to_string(&ids).unwrap_or_default())
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
pub async fn catch_up(ports: &Ports, limit: i64) -> Result<usize, DomainError> {
    if ports.ai.is_none() || ports.enrich.text_model.is_empty() {
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
            .bind(ports.enrich.text_model.as_str())
            .bind(limit),
        )
        .await?;
    for row in &rows {
        refresh_later(ports, row.id, Kind::ALL.to_vec());
    }
    Ok(rows.len())
}

/// An editor's "write it again": the summary is made anew after the response.
pub async fn regenerate_summary(ports: &Ports, document_id: i64) -> Result<(), DomainError> {
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
    refresh_later(ports, document_id, vec![Kind::Summary]);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh<T>(value: T) -> Item<T> {
        Item { value: Some(value), freshness: Freshness::Fresh, made_at: Some(1) }
    }

    fn enrichment() -> Enrichment {
        Enrichment {
            available: true,
            summary: fresh("s".to_owned()),
            summary_hidden: false,
            topics: fresh(vec!["t".to_owned()]),
            related: fresh(Vec::new()),
            backing_off: Vec::new(),
            settling: false,
            read_at: 10,
        }
    }

    #[test]
    fn timeless_unless_a_stale_item_says_how_old_it_is() {
        assert!(enrichment().timeless());
        let stale =
            Enrichment { topics: Item { freshness: Freshness::Stale, ..fresh(vec![]) }, ..enrichment() };
        assert!(!stale.timeless(), "\"updated … ago\" moves with the clock");
        let missing =
            Enrichment { summary: Item::missing(), backing_off: vec![Kind::Summary], ..enrichment() };
        assert!(missing.timeless(), "a placeholder is fixed text");
        let hidden = Enrichment {
            summary: Item { freshness: Freshness::Stale, ..fresh(String::new()) },
            summary_hidden: true,
            ..enrichment()
        };
        assert!(hidden.timeless(), "a hidden summary is not shown");
        assert!(Enrichment { available: false, ..stale }.timeless(), "no model: nothing is shown");
    }
}
