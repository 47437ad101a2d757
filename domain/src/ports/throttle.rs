use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
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
        let now = web_time::SystemTime::now().duration_since(web_time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
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
}
