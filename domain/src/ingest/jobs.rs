//! Durable jobs: a worker leases a job, runs its stages in order, and records each step, so a
//! crash or an evicted isolate leaves an expired lease that the next sweep resumes.

use serde::Deserialize;

use super::stages::{self, Stage};
use crate::documents::model::VersionStatus;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::Statement;
use crate::storage::blobs;

/// How long a stage may run before another worker may take the job over.
const LEASE_SECONDS: i64 = 120;
/// Internal failures (storage hiccups) are retried this many times; bad content fails at once.
const MAX_ATTEMPTS: i64 = 3;
/// Blobs younger than this are never collected: they may belong to an upload in progress.
const ORPHAN_MIN_AGE_SECONDS: i64 = 3600;
/// Embedding retries wait this long, doubling per attempt up to the maximum.
const EMBED_RETRY_SECONDS: i64 = 10;
const EMBED_RETRY_MAX_SECONDS: i64 = 1800;

/// Runs pending jobs in the background (after the response).
pub fn run_later(ports: &Ports) {
    let ports_for_task = ports.clone();
    ports.tasks.spawn(
        "ingest",
        Box::pin(async move {
            if let Err(err) = run_pending(&ports_for_task, 20).await {
                tracing::warn!(%err, "ingest sweep failed");
            }
        }),
    );
}

#[derive(Deserialize)]
struct Claimed {
    version_id: i64,
    stage: Stage,
    attempts: i64,
}

/// Leases up to `limit` jobs whose lease has expired and runs them. Returns how many ran.
pub async fn run_pending(ports: &Ports, limit: u32) -> Result<usize, DomainError> {
    let claimed: Vec<Claimed> = ports
        .db
        .query_all(
            Statement::new(
                "UPDATE ingest_jobs SET lease_until = unixepoch() + ?2, attempts = attempts + 1,
                   updated_at = unixepoch()
                 WHERE version_id IN (SELECT version_id FROM ingest_jobs WHERE lease_until < unixepoch()
                                      ORDER BY version_id LIMIT ?1)
                 RETURNING version_id, stage, attempts",
            )
            .bind(i64::from(limit))
            .bind(LEASE_SECONDS),
        )
        .await?;
    for job in &claimed {
        run_one(ports, job).await?;
    }
    Ok(claimed.len())
}

async fn run_one(ports: &Ports, job: &Claimed) -> Result<(), DomainError> {
    let mut stage = job.stage;
    let outcome = async {
        loop {
            stages::run(ports, stage, job.version_id).await?;
            let Some(next) = stage.next() else { break };
            // Recorded, so a crash after this point resumes at the next stage.
            advance(ports, job.version_id, next).await?;
            stage = next;
        }
        Ok::<(), DomainError>(())
    }
    .await;
    match outcome {
        Ok(()) => {
            ports
                .db
                .execute(Statement::new("DELETE FROM ingest_jobs WHERE version_id = ?1").bind(job.version_id))
                .await?;
            Ok(())
        }
        // The version is live: a model or vector index that is down only delays its vectors.
        Err(err) if stage == Stage::Embed => {
            let wait = EMBED_RETRY_SECONDS
                .saturating_mul(1 << job.attempts.clamp(0, 8))
                .min(EMBED_RETRY_MAX_SECONDS);
            tracing::warn!(version = job.version_id, %err, wait, "embedding failed; will retry");
            retry_in(ports, job.version_id, wait, &err).await
        }
        Err(err) if err.is_internal() && job.attempts < MAX_ATTEMPTS => {
            tracing::warn!(version = job.version_id, %err, "ingest stage failed; will retry");
            retry_in(ports, job.version_id, 5 * job.attempts, &err).await
        }
        Err(err) => {
            tracing::info!(version = job.version_id, %err, "ingest failed");
            ports
                .db
                .batch(vec![
                    Statement::new("UPDATE document_versions SET status = ?3, error = ?2 WHERE id = ?1")
                        .bind(job.version_id)
                        .bind(err.public_message())
                        .bind(VersionStatus::Failed.as_str()),
                    Statement::new("DELETE FROM ingest_jobs WHERE version_id = ?1").bind(job.version_id),
                ])
                .await?;
            Ok(())
        }
    }
}

/// Leaves the job for a sweep `seconds` from now.
async fn retry_in(
    ports: &Ports,
    version_id: i64,
    seconds: i64,
    err: &DomainError,
) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new(
                "UPDATE ingest_jobs SET lease_until = unixepoch() + ?3, last_error = ?2 WHERE version_id = ?1",
            )
            .bind(version_id)
            .bind(err.to_string())
            .bind(seconds),
        )
        .await?;
    Ok(())
}

/// Moves a job on to `stage`.
async fn advance(ports: &Ports, version_id: i64, stage: Stage) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new("UPDATE ingest_jobs SET stage = ?2 WHERE version_id = ?1")
                .bind(version_id)
                .bind(stage.as_str()),
        )
        .await?;
    Ok(())
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub jobs_run: usize,
    pub blobs_collected: usize,
    /// Versions given an `embed` job again because their chunks still wait for vectors.
    pub embeds_queued: u64,
    pub vectors_forgotten: usize,
}

/// The housekeeping both hosts schedule (natively every 15 s, a cron trigger on the Worker):
/// queue chunks still waiting for vectors, resume jobs whose lease ran out, tell the vector
/// index what was deleted, then collect blobs that nothing refers to any more.
pub async fn sweep(ports: &Ports) -> Result<Swept, DomainError> {
    let embeds_queued = stages::requeue_unembedded(ports).await?;
    let jobs_run = run_pending(ports, 20).await?;
    // The vector index being down must not stop the rest of the housekeeping.
    let vectors_forgotten = stages::forget_deleted_vectors(ports).await.unwrap_or_else(|err| {
        tracing::warn!(%err, "vector index did not forget deleted chunks; next sweep retries");
        0
    });
    let blobs_collected = blobs::collect_garbage(ports, ORPHAN_MIN_AGE_SECONDS).await?;
    crate::enrich::guard::forget_old_counts(ports).await?;
    crate::enrich::catch_up(ports, 2).await?;
    Ok(Swept { jobs_run, blobs_collected, embeds_queued, vectors_forgotten })
}

/// Makes every job runnable now, and every enrichment claimable. Only for a host where nothing
/// else can hold a lease: the native server at start-up (after a crash, its leases would
/// otherwise run out first).
pub async fn release_leases(ports: &Ports) -> Result<u64, DomainError> {
    ports.db.execute(Statement::new("DELETE FROM enrichment_claims")).await?;
    Ok(ports
        .db
        .execute(Statement::new("UPDATE ingest_jobs SET lease_until = 0 WHERE lease_until > 0"))
        .await?)
}
