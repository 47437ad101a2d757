//! Ask: a reader's question answered from the documents, with numbered citations. The
//! passages come from hybrid search and are sent first; then the answer as the model writes
//! it; then what it cited and how long each part took. The same question with the same filters
//! is answered from storage while every passage it was built from is unchanged, and
//! identical questions asked at once share one generation (a claim in the database).
//!
//! The model never blocks a page: only the person who asked waits, and a model that is down,
//! slow, busy or over budget leaves them the sources and a notice, never an error.

pub mod cache;
pub mod prompt;
pub mod render;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::enrich::guard;
use crate::error::{AiError, DomainError};
use crate::ports::{DbExt, Ports};
use crate::search;
use crate::sql::Statement;

/// Longest question, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Passages the model reads.
pub const SOURCES: usize = 4;
/// How long an asker waits for the model to be free (another answer, enrichment) or for an
/// identical question's answer before being told answers are unavailable.
const WAIT_FOR_MODEL: Duration = Duration::from_secs(45);
const POLL: Duration = Duration::from_millis(300);

/// A question as the API and the page receive it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    #[serde(default, alias = "q")]
    pub question: String,
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
}

/// A checked question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub text: String,
    pub folder: Option<String>,
    pub tag: Option<String>,
}

impl Question {
    /// The question, or a 400 saying what is wrong with it.
    pub fn parse(params: Params) -> Result<Self, DomainError> {
        let text = params.question.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(DomainError::BadInput("Type a question to ask.".into()));
        }
        let chars = text.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(DomainError::BadInput(format!(
                "A question can be at most {MAX_QUESTION_CHARS} characters; this one has {chars}."
            )));
        }
        if text.chars().any(|c| c.is_control()) || !text.chars().any(char::is_alphanumeric) {
            return Err(DomainError::BadInput(
                "A question must be words, not symbols or binary data.".into(),
            ));
        }
        let present = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(Self { text, folder: present(params.folder), tag: present(params.tag) })
    }

    /// What identical questions share: the words, lower-cased, without punctuation, and the
    /// filters.
    pub fn key(&self) -> String {
        let words: Vec<String> = self
            .text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        format!(
            "{}\u{1f}{}\u{1f}{}",
            words.join(" "),
            self.folder.as_deref().unwrap_or(""),
            self.tag.as_deref().unwrap_or("")
        )
    }
}

/// A passage the answer may cite as `[n]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub n: usize,
    pub chunk_id: i64,
    pub document_id: i64,
    pub title: String,
    pub heading: String,
    /// The document page at the passage's section.
    pub url: String,
    /// The passage as the model read it (plain text).
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub sources_ms: u64,
    #[serde(default)]
    pub first_text_ms: Option<u64>,
    pub total_ms: u64,
}

/// How an answer ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// The sources the answer cites, in order of first citation.
    pub citations: Vec<usize>,
    /// The answer says the documents do not hold it.
    pub not_found: bool,
    /// From storage (an earlier or a concurrent identical question).
    pub cached: bool,
    /// Why there is no answer (the model is down, slow, busy or over budget): said to the
    /// reader beside the sources.
    #[serde(default)]
    pub unavailable: Option<String>,
    /// Semantic search did not answer; the sources match the words only.
    pub degraded: bool,
    /// The answer as kept, when it differs from the pieces sent: citations the model left out
    /// attached, or "not found" in place of an answer drawn from none of the passages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub timings: Timings,
}

/// What an asker receives, in order: `Sources`, any number of `Text`, `Done`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Sources(Vec<Source>),
    Text(String),
    Done(Done),
}

// `#[inline]` on these: a wasm build splits code by use (lazy islands) and keeps in the main
// module what nothing reaches, so a non-generic function that only the server calls would cost
// every page its JSON code (8 KB gzip here). Inline functions are built only where they are used.
impl Event {
    /// The server-sent event's name.
    #[inline]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sources(_) => "sources",
            Self::Text(_) => "text",
            Self::Done(_) => "done",
        }
    }

    /// The server-sent event's data (one line of JSON).
    #[inline]
    pub fn data(&self) -> String {
        match self {
            Self::Sources(sources) => serde_json::json!({ "sources": sources }).to_string(),
            Self::Text(text) => serde_json::json!({ "text": text }).to_string(),
            Self::Done(done) => serde_json::to_string(done).unwrap_or_default(),
        }
    }

    /// The event `name` with `data`, as [`Event::name`] and [`Event::data`] wrote them.
    #[inline]
    pub fn parse(name: &str, data: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Sources {
            sources: Vec<Source>,
        }
        #[derive(Deserialize)]
        struct Text {
            text: String,
        }
        match name {
            "sources" => serde_json::from_str::<Sources>(data).ok().map(|s| Self::Sources(s.sources)),
            "text" => serde_json::from_str::<Text>(data).ok().map(|t| Self::Text(t.text)),
            "done" => serde_json::from_str(data).ok().map(Self::Done),
            _ => None,
        }
    }

    /// `event: …` and `data: …` lines, ending the event.
    #[inline]
    pub fn to_sse(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.name(), self.data())
    }
}

