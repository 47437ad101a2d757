//! `/healthz`: each port's status. The site is unavailable without its database, degraded
//! when anything else is down.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::ports::{DbExt, Ports};
use crate::site::Site;
use crate::sql::Statement;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    Ok,
    Degraded,
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortStatus {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PortStatus {
    fn from_result<E: std::fmt::Display>(result: Result<(), E>) -> Self {
        match result {
            Ok(()) => Self { status: "ok", error: None },
            Err(err) => Self { status: "error", error: Some(err.to_string()) },
        }
    }
    fn not_configured() -> Self {
        Self { status: "not_configured", error: None }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub status: Overall,
    pub host: &'static str,
    pub ports: BTreeMap<&'static str, PortStatus>,
    /// Text-model calls counted against the budget (absent without a model): operators see how
    /// near the budget is, and tests count generations across a host they cannot reach into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai_calls: Option<AiCalls>,
    /// How this host fuses and filters search results: both hosts must say the same unless
    /// configured otherwise (the settings are one definition; end2end compares them).
    pub search: SearchTuning,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchTuning {
    pub fusion: crate::search::Fusion,
    pub semantic_ratio: f32,
    pub short_query_ratio: f32,
    pub rrf_k: f32,
    pub candidates: usize,
    pub min_similarity: f32,
    pub semantic_timeout_ms: u128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiCalls {
    pub this_minute: i64,
    pub today: i64,
    pub per_minute: u32,
    pub per_day: u32,
}

impl Health {
    pub fn http_status(&self) -> u16 {
        if self.status == Overall::Unavailable {
            503
        } else {
            200
        }
    }
}

pub async fn check(site: &Site, host: &'static str) -> Health {
    let ports = &site.ports;
    let db = PortStatus::from_result(ports.db.query(Statement::new("SELECT 1 AS ok")).await.map(drop));
    let blobs = PortStatus::from_result(ports.blobs.ping().await);
    // The text model's guard: a spent budget leaves items stale (fine); an open breaker means
    // the model keeps failing (degraded).
    let guard = match &ports.ai {
        None => None,
        Some(_) => Some(crate::model_guard::status(ports, &site.enrich).await),
    };
    let ai = match &guard {
        None => PortStatus::not_configured(),
        Some(Ok(guard)) if guard.breaker_open => PortStatus {
            status: "breaker_open",
            error: Some("the model failed repeatedly; enrichment pauses for a cool-down".into()),
        },
        Some(Ok(guard)) if guard.budget_spent => PortStatus {
            status: "budget_spent",
            error: Some(format!(
                "AI budget spent ({} calls this minute, {} today); items stay as they are",
                guard.calls_this_minute, guard.calls_today
            )),
        },
        Some(Ok(_)) => PortStatus { status: "ok", error: None },
        Some(Err(err)) => PortStatus { status: "error", error: Some(err.to_string()) },
    };
    let ai_calls = match guard {
        Some(Ok(guard)) => Some(AiCalls {
            this_minute: guard.calls_this_minute,
            today: guard.calls_today,
            per_minute: site.enrich.calls_per_minute,
            per_day: site.enrich.calls_per_day,
        }),
        _ => None,
    };
    let status = if db.status != "ok" {
        Overall::Unavailable
    } else if blobs.status != "ok" || ai.status == "breaker_open" {
        Overall::Degraded
    } else {
        Overall::Ok
    };
    let tuning = &site.search;
    let search = SearchTuning {
        fusion: tuning.fusion,
        semantic_ratio: tuning.semantic_ratio,
        short_query_ratio: tuning.short_query_ratio,
        rrf_k: tuning.rrf_k,
        candidates: tuning.candidates,
        min_similarity: tuning.min_similarity,
        semantic_timeout_ms: tuning.semantic_timeout.as_millis(),
    };
    let configured = |present: bool| {
        if present {
            PortStatus { status: "ok", error: None }
        } else {
            PortStatus::not_configured()
        }
    };
    let ports = BTreeMap::from([
        ("db", db),
        ("blobs", blobs),
        // Spawning cannot be probed without side effects; it is there or the host wouldn't run.
        ("tasks", PortStatus { status: "ok", error: None }),
        ("vectors", configured(ports.vectors.is_some())),
        ("ai", ai),
    ]);
    Health { status, host, ports, ai_calls, search }
}

/// What the site holds, for editors and for checking that refused input left nothing behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Inventory {
    pub documents: i64,
    pub versions: i64,
    pub blobs: i64,
    pub blob_bytes: i64,
    /// Ingest jobs not finished yet.
    pub jobs: i64,
    pub failed_versions: i64,
    /// Search chunks of live versions, and how many of them still wait for their vectors
    /// (the model or the vector index is down, slow, or not configured).
    pub chunks: i64,
    pub chunks_waiting: i64,
}

pub async fn inventory(ports: &Ports) -> Result<Inventory, crate::DomainError> {
    Ok(ports
        .db
        .query_one(Statement::new(
            "SELECT (SELECT COUNT(*) FROM documents) AS documents,
                    (SELECT COUNT(*) FROM document_versions) AS versions,
                    (SELECT COUNT(*) FROM blobs) AS blobs,
                    (SELECT COALESCE(SUM(size), 0) FROM blobs) AS blob_bytes,
                    (SELECT COUNT(*) FROM ingest_jobs) AS jobs,
                    (SELECT COUNT(*) FROM document_versions WHERE status = 'failed') AS failed_versions,
                    (SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id AND d.version = c.version) AS chunks,
                    (SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id AND d.version = c.version
                     WHERE c.embedded = 0) AS chunks_waiting",
        ))
        .await?)
}
