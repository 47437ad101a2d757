use async_trait::async_trait;
use std::time::Duration;

/// Counts what each client does in fixed windows: how per-client limits on search and Ask hold.
/// Natively one process serves a site, so a count in memory is exact and costs no write (a
/// database write would empty every kept page); on Workers the count is in D1, shared by every
/// isolate.
#[async_trait]
pub trait Throttle: Send + Sync {
    /// Counts one use of `key` in the current `window` unless `limit` are counted already; then
    /// how long until the window ends. A counter that cannot be reached lets the use through
    /// (and logs): a limit is there for cost, not worth an outage.
    async fn take(&self, key: &str, limit: u32, window: Duration) -> Option<Duration>;
}
