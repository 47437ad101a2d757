//! Durable jobs: a worker leases a job, runs its stages in order, and records each step, so a
//! crash or an evicted isolate leaves an expired lease that the next sweep resumes.

use serde::Deserialize;

use super::stages::{self, Stage};
use crate::documents::model::VersionStatus;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::site::Site;
use crate::sql::Statement;
use crate::storage::blobs;

/// How long a stage may run before another worker may take the job over.
const LEASE_SECONDS: i64 = 120;
/// Internal failures (storage hiccups) are retried this many times; bad content fails at once.
const MAX_ATTEMPTS: i64 = 3;
/// Claims that may end without an outcome (the host died mid-stage) before the job is set
/// aside: a file that aborts the converter must not crash-loop the host.
const MAX_UNFINISHED: i64 = 3;
/// Blobs younger than this are never collected: they may belong to an upload in progress.
const ORPHAN_MIN_AGE_SECONDS: i64 = 3600;
/// Embedding retries wait this long, doubling per attempt up to the maximum.
const EMBED_RETRY_SECONDS: i64 = 10;
const EMBED_RETRY_MAX_SECONDS: i64 = 1800;

/// Runs pending jobs in the background (after the response).
pub fn run_later(site: &Site) {
    let task_site = site.clone();
    site.ports.tasks.spawn(
        "ingest",
        Box::pin(async move {
            if let Err(err) = run_pending(&task_site, 20).await {
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
    /// This claim included.
    unfinished: i64,
}

/// How far a run takes its jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Until {
    /// Every stage.
    Done,
    /// Until the version is live; `embed` is left for the background.
    Live,
}

/// Leases up to `limit` jobs whose lease has expired and runs them. Returns how many ran.
pub async fn run_pending(site: &Site, limit: u32) -> Result<usize, DomainError> {
    run_claimed(site, limit, Until::Done).await
}

/// Like [`run_pending`], but only jobs before `embed`, and only until their version is live:
/// what seeding waits for, so a first start never waits for a model.
pub async fn run_until_live(site: &Site, limit: u32) -> Result<usize, DomainError> {
    run_claimed(site, limit, Until::Live).await
}

async fn run_claimed(site: &Site, limit: u32, until: Until) -> Result<usize, DomainError> {
    let ports = &site.ports;
    // The claim is counted before any stage runs: a claim that never reports back (the
    // process aborted) still counts, which is what stops a crash loop.
    let claimed: Vec<Claimed> = ports
        .db
        .query_all(
            Statement::new(
                "UPDATE ingest_jobs SET lease_until = unixepoch() + ?2, attempts = attempts + 1,
                   unfinished = unfinished + 1, updated_at = unixepoch()
                 WHERE version_id IN (SELECT version_id FROM ingest_jobs WHERE lease_until < unixepoch()
                                        AND (?3 = 0 OR stage <> 'embed')
                                      ORDER BY version_id LIMIT ?1)
                 RETURNING version_id, stage, attempts, unfinished",
            )
            .bind(i64::from(limit))
            .bind(LEASE_SECONDS)
            .bind(i64::from(until == Until::Live)),
        )
        .await?;
    for job in &claimed {
        if job.unfinished > MAX_UNFINISHED {
            quarantine(ports, job).await?;
        } else {
            run_one(site, job, until).await?;
        }
    }
    Ok(claimed.len())
}

/// A job whose last [`MAX_UNFINISHED`] claims never came back: its file stops the host, so it
/// is set aside and the jobs behind it run. Before `embed` the version fails with a reason a
/// person understands; at `embed` the version is already live and keyword-searchable, so its
/// vectors only wait the longest back-off.
async fn quarantine(ports: &Ports, job: &Claimed) -> Result<(), DomainError> {
    let times = MAX_UNFINISHED;
    let what = match job.stage {
        Stage::Extract => "the converter",
        Stage::Index => "the search indexer",
        Stage::Publish => "publishing",
        Stage::Embed => {
            tracing::warn!(version = job.version_id, "embedding stopped the host {times} times; waiting");
            let err = DomainError::Internal(format!("embedding stopped {times} times without an outcome"));
            return retry_in(ports, job.version_id, EMBED_RETRY_MAX_SECONDS, &err).await;
        }
    };
    tracing::warn!(
        version = job.version_id,
        stage = job.stage.as_str(),
        "set aside after {times} unfinished runs"
    );
    fail(
        ports,
        job.version_id,
        &format!(
            "This file stopped {what} {times} times without finishing, so it was set aside. \
             Check that the file opens elsewhere, or upload a simpler copy."
        ),
    )
    .await
}

/// Marks the version failed with `reason` (shown to editors) and ends its job.
async fn fail(ports: &Ports, version_id: i64, reason: &str) -> Result<(), DomainError> {
    ports
        .db
        .batch(vec![
            Statement::new("UPDATE document_versions SET status = ?3, error = ?2 WHERE id = ?1")
                .bind(version_id)
                .bind(reason)
                .bind(VersionStatus::Failed.as_str()),
            Statement::new("DELETE FROM ingest_jobs WHERE version_id = ?1").bind(version_id),
        ])
        .await?;
    Ok(())
}

async fn run_one(site: &Site, job: &Claimed, until: Until) -> Result<(), DomainError> {
    let ports = &site.ports;
    let mut stage = job.stage;
    let outcome = async {
        loop {
            stages::run(site, stage, job.version_id).await?;
            let Some(next) = stage.next() else { break };
            // Recorded, so a crash after this point resumes at the next stage.
            advance(ports, job.version_id, next).await?;
            stage = next;
            // Without a model `embed` is a no-op: it runs here, and nothing is left behind.
            let can_embed = ports.ai.is_some() && ports.vectors.is_some();
            if until == Until::Live && next == Stage::Embed && can_embed {
                // Live: the rest is the background's, at once and with nothing counted.
                return Ok(false);
            }
        }
        Ok::<bool, DomainError>(true)
    }
    .await;
    match outcome {
        Ok(false) => hand_over(ports, job.version_id).await,
        Ok(true) => {
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
            fail(ports, job.version_id, &err.public_message()).await
        }
    }
}

/// Leaves the job for a sweep `seconds` from now; the claim came back, so it is not unfinished.
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
                "UPDATE ingest_jobs SET lease_until = unixepoch() + ?3, last_error = ?2, unfinished = 0
                 WHERE version_id = ?1",
            )
            .bind(version_id)
            .bind(err.to_string())
            .bind(seconds),
        )
        .await?;
    Ok(())
}

