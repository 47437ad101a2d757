//! Wires the native adapters into the app's router.

use app::http::security::{ClientIpSource, PeerAddr};
use app::http::AppState;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue};
use axum::Router;
use domain::{Ports, Site};
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::adapters::access_keys::HttpsKeySource;
use crate::adapters::argon2id::Argon2Passwords;
use crate::adapters::blob_folder::FsBlobs;
use crate::adapters::child_converter::ChildConverter;
use crate::adapters::local_model::{Faulty, LocalModel, Misbehaviour};
use crate::adapters::sqlite::SqliteDb;
use crate::adapters::tokio_tasks::TokioTasks;
use crate::adapters::vector_index::{Opened, VectorIndex};
use crate::config::Config;

pub struct Native {
    pub router: Router,
    pub site: Site,
    pub tasks: TokioTasks,
}

/// Opens the data folder (database, blobs), seeds if asked, and builds the router.
pub async fn build(config: &Config, leptos_options: LeptosOptions) -> anyhow::Result<Native> {
    use anyhow::Context as _;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("could not create the data folder {}", config.data_dir.display()))?;
    let db = SqliteDb::open(&config.data_dir.join("folio.db"))?;
    let blobs_dir = config.data_dir.join("blobs");
    let blobs = FsBlobs::open(&blobs_dir)
        .with_context(|| format!("could not open the blob folder {}", blobs_dir.display()))?;
    let tasks = TokioTasks::new();
    let access = domain::accounts::access::AccessConfig::from_settings(
        config.site.access_team_domain.as_deref(),
        config.site.access_aud.as_deref(),
    )
    .map(|trust| {
        tracing::info!(issuer = %trust.issuer, "trusting Cloudflare Access identities");
        domain::accounts::access::Access::new(
            trust,
            Arc::new(HttpsKeySource::default()),
            crate::adapters::access_keys::now,
        )
    });
    // One process serves the site: the default in-memory per-client counts are exact and
    // write nothing.
    let mut ports =
        Ports::new(Arc::new(db), Arc::new(blobs), Arc::new(tasks.clone()), Arc::new(Argon2Passwords::new()))
            .with_converter(Arc::new(converter(config)?));
    let mut text_model = String::new();
    if let Some((ai, vectors, model)) = semantic(config, &ports).await {
        ports = ports.with_semantic(ai, vectors);
        text_model = model;
    }
    let site = Site::configured(ports, &config.site, access, text_model);
    ensure_admin(config, &site.ports).await?;
    if config.site.seed_samples && app::http::seed_samples_if_empty(&site).await? {
        tracing::info!("loaded the sample documents");
    }
    let site_root = leptos_options.site_root.to_string();
    let pkg_dir = leptos_options.site_pkg_dir.to_string();
    let state = AppState {
        leptos_options,
        site: site.clone(),
        host: "native",
        max_upload_bytes: config.site.max_upload_mb.saturating_mul(1024 * 1024),
        client_ip: if config.trust_proxy { ClientIpSource::ForwardedFor } else { ClientIpSource::Peer },
        keep_pages: config.keep_pages,
    };
    // Cloudflare compresses at its edge; natively we do (gzip or brotli, as the client accepts).
    let router = app::http::router(state, static_files(Path::new(&site_root), &pkg_dir))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_request(peer_addr));
    Ok(Native { router, site, tasks })
}

/// PDFs convert in children of this binary (or the one the config names).
fn converter(config: &Config) -> anyhow::Result<ChildConverter> {
    use anyhow::Context as _;
    let program = match &config.convert.program {
        Some(program) => program.clone(),
        None => std::env::current_exe().context("could not find this program to run its converter")?,
    };
    Ok(ChildConverter::new(program, config.convert.limits()))
}

impl Native {
    /// Starts the background sweep (`folio` does; tests drive sweeps themselves): ingest jobs
    /// left by a crash are resumed at once (this process is the only worker, so no lease it
    /// finds can be live), then every 15 s; unreferenced blobs are collected. New uploads run
    /// their jobs immediately, without waiting for a sweep.
    pub fn start_sweeps(&self) {
        resume_ingest(&self.site);
    }
}

fn resume_ingest(site: &Site) {
    let site = site.clone();
    tokio::spawn(async move {
        match domain::ingest::release_leases(&site.ports).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "resuming ingest jobs left by the last run"),
            Err(err) => tracing::warn!(%err, "could not release ingest leases"),
        }
        let mut every = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            every.tick().await;
            match domain::ingest::sweep(&site).await {
                Ok(swept) if swept != domain::ingest::Swept::default() => tracing::info!(?swept, "swept"),
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "sweep failed"),
            }
        }
    });
}

