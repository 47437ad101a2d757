//! The REST routes scripts and the importer use, and `/blobs/{key}`. Errors are [`AppError`]:
//! a [`DomainError`] as `{"error": {"code", "message"}}` with its status, mapped once.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{BlobKey, DomainError, Ports, Site};

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
        // Catch-all so any path under /blobs/ (`a/b`, `../x`) is validated as a key: 400, not 404.
        .route("/blobs/{*key}", get(blob))
}

async fn healthz(State(state): State<AppState>) -> Response {
    let health = domain::site::health::check(&state.site, state.host).await;
    let status = StatusCode::from_u16(health.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (status, [(header::CACHE_CONTROL, "no-store")], Json(health)).into_response()
}

/// Reads a small JSON body, or explains what was expected.
async fn json_body<T: serde::de::DeserializeOwned>(body: Body, expected: &str) -> Result<T, AppError> {
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
async fn api_session(State(ports): State<Ports>, req: Request) -> Result<Response, AppError> {
    let (parts, body) = req.into_parts();
    let creds: Credentials = json_body(body, r#"{"email": "…", "password": "…"}"#).await?;
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
    req: Request,
) -> Result<Response, AppError> {
    let (_, body) = req.into_parts();
    let request: TokenRequest = json_body(body, r#"{"name": "…"}"#).await?;
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
    let ports = &state.site.ports;
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
        return Err(refusals.swap_remove(0).into());
    }
    domain::ingest::run_later(&state.site);
    Ok((StatusCode::CREATED, Json(results)).into_response())
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
    client: Option<axum::Extension<crate::http::security::ClientAddr>>,
    axum::extract::Query(params): axum::extract::Query<domain::search::Params>,
) -> Result<Response, AppError> {
    let request = params.into_request()?;
    let client = client.as_ref().and_then(|c| c.0 .0.as_deref());
    domain::site::limits::admit(&site, domain::site::limits::Action::Search, client).await?;
    let results = domain::search::search(&site, request).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(results)).into_response())
}

/// `POST /api/ask` `{question, folder?, tag?}` → `text/event-stream`: `sources`, then `text`
/// pieces as the model writes them, then `done`. A bad question is a 400 and a crowd a 429
/// before the stream starts; once it has started, whatever happens ends in `done`. A reader
/// who disconnects drops the body, and with it the generation.
async fn api_ask(
    State(site): State<Site>,
    client: Option<axum::Extension<crate::http::security::ClientAddr>>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    use domain::ask::{Done, Event, Question};
    use futures::{FutureExt, StreamExt};
    let params: domain::ask::Params = serde_json::from_slice(&body).map_err(|_| {
        DomainError::BadInput(
            r#"Send the question as JSON: {"question": "…", "folder": "…", "tag": "…"}."#.into(),
        )
    })?;
    let question = Question::parse(params)?;
    let client = client.as_ref().and_then(|c| c.0 .0.as_deref());
    domain::site::limits::admit(&site, domain::site::limits::Action::Ask, client).await?;
    let ticket = site.asking.enter()?;
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
            std::future::ready(
                event.map(|e| Ok::<_, std::convert::Infallible>(bytes::Bytes::from(e.to_sse()))),
            )
        });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
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
) -> Result<Response, AppError> {
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
) -> Result<Response, AppError> {
    let key: BlobKey = key.parse()?;
    let meta = domain::storage::blobs::meta(&ports, &key).await?;
    let etag = HeaderValue::from_str(&key.etag()).map_err(|e| DomainError::BadInput(e.to_string()))?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let sandbox = HeaderValue::from_static(crate::http::security::STORED_FILE_POLICY);
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
