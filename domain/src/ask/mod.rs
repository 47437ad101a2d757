//! Ask: a reader's question answered from the documents, with numbered citations. The
//! passages come from hybrid search and are sent first; then the answer as the model writes
//! it (after a quick answer: the passages' own sentences that best answer it); then what it
//! cited and how long each part took. The same question with the same filters
//! is answered from storage while every passage it was built from is unchanged, and
//! identical questions asked at once share one generation (a claim in the database).
//!
//! The model never blocks a page: only the person who asked waits, and a model that is down,
//! slow, busy or over budget leaves them the sources and a notice, never an error.

pub mod cache;
mod events;
pub mod followup;
mod gate;
mod generate;
pub mod prompt;
mod question;
pub mod quick;
pub mod render;
mod retrieve;

pub use events::{Answered, Done, Event, Searched, Source, Timings};
pub use gate::{Gate, Ticket};
pub use question::{admit, Params, Question};
pub use quick::Quick;

use std::time::Duration;

use crate::error::DomainError;
use crate::model_guard as guard;
use crate::ports::Ports;
use crate::site::Site;

/// Longest question, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Passages the model reads.
pub const SOURCES: usize = 4;
/// How long an asker waits for the model to be free (another answer, enrichment) or for an
/// identical question's answer before being told answers are unavailable.
const WAIT_FOR_MODEL: Duration = Duration::from_secs(45);
const POLL: Duration = Duration::from_millis(300);

type Emit<'a> = &'a mut (dyn FnMut(Event) + Send);

