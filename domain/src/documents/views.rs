//! Counting page views without a database write per view. Views are added to an in-memory
//! tally and written by one background flush at a time; views that arrive while a flush runs
//! go into the next one, which that same flush writes after gathering for [`GATHER`]. Under
//! load a flush writes many views in one batch; a lone view is written right after its
//! response.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::ports::Ports;
use crate::site::Site;
use crate::sql::Statement;

/// Views counted but not yet written, by document.
#[derive(Default)]
pub struct ViewTally {
    pending: Mutex<HashMap<i64, i64>>,
    flushing: AtomicBool,
}

impl ViewTally {
    fn add(&self, document_id: i64) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry(document_id).or_default() += 1;
        }
    }

    fn take(&self) -> HashMap<i64, i64> {
        self.pending.lock().map(|mut pending| std::mem::take(&mut *pending)).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.pending.lock().map(|pending| pending.is_empty()).unwrap_or(true)
    }

    /// Becomes the one flusher, unless another flush is running.
    fn claim(&self) -> bool {
        !self.flushing.swap(true, Ordering::AcqRel)
    }
}

/// Counts a page view; the write happens after the response.
pub(super) fn record_later(site: &Site, document_id: i64) {
    site.views.add(document_id);
    if site.views.claim() {
        let task_site = site.clone();
        site.ports.tasks.spawn("record-views", Box::pin(async move { flush(&task_site).await }));
    }
}

/// How long a flusher gathers views after each write. A lone view is written at once; the
/// views that follow within this time are written together at its end, so counts are written
/// at most once a second however views arrive (one connection after another, or many at once).
/// That is also how often a kept page showing them is rendered again (each write moves
/// [`crate::Db::writes`]), and on a Worker one D1 write a second instead of one a view.
pub const GATHER: Duration = Duration::from_secs(1);

/// Writes the tally, then gathers for [`GATHER`] and writes again, until a gathering finds no
/// views; then lets the next view start a flush. Checking once more after letting go closes the
/// gap where a view arrived just before that.
async fn flush(site: &Site) {
    let ports = &site.ports;
    loop {
        {
            // Let go of the claim however this ends, even if the task is dropped mid-write or asleep.
            let _claim = Claim(&site.views.flushing);
            loop {
                let counts = site.views.take();
                if counts.is_empty() {
                    break;
                }
                write(ports, counts).await;
                ports.tasks.sleep(GATHER).await;
            }
        }
        if site.views.is_empty() || !site.views.claim() {
            return;
        }
    }
}

struct Claim<'a>(&'a AtomicBool);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

async fn write(ports: &Ports, counts: HashMap<i64, i64>) {
    let batch = counts
        .iter()
        .map(|(&document_id, &views)| {
            // A document deleted since its view takes only its own views with it (a foreign
            // key failure would fail the whole batch).
            Statement::new(
                "INSERT INTO document_stats (document_id, views)
                 SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?1)
                 ON CONFLICT (document_id) DO UPDATE SET views = views + excluded.views",
            )
            .bind(document_id)
            .bind(views)
        })
        .collect();
    if let Err(err) = ports.db.batch(batch).await {
        // Views are approximate; a failed write drops them rather than retrying forever.
        tracing::warn!(documents = counts.len(), %err, "could not record views");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_flusher_at_a_time_and_views_add_up() {
        let tally = ViewTally::default();
        tally.add(1);
        tally.add(1);
        tally.add(2);
        assert!(tally.claim());
        assert!(!tally.claim(), "a second flush waits for the first");
        assert_eq!(tally.take(), HashMap::from([(1, 2), (2, 1)]));
        assert!(tally.is_empty());
    }
}
