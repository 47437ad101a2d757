//! The Cloudflare host: Folio as a Worker. D1 for [`domain::Db`], R2 for [`domain::Blobs`],
//! `waitUntil` for [`domain::Tasks`]; the app's router is built once per isolate and reused.
//! Static files (the hydrate bundle, `public/`) are served by Workers static assets before a
//! request reaches this code.
//!
//! The same build runs on Cloudflare Pages in advanced mode (`worker/pages/index.js` adapts the
//! entry; docs/pages.md). Pages is told apart by its `ASSETS` binding, which only Pages gives
//! this Worker: there, static files a request still brings here are fetched through it, and
//! with no cron the sweep runs after responses.

mod adapters;
mod logging;

use adapters::{access_keys, d1, r2, vectorize, wait_until, webcrypto, workers_ai};

use app::http::AppState;
use axum::body::Body;
use axum::http::{Method, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use domain::config::SiteConfig;
use domain::{Ports, Site};
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use tower::ServiceExt;
use worker::{event, Context, Env, Fetcher, HttpRequest};

/// What an isolate builds once: the router and, on Pages, what the sweep after a response
/// needs.
#[derive(Clone)]
struct Isolate {
    router: Router,
    /// Set on Pages only (see the crate docs).
    pages: Option<Site>,
}

thread_local! {
    static ISOLATE: RefCell<Option<Isolate>> = const { RefCell::new(None) };
    /// When this isolate last asked D1 for the sweep's lease (ms since the epoch).
    static SWEEP_ASKED: Cell<f64> = const { Cell::new(0.0) };
}

/// How often an isolate on Pages asks D1 whether the sweep is due. The lease in D1
/// (`domain::ingest::SWEEP_EVERY_SECONDS`) is what spaces the sweeps site-wide; this only keeps a
/// busy isolate from writing to D1 after every response.
const SWEEP_ASK_EVERY_MS: f64 = 10_000.0;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
    logging::init();
}

#[event(fetch)]
async fn fetch(req: HttpRequest, env: Env, _ctx: Context) -> worker::Result<Response<Body>> {
    let cached = ISOLATE.with(|cell| cell.borrow().clone());
    let isolate = match cached {
        Some(isolate) => isolate,
        None => match build(&env).await {
            Ok(isolate) => {
                ISOLATE.with(|cell| *cell.borrow_mut() = Some(isolate.clone()));
                isolate
            }
            Err(err) => {
                tracing::error!(%err, "could not start Folio");
                let body = "Folio is not configured correctly on this Worker. The error has been logged.";
                return Ok((StatusCode::SERVICE_UNAVAILABLE, body).into_response());
            }
        },
    };
    let Some(site) = isolate.pages else {
        return match isolate.router.oneshot(req).await {
            Ok(response) => Ok(response),
            Err(never) => match never {},
        };
    };
    // Pages: `_routes.json` keeps requests for static files away from the Worker; one that
    // still arrives (a file added to `public/` since that list was made) gets the file.
    let static_file = matches!(*req.method(), Method::GET | Method::HEAD)
        .then(|| (req.method().clone(), req.uri().clone(), req.headers().clone()));
    let response = match isolate.router.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    sweep_after_response(&site);
    if response.status() == StatusCode::NOT_FOUND {
        if let (Some((method, uri, headers)), Ok(assets)) = (static_file, env.assets("ASSETS")) {
            if let Some(file) = from_assets(&assets, method, uri, headers).await {
                return Ok(file);
            }
        }
    }
    Ok(response)
}

/// The file Pages has at this address, if any (a 2xx, or a 304 to a revalidation).
async fn from_assets(
    assets: &Fetcher,
    method: Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Option<Response<Body>> {
    let mut request = axum::http::Request::builder().method(method).uri(uri);
    if let Some(map) = request.headers_mut() {
        *map = headers;
    }
    let request = request.body(worker::Body::empty()).ok()?;
    match assets.fetch_request(request).await {
        Ok(file) if file.status().is_success() || file.status() == StatusCode::NOT_MODIFIED => {
            Some(file.map(Body::new))
        }
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(%err, "the ASSETS binding did not answer");
            None
        }
    }
}

