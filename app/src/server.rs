//! The one axum router both hosts serve: Leptos pages and server functions, `/healthz`,
//! `/blobs/{key}`, and a styled 404 for everything else. Hosts add only what is truly theirs
//! (static files natively; Cloudflare serves them from its asset store).

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{BlobKey, DomainError, Ports};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::OnceLock;

use crate::error::AppError;
use crate::{shell, App};

/// Everything a request handler can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub ports: Ports,
    /// "native" or "worker", reported by `/healthz`.
    pub host: &'static str,
    /// Per-file upload limit in bytes.
    pub max_upload_bytes: usize,
    /// Where the client's address comes from (sign-in throttling).
    pub client_ip: crate::security::ClientIpSource,
}

/// Limits server functions need, provided through context next to the ports.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_upload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_upload_bytes: 25 * 1024 * 1024 }
    }
}

/// Builds the router. Call once per process (native) or per isolate (Worker), not per request.
/// `host_routes` are what only one host serves (native: the static files); they get the same
/// security headers as everything else.
pub fn router(state: AppState, host_routes: Router) -> Router {
    crate::api::register_server_fns();
    let routes = route_list();
    let ports = state.ports.clone();
    let limits = Limits { max_upload_bytes: state.max_upload_bytes };
    let context = move || {
        provide_context(ports.clone());
        provide_context(limits);
        crate::security::provide_nonce();
    };
    let options = state.leptos_options.clone();
    let app = move || shell(options.clone());
    let not_found = leptos_axum::render_app_to_stream_with_context(context.clone(), app.clone());

    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/session", post(api_session))
        .route("/api/tokens", post(api_tokens))
        .route(
            "/api/documents",
            // Each file is capped while it streams in; this bounds the whole request.
            post(api_upload)
                .layer(DefaultBodyLimit::max(state.max_upload_bytes.saturating_mul(8)))
                .get(api_list_documents),
        )
        .route("/api/documents/{id}", get(api_document_status).delete(api_delete_document))
        .route("/api/inventory", get(api_inventory))
        // Catch-all so any path under /blobs/ (`a/b`, `../x`) is validated as a key: 400, not 404.
        .route("/blobs/{*key}", get(blob))
        .leptos_routes_with_context(&state, routes, context, app)
        .fallback(not_found)
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(middleware::from_fn_with_state(state.client_ip, crate::security::client_addr))
        .with_state(state)
        .merge(host_routes)
        .layer(middleware::from_fn(crate::security::headers))
}

/// The page routes, generated once per process. Generating sets a process-global flag that
/// stalls the resources of any render running at that moment (leptos#4773), so it must never
/// overlap with serving: building a second router (tests, a second isolate) reuses this list.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Loads the sample pages into an empty site. Safe to call on every start: it is idempotent.
pub async fn seed_samples_if_empty(ports: &Ports) -> Result<bool, DomainError> {
    if !domain::site::seed::is_empty(ports).await? {
        return Ok(false);
    }
    domain::site::seed::seed(ports, crate::samples::DOCS, crate::samples::FILES).await?;
    Ok(true)
}

/// A domain error as an HTTP response: `{"error": {"code", "message"}}` with its status.
pub struct ApiError(pub DomainError);

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        Self(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = AppError::from(self.0);
        let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({ "error": { "code": err.code, "message": err.message } });
        let mut res = (status, Json(body)).into_response();
        set_retry_after(&mut res, err.retry_after);
        res
    }
}

/// `Retry-After` for answers that say when to come back (429).
fn set_retry_after(res: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    let health = domain::site::health::check(&state.ports, state.host).await;
    let status = StatusCode::from_u16(health.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (status, [(header::CACHE_CONTROL, "no-store")], Json(health)).into_response()
}

/// Reads a small JSON body, or explains what was expected.
async fn json_body<T: serde::de::DeserializeOwned>(body: Body, expected: &str) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| DomainError::BadInput("The request body is too large.".into()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| DomainError::BadInput(format!("The body must be JSON like {expected} ({e}).")).into())
}

#[derive(serde::Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

