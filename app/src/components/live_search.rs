//! Search as the reader types, in the search dialog: a request waits
//! for a pause in typing, and a newer keystroke aborts the one in flight (server_fn aborts the
//! fetch when its future is dropped).

use domain::search::{Params, Results};
use leptos::prelude::*;

/// Quiet time after a keystroke before searching.
const DEBOUNCE_MS: u64 = 150;

#[derive(Clone, Copy)]
pub struct LiveSearch {
    in_flight: StoredValue<Option<futures::future::AbortHandle>>,
    pending: StoredValue<Option<TimeoutHandle>>,
    /// Documents asked for.
    limit: &'static str,
}

impl LiveSearch {
    pub fn new(limit: &'static str) -> Self {
        Self { in_flight: StoredValue::new(None), pending: StoredValue::new(None), limit }
    }

    /// Searches for `q` once typing pauses; `found` gets the results, or `None` for a query
    /// with nothing in it (at once, without a request).
    pub fn typed(self, q: String, found: impl FnOnce(Option<Results>) + 'static) {
        if let Some(timer) = self.pending.get_value() {
            timer.clear();
        }
        let run = move || self.run(q, found);
        let timer = set_timeout_with_handle(run, std::time::Duration::from_millis(DEBOUNCE_MS)).ok();
        self.pending.set_value(timer);
    }

    fn run(self, q: String, found: impl FnOnce(Option<Results>) + 'static) {
        if let Some(previous) = self.in_flight.get_value() {
            previous.abort();
        }
        if q.trim().is_empty() {
            found(None);
            return;
        }
        let (handle, registration) = futures::future::AbortHandle::new_pair();
        self.in_flight.set_value(Some(handle));
        let limit = Some(self.limit.to_owned());
        leptos::task::spawn_local(async move {
            let request = crate::api::search(Params { q, limit, live: true, ..Params::default() });
            if let Ok(Ok(results)) = futures::future::Abortable::new(request, registration).await {
                found(Some(results));
            }
        });
    }
}
