//! The search box in every page's header. Without JavaScript it is a GET form to `/search`.
//! Hydrated (a lazy island: its wasm loads apart from the page's), results appear under it as
//! the reader types ([`LiveSearch`]). ↑/↓ move, Enter
//! opens the highlighted result (the first, unless moved), Esc closes the list (a second Esc
//! clears the text). `Ctrl-K` / `⌘K` or `/` anywhere opens the search dialog instead
//! ([`super::search_dialog`], loaded then).

use domain::search::{Hit, Results};

use super::live_search::{encode, LiveSearch};
use leptos::prelude::*;

#[island(lazy)]
pub fn SearchBox() -> impl IntoView {
    crate::island_live();
    // Every page has this island: it listens for the keys that open the search dialog, whose
    // own code loads on first use.
    #[cfg(feature = "hydrate")]
    crate::components::search_dialog::listen_for_shortcut();
    let (found, set_found) = signal(None::<Results>);
    let (active, set_active) = signal(0_usize);
    let (open, set_open) = signal(false);
    let text = RwSignal::new(String::new());
    let live = LiveSearch::new("8");
    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        text.set(q.clone());
        live.typed(q, move |results| {
            set_active.set(0);
            set_open.set(results.is_some());
            set_found.set(results);
        });
    };
    let hits = move || found.with(|f| f.as_ref().map(|r| r.results.clone()).unwrap_or_default());
    // The list's last row is "all results": one past the hits.
    let rows = move || hits().len() + 1;
    let all_results = move || format!("/search?q={}", encode(&text.get()));
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if !open.get() {
            return;
        }
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                set_active.update(|a| *a = (*a + 1) % rows());
            }
            "ArrowUp" => {
                ev.prevent_default();
                set_active.update(|a| *a = (*a + rows() - 1) % rows());
            }
            "Enter" => {
                ev.prevent_default();
                let url = hits().get(active.get()).map_or_else(all_results, |h| h.url.clone());
                let _ = window().location().set_href(&url);
            }
            // The first Esc closes the list and keeps the text (a search input's default would
            // clear it); with the list closed, Esc clears as usual.
            "Escape" => {
                ev.prevent_default();
                set_open.set(false);
            }
            _ => {}
        }
    };
    // Leaving the box closes the list, after a moment so a click on a result still lands.
    let on_blur = move |_| {
        set_timeout(move || set_open.set(false), std::time::Duration::from_millis(200));
    };
    let option_id = |i: usize| format!("search-box-option-{i}");
    // One closure renders the whole list: fewer reactive pieces, a smaller island.
    let list = move || {
        if !open.get() {
            return None;
        }
        let results = found.get()?;
        let active = active.get();
        let count = results.results.len();
        let row = |i: usize| {
            let selected = i == active;
            (
                option_id(i),
                if selected { "search-box__item search-box__item--active" } else { "search-box__item" },
                selected.to_string(),
            )
        };
        let (all_id, all_class, all_selected) = row(count);
        Some(view! {
            <ul class="search-box__list" id="search-box-list" role="listbox" data-testid="search-suggestions">
                {results.degraded.then(|| view! {
                    <li class="search-box__notice" role="presentation" data-testid="search-box-degraded">
                        "Semantic results unavailable: matching words only."
                    </li>
                })}
                {(count == 0).then(|| view! { <li class="search-box__notice" role="presentation">"No matches yet."</li> })}
                {results.results.into_iter().enumerate().map(|(i, hit)| {
                    let (id, class, selected) = row(i);
                    suggestion(hit, id, class, selected)
                }).collect_view()}
                <li role="option" id=all_id class=all_class aria-selected=all_selected>
                    <a href=all_results() data-testid="search-all">"All results"</a>
                </li>
            </ul>
        })
    };
    view! {
        <div class="search-box" data-testid="search-box">
            <form method="get" action="/search" role="search">
                <input type="search" name="q" autocomplete="off" placeholder="Search"
                    aria-label="Search the documents" role="combobox" aria-autocomplete="list"
                    aria-controls="search-box-list"
                    aria-expanded=move || open.get().to_string()
                    aria-activedescendant=move || open.get().then(|| option_id(active.get()))
                    data-testid="search-input"
                    on:input=on_input on:keydown=on_keydown on:blur=on_blur
                    on:focus=move |_| set_open.set(found.with(Option::is_some)) />
            </form>
            {list}
        </div>
    }
}

fn suggestion(hit: Hit, id: String, class: &'static str, selected: String) -> impl IntoView {
    view! {
        <li role="option" id=id class=class aria-selected=selected data-testid="search-suggestion">
            <a href=hit.url>
                <span class="search-box__title">{hit.title}</span>
                {(!hit.heading.is_empty()).then(|| view! { <span class="search-box__heading">{hit.heading}</span> })}
                // Escaped by the domain; only <mark> is markup.
                <span class="search-box__snippet" inner_html=hit.snippet_html></span>
            </a>
        </li>
    }
}
