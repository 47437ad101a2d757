//! `folio cloudflare-standin`: answers Workers AI and Vectorize for the Worker build running
//! locally in workerd, so it gets real semantics offline. Miniflare builds workerd's real
//! binding classes and, given a `remoteProxyConnectionString`, sends their requests here
//! (`scripts/worker-local.mjs --ai-proxy/--vectorize-proxy`): embeddings come from the same
//! candle model the native host uses, vectors live in the same usearch index.
//!
//! Miniflare's protocol (pinned by the versions in package.json; see
//! ../shared/notes/worker-local.md): each request carries `MF-Binding` and `MF-URL`; replies
//! carry `MF-Forwarded-Response: true`, and JSON must be exactly `application/json`. AI is
//! `POST /run` with the model in `cf-consn-model-id` and `{inputs}`; Vectorize is `GET /info`
//! and `POST /query|/insert|/upsert|/getByIds|/deleteByIds` (inserts as NDJSON).
//!
//! Text generation (`{messages: [{role, content}]}` → `{response}`, Workers AI's chat shape) is
//! answered by the native text model, so enrichment on the Worker gets real text too. A
//! reranker's call (`{query, contexts: [{text}]}` → `{response: [{id, score}]}`, best first, as
//! `@cf/baai/bge-reranker-base` answers) is scored as the native host scores it: by the
//! cross-encoder `FOLIO_RERANK_MODEL` names, else the embedder's cosine of query and passage.
//!
//! `POST /__fault` with `down`, `hang`, `slow:<ms>` or `up` makes the model fail, never answer,
//! answer late, or work again, for tests of what the Worker does without it; `say:<text>` makes
//! the text model answer `<text>` (streamed word by word when asked to stream), for tests of
//! what pages do with a given answer (hostile markup, a known citation); `slow:<ms>;say:<text>`
//! does both. `GET /__calls?containing=<text>` counts the chats asked for whose prompt holds
//! `<text>` (a word: it is not URL-decoded).
//!
//! Only local programs are answered: a request carrying `Origin` (a browser page) or a `Host`
//! other than loopback gets `403`, so no site the developer visits can fault or fill it.

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use domain::error::AiError;
use domain::ports::{Ai, VectorQuery, VectorRecord, Vectors};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::adapters::local_model::{Fault, LocalModel, Misbehaviour};
use crate::adapters::vector_index::VectorIndex;
use crate::config::Config;

struct StandIn {
    model: LocalModel,
    vectors: VectorIndex,
    fault: std::sync::Mutex<Option<Fault>>,
    /// What the text model says instead of writing (`say:<text>`).
    said: std::sync::Mutex<Option<String>>,
    /// The user part of every chat asked for (the latest 1,000): `GET /__calls?containing=`
    /// counts them, so tests see how many generations a page caused.
    chats: std::sync::Mutex<std::collections::VecDeque<String>>,
    mutations: AtomicU64,
    dims: usize,
}

type Shared = Arc<StandIn>;

/// Answer Workers AI and Vectorize for the Worker running locally in workerd.
///
/// Miniflare's remote-proxy protocol for the Worker's `AI` and `VECTORS` bindings, with this
/// host's local models (FOLIO_EMBEDDING_MODEL, FOLIO_TEXT_MODEL) and vector index.
#[derive(Debug, Clone, clap::Args)]
pub struct StandInArgs {
    /// The port to listen on (127.0.0.1 only).
    #[arg(long, default_value_t = 8788)]
    pub port: u16,
    /// Where the vector index is kept (default: a folder in the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub data: Option<std::path::PathBuf>,
}