/// Ends this claim with the job runnable at once by the next run or sweep.
async fn hand_over(ports: &Ports, version_id: i64) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new("UPDATE ingest_jobs SET lease_until = 0, unfinished = 0 WHERE version_id = ?1")
                .bind(version_id),
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
/// index what was deleted, then collect blobs that nothing refers to any more; forget what
/// insights collected more than 90 days ago.
pub async fn sweep(site: &Site) -> Result<Swept, DomainError> {
    let ports = &site.ports;
    let embeds_queued = stages::requeue_unembedded(ports).await?;
    let jobs_run = run_pending(site, 20).await?;
    // The vector index being down must not stop the rest of the housekeeping.
    let vectors_forgotten = stages::forget_deleted_vectors(ports).await.unwrap_or_else(|err| {
        tracing::warn!(%err, "vector index did not forget deleted chunks; next sweep retries");
        0
    });
    let blobs_collected = blobs::collect_garbage(ports, ORPHAN_MIN_AGE_SECONDS).await?;
    crate::model_guard::forget_old_counts(ports).await?;
    crate::site::limits::forget_old_counts(ports).await?;
    crate::insights::forget_old(ports).await?;
    crate::enrich::catch_up(site, 2).await?;
    Ok(Swept { jobs_run, blobs_collected, embeds_queued, vectors_forgotten })
}

/// Makes every job a claim still holds runnable now, and every enrichment and question
/// claimable. Only for a host where nothing else can hold a lease: the native server at
/// start-up (after a crash, its leases would otherwise run out first; an asker of a question a
/// killed process had claimed waited the claim's two minutes). A job waiting out a retry's
/// back-off keeps waiting.
pub async fn release_leases(ports: &Ports) -> Result<u64, DomainError> {
    ports.db.execute(Statement::new("DELETE FROM enrichment_claims")).await?;
    ports.db.execute(Statement::new("DELETE FROM ask_claims")).await?;
    Ok(ports
        .db
        .execute(Statement::new(
            "UPDATE ingest_jobs SET lease_until = 0 WHERE lease_until > 0 AND unfinished > 0",
        ))
        .await?)
}
