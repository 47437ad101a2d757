//! [`Site`]: what every use case runs with. The host's adapters ([`Ports`]), the settings fixed
//! at start-up, and the state shared by every request of one process or isolate. Kept apart so
//! `ports` stays the ground floor: adapters know nothing of search, enrichment or Ask.

use std::sync::Arc;

use crate::accounts::access::Access;
use crate::ask::Gate;
use crate::documents::views::ViewTally;
use crate::model_guard::RecentRefusal;
use crate::ports::Ports;
use crate::search::SearchCache;
use crate::site::limits::ClientLimits;

/// One site as a host runs it: cheap to clone (every field is shared).
#[derive(Clone)]
pub struct Site {
    pub ports: Ports,
    /// Search tuning, fixed per host.
    pub search: Arc<crate::search::Settings>,
    /// Enrichment and Ask tuning: the text model's name, budget, time-out, breaker.
    pub enrich: Arc<crate::enrich::Settings>,
    /// Per-client limits on search and Ask.
    pub limits: Arc<ClientLimits>,
    /// Cloudflare Access trust and its fetched keys, when configured (off by default).
    pub access: Option<Arc<Access>>,
    /// Page views not yet written: every request's views are written together.
    pub views: Arc<ViewTally>,
    /// Askers being answered now: bounds them per process or isolate.
    pub asking: Arc<Gate>,
    /// Enrichment's last refusal, remembered a few seconds.
    pub enrich_refused: Arc<RecentRefusal>,
    /// Searches and query embeddings kept for repeats.
    pub searches: Arc<SearchCache>,
    /// Whether searches, questions and answer votes are collected for `/admin/insights`.
    pub insights: Arc<crate::insights::Settings>,
}

impl Site {
    /// A site on `ports` with default settings (each `with_…` below sets one group).
    pub fn new(ports: Ports) -> Self {
        Self {
            ports,
            search: Arc::default(),
            enrich: Arc::default(),
            limits: Arc::default(),
            access: None,
            views: Arc::default(),
            asking: Arc::default(),
            enrich_refused: Arc::default(),
            searches: Arc::default(),
            insights: Arc::default(),
        }
    }

    /// A site on `ports` with a host's settings: the one way both hosts build theirs.
    /// `text_model` is the model enrichment and Ask use, empty when there is none.
    pub fn configured(
        ports: Ports,
        config: &crate::config::SiteConfig,
        access: Option<Access>,
        text_model: String,
    ) -> Self {
        let enrich = crate::enrich::Settings { text_model, ..config.enrich.clone() };
        Self::new(ports)
            .with_access(access)
            .with_search_settings(config.search.clone())
            .with_limits(config.limits.clone())
            .with_enrich_settings(enrich)
            .with_insights(config.insights.clone())
    }

    #[must_use]
    pub fn with_insights(mut self, settings: crate::insights::Settings) -> Self {
        self.insights = Arc::new(settings);
        self
    }

    #[must_use]
    pub fn with_search_settings(mut self, settings: crate::search::Settings) -> Self {
        self.search = Arc::new(settings);
        self
    }

    #[must_use]
    pub fn with_enrich_settings(mut self, settings: crate::enrich::Settings) -> Self {
        self.enrich = Arc::new(settings);
        self
    }

    #[must_use]
    pub fn with_limits(mut self, limits: ClientLimits) -> Self {
        self.limits = Arc::new(limits);
        self
    }

    #[must_use]
    pub fn with_access(mut self, access: Option<Access>) -> Self {
        self.access = access.map(Arc::new);
        self
    }
}