/// `folio cloudflare-standin …`: serves until stopped.
pub fn main(args: StandInArgs) -> std::process::ExitCode {
    let StandInArgs { port, data } = args;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("folio cloudflare-standin: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(port, data)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("folio cloudflare-standin: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(port: u16, data: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("warn")).init();
    let config = crate::config::load()?;
    let stand_in = Arc::new(load(&config, data).await?);
    let app = local_only(Router::new().fallback(handle).with_state(stand_in));
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", port)).await.with_context(|| format!("port {port}"))?;
    println!("Workers AI + Vectorize stand-in on http://127.0.0.1:{port}");
    axum::serve(listener, app).await?;
    Ok(())
}

async fn load(config: &Config, data: Option<std::path::PathBuf>) -> anyhow::Result<StandIn> {
    let name = config.embedding_model().context("set FOLIO_EMBEDDING_MODEL: the stand-in needs a model")?;
    let cache = config.model_cache.clone();
    let embedder = tokio::task::spawn_blocking(move || {
        models::SentenceEmbedder::load(&models::ModelSource::parse(&name, &cache)?)
    })
    .await??;
    let mut model = LocalModel::new(embedder);
    if let Some(name) = config.text_model() {
        let (cache, file) = (config.model_cache.clone(), config.text_model_file.clone());
        let template = config.chat_template;
        let generator = tokio::task::spawn_blocking(move || {
            models::TextGenerator::load(&models::ModelSource::parse(&name, &cache)?, &file, template)
        })
        .await??;
        model = model.with_generator(generator);
    }
    if let Some(name) = config.rerank_model() {
        let cache = config.model_cache.clone();
        let reranker = tokio::task::spawn_blocking(move || {
            models::CrossEncoder::load(&models::ModelSource::parse(&name, &cache)?)
        })
        .await??;
        model = model.with_reranker(reranker);
    }
    let dims = model.dimensions();
    let dir = match data {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("folio-standin-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let (vectors, _) = VectorIndex::open(&dir.join("vectorize.sqlite3"), dims)?;
    vectors.ready(std::time::Duration::from_secs(60)).await;
    Ok(StandIn {
        model,
        vectors,
        fault: std::sync::Mutex::new(None),
        said: std::sync::Mutex::new(None),
        chats: std::sync::Mutex::default(),
        mutations: AtomicU64::new(0),
        dims,
    })
}

/// Answers only local programs: a request with an `Origin` (a web page the developer visits,
/// posting to a loopback port) or a `Host` that is not loopback (DNS rebinding) gets `403`.
fn local_only(router: Router) -> Router {
    router.layer(axum::middleware::from_fn(refuse_foreign))
}

async fn refuse_foreign(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned));
    if req.headers().contains_key(header::ORIGIN) || !host.as_deref().is_some_and(is_loopback_host) {
        return error(StatusCode::FORBIDDEN, "the stand-in answers local programs only");
    }
    next.run(req).await
}

/// `127.0.0.0/8`, `localhost` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, port)) if port.is_empty() || port.strip_prefix(':').is_some_and(is_port) => v6,
            _ => return false,
        },
        None => match host.split_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => host,
        },
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_port(port: &str) -> bool {
    port.parse::<u16>().is_ok()
}

fn reply(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("MF-Forwarded-Response", HeaderValue::from_static("true"));
    response
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    reply(status, json!({ "errors": [{ "message": message.to_string() }] }))
}

async fn handle(State(s): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    // Miniflare sends every binding call to this server's root; the binding's own URL (whose
    // path names the operation) travels in `MF-URL`.
    let target = headers
        .get("MF-URL")
        .and_then(|v| v.to_str().ok())
        .and_then(|u| u.parse::<Uri>().ok())
        .unwrap_or(uri);
    let path = target.path().trim_end_matches('/');
    let last = path.rsplit('/').next().unwrap_or("");
    match last {
        "__fault" => {
            let said = String::from_utf8_lossy(&body).trim().to_owned();
            let Some(Misbehaviour { fault, say }) = Misbehaviour::parse(&said) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "expected down, hang, slow:<ms>, say:<text>, slow:<ms>;say:<text> or up",
                );
            };
            if let Ok(mut slot) = s.fault.lock() {
                *slot = fault;
            }
            if let Ok(mut slot) = s.said.lock() {
                *slot = say;
            }
            reply(StatusCode::OK, json!({ "down": fault == Some(Fault::Down), "fault": said }))
        }
        "__calls" => {
            let containing = target
                .query()
                .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("containing=")))
                .unwrap_or_default();
            let calls =
                s.chats.lock().map_or(0, |chats| chats.iter().filter(|c| c.contains(containing)).count());
            reply(StatusCode::OK, json!({ "calls": calls }))
        }
        "run" => run_ai(&s, &headers, &body).await,
        "info" => reply(
            StatusCode::OK,
            json!({
                "dimensions": s.dims,
                "vectorCount": s.vectors.len(),
                "processedUpToMutation": s.mutations.load(Ordering::SeqCst).to_string(),
                "processedUpToDatetime": "1970-01-01T00:00:00Z",
            }),
        ),
        "query" => query(&s, &body).await,
        "insert" | "upsert" => upsert(&s, &body).await,
        "deleteByIds" => delete(&s, &body).await,
        "getByIds" => reply(StatusCode::OK, json!([])),
        _ => {
            tracing::warn!(%path, binding = ?headers.get("MF-Binding"), "stand-in: unknown request");
            error(StatusCode::NOT_FOUND, format!("the stand-in does not answer {path}"))
        }
    }
}

