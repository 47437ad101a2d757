//! A document's summary, topics and related documents, as stored. Everything a model wrote
//! reaches the page as text nodes (Leptos escapes them), never as HTML.
//!
//! A page whose items are all fresh renders them on the server and ships no code for them.
//! While an item is missing or being refreshed, the panel is a lazy island that asks the
//! server again with back-off and shows the new item without a reload; without JavaScript
//! the next load shows it.

use domain::enrich::{Enrichment, Freshness, Item, Related};
use leptos::prelude::*;

use crate::api::document_enrichment;

/// What an editor needs to turn a suggested topic into a tag: the document, the version the
/// page shows (a newer save wins: the form gets a conflict) and the tags it has.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tagging {
    pub id: i64,
    pub version: i64,
    pub tags: Vec<String>,
}

#[component]
pub fn EnrichmentPanel(enrichment: Enrichment, slug: String, tagging: Option<Tagging>) -> impl IntoView {
    if !enrichment.available {
        return ().into_any();
    }
    if enrichment.settling {
        view! { <LiveEnrichment enrichment slug tagging /> }.into_any()
    } else {
        view! { <EnrichmentView enrichment tagging /> }.into_any()
    }
}

/// The panel while something is being made: it follows the server until everything is fresh.
#[island(lazy)]
fn LiveEnrichment(enrichment: Enrichment, slug: String, tagging: Option<Tagging>) -> impl IntoView {
    crate::island_live();
    let (state, set_state) = signal(enrichment);
    Effect::new(move || follow(slug.clone(), set_state, 0, 1_500));
    view! { {move || view! { <EnrichmentView enrichment=state.get() tagging=tagging.clone() /> }} }
}

/// Asks again after `delay_ms`, then 1.4× longer each time (at most 15 s apart, about 5
/// minutes in all), until nothing is missing or stale.
fn follow(slug: String, set_state: WriteSignal<Enrichment>, attempt: u32, delay_ms: u64) {
    const ATTEMPTS: u32 = 30;
    if attempt >= ATTEMPTS {
        return;
    }
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                let settled = match document_enrichment(slug.clone()).await {
                    Ok(enrichment) => {
                        let settled = !enrichment.settling;
                        set_state.set(enrichment);
                        settled
                    }
                    Err(_) => false,
                };
                if !settled {
                    follow(slug, set_state, attempt + 1, (delay_ms * 7 / 5).min(15_000));
                }
            });
        },
        std::time::Duration::from_millis(delay_ms),
    );
}

#[component]
fn EnrichmentView(enrichment: Enrichment, tagging: Option<Tagging>) -> impl IntoView {
    let now = enrichment.read_at;
    let summary = (!enrichment.summary_hidden).then(|| {
        let Item { value, freshness, made_at } = enrichment.summary;
        match value {
            Some(text) => view! {
                <p class="enrichment__summary" data-testid="summary" data-freshness=freshness_name(freshness)>
                    {text}
                </p>
                {refreshing(freshness, made_at, now, "summary-refreshing")}
            }
            .into_any(),
            None => view! {
                <p class="enrichment__pending muted" data-testid="summary-placeholder">
                    "A summary is being written…"
                </p>
            }
            .into_any(),
        }
    });
    let topics = enrichment.topics.value.filter(|t| !t.is_empty()).map(|topics| {
        view! {
            // A <div>, not a <p>: an editor's topics are forms, and a <form> closes an open <p>
            // (the browser's tree would no longer be the one the island hydrates).
            <div class="enrichment__topics" data-testid="topics">
                <span class="muted">"Topics: "</span>
                {topics.into_iter().map(|t| match tagging.as_ref().filter(|g| !g.tags.contains(&t)) {
                    // Editors: one click makes it a tag (a plain form: works without JS).
                    Some(g) => view! {
                        <form class="topic-form" method="post" action="/api/tag-document">
                            <input type="hidden" name="id" value=g.id />
                            <input type="hidden" name="base_version" value=g.version />
                            <input type="hidden" name="tag" value=t.clone() />
                            <button type="submit" class="topic topic--add" data-testid="topic-add"
                                title=format!("Add #{t} to this document's tags")>{format!("+ {t}")}</button>
                        </form>
                    }.into_any(),
                    None => view! { <span class="topic" data-testid="topic">{t}</span> }.into_any(),
                }).collect_view()}
            </div>
        }
    });
    let related = related_view(enrichment.related, now);
    view! {
        <aside class="enrichment" data-testid="enrichment" aria-label="About this document">
            <p class="enrichment__label">"About this document · written by AI"</p>
            {summary}
            {topics}
            {related}
        </aside>
    }
}

fn related_view(related: Item<Vec<Related>>, now: i64) -> Option<impl IntoView> {
    let Item { value, freshness, made_at } = related;
    let list = value.filter(|list| !list.is_empty())?;
    Some(view! {
        <nav class="enrichment__related" data-testid="related" aria-label="Related documents">
            <span class="muted">"Related: "</span>
            // The separator sits between the links, outside their underline.
            {list.into_iter().enumerate().map(|(i, r)| view! {
                {(i > 0).then(|| view! { <span class="muted" aria-hidden="true">"·"</span> })}
                <a class="related" data-testid="related-doc" href=format!("/docs/{}", r.slug)>{r.title}</a>
            }).collect_view()}
            {refreshing(freshness, made_at, now, "related-refreshing")}
        </nav>
    })
}

/// "updated 3 min ago · refreshing" beside a stale item.
fn refreshing(freshness: Freshness, made_at: Option<i64>, now: i64, testid: &'static str) -> impl IntoView {
    (freshness == Freshness::Stale).then(|| {
        let age = made_at.map_or_else(String::new, |made| format!("updated {} · ", ago(now - made)));
        view! { <span class="enrichment__stale muted" data-testid=testid>{age} "refreshing"</span> }
    })
}

fn ago(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 60 => "just now".into(),
        s if s < 3_600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3_600),
        s => format!("{} days ago", s / 86_400),
    }
}

fn freshness_name(freshness: Freshness) -> &'static str {
    match freshness {
        Freshness::Fresh => "fresh",
        Freshness::Stale => "stale",
        Freshness::Missing => "missing",
    }
}