/// A whole answer, as the page without JavaScript shows it (and as a streaming page builds it
/// up, one event at a time).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub sources: Vec<Source>,
    pub answer: String,
    pub done: Option<Done>,
}

impl Answered {
    #[inline]
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Sources(sources) => self.sources = sources,
            Event::Text(text) => self.answer.push_str(&text),
            Event::Done(done) => {
                if let Some(answer) = &done.answer {
                    self.answer.clone_from(answer);
                }
                self.done = Some(done);
            }
        }
    }
}

/// Askers answered at once by this process or isolate; more get a 429.
#[derive(Debug)]
pub struct Gate {
    active: AtomicUsize,
    limit: usize,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new(8)
    }
}

impl Gate {
    pub fn new(limit: usize) -> Self {
        Self { active: AtomicUsize::new(0), limit }
    }

    /// A place among the askers, held until the ticket drops; a 429 with `Retry-After` when
    /// they are all taken.
    pub fn enter(self: &Arc<Self>) -> Result<Ticket, DomainError> {
        let taken = self.active.fetch_add(1, Ordering::SeqCst);
        let ticket = Ticket(self.clone());
        if taken >= self.limit {
            return Err(DomainError::Crowded { retry_after_secs: 10 });
        }
        Ok(ticket)
    }
}