async fn run_ai(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let fault = s.fault.lock().ok().and_then(|f| *f);
    match fault {
        Some(Fault::Down) => {
            return error(StatusCode::SERVICE_UNAVAILABLE, "the model is stopped (stand-in /__fault)")
        }
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Hang) => std::future::pending::<()>().await,
        None => {}
    }
    let model = headers.get("cf-consn-model-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    #[derive(Deserialize)]
    struct Run {
        inputs: Value,
    }
    let Ok(Run { inputs }) = serde_json::from_slice::<Run>(body) else {
        return error(StatusCode::BAD_REQUEST, "expected {\"inputs\": …}");
    };
    if let Some(messages) = inputs["messages"].as_array() {
        return chat(s, messages, inputs["stream"] == Value::Bool(true)).await;
    }
    if let (Some(query), Some(contexts)) = (inputs["query"].as_str(), inputs["contexts"].as_array()) {
        return rerank(s, query, contexts).await;
    }
    let texts: Vec<String> = match &inputs["text"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        _ => return error(StatusCode::BAD_REQUEST, format!("{model}: the stand-in embeds `text` only")),
    };
    // Workers AI serves each call apart. A call of one text is most likely a reader's query:
    // it goes ahead of the ingest batches the local model queues.
    let embedded = if texts.len() == 1 { s.model.embed_now(texts).await } else { s.model.embed(texts).await };
    match embedded {
        Ok(data) => {
            reply(StatusCode::OK, json!({ "shape": [data.len(), s.dims], "data": data, "pooling": "mean" }))
        }
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err),
    }
}

/// A reranker's answer, as `@cf/baai/bge-reranker-base` gives it (`{response: [{id, score}]}`,
/// best first), scored by the local model's stand-in for a cross-encoder (the embedder's
/// cosine: see `LocalModel::rerank`).
async fn rerank(s: &Shared, query: &str, contexts: &[Value]) -> Response {
    let Some(passages) =
        contexts.iter().map(|c| c["text"].as_str().map(str::to_owned)).collect::<Option<Vec<String>>>()
    else {
        return error(StatusCode::BAD_REQUEST, "expected contexts: [{\"text\": …}]");
    };
    match s.model.rerank(query.to_owned(), passages).await {
        Ok(scores) => {
            let mut ranked: Vec<Value> =
                scores.iter().enumerate().map(|(id, score)| json!({ "id": id, "score": score })).collect();
            ranked.sort_by(|a, b| {
                b["score"].as_f64().unwrap_or(0.0).total_cmp(&a["score"].as_f64().unwrap_or(0.0))
            });
            reply(StatusCode::OK, json!({ "response": ranked }))
        }
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err),
    }
}

/// One piece of a streamed answer, as Workers AI sends it.
fn sse_piece(piece: &str) -> String {
    format!("data: {}\n\n", json!({ "response": piece }))
}

