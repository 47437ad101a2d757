//! `/ask?q=`: a question answered from the documents with citations. Without JavaScript the
//! form is a GET and the page arrives with the sources and the whole answer (only the person
//! who asked waits for it). With JavaScript the panel is a lazy island: it posts to
//! `/api/ask` and shows the sources at once, then the answer as the model writes it; Stop
//! aborts the request, which stops the generation on the server.
//!
//! A conversation: under an answer, a follow-up box asks the next question with the earlier
//! ones (`prev`, in the URL too, so a reload or a shared link keeps the thread). The server
//! makes a follow-up stand alone and the page shows what was searched for. Without JavaScript
//! the follow-up box is a form whose hidden fields carry the thread.

use domain::ask::{Answered, Params};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{ask_question, browse_facets, feedback_open};
use crate::components::answer::{AnswerFeedback, AnswerView};
use crate::components::error_box::ErrorBox;
use crate::escape::PageTitle;

#[component]
pub fn AskPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        Params {
            question: q.get("q").unwrap_or_default(),
            folder: q.get("folder"),
            tag: q.get("tag"),
            thread: q.get_all("prev").unwrap_or_default(),
        }
    };
    let answered = Resource::new(params, |p| async move {
        if p.question.trim().is_empty() {
            return Ok(None);
        }
        ask_question(p).await.map(Some)
    });
    let facets = Resource::new(|| (), |()| browse_facets());
    let feedback = Resource::new(|| (), |()| feedback_open());
    view! {
        <section class="ask-page">
            <h1>"Ask"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Answering…"</p> }>
                {move || Suspend::new(async move {
                    let p = params();
                    let browse = facets.await.unwrap_or_default();
                    let feedback = feedback.await.unwrap_or(false);
                    let result = answered.await;
                    let title = if p.question.trim().is_empty() {
                        "Ask — Folio".to_owned()
                    } else {
                        format!("{} — ask — Folio", p.question)
                    };
                    let (initial, error) = match result {
                        Ok(initial) => (initial, None),
                        Err(err) => (None, Some(err)),
                    };
                    view! {
                        <PageTitle text=title />
                        <AskPanel
                            question=p.question
                            folder=p.folder.unwrap_or_default()
                            tag=p.tag.unwrap_or_default()
                            thread=p.thread
                            folders=browse.folders.into_iter().map(|f| f.name).collect()
                            tags=browse.tags.into_iter().map(|t| t.name).collect()
                            initial
                            feedback
                        />
                        {error.map(|err| view! { <ErrorBox err /> })}
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The form and the answer. Server-rendered with the whole answer when the page was asked
/// for one; in the browser it streams the next. `thread` holds the earlier questions of the
/// conversation, oldest first.
#[island(lazy)]
#[allow(clippy::too_many_arguments)] // an island's props are its arguments
fn AskPanel(
    question: String,
    folder: String,
    tag: String,
    thread: Vec<String>,
    folders: Vec<String>,
    tags: Vec<String>,
    initial: Option<Answered>,
    feedback: bool,
) -> impl IntoView {
    crate::island_live();
    // The question the answer below answers (a 👍/👎 names it), not what the box holds now.
    let asked = RwSignal::new(Params {
        question: question.clone(),
        folder: Some(folder.clone()),
        tag: Some(tag.clone()),
        thread: thread.clone(),
    });
    // Earlier turns: their questions, and their answers when they were asked on this page.
    let earlier =
        RwSignal::new(thread.into_iter().map(|q| (q, None)).collect::<Vec<(String, Option<Answered>)>>());
    let text = RwSignal::new(question);
    let next = RwSignal::new(String::new());
    let folder = RwSignal::new(folder);
    let tag = RwSignal::new(tag);
    let answered = RwSignal::new(initial);
    let asking = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let request = live::Request::default();
    let ask = move |question: String, thread: Vec<String>| {
        let params =
            Params { question, folder: Some(folder.get_untracked()), tag: Some(tag.get_untracked()), thread };
        asked.set(params.clone());
        request.start(params, answered, asking, failure);
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        earlier.set(Vec::new());
        ask(text.get_untracked(), Vec::new());
    };
    // The answered question joins the thread (the oldest turn leaves it) and the next is asked.
    let on_follow_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let question = next.get_untracked().trim().to_owned();
        if question.is_empty() {
            return;
        }
        let before = asked.get_untracked().question;
        earlier.update(|turns| {
            turns.push((before, answered.get_untracked()));
            let over = turns.len().saturating_sub(domain::ask::followup::THREAD);
            turns.drain(..over);
        });
        text.set(String::new());
        next.set(String::new());
        ask(question, earlier.with_untracked(|turns| turns.iter().map(|(q, _)| q.clone()).collect()));
    };
    let stop = move |_| request.stop(asking);
    view! {
        <form class="ask-form" method="get" action="/ask" on:submit=on_submit data-testid="ask-form">
            <input type="text" name="q" class="ask-form__question" maxlength=domain::ask::MAX_QUESTION_CHARS.to_string()
                placeholder="Ask a question in your own words" aria-label="Your question" required=true
                value=text.get_untracked() prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                data-testid="ask-input" />
            <select name="folder" aria-label="Folder" on:change=move |ev| folder.set(event_target_value(&ev))>
                <option value="">"All folders"</option>
                {folders.into_iter().map(|f| {
                    let selected = folder.get_untracked() == f;
                    view! { <option value=f.clone() selected=selected>{f.clone()}</option> }
                }).collect_view()}
            </select>
            <select name="tag" aria-label="Tag" on:change=move |ev| tag.set(event_target_value(&ev))>
                <option value="">"All tags"</option>
                {tags.into_iter().map(|t| {
                    let selected = tag.get_untracked() == t;
                    view! { <option value=t.clone() selected=selected>{format!("#{t}")}</option> }
                }).collect_view()}
            </select>
            <button type="submit" class="button" disabled=move || asking.get() data-testid="ask-submit">"Ask"</button>
            <Show when=move || asking.get()>
                <button type="button" class="button button--quiet" on:click=stop data-testid="ask-stop">"Stop"</button>
            </Show>
        </form>
        <p class="muted ask-hint">
            "Answers come from the documents only, with numbered sources. " <a href="/search">"Search instead"</a>
        </p>
        {move || failure.get().map(|why| view! { <p class="notice notice--error" role="alert" data-testid="ask-error">{why}</p> })}
        {move || {
            let turns = earlier.get();
            (!turns.is_empty()).then(|| view! { <Thread turns /> })
        }}
        {move || {
            let current = asked.with(|a| (!a.thread.is_empty()).then(|| a.question.clone()))?;
            let searched = answered.with(|a| a.as_ref().and_then(|a| a.searched.clone()));
            Some(view! {
                <h2 class="ask-turn__question" data-testid="ask-current">{current}</h2>
                {searched.map(|s| view! {
                    <p class="muted ask-searched" data-testid="ask-searched">
                        "Searched for: " <q>{s.text}</q>
                    </p>
                })}
            })
        }}
        {move || answered.get().map(|a| view! { <AnswerView answered=a asking=asking.get() /> })}
        // Once the answer has ended, and only for an answer (not a notice that there is none).
        {move || {
            let a = answered.get().filter(|a| {
                feedback && !asking.get() && !a.answer.trim().is_empty()
                    && a.done.as_ref().is_some_and(|d| d.unavailable.is_none())
            })?;
            // A vote names the question that was answered: a follow-up's standalone one.
            let mut question = asked.get_untracked();
            if let Some(searched) = &a.searched {
                question.question.clone_from(&searched.text);
            }
            question.thread.clear();
            Some(view! { <AnswerFeedback question answered=a /> })
        }}
        {move || {
            // After an answer ended, or was stopped.
            let ended = !asking.get() && answered.with(|a| a.as_ref().is_some_and(|a| !a.sources.is_empty() || a.done.is_some()));
            ended.then(|| {
                let Params { question, folder, tag, thread } = asked.get_untracked();
                let mut prev = thread;
                prev.push(question);
                prev.drain(..prev.len().saturating_sub(domain::ask::followup::THREAD));
                view! {
                    <form class="ask-form ask-followup" method="get" action="/ask" on:submit=on_follow_up
                        data-testid="ask-followup-form">
                        {prev.into_iter().map(|q| view! { <input type="hidden" name="prev" value=q /> }).collect_view()}
                        <input type="hidden" name="folder" value=folder.unwrap_or_default() />
                        <input type="hidden" name="tag" value=tag.unwrap_or_default() />
                        <input type="text" name="q" class="ask-form__question" required=true
                            maxlength=domain::ask::MAX_QUESTION_CHARS.to_string()
                            placeholder="Ask a follow-up" aria-label="Your follow-up question"
                            prop:value=move || next.get() on:input=move |ev| next.set(event_target_value(&ev))
                            data-testid="ask-followup" />
                        <button type="submit" class="button" data-testid="ask-followup-submit">"Ask"</button>
                        <a class="button button--quiet" href="/ask">"New question"</a>
                    </form>
                }
            })
        }}
    }
}

/// The conversation's earlier turns: each question, its answer when it was given on this page
/// (folded), else a link that asks it again with the turns before it.
#[component]
fn Thread(turns: Vec<(String, Option<Answered>)>) -> impl IntoView {
    let questions: Vec<String> = turns.iter().map(|(q, _)| q.clone()).collect();
    view! {
        <ol class="ask-thread" aria-label="Earlier in this conversation" data-testid="ask-thread">
            {turns.into_iter().enumerate().map(|(i, (question, answered))| {
                let again = questions[..i].iter().fold(
                    format!("/ask?q={}", crate::escape::query_value(&question)),
                    |url, q| format!("{url}&prev={}", crate::escape::query_value(q)),
                );
                view! {
                    <li class="ask-thread__turn" data-testid="ask-turn">
                        {match answered.filter(|a| !a.answer.is_empty()) {
                            Some(a) => view! {
                                <details>
                                    <summary class="ask-thread__question">{question}</summary>
                                    <AnswerView answered=a />
                                </details>
                            }.into_any(),
                            None => view! {
                                <a class="ask-thread__question" href=again>{question}</a>
                            }.into_any(),
                        }}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// The streaming request, in the browser only (the server renders the page whole).
mod live {
    use domain::ask::Answered;
    use leptos::prelude::*;

    #[cfg(feature = "hydrate")]
    use std::{cell::RefCell, rc::Rc};

    /// The request in flight, if any (kept in the reactive arena: a `Copy` handle).
    #[derive(Clone, Copy)]
    pub struct Request {
        #[cfg(feature = "hydrate")]
        xhr: StoredValue<Option<web_sys::XmlHttpRequest>, LocalStorage>,
    }

    // Derivable only where the request holds nothing (the server build).
    #[cfg_attr(not(feature = "hydrate"), allow(clippy::derivable_impls))]
    impl Default for Request {
        fn default() -> Self {
            Self {
                #[cfg(feature = "hydrate")]
                xhr: StoredValue::new_local(None),
            }
        }
    }

    impl Request {
        /// Posts the question; each complete server-sent event updates `answered`.
        #[cfg_attr(not(feature = "hydrate"), allow(unused_variables, clippy::unused_self))]
        pub fn start(
            &self,
            params: domain::ask::Params,
            answered: RwSignal<Option<Answered>>,
            asking: RwSignal<bool>,
            failure: RwSignal<Option<String>>,
        ) {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::closure::Closure;
                use wasm_bindgen::JsCast;
                use web_sys::XmlHttpRequest;

                self.stop(asking);
                failure.set(None);
                let Ok(xhr) = XmlHttpRequest::new() else {
                    failure.set(Some("This browser cannot ask.".into()));
                    return;
                };
                let body = serde_json::to_string(&params).unwrap_or_default();
                if xhr.open("POST", "/api/ask").is_err()
                    || xhr.set_request_header("content-type", "application/json").is_err()
                {
                    failure.set(Some("This browser cannot ask.".into()));
                    return;
                }
                answered.set(Some(Answered::default()));
                asking.set(true);
                remember_in_url(&params);
                // How much of the response text has been read into events.
                let read = Rc::new(RefCell::new(0usize));
                let on_progress = {
                    let (xhr, read) = (xhr.clone(), read.clone());
                    move || {
                        if xhr.status().unwrap_or(0) != 200 {
                            return;
                        }
                        let text = xhr.response_text().ok().flatten().unwrap_or_default();
                        let mut at = read.borrow_mut();
                        while let Some(end) = text[*at..].find("\n\n") {
                            if let Some(event) = parse_event(&text[*at..*at + end]) {
                                answered.update(|a| a.get_or_insert_with(Answered::default).apply(event));
                            }
                            *at += end + 2;
                        }
                    }
                };
                let progress = Closure::<dyn FnMut()>::new(on_progress.clone());
                xhr.set_onprogress(Some(progress.as_ref().unchecked_ref()));
                progress.forget();
                let on_load = {
                    let xhr = xhr.clone();
                    Closure::<dyn FnMut()>::new(move || {
                        on_progress();
                        asking.set(false);
                        let status = xhr.status().unwrap_or(0);
                        if status != 200 {
                            let body = xhr.response_text().ok().flatten().unwrap_or_default();
                            let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                            answered.set(None);
                            failure.set(Some(crate::error::rest_failure(status, &json)));
                        }
                    })
                };
                xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
                on_load.forget();
                let on_error = Closure::<dyn FnMut()>::new(move || {
                    asking.set(false);
                    failure.set(Some("The connection was lost before the answer ended.".into()));
                });
                xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
                on_error.forget();
                if xhr.send_with_opt_str(Some(&body)).is_err() {
                    asking.set(false);
                    failure.set(Some("The question could not be sent.".into()));
                    return;
                }
                self.xhr.set_value(Some(xhr));
            }
        }

        /// Aborts the request in flight: the server sees the reader leave and stops writing.
        #[cfg_attr(not(feature = "hydrate"), allow(clippy::unused_self))]
        pub fn stop(&self, asking: RwSignal<bool>) {
            #[cfg(feature = "hydrate")]
            if let Some(xhr) = self.xhr.try_update_value(Option::take).flatten() {
                let _ = xhr.abort();
            }
            asking.set(false);
        }
    }

    #[cfg(feature = "hydrate")]
    fn parse_event(block: &str) -> Option<domain::ask::Event> {
        let (mut name, mut data) = ("", String::new());
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = n.trim();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
        domain::ask::Event::parse(name, &data)
    }

    /// The page's URL becomes the question's, so a reload or a shared link asks it again.
    #[cfg(feature = "hydrate")]
    fn remember_in_url(params: &domain::ask::Params) {
        let mut url = format!("/ask?q={}", js_sys::encode_uri_component(&params.question));
        let filters = [("folder", params.folder.as_deref()), ("tag", params.tag.as_deref())];
        let thread = params.thread.iter().map(|q| ("prev", Some(q.as_str())));
        for (key, value) in filters.into_iter().chain(thread) {
            let value = value.unwrap_or_default();
            if !value.is_empty() {
                url.push_str(&format!("&{key}={}", js_sys::encode_uri_component(value)));
            }
        }
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}
