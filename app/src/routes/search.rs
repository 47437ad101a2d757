//! `/search?q=`: the full results page. A plain GET form, so it works without JavaScript;
//! filters by folder and tag, says how many and how long, what was corrected, and when
//! semantic results were unavailable.

use domain::search::{Hit, Mode, Params, Results};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{browse_facets, search};
use crate::components::error_box::ErrorBox;
use crate::escape::PageTitle;

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        Params {
            q: q.get("q").unwrap_or_default(),
            mode: q.get("mode"),
            limit: q.get("limit"),
            folder: q.get("folder"),
            tag: q.get("tag"),
            after: q.get("after"),
            ratio: q.get("ratio"),
            fusion: q.get("fusion"),
            rerank: q.get("rerank"),
            live: false,
        }
    };
    let found = Resource::new(params, |p| async move {
        if p.q.trim().is_empty() {
            return Ok(None);
        }
        search(p).await.map(Some)
    });
    let facets = Resource::new(|| (), |()| browse_facets());
    view! {
        <section class="search-page">
            <h1>"Search"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    let p = params();
                    let browse = facets.await.unwrap_or_default();
                    let results = found.await;
                    let title = if p.q.trim().is_empty() {
                        "Search — Folio".to_owned()
                    } else {
                        format!("{} — search — Folio", p.q)
                    };
                    view! {
                        <PageTitle text=title />
                        <form class="search-form" method="get" action="/search" role="search" data-testid="search-form">
                            <input type="search" name="q" value=p.q.clone() placeholder="Words, names, or a question"
                                aria-label="Search the documents" data-testid="search-page-input" />
                            <select name="folder" aria-label="Folder" data-testid="search-folder">
                                <option value="">"All folders"</option>
                                {browse.folders.into_iter().map(|f| {
                                    let selected = p.folder.as_deref() == Some(f.name.as_str());
                                    let label = f.name.clone();
                                    view! { <option value=f.name selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                            <select name="tag" aria-label="Tag" data-testid="search-tag">
                                <option value="">"All tags"</option>
                                {browse.tags.iter().cloned().map(|t| {
                                    let selected = p.tag.as_deref() == Some(t.name.as_str());
                                    let label = format!("#{}", t.name);
                                    view! { <option value=t.name selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                            <button type="submit" class="button">"Search"</button>
                        </form>
                        {match results {
                            Ok(None) => view! {
                                <p class="muted" data-testid="search-hint">
                                    "Type words or names to find them, or ask a question in your own words."
                                </p>
                            }.into_any(),
                            Ok(Some(results)) => view! { <ResultList results tags=browse.tags /> }.into_any(),
                            Err(err) => view! { <ErrorBox err /> }.into_any(),
                        }}
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ResultList(results: Results, tags: Vec<domain::documents::model::Facet>) -> impl IntoView {
    let count = results.results.len();
    let summary = format!(
        "{count} {} · {} ms{}",
        if count == 1 { "result" } else { "results" },
        results.took_ms,
        match results.mode {
            Mode::Hybrid => "",
            Mode::Keyword => " · keywords only",
            Mode::Semantic => " · by meaning",
        }
    );
    view! {
        {results.degraded.then(|| view! {
            <p class="notice" role="status" data-testid="search-degraded">
                "Semantic results are unavailable right now: these match your words only."
            </p>
        })}
        {results.corrected.clone().map(|fixed| view! {
            <p class="notice" data-testid="search-corrected">
                "No results for “" {results.query.clone()} "”. Showing results for “" <strong>{fixed}</strong> "”."
            </p>
        })}
        <p class="search-summary muted" data-testid="search-summary">{summary}</p>
        {if count == 0 {
            view! {
                <div class="search-empty" data-testid="search-empty">
                    <p>"Nothing matches “" {results.query.clone()} "”."</p>
                    <ul>
                        <li>"Try fewer words, or other words for the same thing."</li>
                        <li>"Check the spelling, or remove a folder or tag filter."</li>
                    </ul>
                    {(!tags.is_empty()).then(|| view! {
                        <p class="chips">
                            "Or browse a tag: "
                            {tags.into_iter().take(8).map(|t| view! {
                                <a class="chip" href=format!("/tags/{}", t.name)>{format!("#{}", t.name)}</a>
                            }).collect_view()}
                        </p>
                    })}
                </div>
            }.into_any()
        } else {
            let ping = domain::insights::click_url(&results.query);
            view! {
                <ol class="search-results" data-testid="search-results">
                    {results.results.into_iter().map(|hit| view! { <ResultItem hit ping=ping.clone() /> }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}

/// One result. `ping` is where its link reports being opened (insights' click-through).
#[component]
pub fn ResultItem(hit: Hit, ping: String) -> impl IntoView {
    view! {
        <li class="search-result" data-testid="search-result">
            <a class="search-result__title" href=hit.url.clone() ping=ping data-testid="search-result-link">{hit.title}</a>
            {(!hit.heading.is_empty()).then(|| view! { <span class="search-result__heading">{hit.heading}</span> })}
            // Built by the domain from escaped text: only <mark> is markup.
            <p class="search-result__snippet" inner_html=hit.snippet_html></p>
        </li>
    }
}
