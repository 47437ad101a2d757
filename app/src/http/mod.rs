//! The one axum router both hosts serve: Leptos pages and server functions, the REST routes
//! ([`rest`]), `/healthz`, `/blobs/{key}`, and a styled 404 for everything else, behind the
//! [`middleware`] and [`security`] layers. Hosts add only what is truly theirs (static files
//! natively; Cloudflare serves them from its asset store).

pub mod caching;
pub mod middleware;
pub mod page_cache;
pub mod rest;
pub mod security;
pub mod session;

use axum::extract::FromRef;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use domain::{DomainError, Ports, Site};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::OnceLock;

use crate::{shell, App};

/// Everything a request handler can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// The adapters, settings and shared state every use case runs with.
    pub site: Site,
    /// "native" or "worker", reported by `/healthz`.
    pub host: &'static str,
    /// Per-file upload limit in bytes.
    pub max_upload_bytes: usize,
    /// Where the client's address comes from (sign-in throttling).
    pub client_ip: crate::http::security::ClientIpSource,
    /// Keep rendered pages for anonymous readers where the database counts its writes
    /// ([`page_cache`]); off shows what every render costs.
    pub keep_pages: bool,
}

/// Handlers that need only the adapters take `State<Ports>`.
impl FromRef<AppState> for Ports {
    fn from_ref(state: &AppState) -> Self {
        state.site.ports.clone()
    }
}

/// Limits server functions need, provided through context next to the ports.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_upload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_upload_bytes: domain::content::upload::DEFAULT_MAX_BYTES }
    }
}

/// Builds the router. Call once per process (native) or per isolate (Worker), not per request.
/// `host_routes` are what only one host serves (native: the static files); they get the same
/// security headers as everything else.
pub fn router(state: AppState, host_routes: Router) -> Router {
    crate::api::register_server_fns();
    let routes = route_list();
    let site = state.site.clone();
    let pages = caching::Pages::new(site.clone(), state.keep_pages);
    let limits = Limits { max_upload_bytes: state.max_upload_bytes };
    let context = move || {
        provide_context(site.clone());
        provide_context(limits);
        security::provide_nonce();
    };
    let options = state.leptos_options.clone();
    let app = move || shell(options.clone());
    let not_found = leptos_axum::render_app_to_stream_with_context(context.clone(), app.clone());

    rest::routes(state.max_upload_bytes)
        .leptos_routes_with_context(&state, routes, context, app)
        .fallback(not_found)
        .layer(from_fn(middleware::same_origin_writes))
        .layer(from_fn_with_state(state.client_ip, security::client_addr))
        .with_state(state)
        .merge(host_routes)
        .layer(from_fn_with_state(pages, caching::pages))
        .layer(from_fn(security::headers))
}

/// The page routes, generated once per process. Generating sets a process-global flag that
/// stalls the resources of any render running at that moment (leptos#4773), so it must never
/// overlap with serving: building a second router (tests, a second isolate) reuses this list.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Loads the sample pages into an empty site. Safe to call on every start: it is idempotent.
pub async fn seed_samples_if_empty(site: &Site) -> Result<bool, DomainError> {
    if !domain::site::seed::is_empty(&site.ports).await? {
        return Ok(false);
    }
    domain::site::seed::seed(site, crate::samples::DOCS, crate::samples::FILES).await?;
    Ok(true)
}

/// The workspace manifest, embedded at build time: its `[[workspace.metadata.leptos]]` is the
/// one source of bundle and site names for both hosts (the Worker has no cargo-leptos env).
pub const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");

/// Leptos options from the workspace metadata, without environment overrides (the Worker has
/// no environment; leptos_config's env layering panics there). Natively, `folio` layers
/// `LEPTOS_*` variables on top with leptos_config.
pub fn leptos_options() -> Result<LeptosOptions, OptionsError> {
    let manifest: toml::Table = toml::from_str(WORKSPACE_MANIFEST)?;
    let metadata = manifest
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("leptos"))
        .and_then(|l| l.as_array())
        .and_then(|projects| projects.first())
        .cloned()
        .ok_or(OptionsError::Missing)?;
    Ok(metadata.try_into()?)
}

/// The embedded manifest does not give Leptos options (a build mistake, caught by every test).
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("Cargo.toml has no [[workspace.metadata.leptos]]")]
    Missing,
    #[error("[[workspace.metadata.leptos]]: {0}")]
    Invalid(#[from] toml::de::Error),
}

#[cfg(test)]
mod tests {
    #[test]
    fn compiled_bundle_name_matches_the_leptos_metadata() {
        let options = super::leptos_options().expect("leptos metadata parses");
        assert_eq!(option_env!("LEPTOS_OUTPUT_NAME"), Some(&*options.output_name));
        assert_eq!(&*options.site_pkg_dir, "pkg");
    }
}