/// A chat model's answer: the system message, then the rest as the user's. With `stream`,
/// Workers AI's server-sent events (`data: {"response": "…"}` a piece, then `data: [DONE]`);
/// a reader who leaves stops the model.
async fn chat(s: &Shared, messages: &[Value], stream: bool) -> Response {
    let text = |role_is_system: bool| {
        messages
            .iter()
            .filter(|m| (m["role"] == "system") == role_is_system)
            .filter_map(|m| m["content"].as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let refused = |err: AiError| match err {
        // One answer at a time, as the local model writes; meanwhile 429, as Workers AI
        // answers when it is over capacity.
        AiError::Busy(_) => error(StatusCode::TOO_MANY_REQUESTS, format!("429 capacity: {err}")),
        err => error(StatusCode::INTERNAL_SERVER_ERROR, err),
    };
    if let Ok(mut chats) = s.chats.lock() {
        if chats.len() == 1_000 {
            chats.pop_front();
        }
        chats.push_back(text(false));
    }
    if let Some(said) = s.said.lock().ok().and_then(|said| said.clone()) {
        if !stream {
            return reply(StatusCode::OK, json!({ "response": said }));
        }
        let mut events: Vec<String> = said.split_inclusive(' ').map(sse_piece).collect();
        events.push("data: [DONE]\n\n".into());
        let mut response = Response::new(axum::body::Body::from(events.concat()));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        headers.insert("MF-Forwarded-Response", HeaderValue::from_static("true"));
        return response;
    }
    if !stream {
        return match s.model.generate(text(true), text(false)).await {
            Ok(response) => reply(StatusCode::OK, json!({ "response": response })),
            Err(err) => refused(err),
        };
    }
    let (pieces, mut received) = tokio::sync::mpsc::unbounded_channel::<Result<String, AiError>>();
    let (shared, system, user) = (s.clone(), text(true), text(false));
    tokio::spawn(async move {
        let send = {
            let pieces = pieces.clone();
            move |piece: &str| {
                let _ = pieces.send(Ok(sse_piece(piece)));
            }
        };
        tokio::select! {
            result = shared.model.generate_streamed(system, user, &send) => {
                let _ = pieces.send(result.map(|_| "data: [DONE]\n\n".to_owned()));
            }
            () = pieces.closed() => {}
        }
    });
    // The first piece decides the status: a busy or failing model is refused before the
    // stream starts.
    let first = match received.recv().await {
        Some(Ok(first)) => first,
        Some(Err(err)) => return refused(err),
        None => return error(StatusCode::INTERNAL_SERVER_ERROR, "the model stopped"),
    };
    let rest = futures::stream::unfold(received, |mut received| async move {
        match received.recv().await {
            Some(Ok(piece)) => Some((piece, received)),
            _ => None,
        }
    });
    let events = futures::stream::once(async move { first })
        .chain(rest)
        .map(|piece| Ok::<_, std::convert::Infallible>(Bytes::from(piece)));
    let mut response = Response::new(axum::body::Body::from_stream(events));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert("MF-Forwarded-Response", HeaderValue::from_static("true"));
    response
}

async fn query(s: &StandIn, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "expected JSON");
    };
    let values: Vec<f32> = request["vector"]
        .as_array()
        .map(|v| v.iter().filter_map(Value::as_f64).map(|x| x as f32).collect())
        .unwrap_or_default();
    let top_k = request["topK"].as_u64().map_or(5, |k| usize::try_from(k).unwrap_or(5));
    let folder = match &request["filter"]["folder"] {
        Value::String(f) => Some(f.clone()),
        Value::Object(op) => op.get("$eq").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    match s.vectors.query(VectorQuery { values, top_k, folder }).await {
        Ok(matches) => {
            let count = matches.len();
            reply(StatusCode::OK, json!({ "matches": matches, "count": count }))
        }
        Err(err) => error(StatusCode::BAD_REQUEST, err),
    }
}

async fn upsert(s: &StandIn, body: &[u8]) -> Response {
    #[derive(Deserialize)]
    struct Line {
        id: String,
        values: Vec<f32>,
        #[serde(default)]
        metadata: Value,
    }
    let text = String::from_utf8_lossy(body);
    // NDJSON from the binding; a JSON array is accepted too.
    let lines: Result<Vec<Line>, _> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text)
    } else {
        text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect()
    };
    let lines = match lines {
        Ok(lines) => lines,
        Err(err) => return error(StatusCode::BAD_REQUEST, err),
    };
    let records = lines
        .into_iter()
        .map(|l| VectorRecord {
            id: l.id,
            values: l.values,
            document_id: l.metadata["document_id"].as_i64().unwrap_or(0),
            folder: l.metadata["folder"].as_str().unwrap_or("").to_owned(),
        })
        .collect();
    match s.vectors.upsert(records).await {
        Ok(()) => {
            let id = s.mutations.fetch_add(1, Ordering::SeqCst) + 1;
            reply(StatusCode::OK, json!({ "mutationId": id.to_string() }))
        }
        Err(err) => error(StatusCode::BAD_REQUEST, err),
    }
}

async fn delete(s: &StandIn, body: &[u8]) -> Response {
    #[derive(Deserialize)]
    struct Ids {
        ids: Vec<String>,
    }
    let Ok(Ids { ids }) = serde_json::from_slice(body) else {
        return error(StatusCode::BAD_REQUEST, "expected {\"ids\": […]}");
    };
    match s.vectors.delete(ids).await {
        Ok(()) => {
            let id = s.mutations.fetch_add(1, Ordering::SeqCst) + 1;
            reply(StatusCode::OK, json!({ "mutationId": id.to_string() }))
        }
        Err(err) => error(StatusCode::BAD_REQUEST, err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn status(headers: &[(&str, &str)]) -> StatusCode {
        let app = local_only(Router::new().fallback(|| async { "ok" }));
        let mut req = Request::post("/__fault");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        app.oneshot(req.body(Body::from("down")).expect("request")).await.expect("infallible").status()
    }

    #[tokio::test]
    async fn only_loopback_callers_without_an_origin_are_answered() {
        for host in [
            "127.0.0.1:8788",
            "127.0.0.1",
            "127.3.2.1:9",
            "localhost",
            "localhost:3202",
            "[::1]",
            "[::1]:8788",
        ] {
            assert_eq!(status(&[("host", host)]).await, StatusCode::OK, "{host}");
        }
        // A page the developer visits can reach a loopback port but not hide that it is a page:
        // browsers send `Origin` on cross-site POSTs, and DNS rebinding shows in `Host`.
        assert_eq!(
            status(&[("host", "127.0.0.1:8788"), ("origin", "https://evil.example")]).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(status(&[("host", "127.0.0.1:8788"), ("origin", "null")]).await, StatusCode::FORBIDDEN);
        for host in [
            "evil.example",
            "evil.example:8788",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "[::2]",
            "10.0.0.1:8788",
            "0.0.0.0:8788",
        ] {
            assert_eq!(status(&[("host", host)]).await, StatusCode::FORBIDDEN, "{host}");
        }
        assert_eq!(status(&[]).await, StatusCode::FORBIDDEN, "no Host at all");
    }
}
