//! AI enrichment by stale-while-revalidate: a document's summary, topics and related documents.
//!
//! A page shows what is stored ([`Enrichment`], read with the document in its one query:
//! [`stored`]) and
//! never waits for a model: [`assess`] says what is missing or stale, and [`refresh_later`]
//! hands that to `Tasks` (a spawned task natively, `waitUntil` on Workers), which runs after
//! the response. Publishing schedules the same refresh, so most pages are fresh before their
//! first reader.
//!
//! A refresh of one item: claim it (a lease in the database, so 50 concurrent views make one
//! generation across processes and isolates) → read the live version → skip the model when the
//! input and the model are unchanged → [`crate::model_guard::admit`] (budget, circuit breaker) → the model,
//! raced against a time-out → store it only if that version is still live (a document deleted
//! or edited meanwhile gets nothing) → let go of the claim.

mod editor;
mod refresh;
pub mod related;
mod stored;
pub mod text;

pub use editor::{regenerate_summary, set_summary_hidden};
pub use refresh::{catch_up, refresh, refresh_later, Outcome};
pub use stored::{assess, read, Enrichment, Freshness, Item, Related, Stored, SELECT_COLUMNS};

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Tuning, fixed per host (natively `[enrich]` in the config, on Workers `[vars]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The text model's name, stored with what it made: another model makes items stale.
    pub text_model: String,
    pub calls_per_minute: u32,
    pub calls_per_day: u32,
    /// How long one model call may take.
    pub timeout: Duration,
    /// Failures in a row that open the circuit breaker, and how long it stays open.
    pub breaker_failures: u32,
    pub breaker_cooldown: Duration,
    /// How long an item whose making failed waits before it is tried again.
    pub failure_backoff: Duration,
    /// The share of the budget (per cent, at most 50) each of enrichment and readers'
    /// questions keeps for itself: the other never takes it.
    pub reserved_percent: u8,
    /// A document is listed as related only when its nearest chunk is at least this similar
    /// to the page's opening (cosine): every page has nearest neighbours, and below this bar
    /// they are noise. Model-specific: measured for MiniLM (docs/performance.md, "Related
    /// documents"); the Worker's bge-small sets its own in `wrangler.toml`.
    pub related_min_similarity: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            text_model: String::new(),
            calls_per_minute: 30,
            calls_per_day: 2_000,
            timeout: Duration::from_secs(60),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(60),
            failure_backoff: Duration::from_secs(600),
            reserved_percent: 25,
            // Measured on git-doc with all-MiniLM-L6-v2 (docs/performance.md, "Related
            // documents"): every co-gold pair clears it, no page of another corpus does.
            related_min_similarity: 0.55,
        }
    }
}

/// What enrichment makes for a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Summary,
    Topics,
    Related,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Summary, Self::Topics, Self::Related];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::Topics => "topics",
            Self::Related => "related",
        }
    }
}
