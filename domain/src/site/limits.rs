//! Per-client limits on what costs the site money: searches (an embedding and a vector query
//! each) and readers' questions (a model call each). A client is its address (hashed: no
//! address is kept); counts live in fixed windows behind the [`Throttle`] port. Over the limit
//! is a 429 with `Retry-After` at the end of the window.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

use crate::error::DomainError;
use crate::ports::{Db, Ports, Throttle};
use crate::site::Site;
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
pub async fn admit(site: &Site, action: Action, client: Option<&str>) -> Result<(), DomainError> {
    let ports = &site.ports;
    let (name, what, limit, window) = match action {
        Action::Search => ("search", "searches", site.limits.searches_per_minute, Duration::from_secs(60)),
        Action::Ask => ("ask", "questions", site.limits.questions_per_hour, Duration::from_secs(3_600)),
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

    #[test]
    fn the_wait_ends_with_the_window() {
        assert_eq!(left_in_window(120, 60), Duration::from_secs(60));
        assert_eq!(left_in_window(179, 60), Duration::from_secs(1));
        assert_eq!(left_in_window(7_200 + 600, 3_600), Duration::from_secs(3_000));
    }
}
