//! The passages a question is answered from.

use serde::Deserialize;

use super::{prompt, Question, Source, SOURCES};
use crate::error::DomainError;
use crate::ports::DbExt;
use crate::search;
use crate::site::Site;
use crate::sql::Statement;

/// What search found for a question.
pub(super) struct Retrieved {
    pub sources: Vec<Source>,
    /// Semantic search did not answer.
    pub degraded: bool,
    /// The best passage's similarity to the question (see [`search::Results::similarity`]).
    pub similarity: Option<f32>,
}

impl Retrieved {
    /// No passage is near enough to the question to answer it: the model is not asked. Only
    /// when semantic search ran (keywords alone say nothing about meaning) and the bar is on.
    pub fn below_bar(&self, bar: Option<f32>) -> bool {
        matches!((bar, self.similarity), (Some(bar), Some(best)) if best < bar)
    }
}

pub(super) async fn retrieve(site: &Site, question: &Question) -> Result<Retrieved, DomainError> {
    let ports = &site.ports;
    let results = search::search(
        site,
        search::Request {
            query: question.text.clone(),
            limit: SOURCES,
            folder: question.folder.clone(),
            tag: question.tag.clone(),
            ..search::Request::default()
        },
    )
    .await?;
    let ids: Vec<i64> = results.results.iter().map(|hit| hit.chunk_id).collect();
    #[derive(Deserialize)]
    struct Body {
        id: i64,
        body: String,
    }
    let bodies: Vec<Body> = ports
        .db
        .query_all(
            Statement::new("SELECT id, body FROM chunks WHERE id IN (SELECT value FROM json_each(?1))")
                .bind(serde_json::to_string(&ids).unwrap_or_default()),
        )
        .await?;
    let sources = results
        .results
        .into_iter()
        .filter_map(|hit| {
            let body = bodies.iter().find(|b| b.id == hit.chunk_id)?;
            Some((hit, prompt::passage(&body.body, &question.text)))
        })
        .enumerate()
        .map(|(i, (hit, text))| Source {
            n: i + 1,
            chunk_id: hit.chunk_id,
            document_id: hit.document_id,
            title: hit.title,
            heading: hit.heading,
            url: hit.url,
            text,
        })
        .collect();
    Ok(Retrieved { sources, degraded: results.degraded, similarity: results.similarity })
}
