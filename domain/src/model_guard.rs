//! What stands between the model and its two callers (enrichment, readers' questions): a
//! budget of calls per minute and per day, and a circuit breaker that stops calling for a
//! cool-down after repeated failures. Both are counted in the database, so every process and
//! isolate shares them. Each caller keeps a reserve of the budget the other cannot take
//! ([`Settings::reserved_percent`]): a freshly imported folder's summaries never leave readers'
//! questions without calls, and a crowd of askers never stops enrichment for the day.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::enrich::Settings;
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::site::Site;
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
    pub(crate) fn remember(site: &Site) {
        if !site.enrich_refused.0.swap(true, Ordering::AcqRel) {
            let task_site = site.clone();
            site.ports.tasks.spawn(
                "forget-refusal",
                Box::pin(async move {
                    task_site.ports.tasks.sleep(REMEMBER).await;
                    task_site.enrich_refused.0.store(false, Ordering::Release);
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

/// Who spends a call: each keeps its reserve of the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Summaries and topics, made in the background.
    Enrich,
    /// A reader's question.
    Ask,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Enrich => "enrich",
            Self::Ask => "ask",
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Enrich => Self::Ask,
            Self::Ask => Self::Enrich,
        }
    }
}

/// The calls of `limit` one purpose may take: all but the other's reserve (at least one call
/// each while the limit allows two).
fn cap(limit: u32, reserved_percent: u8) -> u32 {
    let reserve = (u64::from(limit) * u64::from(reserved_percent.min(50))).div_ceil(100);
    let reserve = u32::try_from(reserve).unwrap_or(limit).min(limit / 2);
    limit - reserve
}

/// Takes one call from the budget for `purpose`, unless the breaker is open or the minute's or
/// the day's calls are spent (or all but the other purpose's reserve). The minute is counted
/// first: a day refused spends only a minute's call, which comes back with the next minute.
pub async fn admit(
    ports: &Ports,
    settings: &Settings,
    purpose: Purpose,
) -> Result<Result<(), Refusal>, DomainError> {
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
        [("m", 60, settings.calls_per_minute), ("d", 86_400, settings.calls_per_day)]
    {
        if !take(ports, period, seconds, limit, cap(limit, settings.reserved_percent), purpose).await? {
            return Ok(Err(Refusal::BudgetSpent));
        }
    }
    Ok(Ok(()))
}

/// Adds a call to `purpose`'s count for the current `period` (bucket `m:<minute>:<purpose>`)
/// unless both purposes hold `limit` together, or this one holds `cap`. One statement, so
/// concurrent callers cannot both take the last call.
async fn take(
    ports: &Ports,
    period: &str,
    seconds: i64,
    limit: u32,
    cap: u32,
    purpose: Purpose,
) -> Result<bool, DomainError> {
    if limit == 0 || cap == 0 {
        return Ok(false);
    }
    let taken = ports
        .db
        .query(
            Statement::new(
                "WITH b (own, other) AS (SELECT ?1 || ':' || (unixepoch() / ?2) || ':' || ?3,
                                                ?1 || ':' || (unixepoch() / ?2) || ':' || ?4)
                 INSERT INTO ai_calls (bucket, calls)
                 SELECT own, 1 FROM b
                 WHERE (SELECT COALESCE(SUM(calls), 0) FROM ai_calls WHERE bucket IN (b.own, b.other)) < ?5
                   AND (SELECT COALESCE(SUM(calls), 0) FROM ai_calls WHERE bucket = b.own) < ?6
                 ON CONFLICT (bucket) DO UPDATE SET calls = calls + 1
                 RETURNING calls",
            )
            .bind(period)
            .bind(seconds)
            .bind(purpose.as_str())
            .bind(purpose.other().as_str())
            .bind(i64::from(limit))
            .bind(i64::from(cap)),
        )
        .await?;
    Ok(!taken.is_empty())
}

/// Gives back the call [`admit`] took, when the model was busy and never ran it: a model
/// taken by other work must not spend the budget of the callers waiting for it.
pub async fn refund(ports: &Ports, purpose: Purpose) -> Result<(), DomainError> {
    ports
        .db
        .execute(
            Statement::new(
                "UPDATE ai_calls SET calls = calls - 1
                 WHERE calls > 0 AND bucket IN ('m:' || (unixepoch() / 60) || ':' || ?1,
                                               'd:' || (unixepoch() / 86400) || ':' || ?1)",
            )
            .bind(purpose.as_str()),
        )
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

/// Forgets counts older than two days (the sweep calls it; `CAST` reads the leading number of
/// `<minute>:<purpose>`).
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

/// The guard's state, for `/healthz` and for enrichment's "worth trying?" check: the counts
/// are both purposes', `budget_spent` is enrichment's (its share of the minute or the day).
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
        enrich_minute: i64,
        enrich_day: i64,
    }
    let row: Row = ports
        .db
        .query_one(Statement::new(
            "SELECT (SELECT open_until > unixepoch() FROM ai_breaker WHERE id = 1) AS open,
                    (SELECT COALESCE(SUM(calls), 0) FROM ai_calls
                      WHERE bucket LIKE 'm:' || (unixepoch() / 60) || ':%') AS minute,
                    (SELECT COALESCE(SUM(calls), 0) FROM ai_calls
                      WHERE bucket LIKE 'd:' || (unixepoch() / 86400) || ':%') AS day,
                    (SELECT COALESCE(SUM(calls), 0) FROM ai_calls
                      WHERE bucket = 'm:' || (unixepoch() / 60) || ':enrich') AS enrich_minute,
                    (SELECT COALESCE(SUM(calls), 0) FROM ai_calls
                      WHERE bucket = 'd:' || (unixepoch() / 86400) || ':enrich') AS enrich_day",
        ))
        .await?;
    let spent = |total: i64, own: i64, limit: u32| {
        total >= i64::from(limit) || own >= i64::from(cap(limit, settings.reserved_percent))
    };
    Ok(GuardStatus {
        breaker_open: row.open != 0,
        calls_this_minute: row.minute,
        calls_today: row.day,
        budget_spent: spent(row.minute, row.enrich_minute, settings.calls_per_minute)
            || spent(row.day, row.enrich_day, settings.calls_per_day),
    })
}

#[cfg(test)]
mod tests {
    use super::cap;

    #[test]
    fn each_purpose_keeps_its_reserve_while_the_limit_allows_two() {
        assert_eq!(cap(30, 25), 22, "a quarter of 30, rounded up, is kept for the other");
        assert_eq!(cap(2_000, 25), 1_500);
        assert_eq!(cap(3, 25), 2);
        assert_eq!(cap(2, 25), 1, "one each");
        assert_eq!(cap(1, 25), 1, "a single call goes to whoever asks first");
        assert_eq!(cap(10, 0), 10, "no reserve");
        assert_eq!(cap(10, 90), 5, "a reserve is at most half");
        assert_eq!(cap(0, 25), 0);
    }
}
