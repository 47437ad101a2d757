//! Answers kept for the same question, and the claim that makes identical questions share one
//! generation. A stored answer is only given while every passage it was built from is still
//! in its document's live version: an edit or a delete drops it at once, with no event to miss.

use serde::Deserialize;

use super::{Done, Source};
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::Statement;

/// How long a claim holds when its asker vanishes without releasing it.
const LEASE_SECS: i64 = 120;

pub(super) struct Stored {
    pub sources: Vec<Source>,
    pub answer: String,
}

impl Stored {
    pub fn done(&self, sources_ms: u64) -> Done {
        Done {
            citations: super::prompt::citations(&self.answer, self.sources.len()),
            not_found: super::prompt::says_not_found(&self.answer),
            cached: true,
            timings: super::Timings { sources_ms, ..super::Timings::default() },
            ..Done::default()
        }
    }
}

/// The stored answer to `key` by `model`, if every passage it was built from is unchanged: the
/// chunk is still in its document's live version, and it is still that document's and says
/// the same (answers stored before migration 0013 may name ids SQLite gave again, so an id
/// alone proves nothing). A stale answer is deleted.
pub(super) async fn lookup(
    ports: &Ports,
    key: &str,
    model: &str,
    question: &str,
) -> Result<Option<Stored>, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        answer: String,
        sources: String,
        chunk_ids: String,
    }
    #[derive(Deserialize)]
    struct Live {
        id: i64,
        document_id: i64,
        title: String,
        body: String,
    }
    let row: Option<Row> = ports
        .db
        .query_opt(
            Statement::new(
                "SELECT answer, sources, chunk_ids FROM ask_answers WHERE key = ?1 AND model = ?2",
            )
            .bind(key)
            .bind(model),
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let live: Vec<Live> = ports
        .db
        .query_all(
            Statement::new(
                "SELECT c.id, c.document_id, d.title, c.body FROM chunks c
                 JOIN documents d ON d.id = c.document_id AND d.version = c.version AND d.published = 1
                 WHERE c.id IN (SELECT value FROM json_each(?1))",
            )
            .bind(row.chunk_ids),
        )
        .await?;
    let sources: Option<Vec<Source>> = serde_json::from_str(&row.sources).ok();
    let unchanged = |sources: &[Source]| {
        sources.iter().all(|s| {
            live.iter().any(|l| {
                l.id == s.chunk_id
                    && l.document_id == s.document_id
                    && l.title == s.title
                    && super::prompt::passage(&l.body, question) == s.text
            })
        })
    };
    match sources {
        Some(sources) if unchanged(&sources) => Ok(Some(Stored { sources, answer: row.answer })),
        _ => {
            ports.db.execute(Statement::new("DELETE FROM ask_answers WHERE key = ?1").bind(key)).await?;
            Ok(None)
        }
    }
}

pub(super) async fn store(
    ports: &Ports,
    key: &str,
    model: &str,
    answer: &str,
    sources: &[Source],
) -> Result<(), DomainError> {
    let ids: Vec<i64> = sources.iter().map(|s| s.chunk_id).collect();
    ports
        .db
        .execute(
            Statement::new(
                "INSERT INTO ask_answers (key, model, answer, sources, chunk_ids) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (key) DO UPDATE SET model = excluded.model, answer = excluded.answer,
                   sources = excluded.sources, chunk_ids = excluded.chunk_ids, made_at = unixepoch()",
            )
            .bind(key)
            .bind(model)
            .bind(answer)
            .bind(serde_json::to_string(sources).unwrap_or_default())
            .bind(serde_json::to_string(&ids).unwrap_or_default()),
        )
        .await?;
    Ok(())
}

/// This asker answers `key` (until it releases the claim, or its lease ends).
pub(super) struct Claim {
    ports: Ports,
    key: String,
    released: bool,
}

/// The claim on `key`, unless another asker holds one.
pub(super) async fn claim(ports: &Ports, key: &str) -> Result<Option<Claim>, DomainError> {
    let won = ports
        .db
        .query(
            Statement::new(
                "INSERT INTO ask_claims (key, until) VALUES (?1, unixepoch() + ?2)
                 ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE until < unixepoch()
                 RETURNING key",
            )
            .bind(key)
            .bind(LEASE_SECS),
        )
        .await?;
    Ok((!won.is_empty()).then(|| Claim { ports: ports.clone(), key: key.to_owned(), released: false }))
}

impl Claim {
    pub async fn release(mut self) {
        self.released = true;
        release(&self.ports, &self.key).await;
    }
}

async fn release(ports: &Ports, key: &str) {
    if let Err(err) =
        ports.db.execute(Statement::new("DELETE FROM ask_claims WHERE key = ?1").bind(key)).await
    {
        tracing::warn!(%err, "ask: a claim was not released; it lapses with its lease");
    }
}

/// An asker who left mid-answer (the future dropped) frees the question for the next asker at
/// once rather than at the end of the lease.
impl Drop for Claim {
    fn drop(&mut self) {
        if !self.released {
            let (ports, key) = (self.ports.clone(), std::mem::take(&mut self.key));
            self.ports
                .tasks
                .clone()
                .spawn("ask-release", Box::pin(async move { release(&ports, &key).await }));
        }
    }
}