/// Pages has no cron: after a response, the sweep runs if its lease in D1 says one is due
/// (at most once a minute per site, whichever isolate claims it). A quiet site is swept at its
/// next request instead of on the minute.
fn sweep_after_response(site: &Site) {
    let now = js_sys::Date::now();
    let ask = SWEEP_ASKED.with(|asked| {
        let due = now - asked.get() >= SWEEP_ASK_EVERY_MS;
        if due {
            asked.set(now);
        }
        due
    });
    if !ask {
        return;
    }
    let task_site = site.clone();
    site.ports.tasks.spawn(
        "sweep",
        Box::pin(async move {
            match domain::ingest::sweep_if_due(&task_site).await {
                Ok(Some(swept)) => tracing::info!(?swept, "swept after a response"),
                Ok(None) => {}
                Err(err) => tracing::warn!(%err, "the sweep after a response failed"),
            }
        }),
    );
}

/// Why an isolate could not start Folio (logged; the reader gets a 503).
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    Setting(#[from] domain::config::ConfigError),
    #[error("the {kind} binding {name}: {why}")]
    Binding { kind: &'static str, name: &'static str, why: worker::Error },
    #[error("Leptos options: {0}")]
    Options(#[from] app::http::OptionsError),
    #[error("ADMIN_EMAIL: {}", .0.public_message())]
    AdminEmail(domain::DomainError),
    #[error("could not create the admin: {0}")]
    Admin(domain::DomainError),
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// The cron trigger (Workers only; Pages sweeps after responses): resumes ingest jobs whose
/// isolate was evicted mid-stage and collects blobs nothing refers to. It does not take the
/// after-response sweep's lease: a Worker never runs that one, so the two never meet.
#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    match settings(&env).and_then(|config| site(&env, &config)) {
        Ok(site) => match domain::ingest::sweep(&site).await {
            Ok(swept) => tracing::info!(?swept, "swept"),
            Err(err) => tracing::warn!(%err, "sweep failed"),
        },
        Err(err) => tracing::error!(%err, "could not start the sweep"),
    }
}

/// This isolate's settings: the ones both hosts share, from `[vars]` (and secrets) by the
/// names `domain::config::SETTINGS` gives them; `FOLIO_<NAME>` is read too, the names the
/// Access and admin settings had before.
fn settings(env: &Env) -> Result<SiteConfig, StartError> {
    let lookup = |name: &str| {
        let read = |name: &str| var(env, name).or_else(|| env.secret(name).ok().map(|s| s.to_string()));
        read(name).or_else(|| read(&format!("FOLIO_{name}")))
    };
    let mut defaults = SiteConfig { seed_samples: false, ..SiteConfig::default() };
    // Workers AI answers in seconds; a waitUntil task must end within 30 s of the response.
    defaults.enrich.timeout = std::time::Duration::from_secs(20);
    Ok(defaults.with_vars(lookup)?)
}

/// The site on this isolate's bindings.
fn site(env: &Env, config: &SiteConfig) -> Result<Site, StartError> {
    let db = env.d1("DB").map_err(|why| StartError::Binding { kind: "D1", name: "DB", why })?;
    let bucket = env.bucket("BLOBS").map_err(|why| StartError::Binding { kind: "R2", name: "BLOBS", why })?;
    // Off unless both are set (see the README, "Behind Cloudflare Access").
    let access = domain::accounts::access::AccessConfig::from_settings(
        config.access_team_domain.as_deref(),
        config.access_aud.as_deref(),
    )
    .map(|trust| {
        domain::accounts::access::Access::new(trust, Arc::new(access_keys::FetchKeySource), access_keys::now)
    });
    let db: Arc<dyn domain::Db> = Arc::new(d1::D1Db::new(db));
    let mut ports = Ports::new(
        db.clone(),
        Arc::new(r2::R2Blobs::new(bucket)),
        Arc::new(wait_until::WaitUntil),
        Arc::new(webcrypto::WebCryptoPasswords),
    )
    // Many isolates serve one site: the counts live in D1, where all of them see every use.
    .with_throttle(Arc::new(domain::site::limits::DbThrottle(db)));
    // Semantic search needs both the model and the index; without either it is keyword-only.
    let dimensions = var(env, "EMBEDDING_DIMENSIONS").and_then(|d| d.parse().ok()).unwrap_or(384);
    let model = config.embedding_model.or("@cf/baai/bge-small-en-v1.5");
    let text_model = config.text_model.or("@cf/meta/llama-3.1-8b-instruct-fast").unwrap_or_default();
    if let (Some(model), Ok(ai), Some(vectors)) =
        (model, env.ai("AI"), vectorize::Vectorize::from_env(env, "VECTORS", dimensions))
    {
        let rerank_model = config.rerank_model.or("@cf/baai/bge-reranker-base");
        let ai = workers_ai::WorkersAi::new(ai, model, text_model.clone(), rerank_model);
        ports = ports.with_semantic(Arc::new(ai), Arc::new(vectors));
        return Ok(Site::configured(ports, config, access, text_model));
    }
    Ok(Site::configured(ports, config, access, String::new()))
}