/// See [`Gate::enter`].
#[derive(Debug)]
pub struct Ticket(Arc<Gate>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

fn ms(since: web_time::Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Answers `question`, handing each [`Event`] to `emit` as it happens. Errors are the
/// database's only: whatever the model does ends in a [`Done`].
pub async fn answer(
    ports: &Ports,
    question: &Question,
    emit: &mut (dyn FnMut(Event) + Send),
) -> Result<(), DomainError> {
    let started = web_time::Instant::now();
    let model = ports.enrich.text_model.clone();
    let key = question.key();
    let finish = |done: Done, emit: &mut (dyn FnMut(Event) + Send)| {
        let mut done = done;
        done.timings.total_ms = ms(started);
        emit(Event::Done(done));
    };

    if let Some(stored) = cache::lookup(ports, &key, &model).await? {
        let mut done = stored.done(ms(started));
        emit(Event::Sources(stored.sources));
        emit(Event::Text(stored.answer));
        done.timings.first_text_ms = Some(ms(started));
        finish(done, emit);
        return Ok(());
    }

    let (sources, degraded) = retrieve(ports, question).await?;
    emit(Event::Sources(sources.clone()));
    let mut done = Done {
        degraded,
        timings: Timings { sources_ms: ms(started), ..Timings::default() },
        ..Done::default()
    };
    if sources.is_empty() {
        emit(Event::Text(prompt::NOT_FOUND.into()));
        done.not_found = true;
        finish(done, emit);
        return Ok(());
    }
    let Some(ai) = ports.ai.clone().filter(|_| !model.is_empty()) else {
        done.unavailable = Some("Answers are unavailable: this site has no text model.".into());
        finish(done, emit);
        return Ok(());
    };

    // One generation per question: whoever claims it answers; the others wait for its answer.
    let deadline = web_time::Instant::now() + WAIT_FOR_MODEL;
    let claim = loop {
        let claim = cache::claim(ports, &key).await?;
        // Checked after the claim too: the asker before may have just stored and released.
        if let Some(stored) = cache::lookup(ports, &key, &model).await? {
            if let Some(claim) = claim {
                claim.release().await;
            }
            if stored.sources != sources {
                emit(Event::Sources(stored.sources.clone()));
            }
            done = Done { timings: done.timings.clone(), ..stored.done(done.timings.sources_ms) };
            emit(Event::Text(stored.answer));
            done.timings.first_text_ms = Some(ms(started));
            finish(done, emit);
            return Ok(());
        }
        if let Some(claim) = claim {
            break claim;
        }
        if web_time::Instant::now() >= deadline {
            done.unavailable =
                Some("Answers are unavailable right now: the model is busy. Try again shortly.".into());
            finish(done, emit);
            return Ok(());
        }
        ports.tasks.sleep(POLL).await;
    };

    match guard::admit(ports, &ports.enrich, guard::Purpose::Ask).await? {
        Ok(()) => {}
        Err(refusal) => {
            done.unavailable = Some(
                match refusal {
                    guard::Refusal::BudgetSpent => {
                        "Answers are unavailable right now: the model's budget is spent. Try again later."
                    }
                    guard::Refusal::BreakerOpen => {
                        "Answers are unavailable right now: the model is failing and resting."
                    }
                }
                .into(),
            );
            claim.release().await;
            finish(done, emit);
            return Ok(());
        }
    }

    let system = prompt::SYSTEM.to_owned();
    let user = prompt::prompt(&question.text, &sources);
    let generated = loop {
        let limit = ports.enrich.timeout;
        let (pieces, mut received) = futures::channel::mpsc::unbounded::<String>();
        let written = AtomicUsize::new(0);
        let generation = {
            let ai = ai.clone();
            let (system, user) = (system.clone(), user.clone());
            async move {
                let send = move |piece: &str| {
                    let _ = pieces.unbounded_send(piece.to_owned());
                };
                ai.generate_streamed(system, user, &send).await
            }
        };
        let forward = async {
            while let Some(piece) = received.next().await {
                written.fetch_add(1, Ordering::SeqCst);
                if done.timings.first_text_ms.is_none() {
                    done.timings.first_text_ms = Some(ms(started));
                }
                emit(Event::Text(piece));
            }
        };
        let answering = async {
            let (result, ()) = futures::join!(generation, forward);
            result
        };
        // The time-out is for silence: a model still writing is given up to four of them.
        let watchdog = async {
            let begun = web_time::Instant::now();
            loop {
                let before = written.load(Ordering::SeqCst);
                ports.tasks.sleep(limit).await;
                if written.load(Ordering::SeqCst) == before || begun.elapsed() >= limit * 4 {
                    break;
                }
            }
        };
        let result = match futures::future::select(std::pin::pin!(answering), std::pin::pin!(watchdog)).await
        {
            futures::future::Either::Left((result, _)) => Some(result),
            futures::future::Either::Right(((), _)) => None,
        };
        match result {
            Some(Err(AiError::Busy(_)))
                if web_time::Instant::now() < deadline && done.timings.first_text_ms.is_none() =>
            {
                ports.tasks.sleep(POLL).await;
            }
            other => break other,
        }
    };

    match generated {
        Some(Ok(answer)) if !answer.trim().is_empty() => {
            guard::succeeded(ports).await?;
            let kept = if prompt::says_not_found(&answer) {
                answer.clone()
            } else {
                let attributed = prompt::attribute(&answer, &sources);
                if attributed.grounded {
                    attributed.text
                } else {
                    prompt::NOT_FOUND.to_owned()
                }
            };
            done.citations = prompt::citations(&kept, sources.len());
            done.not_found = prompt::says_not_found(&kept);
            cache::store(ports, &key, &model, &kept, &sources).await?;
            if kept != answer {
                done.answer = Some(kept);
            }
        }
        failure => {
            let why = match &failure {
                Some(Ok(_)) => "the model wrote nothing".to_owned(),
                Some(Err(err)) => err.to_string(),
                None => "the model took too long".to_owned(),
            };
            tracing::warn!(%why, "ask: no answer");
            // A busy model is not a failing one: the breaker counts failures only, and the call
            // that never ran goes back to the budget.
            if matches!(failure, Some(Err(AiError::Busy(_)))) {
                guard::refund(ports, guard::Purpose::Ask).await?;
            } else {
                guard::failed(ports, &ports.enrich).await?;
            }
            done.unavailable =
                Some("Answers are unavailable right now. The sources below may still help.".into());
        }
    }
    claim.release().await;
    finish(done, emit);
    Ok(())
}

/// [`answer`], collected.
pub async fn answer_whole(ports: &Ports, question: &Question) -> Result<Answered, DomainError> {
    let mut answered = Answered::default();
    answer(ports, question, &mut |event| answered.apply(event)).await?;
    Ok(answered)
}

/// The best passage of each of the [`SOURCES`] best documents, by hybrid search.
async fn retrieve(ports: &Ports, question: &Question) -> Result<(Vec<Source>, bool), DomainError> {
    let results = search::search(
        ports,
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
            Some((hit, prompt::passage(&body.body)))
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
    Ok((sources, results.degraded))
}
