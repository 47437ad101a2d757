//! The search dialog: `Ctrl-K` / `⌘K` or `/` from any page (and its header button) opens it.
//! Results come as the reader types ([`LiveSearch`]), grouped by document with up to three
//! matching sections each; ↑/↓ move through every row, Enter opens one, Esc closes and gives
//! focus back. With an empty box it offers the reader's recent searches (kept in this browser
//! only, clearable); its last row asks the query instead. A modal `<dialog>`: the page behind
//! is inert, so focus stays inside. A lazy island; without JavaScript the button is a link to
//! `/search`.

use domain::search::Results;
use leptos::prelude::*;

use super::live_search::{encode, LiveSearch};

/// Where recent searches are kept (`localStorage`, this browser only).
const RECENT_KEY: &str = "folio.recent-searches";
/// Recent searches kept.
const RECENT_MAX: usize = 5;

/// One selectable row: where Enter goes.
#[derive(Clone, PartialEq)]
struct Row {
    href: String,
    /// The query to remember when the row is opened (none for a recent search itself).
    remember: Option<String>,
}

#[island(lazy)]
pub fn SearchDialog() -> impl IntoView {
    crate::island_live();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let input = NodeRef::<leptos::html::Input>::new();
    let (found, set_found) = signal(None::<Results>);
    let (active, set_active) = signal(0_usize);
    let (recent, set_recent) = signal(Vec::<String>::new());
    let text = RwSignal::new(String::new());
    let live = LiveSearch::new("6");

    let open = move || {
        let Some(dialog) = dialog.get() else { return };
        if dialog.open() {
            return;
        }
        set_recent.set(recent_searches());
        set_active.set(0);
        // Modal: the rest of the page is inert until it closes, and the browser gives focus
        // back to what had it.
        if dialog.show_modal().is_ok() {
            if let Some(input) = input.get() {
                let _ = input.focus();
                input.select();
            }
        }
    };
    let close = move || {
        if let Some(dialog) = dialog.get() {
            dialog.close();
        }
    };
    // Ctrl-K / ⌘K anywhere; `/` where it would not type a character.
    let _shortcut = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        let chord = (ev.ctrl_key() || ev.meta_key()) && key.eq_ignore_ascii_case("k");
        if chord || (key == "/" && !typing_somewhere()) {
            ev.prevent_default();
            open();
        }
    });

    let rows = move || -> Vec<Row> {
        let q = text.get();
        if q.trim().is_empty() {
            return recent
                .get()
                .into_iter()
                .map(|r| Row { href: format!("/search?q={}", encode(&r)), remember: Some(r) })
                .collect();
        }
        let mut rows: Vec<Row> = found.with(|f| {
            f.iter()
                .flat_map(|r| &r.results)
                .flat_map(|hit| {
                    std::iter::once(hit.url.clone()).chain(hit.sections.iter().map(|s| s.url.clone()))
                })
                .map(|href| Row { href, remember: Some(q.clone()) })
                .collect()
        });
        rows.push(Row { href: format!("/search?q={}", encode(&q)), remember: Some(q.clone()) });
        rows.push(Row { href: format!("/ask?q={}", encode(&q)), remember: Some(q.clone()) });
        rows
    };
    let go = move |row: &Row| {
        if let Some(q) = &row.remember {
            remember(q);
        }
        let _ = window().location().set_href(&row.href);
    };
    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        text.set(q.clone());
        set_active.set(0);
        live.typed(q, move |results| {
            set_active.set(0);
            set_found.set(results);
        });
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = rows().len();
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                set_active.update(|a| *a = (*a + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                set_active.update(|a| *a = (*a + count - 1) % count);
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(row) = rows().get(active.get()) {
                    go(row);
                }
            }
            // A search box would clear itself first; here Esc always closes.
            "Escape" => {
                ev.prevent_default();
                close();
            }
            _ => {}
        }
    };
    // A click on the backdrop (the dialog element itself, outside its panel) closes it.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        use wasm_bindgen::JsValue;
        let on_backdrop = match (ev.target(), dialog.get()) {
            (Some(target), Some(dialog)) => {
                AsRef::<JsValue>::as_ref(&target) == AsRef::<JsValue>::as_ref(&dialog)
            }
            _ => false,
        };
        if on_backdrop {
            close();
        }
    };
    let option_id = |i: usize| format!("search-dialog-option-{i}");
    #[cfg(feature = "hydrate")]
    let row_class = move |i: usize| {
        if i == active.get() {
            "search-dialog__row search-dialog__row--active"
        } else {
            "search-dialog__row"
        }
    };
    // One closure renders the rows: fewer reactive pieces, a smaller island. Rows exist only
    // once the reader has opened the dialog in the browser, so the server renders the empty
    // state alone and its bundle (the Worker's too) carries none of the rows' code.
    #[cfg(feature = "hydrate")]
    let rows_view = move || -> Option<AnyView> {
        let q = text.get();
        let active = active.get();
        let attrs = |i: usize| (option_id(i), row_class(i), (i == active).to_string());
        if q.trim().is_empty() {
            let recent = recent.get();
            if recent.is_empty() {
                return None;
            }
            return Some(view! {
                <div class="search-dialog__group-head">
                    <span>"Recent searches"</span>
                    <button type="button" class="search-dialog__clear" data-testid="search-dialog-clear"
                        on:click=move |_| { forget_recent(); set_recent.set(Vec::new()); }>"Clear"</button>
                </div>
                <ul class="search-dialog__list" id="search-dialog-list" role="listbox" aria-label="Recent searches">
                    {recent.into_iter().enumerate().map(|(i, r)| {
                        let (id, class, selected) = attrs(i);
                        let href = format!("/search?q={}", encode(&r));
                        view! {
                            <li role="option" id=id class=class aria-selected=selected data-testid="search-dialog-recent">
                                <a href=href>{r}</a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any());
        }
        let results = found.get();
        let hits = results.as_ref().map(|r| r.results.clone()).unwrap_or_default();
        let mut next = 0;
        let groups = hits
            .into_iter()
            .map(|hit| {
                let first = next;
                next += 1 + hit.sections.len();
                group(hit, first, &attrs)
            })
            .collect_view();
        let (all_id, all_class, all_selected) = attrs(next);
        let (ask_id, ask_class, ask_selected) = attrs(next + 1);
        let remembered = q.clone();
        Some(view! {
            <ul class="search-dialog__list" id="search-dialog-list" role="listbox" aria-label="Results"
                on:click=move |_| remember(&remembered)>
                {results.as_ref().is_some_and(|r| r.degraded).then(|| view! {
                    <li class="search-dialog__notice" role="presentation">"Semantic results unavailable: matching words only."</li>
                })}
                {results.as_ref().is_some_and(|r| r.results.is_empty()).then(|| view! {
                    <li class="search-dialog__notice" role="presentation" data-testid="search-dialog-empty">"No matching documents."</li>
                })}
                {groups}
                <li role="option" id=all_id class=all_class aria-selected=all_selected>
                    <a href=format!("/search?q={}", encode(&q)) data-testid="search-dialog-all">"All results"</a>
                </li>
                <li role="option" id=ask_id class=ask_class aria-selected=ask_selected>
                    <a href=format!("/ask?q={}", encode(&q)) data-testid="search-dialog-ask">
                        <span class="search-dialog__ask">"Ask: "</span>{q.clone()}
                    </a>
                </li>
            </ul>
        }
        .into_any())
    };
    let list = move || {
        #[cfg(feature = "hydrate")]
        if let Some(rows) = rows_view() {
            return rows;
        }
        view! { <p class="search-dialog__notice">"Type to search the documents."</p> }.into_any()
    };
    view! {
        <a class="search-dialog__open" href="/search" role="button" data-testid="search-dialog-open"
            aria-haspopup="dialog" aria-keyshortcuts="Control+K Meta+K /" title="Search (Ctrl K)"
            on:click=move |ev| { ev.prevent_default(); open(); }>
            <span class="search-dialog__open-label">"Search"</span>
            <kbd>"Ctrl K"</kbd>
        </a>
        <dialog class="search-dialog" node_ref=dialog aria-label="Search the documents"
            data-testid="search-dialog" on:click=on_click>
            <div class="search-dialog__panel">
                <input type="search" node_ref=input class="search-dialog__input" autocomplete="off"
                    placeholder="Search the documents" aria-label="Search the documents"
                    role="combobox" aria-autocomplete="list" aria-expanded="true"
                    aria-controls="search-dialog-list"
                    aria-activedescendant=move || option_id(active.get())
                    data-testid="search-dialog-input"
                    prop:value=move || text.get()
                    on:input=on_input on:keydown=on_keydown />
                {list}
                <p class="search-dialog__keys" aria-hidden="true">
                    <kbd>"↑"</kbd><kbd>"↓"</kbd>" move · "<kbd>"Enter"</kbd>" open · "<kbd>"Esc"</kbd>" close"
                </p>
            </div>
        </dialog>
    }
}

#[cfg(feature = "hydrate")]
/// A document's rows: its best section, then its other matching sections, as options of one
/// group named by the title.
fn group(
    hit: domain::search::Hit,
    first: usize,
    attrs: &impl Fn(usize) -> (String, &'static str, String),
) -> impl IntoView {
    let title = hit.title.clone();
    let (id, class, selected) = attrs(first);
    let sections = hit
        .sections
        .into_iter()
        .enumerate()
        .map(|(i, section)| {
            let (id, class, selected) = attrs(first + 1 + i);
            view! {
                <li role="option" id=id class=class aria-selected=selected data-testid="search-dialog-section">
                    <a href=section.url>
                        <span class="search-dialog__heading">{section.heading}</span>
                        // Escaped by the domain; only <mark> is markup.
                        <span class="search-dialog__snippet" inner_html=section.snippet_html></span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <li role="presentation" class="search-dialog__group" data-testid="search-dialog-group">
            <ul role="group" aria-label=title>
                <li role="option" id=id class=class aria-selected=selected data-testid="search-dialog-hit">
                    <a href=hit.url>
                        <span class="search-dialog__title">{hit.title}</span>
                        {(!hit.heading.is_empty()).then(|| view! { <span class="search-dialog__heading">{hit.heading}</span> })}
                        <span class="search-dialog__snippet" inner_html=hit.snippet_html></span>
                    </a>
                </li>
                {sections}
            </ul>
        </li>
    }
}

/// Focus is in a field where `/` types a character.
fn typing_somewhere() -> bool {
    document().active_element().is_some_and(|el| {
        let tag = el.tag_name().to_ascii_lowercase();
        matches!(tag.as_str(), "input" | "textarea" | "select")
            || el.get_attribute("contenteditable").is_some()
    })
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The reader's recent searches, newest first.
fn recent_searches() -> Vec<String> {
    storage()
        .and_then(|s| s.get_item(RECENT_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str::<Vec<String>>(&json).ok())
        .unwrap_or_default()
        .into_iter()
        .take(RECENT_MAX)
        .collect()
}

/// Keeps `q` first among the recent searches.
fn remember(q: &str) {
    let q = q.trim();
    if q.is_empty() {
        return;
    }
    let mut recent = recent_searches();
    recent.retain(|r| r != q);
    recent.insert(0, q.to_owned());
    recent.truncate(RECENT_MAX);
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(&recent)) {
        let _ = storage.set_item(RECENT_KEY, &json);
    }
}

#[cfg(feature = "hydrate")]
fn forget_recent() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(RECENT_KEY);
    }
}
