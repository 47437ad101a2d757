//! The model writing an answer: streamed to the asker piece by piece under a watchdog, then
//! kept only if the passages support it.

use futures::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{cache, ms, prompt, Done, Emit, Event, Source, POLL};
use crate::error::{AiError, DomainError};
use crate::model_guard as guard;
use crate::site::Site;

/// Streams the model's answer to `user` as [`Event::Text`] pieces. A busy model is asked again
/// until `deadline` while nothing was written; `None` when the model went silent too long.
pub(super) async fn stream(
    site: &Site,
    ai: &dyn crate::Ai,
    user: &str,
    deadline: web_time::Instant,
    started: web_time::Instant,
    done: &mut Done,
    emit: Emit<'_>,
) -> Option<Result<String, AiError>> {
    let ports = &site.ports;
    let system = prompt::SYSTEM.to_owned();
    loop {
        let limit = site.enrich.timeout;
        let (pieces, mut received) = futures::channel::mpsc::unbounded::<String>();
        let written = AtomicUsize::new(0);
        let generation = {
            let (system, user) = (system.clone(), user.to_owned());
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
            Some(Err(AiError::Busy(why)))
                if web_time::Instant::now() < deadline && done.timings.first_text_ms.is_none() =>
            {
                tracing::debug!(ms = ms(started), %why, "ask: the model is busy; asking again");
                ports.tasks.sleep(POLL).await;
            }
            other => break other,
        }
    }
}

/// What the answer becomes: grounded, cited and stored, or a notice beside the sources (and
/// the budget and breaker told which).
pub(super) async fn conclude(
    site: &Site,
    generated: Option<Result<String, AiError>>,
    sources: &[Source],
    quick: &super::Quick,
    key: &str,
    model: &str,
    done: &mut Done,
) -> Result<(), DomainError> {
    let ports = &site.ports;
    match generated {
        Some(Ok(answer)) if !answer.trim().is_empty() => {
            guard::succeeded(ports).await?;
            let grounded = if prompt::says_not_found(&answer) {
                None
            } else {
                Some(prompt::attribute(&answer, sources)).filter(|a| a.grounded).map(|a| a.text)
            };
            // Nothing the model said holds up, or it found nothing: where the passages' own
            // sentences answer (the quick answer, shown already), they are the answer; "not
            // found" under them would contradict the page.
            let kept = match grounded {
                Some(text) => text,
                None if !quick.sentences.is_empty() => {
                    done.quoted = true;
                    quick.as_answer()
                }
                None if prompt::says_not_found(&answer) => answer.clone(),
                None => prompt::NOT_FOUND.to_owned(),
            };
            done.citations = prompt::citations(&kept, sources.len());
            done.not_found = prompt::says_not_found(&kept);
            cache::store(ports, key, model, &kept, sources).await?;
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
                guard::failed(ports, &site.enrich).await?;
            }
            done.unavailable =
                Some("Answers are unavailable right now. The sources below may still help.".into());
        }
    }
    Ok(())
}
