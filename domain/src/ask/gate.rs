//! Askers answered at once by one process or isolate.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::DomainError;

/// Askers answered at once by this process or isolate; more get a 429.
#[derive(Debug)]
pub struct Gate {
    active: AtomicUsize,
    limit: usize,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new(8)
    }
}

impl Gate {
    pub fn new(limit: usize) -> Self {
        Self { active: AtomicUsize::new(0), limit }
    }

    /// A place among the askers, held until the ticket drops; a 429 with `Retry-After` when
    /// they are all taken.
    pub fn enter(self: &Arc<Self>) -> Result<Ticket, DomainError> {
        let taken = self.active.fetch_add(1, Ordering::SeqCst);
        let ticket = Ticket(self.clone());
        if taken >= self.limit {
            return Err(DomainError::Crowded { retry_after_secs: 10 });
        }
        Ok(ticket)
    }
}

/// See [`Gate::enter`].
#[derive(Debug)]
pub struct Ticket(Arc<Gate>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}