/// Binds the ports to this isolate's bindings and builds the router (once per isolate).
async fn build(env: &Env) -> Result<Isolate, StartError> {
    let on_pages = env.assets("ASSETS").is_ok();
    let config = settings(env)?;
    let site = site(env, &config)?;
    ensure_admin(&config, &site.ports).await?;
    if config.seed_samples {
        match app::http::seed_samples_if_empty(&site).await {
            Ok(true) => tracing::info!("loaded the sample documents"),
            Ok(false) => {}
            Err(err) => tracing::warn!(%err, "could not load the sample documents"),
        }
    }
    let leptos_options = app::http::leptos_options()?;
    let state = AppState {
        leptos_options,
        site: site.clone(),
        host: if on_pages { "pages" } else { "worker" },
        max_upload_bytes: config.max_upload_mb.saturating_mul(1024 * 1024),
        client_ip: app::http::security::ClientIpSource::CfConnectingIp,
        // Other isolates write to D1 too: no isolate could tell when a kept page goes stale.
        keep_pages: false,
    };
    let mut router = app::http::router(state, Router::new());
    if var(env, "FOLIO_CONTRACT_TESTS").as_deref() == Some("true") {
        let ports = site.ports.clone();
        router = router.route("/__contract", get(move || contract(ports.clone())));
    }
    Ok(Isolate { router, pages: on_pages.then_some(site) })
}

/// Creates the admin from ADMIN_EMAIL (a var) and ADMIN_PASSWORD (a secret: `wrangler secret
/// put ADMIN_PASSWORD`) if that account does not exist yet.
async fn ensure_admin(config: &SiteConfig, ports: &Ports) -> Result<(), StartError> {
    let (Some(email), Some(password)) = (config.admin_email.clone(), config.admin_password.as_deref()) else {
        return Ok(());
    };
    let email = domain::accounts::auth::Email::try_from(email).map_err(StartError::AdminEmail)?;
    match domain::accounts::auth::ensure_admin(ports, &email, password).await {
        Ok(true) => tracing::info!(email = email.as_str(), "created the admin account"),
        Ok(false) => {}
        Err(err) => return Err(StartError::Admin(err)),
    }
    Ok(())
}

/// Runs the port contract suite against D1 and R2. Only mounted when FOLIO_CONTRACT_TESTS is
/// "true" (the local test runner sets it; wrangler.toml does not).
async fn contract(ports: Ports) -> impl IntoResponse {
    let mut checks = domain::contract::db(ports.db.as_ref()).await;
    checks.extend(domain::contract::blobs(ports.blobs.as_ref()).await);
    checks.extend(domain::contract::passwords(ports.passwords.as_ref()).await);
    checks.extend(domain::contract::throttle(ports.throttle.as_ref()).await);
    if let (Some(ai), Some(vectors)) = (&ports.ai, &ports.vectors) {
        checks.extend(domain::contract::ai_embeddings(ai.as_ref(), vectors.dimensions()).await);
        // Vectorize is eventually consistent (locally the stand-in is not): give writes a moment.
        let settle = || -> futures::future::BoxFuture<'static, ()> {
            Box::pin(worker::send::SendFuture::new(worker::Delay::from(std::time::Duration::from_millis(
                200,
            ))))
        };
        checks.extend(domain::contract::vectors(vectors.as_ref(), 999_999_999, settle).await);
    }
    let status =
        if checks.iter().all(|c| c.passed) { StatusCode::OK } else { StatusCode::INTERNAL_SERVER_ERROR };
    (status, Json(checks))
}
