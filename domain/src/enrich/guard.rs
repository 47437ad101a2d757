//! What stands between enrichment and the model: a budget of calls per minute and per day, and
//! a circuit breaker that stops calling for a cool-down after repeated failures. Both are
//! counted in the database, so every process and isolate shares them.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Settings;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::Statement;

/// How long this process or isolate remembers a refusal (open breaker, spent budget).
pub const REMEMBER: Duration = Duration::from_secs(3);

/// A refusal remembered for [`REMEMBER`] (state, not a port: shared by one process's or
/// isolate's requests). While the breaker is open or the budget spent, every view of a page
/// that still wants enrichment would otherwise read the guard again; now one view a few seconds
/// does. A lapse is only a few seconds late to notice a closed breaker.
#[derive(Default)]
pub struct RecentRefusal(AtomicBool);

impl RecentRefusal {
    pub fn is_remembered(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Remembers a refusal; a task forgets it after [`REMEMBER`] (no clock needed: the host's
    /// timer, a tokio sleep or a Worker's `setTimeout` under `waitUntil`).
    pub(super) fn remember(ports: &Ports) {
        if !ports.enrich_refused.0.swap(true, Ordering::AcqRel) {
            let task_ports = ports.clone();
            ports.tasks.spawn(
                "forget-refusal",
                Box::pin(async move {
                    task_ports.tasks.sleep(REMEMBER).await;
                    task_ports.enrich_refused.0.store(false, Ordering::Release);
                }),
            );
        }
    }
}

/// Why a call was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BudgetSpent,
    BreakerOpen,
}

/// Takes one call from the budget, unless the breaker is open or the minute's or the day's
/// calls are spent. The day is counted first: a minute refused never spends the day's.
pub async fn admit(ports: &Ports, settings: &Settings) -> Result<Result<(), Refusal>, DomainError> {
    #[derive(Deserialize)]
    struct Open {
        open: i64,
    }
    let breaker: Open = ports
        .db
        .query_one(Statement::new("SELECT open_until > unixepoch() AS open FROM ai_breaker WHERE id = 1"))
        .await?;
    if breaker.open != 0 {
        return Ok(Err(Refusal::BreakerOpen));
    }
    for (period, seconds, limit) in
        [("d", 86_400, settings.calls_per_day), ("m", 60, settings.calls_per_minute)]
    {
        if !take(ports, period, seconds, limit).await? {
            return Ok(Err(Refusal::BudgetSpent));
        }
    }
    Ok(Ok(()))
}

/// Adds a call to the current `period` unless it holds `limit` already.
async fn take(ports: &Ports, period: &str, seconds: i64, limit: u32) -> Result<bool, DomainError> {
    let taken = ports
        .db
        .query(
            Statement::new(
                "INSERT INTO ai_calls (bucket, calls) VALUES (?1 || ':' || (unixepoch() / ?2), 1)
                 ON CONFLICT (bucket) DO UPDATE SET calls = calls + 1 WHERE calls < ?3
                 RETURNING calls",
            )
            .bind(period)
            .bind(seconds)
            .bind(i64::from(limit)),
        )
        .await?;
    Ok(!taken.is_empty() && limit > 0)
}

/// Gives back the call [`admit`] took, when the model was busy and never ran it: a model
/// taken by other work must not spend the budget of the callers waiting for it.
pub async fn refund(ports: &Ports) -> Result<(), DomainError> {
    ports
        .db
        .execute(Statement::new(
            "UPDATE ai_calls SET calls = calls - 1
             WHERE calls > 0 AND bucket IN ('m:' || (unixepoch() / 60), 'd:' || (unixepoch() / 86400))",
        ))
        .await?;
    Ok(())
}

/// A call failed (error or time-out): after `breaker_failures` in a row the breaker opens for
/// `breaker_cooldown`. Once that passes one call is let through; its failure reopens it.
pub async fn failed(ports: &Ports, settings: &Settings) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new(
                "UPDATE ai_breaker SET failures = failures + 1,
                   open_until = CASE WHEN failures + 1 >= ?1 THEN unixepoch() + ?2 ELSE open_until END
                 WHERE id = 1",
            )
            .bind(i64::from(settings.breaker_failures))
            .bind(i64::try_from(settings.breaker_cooldown.as_secs()).unwrap_or(60)),
        )
        .await?;
    Ok(())
}

/// A call succeeded: the failures in a row start again from zero.
pub async fn succeeded(ports: &Ports) -> Result<(), DomainError> {
    ports
        .db
        .execute(Statement::new("UPDATE ai_breaker SET failures = 0 WHERE id = 1 AND failures > 0"))
        .await?;
    Ok(())
}

/// Forgets counts older than two days (the sweep calls it).
pub async fn forget_old_counts(ports: &Ports) -> Result<(), DomainError> {
    ports
        .db
        .execute(Statement::new(
            "DELETE FROM ai_calls WHERE (bucket LIKE 'm:%' AND CAST(substr(bucket, 3) AS INTEGER) < unixepoch() / 60 - 2880)
                OR (bucket LIKE 'd:%' AND CAST(substr(bucket, 3) AS INTEGER) < unixepoch() / 86400 - 2)",
        ))
        .await?;
    Ok(())
}

/// The guard's state, for `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardStatus {
    pub breaker_open: bool,
    pub calls_this_minute: i64,
    pub calls_today: i64,
    pub budget_spent: bool,
}

pub async fn status(ports: &Ports, settings: &Settings) -> Result<GuardStatus, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        open: i64,
        minute: i64,
        day: i64,
    }
    let row: Row = ports
        .db
        .query_one(Statement::new(
            "SELECT (SELECT open_until > unixepoch() FROM ai_breaker WHERE id = 1) AS open,
                    COALESCE((SELECT calls FROM ai_calls WHERE bucket = 'm:' || (unixepoch() / 60)), 0) AS minute,
                    COALESCE((SELECT calls FROM ai_calls WHERE bucket = 'd:' || (unixepoch() / 86400)), 0) AS day",
        ))
        .await?;
    Ok(GuardStatus {
        breaker_open: row.open != 0,
        calls_this_minute: row.minute,
        calls_today: row.day,
        budget_spent: row.day >= i64::from(settings.calls_per_day)
            || row.minute >= i64::from(settings.calls_per_minute),
    })
}