fn ms(since: web_time::Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Answers `question`, handing each [`Event`] to `emit` as it happens. Errors are the
/// database's only: whatever the model does ends in a [`Done`]. A follow-up is first made to
/// stand alone and what is searched for is sent ([`Event::Searched`]); from there on that
/// question is the one answered, stored and recorded. An answer that ended is recorded for
/// insights after the response (the question, and whether it was "not found").
pub async fn answer(site: &Site, question: &Question, emit: Emit<'_>) -> Result<(), DomainError> {
    let started = web_time::Instant::now();
    let (question, by) = followup::standalone(site, question).await;
    let question = &question;
    if let Some(by) = by {
        emit(Event::Searched(Searched {
            text: question.text.clone(),
            by_model: by == followup::By::Model,
            ms: ms(started),
        }));
    }
    let mut not_found = None;
    answer_events(site, question, &mut |event| {
        if let Event::Done(done) = &event {
            not_found = Some(done.not_found);
        }
        emit(event);
    })
    .await?;
    if let Some(not_found) = not_found {
        crate::insights::record_question_later(site, question, not_found);
    }
    Ok(())
}

async fn answer_events(site: &Site, question: &Question, emit: Emit<'_>) -> Result<(), DomainError> {
    let ports = &site.ports;
    let started = web_time::Instant::now();
    let model = site.enrich.text_model.clone();
    let key = question.key();
    let finish = |mut done: Done, emit: Emit<'_>| {
        done.timings.total_ms = ms(started);
        emit(Event::Done(done));
    };

    if let Some(stored) = cache::lookup(ports, &key, &model, &question.text).await? {
        let mut done = stored.done(ms(started));
        let quick = quick::quick(site, &question.text, &stored.sources).await;
        done.quoted = quoted(&quick, &stored.answer);
        emit(Event::Sources(stored.sources));
        send_quick(quick, &mut done, started, emit);
        emit(Event::Text(stored.answer));
        done.timings.first_text_ms = Some(ms(started));
        finish(done, emit);
        return Ok(());
    }

    let retrieved = retrieve::retrieve(site, question).await?;
    let sources = retrieved.sources.clone();
    emit(Event::Sources(sources.clone()));
    let mut done = Done {
        degraded: retrieved.degraded,
        timings: Timings { sources_ms: ms(started), ..Timings::default() },
        ..Done::default()
    };
    // Nothing near enough to answer from: "not found" at once, no model, no budget. The
    // sources stay, offered as where to look.
    if sources.is_empty() || retrieved.below_bar(site.search.ask_min_similarity) {
        done.timings.first_text_ms = Some(ms(started));
        emit(Event::Text(prompt::NOT_FOUND.into()));
        done.not_found = true;
        finish(done, emit);
        return Ok(());
    }
    // The passages' own best sentences, before the model writes (and without one).
    let quick = quick::quick(site, &question.text, &sources).await;
    send_quick(quick.clone(), &mut done, started, emit);
    let Some(ai) = ports.ai.clone().filter(|_| !model.is_empty()) else {
        done.unavailable = Some("Answers are unavailable: this site has no text model.".into());
        finish(done, emit);
        return Ok(());
    };

    // One generation per question: whoever claims it answers; the others wait for its answer.
    let deadline = web_time::Instant::now() + WAIT_FOR_MODEL;
    let claim = match claim_or_stored(ports, &key, &model, &question.text, deadline).await? {
        Claimed::Mine(claim) => {
            tracing::debug!(ms = ms(started), "ask: claimed");
            claim
        }
        Claimed::Stored(stored) => {
            if stored.sources != sources {
                emit(Event::Sources(stored.sources.clone()));
            }
            done = Done { timings: done.timings.clone(), ..stored.done(done.timings.sources_ms) };
            done.quoted = quoted(&quick, &stored.answer);
            emit(Event::Text(stored.answer));
            done.timings.first_text_ms = Some(ms(started));
            finish(done, emit);
            return Ok(());
        }
        Claimed::Busy => {
            done.unavailable =
                Some("Answers are unavailable right now: the model is busy. Try again shortly.".into());
            finish(done, emit);
            return Ok(());
        }
    };

    if let Err(refusal) = guard::admit(ports, &site.enrich, guard::Purpose::Ask).await? {
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

    tracing::debug!(ms = ms(started), "ask: admitted");
    let user = prompt::prompt(&question.text, &sources);
    let generated = generate::stream(site, ai.as_ref(), &user, deadline, started, &mut done, emit).await;
    generate::conclude(site, generated, &sources, &quick, &key, &model, &mut done).await?;
    claim.release().await;
    finish(done, emit);
    Ok(())
}

/// A stored answer is the quick answer quoted (see [`Done::quoted`]).
fn quoted(quick: &Quick, answer: &str) -> bool {
    !quick.sentences.is_empty() && answer == quick.as_answer()
}

/// Sends the quick answer, if there is one.
fn send_quick(quick: quick::Quick, done: &mut Done, started: web_time::Instant, emit: Emit<'_>) {
    if !quick.sentences.is_empty() {
        done.timings.quick_ms = Some(ms(started));
        emit(Event::Quick(quick));
    }
}

/// [`answer`], collected.
pub async fn answer_whole(site: &Site, question: &Question) -> Result<Answered, DomainError> {
    let mut answered = Answered::default();
    answer(site, question, &mut |event| answered.apply(event)).await?;
    Ok(answered)
}

enum Claimed {
    /// This asker answers.
    Mine(cache::Claim),
    /// Another asker's answer arrived meanwhile.
    Stored(cache::Stored),
    /// Another asker held the question until the deadline.
    Busy,
}

/// The claim on `key`, or the answer whoever holds it stored, waiting until `deadline`.
async fn claim_or_stored(
    ports: &Ports,
    key: &str,
    model: &str,
    question: &str,
    deadline: web_time::Instant,
) -> Result<Claimed, DomainError> {
    loop {
        let claim = cache::claim(ports, key).await?;
        // Checked after the claim too: the asker before may have just stored and released.
        if let Some(stored) = cache::lookup(ports, key, model, question).await? {
            if let Some(claim) = claim {
                claim.release().await;
            }
            return Ok(Claimed::Stored(stored));
        }
        if let Some(claim) = claim {
            return Ok(Claimed::Mine(claim));
        }
        if web_time::Instant::now() >= deadline {
            return Ok(Claimed::Busy);
        }
        ports.tasks.sleep(POLL).await;
    }
}