/// `POST /api/session` `{email, password}` → `{user}` and the session cookie (for scripts).
/// Throttled: too many failures answer 429 with `Retry-After`.
async fn api_session(State(ports): State<Ports>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let creds: Credentials = json_body(body, r#"{"email": "…", "password": "…"}"#).await?;
    let client = crate::security::client_of(&parts);
    let (token, user) =
        domain::accounts::auth::sign_in(&ports, &creds.email, &creds.password, client).await?;
    let cookie = crate::session::set(&token, crate::session::is_https(&parts));
    Ok(([(header::SET_COOKIE, cookie)], Json(serde_json::json!({ "user": user }))).into_response())
}

#[derive(serde::Deserialize)]
struct TokenRequest {
    name: String,
}

/// `POST /api/tokens` `{name}` → 201 `{id, name, token}`: the token is shown this once.
async fn api_tokens(State(ports): State<Ports>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let actor = crate::session::actor(&ports, &parts.headers).await?;
    let request: TokenRequest = json_body(body, r#"{"name": "…"}"#).await?;
    let token = domain::accounts::auth::create_token(&ports, &actor, &request.name).await?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}

/// `POST /api/documents` (multipart, one or more files; session or Bearer token) → 201 with one
/// result per file: `{name, id, slug, version, status, result}` or `{name, error}`. When every
/// file is refused, the answer is the first refusal's status (413, 415, 400…).
async fn api_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let ports = &state.ports;
    let actor = crate::session::actor(ports, &headers).await?;
    // Also checked per file by ingest::accept; this early check avoids reading a whole body
    // only to refuse every file in it.
    domain::site::settings::ensure_writable(ports).await?;
    let max = state.max_upload_bytes;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        DomainError::BadInput(format!("The upload could not be read: {}", e.body_text()))
    };
    let mut results = Vec::new();
    let mut refusals = Vec::new();
    // A `folder` text part applies to the files after it.
    let mut folder = String::new();
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            if field.name() == Some("folder") {
                let text = field.text().await.map_err(unreadable)?;
                folder = text.chars().take(200).collect();
            }
            continue;
        };
        let mut bytes = bytes::BytesMut::new();
        let mut too_large = false;
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            // Over the limit: keep reading to the next part, but store nothing.
            too_large |= bytes.len() + chunk.len() > max;
            if !too_large {
                bytes.extend_from_slice(&chunk);
            }
        }
        let outcome = if too_large {
            Err(DomainError::TooLarge(format!(
                "{} is larger than the {} MB limit per file.",
                domain::content::upload::safe_name(&name).unwrap_or_default(),
                max / 1_048_576
            )))
        } else {
            domain::ingest::accept(ports, &actor, &name, bytes.freeze(), max, &folder).await
        };
        match outcome {
            Ok(result) => results.push(serde_json::json!(result)),
            Err(err) => {
                let shown = domain::content::upload::safe_name(&name).unwrap_or_default();
                results.push(serde_json::json!({
                    "name": shown,
                    "error": { "code": err.code(), "message": err.public_message() },
                }));
                refusals.push(err);
            }
        }
    }
    if results.is_empty() {
        return Err(DomainError::BadInput(
            "Attach one or more files (multipart parts with a file name).".into(),
        )
        .into());
    }
    if refusals.len() == results.len() {
        return Err(ApiError(refusals.swap_remove(0)));
    }
    domain::ingest::run_later(ports);
    Ok((StatusCode::CREATED, Json(results)).into_response())
}

/// `GET /api/documents/{id}` → the document and its latest version's ingest status.
async fn api_document_status(State(ports): State<Ports>, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(domain::ingest::status(&ports, id).await?).into_response())
}

