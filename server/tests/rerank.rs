//! Hybrid search's second stage on the native host (real SQLite): the fused top documents
//! rescored by the model's reranker, asked for by the setting or a request, and the fused order
//! kept, still a 200, whenever the reranker fails, hangs or answers the wrong shape. A scripted
//! reranker decides the order here; tests/semantic.rs scores with the real local model.

mod common;

use async_trait::async_trait;
use axum::http::StatusCode;
use common::*;
use domain::error::AiError;
use domain::ports::Ai;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Three pages a keyword search for "lantern" finds (bm25 puts the shortest first).
const PAGES: &[(&str, &str)] = &[
    ("storm.md", "# Storm lanterns\n\nA storm lantern keeps its flame in wind. Lantern glass is thick; the lantern hangs from a hook. Lantern oil lasts a night.\n"),
    ("brass.md", "# Brass lanterns\n\nA brass lantern is polished each week. The lantern lid lifts for the wick.\n"),
    ("paper.md", "# Paper lanterns\n\nA paper lantern floats at festivals.\n"),
];

#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Passages holding this word score 1, the others 0.
    Prefers(&'static str),
    Fails,
    /// One score, whatever the number of passages.
    WrongShape,
    Hangs,
}

struct Reranker {
    behaviour: Mutex<Behaviour>,
    /// The passages of each call, as the stage sent them.
    calls: Mutex<Vec<Vec<String>>>,
}

impl Reranker {
    fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().expect("behaviour") = behaviour;
    }
}

#[async_trait]
impl Ai for Reranker {
    /// Every text the same direction: semantic search runs (so the search is hybrid) and
    /// orders nothing.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        Ok(texts.iter().map(|_| vec![0.5; 4]).collect())
    }

    async fn rerank(&self, _query: String, passages: Vec<String>) -> Result<Vec<f32>, AiError> {
        self.calls.lock().expect("calls").push(passages.clone());
        let behaviour = *self.behaviour.lock().expect("behaviour");
        match behaviour {
            Behaviour::Prefers(word) => {
                Ok(passages.iter().map(|p| if p.contains(word) { 1.0 } else { 0.0 }).collect())
            }
            Behaviour::Fails => Err(AiError::Unavailable("the reranker is down".into())),
            Behaviour::WrongShape => Ok(vec![1.0]),
            Behaviour::Hangs => std::future::pending().await,
        }
    }

    async fn generate(&self, _: String, _: String) -> Result<String, AiError> {
        Err(AiError::Unavailable("no text model here".into()))
    }
}

async fn search(router: &axum::Router, query: &str) -> Value {
    let (status, _, body) = send(router, get(&format!("/api/search?{query}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).expect("json")
}

fn titles(found: &Value) -> Vec<&str> {
    found["results"].as_array().expect("results").iter().map(|r| r["title"].as_str().unwrap_or("")).collect()
}

/// The three pages, and a router whose site reranks with `reranker` (`on`: the setting).
async fn site(reranker: Arc<Reranker>, on: bool) -> (axum::Router, tempfile::TempDir) {
    let (native, _, dir) =
        native_with(&PAGES.iter().map(|(n, t)| (*n, t.as_bytes())).collect::<Vec<_>>()).await;
    let ports = with_scripted_model(&native, &dir, reranker).await;
    let search = domain::search::Settings {
        rerank: on,
        rerank_timeout: Duration::from_millis(300),
        ..(*native.site.search).clone()
    };
    let site = domain::Site { ports, search: Arc::new(search), ..native.site.clone() };
    (router_with(site), dir)
}

fn reranker(behaviour: Behaviour) -> Arc<Reranker> {
    Arc::new(Reranker { behaviour: Mutex::new(behaviour), calls: Mutex::default() })
}

const FUSED: [&str; 3] = ["Paper lanterns", "Brass lanterns", "Storm lanterns"];

#[tokio::test]
async fn a_request_asks_for_the_rerankers_order_and_the_fused_order_is_the_default() {
    let model = reranker(Behaviour::Prefers("wind"));
    let (router, _dir) = site(model.clone(), false).await;

    let fused = search(&router, "q=lantern").await;
    assert_eq!(titles(&fused), FUSED, "{fused}");
    assert_eq!(fused["reranked"], Value::Null);
    assert!(model.calls.lock().expect("calls").is_empty(), "off by default: the reranker is not asked");

    let reranked = search(&router, "q=lantern&rerank=on").await;
    assert_eq!(titles(&reranked), ["Storm lanterns", "Paper lanterns", "Brass lanterns"], "{reranked}");
    assert_eq!(reranked["reranked"], true);
    assert_eq!(reranked["results"][0]["score"], 1.0, "the reranker's score is shown");
    // It read each document at the passage the list shows, with its place, in the fused order.
    let calls = model.calls.lock().expect("calls").clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].len(), 3);
    assert!(
        calls[0][0].starts_with("Paper lanterns\n") && calls[0][0].contains("paper lantern floats"),
        "{calls:?}"
    );

    // Keyword search alone has no second stage.
    let keyword = search(&router, "q=lantern&mode=keyword&rerank=on").await;
    assert_eq!(titles(&keyword), FUSED);
    assert_eq!(model.calls.lock().expect("calls").len(), 1);
}

#[tokio::test]
async fn with_the_setting_on_a_failing_hung_or_misshapen_reranker_leaves_the_fused_order() {
    let model = reranker(Behaviour::Prefers("wind"));
    let (router, _dir) = site(model.clone(), true).await;
    assert_eq!(titles(&search(&router, "q=lantern").await)[0], "Storm lanterns", "the setting reranks");
    assert_eq!(titles(&search(&router, "q=lantern&rerank=off").await), FUSED, "a request turns it off");

    // Each query is new (a repeated one would come from the result cache) and finds the three.
    for (behaviour, query) in [
        (Behaviour::Fails, "q=lantern+a"),
        (Behaviour::WrongShape, "q=lantern+the"),
        (Behaviour::Hangs, "q=lantern+is"),
    ] {
        model.set(behaviour);
        let fused = search(&router, &format!("{query}&rerank=off")).await;
        let asked = model.calls.lock().expect("calls").len();
        let found = search(&router, query).await;
        assert_eq!(
            model.calls.lock().expect("calls").len(),
            asked + 1,
            "{behaviour:?}: the reranker was asked"
        );
        assert_eq!(found["reranked"], Value::Null, "{behaviour:?}: {found}");
        assert_eq!(found["degraded"], false, "{behaviour:?}: the search itself is whole");
        assert_eq!(titles(&found), titles(&fused), "{behaviour:?}: {found}");
        assert_eq!(titles(&found).len(), 3);
    }
}
