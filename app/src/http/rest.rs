//! The REST routes scripts and the importer use, and `/blobs/{key}`. Errors are [`AppError`]:
//! a [`DomainError`] as `{"error": {"code", "message"}}` with its status, mapped once.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{sse, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{BlobKey, DomainError, Ports, Site};
use headers::HeaderMapExt;

use crate::http::security::ClientAddr;
use crate::http::session::Actor;

use super::AppState;
use crate::error::AppError;

/// The REST routes: sessions and tokens for scripts, uploads and the document API, inventory,
/// `/healthz` and stored files.
pub(super) fn routes(max_upload_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/session", post(api_session))
        .route("/api/tokens", post(api_tokens))
        .route(
            "/api/documents",
            // Each file is capped while it streams in; this bounds the whole request.
            post(api_upload)
                .layer(DefaultBodyLimit::max(max_upload_bytes.saturating_mul(8)))
                .get(api_list_documents),
        )
        .route("/api/documents/{id}", get(api_document_status).delete(api_delete_document))
        .route("/api/inventory", get(api_inventory))
        .route("/api/search", get(api_search))
        .route("/api/ask", post(api_ask))
        .route("/api/search/click", post(api_search_click))
        .route("/admin/insights.csv", get(insights_csv))
        // Catch-all so any path under /blobs/ (`a/b`, `../x`) is validated as a key: 400, not 404.
        .route("/blobs/{*key}", get(blob))
}

async fn healthz(State(state): State<AppState>) -> Response {
    let health = domain::site::health::check(&state.site, state.host).await;
    let status = StatusCode::from_u16(health.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (status, [(header::CACHE_CONTROL, "no-store")], Json(health)).into_response()
}

/// A JSON body (axum's `Json`), refused in words a person reads: 415 without a JSON content
/// type, 400 with what was wrong (`missing field \`password\``…).
#[derive(axum::extract::FromRequest)]
#[from_request(via(Json), rejection(AppError))]
struct JsonBody<T>(T);

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::MissingJsonContentType;
        let err = match rejection {
            MissingJsonContentType(_) => {
                DomainError::Unsupported("Send the body as JSON, with Content-Type: application/json.".into())
            }
            other => DomainError::BadInput(format!("The body must be JSON: {}.", other.body_text())),
        };
        err.into()
    }
}

#[derive(serde::Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

/// `POST /api/session` `{email, password}` → `{user}` and the session cookie (for scripts).
/// Throttled: too many failures answer 429 with `Retry-After`.
async fn api_session(
    State(ports): State<Ports>,
    parts: axum::http::request::Parts,
    JsonBody(creds): JsonBody<Credentials>,
) -> Result<Response, AppError> {
    let client = crate::http::security::client_of(&parts);
    let (token, user) =
        domain::accounts::auth::sign_in(&ports, &creds.email, &creds.password, client).await?;
    let cookie = crate::http::session::set(&token, crate::http::session::is_https(&parts));
    Ok(([(header::SET_COOKIE, cookie)], Json(serde_json::json!({ "user": user }))).into_response())
}

#[derive(serde::Deserialize)]
struct TokenRequest {
    name: String,
}

/// `POST /api/tokens` `{name}` → 201 `{id, name, token}`: the token is shown this once.
async fn api_tokens(
    State(ports): State<Ports>,
    Actor(actor): Actor,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<Response, AppError> {
    let token = domain::accounts::auth::create_token(&ports, &actor, &request.name).await?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}

/// `POST /api/documents` (multipart, one or more files; session or Bearer token) → 201 with one
/// result per file: `{name, id, slug, version, status, result}` or `{name, error}`. When every
/// file is refused, the answer is the first refusal's status (413, 415, 400…).
async fn api_upload(
    State(state): State<AppState>,
    Actor(actor): Actor,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        DomainError::BadInput(format!("The upload could not be read: {}", e.body_text()))
    };
    let mut batch = domain::ingest::Batch::start(&state.site.ports, &actor, state.max_upload_bytes).await?;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            if field.name() == Some("folder") {
                batch.set_folder(&field.text().await.map_err(unreadable)?);
            }
            continue;
        };
        let mut bytes = Some(bytes::BytesMut::new());
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            // Over the limit: keep reading to the next part, but keep nothing.
            if bytes.as_ref().is_some_and(|b| b.len() + chunk.len() > batch.max_bytes()) {
                bytes = None;
            }
            if let Some(bytes) = bytes.as_mut() {
                bytes.extend_from_slice(&chunk);
            }
        }
        batch.add(&name, bytes.map(bytes::BytesMut::freeze)).await;
    }
    let outcomes = batch.finish()?;
    domain::ingest::run_later(&state.site);
    Ok((StatusCode::CREATED, Json(outcomes)).into_response())
}

/// `GET /api/documents/{id}` (editors and admins, like the `ingest-status` server function: an
/// unpublished upload's title and error are nobody else's) → the document and its latest
/// version's ingest status.
async fn api_document_status(
    State(ports): State<Ports>,
    _: Actor,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(domain::ingest::status(&ports, id).await?))
        .into_response())
}