/// The model and the vector index, when a model is configured and loads, and the text model's
/// name ("" without one: no enrichment). Without them the site runs keyword-only (and says so
/// in search results and `/healthz`).
async fn semantic(
    config: &Config,
    ports: &Ports,
) -> Option<(Arc<dyn domain::ports::Ai>, Arc<dyn domain::ports::Vectors>, String)> {
    let name = config.embedding_model()?;
    let cache = config.model_cache.clone();
    let embedder = load_model("embedding model", "search is keyword-only", move || {
        models::SentenceEmbedder::load(&models::ModelSource::parse(&name, &cache)?)
    })
    .await?;
    tracing::info!(model = embedder.name(), dimensions = embedder.dimensions(), "embedding model loaded");
    let mut model = LocalModel::new(embedder);
    let mut text_model = String::new();
    if let Some(generator) = text_generator(config).await {
        tracing::info!(model = generator.name(), "text model loaded");
        text_model = generator.name().to_owned();
        model = model.with_generator(generator);
    }
    if let Some(reranker) = cross_encoder(config).await {
        tracing::info!(model = reranker.name(), "reranker loaded");
        model = model.with_reranker(reranker);
    } else if config.site.rerank_model == domain::config::ModelChoice::Off {
        model = model.without_reranker();
    }
    let dimensions = model.dimensions();
    let (vectors, opened) = match VectorIndex::open(&config.data_dir.join("vectors.sqlite3"), dimensions) {
        Ok(opened) => opened,
        Err(err) => {
            tracing::warn!(%err, "no vector index; search is keyword-only");
            return None;
        }
    };
    // A lost or reset vector store: every chunk is embedded again by the sweep.
    if matches!(opened, Opened::Reset | Opened::Kept { vectors: 0 }) {
        if let Err(err) = ports
            .db
            .execute(domain::sql::Statement::new("UPDATE chunks SET embedded = 0 WHERE embedded = 1"))
            .await
        {
            tracing::warn!(%err, "could not queue chunks for embedding");
        }
    }
    let ai: Arc<dyn domain::ports::Ai> = match config.ai_fault.clone() {
        Some(misbehaviour) if misbehaviour != Misbehaviour::default() => {
            tracing::warn!(?misbehaviour, "the model misbehaves on purpose (FOLIO_AI_FAULT)");
            Arc::new(Faulty { inner: model, misbehaviour })
        }
        _ => Arc::new(model),
    };
    Some((ai, Arc::new(vectors), text_model))
}

/// The text model for enrichment, when one is configured and loads.
async fn text_generator(config: &Config) -> Option<models::TextGenerator> {
    let name = config.text_model()?;
    let (cache, file, template) =
        (config.model_cache.clone(), config.text_model_file.clone(), config.chat_template);
    load_model("text model", "enrichment is off", move || {
        models::TextGenerator::load(&models::ModelSource::parse(&name, &cache)?, &file, template)
    })
    .await
}

/// The cross-encoder `RERANK_MODEL` names, when it loads (else the embedder stands in).
async fn cross_encoder(config: &Config) -> Option<models::CrossEncoder> {
    let name = config.rerank_model()?;
    let cache = config.model_cache.clone();
    load_model("reranker", "the embedding model stands in", move || {
        models::CrossEncoder::load(&models::ModelSource::parse(&name, &cache)?)
    })
    .await
}

/// Loads a model on a blocking thread: `None`, logged with what the site does `instead`, when
/// it fails or panics. A model never stops the site from starting.
async fn load_model<M: Send + 'static>(
    what: &str,
    instead: &str,
    load: impl FnOnce() -> Result<M, models::ModelError> + Send + 'static,
) -> Option<M> {
    match tokio::task::spawn_blocking(load).await {
        Ok(Ok(model)) => Some(model),
        Ok(Err(err)) => {
            tracing::warn!(%err, "no {what}; {instead}");
            None
        }
        Err(err) => {
            tracing::warn!(%err, "loading the {what} panicked; {instead}");
            None
        }
    }
}

/// Creates the configured admin account if it does not exist yet.
async fn ensure_admin(config: &Config, ports: &Ports) -> anyhow::Result<()> {
    match (&config.site.admin_email, &config.site.admin_password) {
        (Some(email), Some(password)) => {
            let email = domain::accounts::auth::Email::try_from(email.clone())
                .map_err(|e| anyhow::anyhow!("FOLIO_ADMIN_EMAIL: {}", e.public_message()))?;
            if domain::accounts::auth::ensure_admin(ports, &email, password).await.map_err(|e| {
                anyhow::anyhow!("could not create the admin {}: {}", email.as_str(), e.public_message())
            })? {
                tracing::info!(email = email.as_str(), "created the admin account");
            }
            Ok(())
        }
        (None, None) => Ok(()),
        _ => anyhow::bail!("set both FOLIO_ADMIN_EMAIL and FOLIO_ADMIN_PASSWORD to create the first admin"),
    }
}

/// Hands the TCP peer's address (from `into_make_service_with_connect_info`) to the app.
async fn peer_addr(mut req: axum::extract::Request) -> axum::extract::Request {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(ip) = peer {
        req.extensions_mut().insert(PeerAddr(ip));
    }
    req
}

/// Serves the hydrate bundle and the files copied from `public/`. On Cloudflare the asset
/// store does this, which is why it is not part of the shared router. Their names carry no
/// content hash, so browsers revalidate them (`no-cache`, answered by `Last-Modified` and a
/// 304): a page must never meet an older bundle whose islands it does not know.
fn static_files(site_root: &Path, pkg_dir: &str) -> Router {
    let mut router =
        Router::new().nest_service(&format!("/{pkg_dir}"), ServeDir::new(site_root.join(pkg_dir)));
    let Ok(entries) = std::fs::read_dir(site_root) else {
        tracing::warn!(site_root = %site_root.display(), "no site folder: run `make build` for the browser bundle");
        return router;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file() {
            // `_headers` and the like configure Cloudflare's asset store; they are not content.
            if let Some(name) = path.file_name().and_then(|n| n.to_str()).filter(|n| !n.starts_with('_')) {
                router = router.route_service(&format!("/{name}"), ServeFile::new(&path));
            }
        }
    }
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    ))
}