/// `DELETE /api/documents/{id}` → 204: gone from every page; unreferenced blobs collected.
async fn api_delete_document(
    State(ports): State<Ports>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let actor = crate::session::actor(&ports, &headers).await?;
    domain::ingest::delete(&ports, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/inventory` (editors and admins) → counts of documents, versions, blobs and
/// unfinished jobs.
async fn api_inventory(State(ports): State<Ports>, headers: HeaderMap) -> Result<Response, ApiError> {
    crate::session::actor(&ports, &headers).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(domain::site::health::inventory(&ports).await?))
        .into_response())
}

#[derive(serde::Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    folder: Option<String>,
    tag: Option<String>,
}

/// `GET /api/documents?cursor=&folder=&tag=` → `{documents, next}`, newest first, 20 at a time.
async fn api_list_documents(
    State(ports): State<Ports>,
    axum::extract::Query(query): axum::extract::Query<ListQuery>,
) -> Result<Response, ApiError> {
    let listing = match (query.folder, query.tag) {
        (Some(folder), _) => domain::documents::model::Listing::Folder(folder),
        (None, Some(tag)) => domain::documents::model::Listing::Tag(tag),
        (None, None) => domain::documents::model::Listing::All,
    };
    let page = domain::documents::list_page(
        ports.db.as_ref(),
        &listing,
        query.cursor.as_deref(),
        crate::api::PAGE_SIZE,
    )
    .await?;
    Ok(Json(serde_json::json!({ "documents": page.docs, "next": page.next })).into_response())
}

/// Serves a stored file. Keys are content hashes, so the ETag is strong and the response is
/// immutable; a matching `If-None-Match` gets a 304 without reading the bytes. Pictures show
/// inline; every other original (HTML, Markdown, PDF…) is a download in a sandbox, so uploaded
/// bytes never run as a page of this site.
async fn blob(
    State(ports): State<Ports>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key: BlobKey = key.parse()?;
    let meta = domain::storage::blobs::meta(&ports, &key).await?;
    let etag = HeaderValue::from_str(&key.etag()).map_err(|e| DomainError::BadInput(e.to_string()))?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let sandbox = HeaderValue::from_static(crate::security::STORED_FILE_POLICY);
    if if_none_match(&headers, &key) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache),
                (header::CONTENT_SECURITY_POLICY, sandbox),
            ],
        )
            .into_response());
    }
    let bytes = domain::storage::blobs::read(&ports, &key).await?;
    let content_type = HeaderValue::from_str(&meta.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition =
        HeaderValue::from_str(&meta.content_disposition()).unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_SECURITY_POLICY, sandbox),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        Body::from(bytes),
    )
        .into_response())
}

fn if_none_match(headers: &HeaderMap, key: &BlobKey) -> bool {
    let etag = key.etag();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// Refuses writes from other sites (CSRF): browsers send `Origin` on every cross-site POST, so
/// an `Origin` that is not this host means a forged form or script. Requests without `Origin`
/// (curl, scripts with tokens) pass; the session cookie is also SameSite=Lax.
async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let ours = req
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned));
        let theirs = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, authority)| authority);
        if theirs.is_none() || theirs != ours.as_deref() {
            tracing::warn!(?origin, ?ours, "refused a cross-site write");
            return ApiError(DomainError::Forbidden(
                "Requests from other sites can’t change anything here.".into(),
            ))
            .into_response();
        }
    }
    next.run(req).await
}

/// server_fn answers every error with 500; our errors carry their real status, so restore it
/// here, once, for all server functions (a malformed payload becomes 400, a missing doc 404).
async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let err = serde_json::from_slice::<AppError>(&bytes).ok();
    if let Some(err) = &err {
        parts.status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let mut res = Response::from_parts(parts, Body::from(bytes));
    set_retry_after(&mut res, err.and_then(|e| e.retry_after));
    res
}

/// The workspace manifest, embedded at build time: its `[[workspace.metadata.leptos]]` is the
/// one source of bundle and site names for both hosts (the Worker has no cargo-leptos env).
pub const WORKSPACE_MANIFEST: &str = include_str!("../../Cargo.toml");

/// Leptos options from the workspace metadata, without environment overrides (the Worker has
/// no environment; leptos_config's env layering panics there). Natively, `folio` layers
/// `LEPTOS_*` variables on top with leptos_config.
pub fn leptos_options() -> Result<LeptosOptions, String> {
    let manifest: toml::Table = toml::from_str(WORKSPACE_MANIFEST).map_err(|e| e.to_string())?;
    let metadata = manifest
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("leptos"))
        .and_then(|l| l.as_array())
        .and_then(|projects| projects.first())
        .cloned()
        .ok_or("Cargo.toml has no [[workspace.metadata.leptos]]")?;
    metadata.try_into().map_err(|e: toml::de::Error| format!("[[workspace.metadata.leptos]]: {e}"))
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
