//! Per-client limits on what costs the site money: searches (an embedding and a vector query
//! each) and readers' questions (a model call each). A client is its address (hashed: no
//! address is kept); counts live in fixed windows behind the [`Throttle`] port. Over the limit
//! is a 429 with `Retry-After` at the end of the window.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::DomainError;
use crate::ports::{Db, Ports, Throttle};
use crate::sql::Statement;

/// How much one client may use (natively `FOLIO_CLIENT_…`, on Workers `CLIENT_…` in `[vars]`).
/// Zero turns a limit off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLimits {
    /// Searches a minute: typing in the search box sends one per pause, so a reader stays far
    /// below; a script looping over queries does not.
    pub searches_per_minute: u32,
    /// Questions an hour: each distinct one is a model call.
    pub questions_per_hour: u32,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self { searches_per_minute: 300, questions_per_hour: 30 }
    }
}

/// What a client is counted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Search,
    Ask,
}

/// Counts `action` for `client` (its address; `None` only where the host cannot tell, counted
/// together), or refuses it with [`DomainError::OverLimit`].
pub async fn admit(ports: &Ports, action: Action, client: Option<&str>) -> Result<(), DomainError> {
    let (name, what, limit, window) = match action {
        Action::Search => ("search", "searches", ports.limits.searches_per_minute, Duration::from_secs(60)),
        Action::Ask => ("ask", "questions", ports.limits.questions_per_hour, Duration::from_secs(3_600)),
    };
    if limit == 0 {
        return Ok(());
    }
    let client = hex::encode(Sha256::digest(format!("folio client\n{}", client.unwrap_or("unknown"))));
    let key = format!("{name}:{}", &client[..32]);
    match ports.throttle.take(&key, limit, window).await {
        None => Ok(()),
        Some(wait) => Err(DomainError::OverLimit { what, retry_after_secs: wait.as_secs().max(1) }),
    }
}

fn now_secs() -> u64 {
    web_time::SystemTime::now().duration_since(web_time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Seconds from `now` to the end of its `window`.
fn left_in_window(now: u64, window: u64) -> Duration {
    Duration::from_secs(window - now % window)
}

/// Counts in this process's memory: exact where one process serves the site (the native host).
#[derive(Default)]
pub struct MemoryThrottle {
    /// Key → (the second its window ends, uses counted in it).
    counts: Mutex<HashMap<String, (u64, u32)>>,
}

/// Keys kept before finished windows are dropped; past it even after that (a flood of
/// addresses), the counts start again rather than grow.
const MEMORY_KEYS: usize = 100_000;

#[async_trait]
impl Throttle for MemoryThrottle {
    async fn take(&self, key: &str, limit: u32, window: Duration) -> Option<Duration> {
        let window = window.as_secs().max(1);
        let now = now_secs();
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() >= MEMORY_KEYS && !counts.contains_key(key) {
            counts.retain(|_, (ends, _)| *ends > now);
            if counts.len() >= MEMORY_KEYS {
                counts.clear();
            }
        }
        let entry = counts.entry(key.to_owned()).or_insert((0, 0));
        if entry.0 <= now {
            *entry = (now - now % window + window, 0);
        }
        if entry.1 >= limit {
            return Some(Duration::from_secs(entry.0 - now));
        }
        entry.1 += 1;
        None
    }
}

/// Counts in the database (`client_calls`): shared by every isolate on Workers.
pub struct DbThrottle(pub Arc<dyn Db>);

#[async_trait]
impl Throttle for DbThrottle {
    async fn take(&self, key: &str, limit: u32, window: Duration) -> Option<Duration> {
        let window = window.as_secs().max(1);
        // One statement: concurrent isolates cannot both take the last use of a window.
        let taken = self
            .0
            .query(
                Statement::new(
                    "INSERT INTO client_calls (bucket, calls, until)
                     VALUES (?1 || ':' || (unixepoch() / ?2), 1, (unixepoch() / ?2 + 1) * ?2)
                     ON CONFLICT (bucket) DO UPDATE SET calls = calls + 1 WHERE calls < ?3
                     RETURNING calls",
                )
                .bind(key)
                .bind(i64::try_from(window).unwrap_or(60))
                .bind(i64::from(limit)),
            )
            .await;
        // A row back is a use counted; none, the window's uses were all taken.
        match taken.map(|rows| rows.is_empty()) {
            Ok(false) => None,
            Ok(true) => Some(left_in_window(now_secs(), window)),
            Err(err) => {
                tracing::warn!(%err, "per-client count failed; letting the request through");
                None
            }
        }
    }
}

/// Forgets the counts of finished windows (the sweep calls it; natively the table stays empty).
pub async fn forget_old_counts(ports: &Ports) -> Result<(), DomainError> {
    ports.db.execute(Statement::new("DELETE FROM client_calls WHERE until <= unixepoch()")).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        futures::executor::block_on(f)
    }

    #[test]
    fn memory_counts_per_key_up_to_the_limit_and_says_how_long_to_wait() {
        let throttle = MemoryThrottle::default();
        let minute = Duration::from_secs(60);
        for n in 0..3 {
            assert_eq!(block_on(throttle.take("a", 3, minute)), None, "use {n}");
        }
        let wait = block_on(throttle.take("a", 3, minute)).expect("the fourth is refused");
        assert!(wait <= minute && wait >= Duration::from_secs(1), "{wait:?}");
        assert_eq!(block_on(throttle.take("b", 3, minute)), None, "another client is counted apart");
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let throttle = MemoryThrottle::default();
        for n in 0..(MEMORY_KEYS + 10) {
            block_on(throttle.take(&n.to_string(), 1, Duration::from_secs(60)));
        }
        let kept = throttle.counts.lock().expect("lock").len();
        assert!(kept <= MEMORY_KEYS, "{kept} keys");
    }

    #[test]
    fn the_wait_ends_with_the_window() {
        assert_eq!(left_in_window(120, 60), Duration::from_secs(60));
        assert_eq!(left_in_window(179, 60), Duration::from_secs(1));
        assert_eq!(left_in_window(7_200 + 600, 3_600), Duration::from_secs(3_000));
    }
}
