//! What is stored of a document's enrichment, and how it stands against the live version.

use serde::{Deserialize, Serialize};

use super::Kind;
use crate::error::DomainError;
use crate::ports::DbExt;
use crate::site::Site;
use crate::sql::Statement;

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
pub fn assess(site: &Site, version: i64, stored: Stored) -> Enrichment {
    let ports = &site.ports;
    let model = &site.enrich.text_model;
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
pub async fn read(site: &Site, slug: &str) -> Result<(i64, Enrichment), DomainError> {
    let ports = &site.ports;
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
    Ok((row.id, assess(site, row.version, row.stored)))
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