/// `DELETE /api/documents/{id}` → 204: gone from every page; unreferenced blobs collected.
async fn api_delete_document(
    State(ports): State<Ports>,
    Actor(actor): Actor,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    domain::ingest::delete(&ports, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/inventory` (editors and admins) → counts of documents, versions, blobs and
/// unfinished jobs.
async fn api_inventory(State(ports): State<Ports>, _: Actor) -> Result<Response, AppError> {
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(domain::site::health::inventory(&ports).await?))
        .into_response())
}

/// `GET /api/search?q=&mode=hybrid|keyword|semantic&limit=&folder=&tag=&after=&ratio=` →
/// `{query, mode, took_ms, degraded, corrected?, results}`. Never cached: an edit or a delete
/// shows in the next search.
async fn api_search(
    State(site): State<Site>,
    ClientAddr(client): ClientAddr,
    axum::extract::Query(params): axum::extract::Query<domain::search::Params>,
) -> Result<Response, AppError> {
    let results = domain::search::search_for(&site, params, client.as_deref()).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(results)).into_response())
}

/// `POST /api/search/click?q=` → 204: a result of a search for `q` was opened (the `ping` of
/// a result's link, which the browser sends as it follows it). Counts toward that search's
/// click-through in insights; nothing else is kept.
async fn api_search_click(
    State(site): State<Site>,
    axum::extract::Query(params): axum::extract::Query<ClickParams>,
) -> Result<Response, AppError> {
    domain::insights::record_click(&site, &params.q).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(serde::Deserialize)]
struct ClickParams {
    #[serde(default)]
    q: String,
}

/// `GET /admin/insights.csv?days=7|30&kind=searches|no-results|not-found|downvoted` (admins)
/// → one list of `/admin/insights`, whole, as a CSV download.
async fn insights_csv(
    State(site): State<Site>,
    Actor(actor): Actor,
    axum::extract::Query(params): axum::extract::Query<CsvParams>,
) -> Result<Response, AppError> {
    let days = domain::insights::Days::parse(params.days.as_deref())?;
    let kind = domain::insights::Kind::parse(params.kind.as_deref())?;
    let report = domain::insights::report(&site, &actor, days).await?;
    let filename = format!("attachment; filename=\"folio-insights-{}-{}d.csv\"", kind.as_str(), days.count());
    let disposition = HeaderValue::from_str(&filename)
        .map_err(|e| AppError::from(DomainError::Internal(format!("content-disposition: {e}"))))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        domain::insights::csv(&report, kind),
    )
        .into_response())
}

#[derive(serde::Deserialize)]
struct CsvParams {
    days: Option<String>,
    kind: Option<String>,
}

/// `POST /api/ask` `{question, folder?, tag?}` → `text/event-stream`: `sources`, then `text`
/// pieces as the model writes them, then `done`. A bad question is a 400 and a crowd a 429
/// before the stream starts; once it has started, whatever happens ends in `done`. A reader
/// who disconnects drops the body, and with it the generation.
async fn api_ask(
    State(site): State<Site>,
    ClientAddr(client): ClientAddr,
    JsonBody(params): JsonBody<domain::ask::Params>,
) -> Result<Response, AppError> {
    use domain::ask::{Done, Event};
    use futures::{FutureExt, StreamExt};
    let (question, ticket) = domain::ask::admit(&site, params, client.as_deref()).await?;
    let (events, received) = futures::channel::mpsc::unbounded::<Event>();
    let answering = async move {
        let _ticket = ticket;
        let mut emit = |event: Event| {
            let _ = events.unbounded_send(event);
        };
        if let Err(err) = domain::ask::answer(&site, &question, &mut emit).await {
            tracing::error!(%err, "ask: the answer failed");
            emit(Event::Done(Done { unavailable: Some(err.public_message()), ..Done::default() }));
        }
    };
    // The events as they come; the answering future runs as the body is read.
    let stream = futures::stream::select(received.map(Some), answering.into_stream().map(|()| None))
        .filter_map(|event| {
            std::future::ready(event.map(|e| {
                Ok::<_, std::convert::Infallible>(sse::Event::default().event(e.name()).data(e.data()))
            }))
        });
    let mut response = sse::Sse::new(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies (nginx) would otherwise hold the pieces back until the answer ends.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// `GET /api/documents?cursor=&folder=&tag=` → `{documents, next}`, newest first, a page at a
/// time: the listing the pages show.
async fn api_list_documents(
    State(ports): State<Ports>,
    axum::extract::Query(params): axum::extract::Query<domain::documents::model::ListParams>,
) -> Result<Response, AppError> {
    use domain::documents::model::PAGE_SIZE;
    let page = domain::documents::list_page(
        ports.db.as_ref(),
        &params.listing(),
        params.cursor.as_deref(),
        PAGE_SIZE,
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
) -> Result<Response, AppError> {
    let key: BlobKey = key.parse()?;
    let meta = domain::storage::blobs::meta(&ports, &key).await?;
    let etag = HeaderValue::from_str(&key.etag()).map_err(|e| DomainError::BadInput(e.to_string()))?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let sandbox = HeaderValue::from_static(crate::http::security::STORED_FILE_POLICY);
    let has =
        headers.typed_get::<headers::IfNoneMatch>().is_some_and(|v| super::caching::has(&v, &key.etag()));
    if has {
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
