//! The search dialog: `Ctrl-K` / `⌘K`, or `/` where it would not type a character, opens it
//! over any page ([`listen_for_shortcut`], which the header box's island calls). Results come as
//! the reader types ([`LiveSearch`]), grouped by document with up to three matching sections
//! each; ↑/↓ move through every row, Enter opens one, Esc closes and the browser gives focus
//! back. With an empty box it offers the reader's recent searches (kept in this browser only,
//! clearable); its last row asks the query instead. A modal `<dialog>`: the page behind is inert.
//!
//! Its code is split off (`#[lazy]`) and fetched the first time it opens, so a reading page
//! downloads none of it; each opening mounts a fresh dialog and its closing removes it. Without
//! JavaScript the header box's form to `/search` is all there is.

use domain::search::Results;
use leptos::prelude::*;

use super::live_search::LiveSearch;
use crate::escape::query_value as encode;

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

/// Opens the dialog on `Ctrl-K` / `⌘K` anywhere and on `/` where it would not type a character.
pub fn listen_for_shortcut() {
    let _listening = window_event_listener(leptos::ev::keydown, |ev| {
        let key = ev.key();
        let chord = (ev.ctrl_key() || ev.meta_key()) && key.eq_ignore_ascii_case("k");
        if chord || (key == "/" && !typing_somewhere()) {
            ev.prevent_default();
            leptos::task::spawn_local(open(false));
        }
    });
}

/// Opens the dialog from the header box, carrying on with what was typed there.
pub fn open_from_box() {
    leptos::task::spawn_local(open(true));
}

thread_local! {
    /// The open dialog's view: dropping it unmounts the view and its reactive state.
    static OPEN: std::cell::RefCell<Option<Box<dyn std::any::Any>>> = const { std::cell::RefCell::new(None) };
}

/// Mounts a dialog at the end of `<body>` and shows it, modal; nothing when one is open. Opened
/// from the header box, it starts with the box's text (read now: keys typed while this code was
/// loading are in it too).
#[lazy]
fn open(from_box: bool) {
    use wasm_bindgen::JsCast;
    if OPEN.with(|open| open.borrow().is_some()) {
        return;
    }
    let Some(body) = document().body() else { return };
    let Ok(element) = document().create_element("dialog") else { return };
    let dialog: web_sys::HtmlDialogElement = element.unchecked_into();
    dialog.set_class_name("search-dialog");
    let _ = dialog.set_attribute("aria-label", "Search the documents");
    let _ = dialog.set_attribute("data-testid", "search-dialog");
    let _ = body.append_child(&dialog);
    // The text moves from the box into the dialog: the box is left empty behind it.
    let typed = from_box
        .then(|| document().query_selector(".search-box input").ok().flatten())
        .flatten()
        .map(|input| {
            let input: web_sys::HtmlInputElement = input.unchecked_into();
            let typed = input.value();
            input.set_value("");
            typed
        })
        .unwrap_or_default();
    let view = leptos::mount::mount_to(dialog.clone().unchecked_into(), move || view! { <Panel typed /> });
    OPEN.with(|open| *open.borrow_mut() = Some(Box::new(view)));
    // Closed (Esc, Enter, a click on the backdrop): unmount, and take the element away.
    let closed = dialog.clone();
    let on_close = wasm_bindgen::closure::Closure::once_into_js(move || {
        OPEN.with(|open| open.borrow_mut().take());
        closed.remove();
    });
    let _ = dialog.add_event_listener_with_callback("close", on_close.unchecked_ref());
    // A click on the backdrop lands on the dialog element itself, outside its panel.
    let backdrop = dialog.clone();
    let on_click =
        wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
            let on_backdrop = ev.target().is_some_and(|t| {
                AsRef::<wasm_bindgen::JsValue>::as_ref(&t)
                    == AsRef::<wasm_bindgen::JsValue>::as_ref(&backdrop)
            });
            if on_backdrop {
                backdrop.close();
            }
        });
    let _ = dialog.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    // Lives as long as the element, which the close listener removes.
    on_click.forget();
    if dialog.show_modal().is_ok() {
        if let Some(input) = dialog.query_selector("input").ok().flatten() {
            let input: web_sys::HtmlInputElement = input.unchecked_into();
            let _ = input.focus();
        }
    }
}

/// The open dialog, if any.
fn the_dialog() -> Option<web_sys::HtmlDialogElement> {
    use wasm_bindgen::JsCast;
    document().query_selector("dialog.search-dialog").ok().flatten().map(JsCast::unchecked_into)
}

/// What the dialog holds: the box, the rows, the keys.
#[component]
fn Panel(typed: String) -> impl IntoView {
    let (found, set_found) = signal(None::<Results>);
    let (active, set_active) = signal(0_usize);
    let (recent, set_recent) = signal(recent_searches());
    let text = RwSignal::new(String::new());
    let live = LiveSearch::new("6");
    let close = || {
        if let Some(dialog) = the_dialog() {
            dialog.close();
        }
    };

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
    let go = move |index: usize, row: &Row| {
        use wasm_bindgen::JsCast;
        if let Some(q) = &row.remember {
            remember(q);
        }
        // Through the row's link, as a click would: the browser sends its `ping` (insights'
        // click-through) and follows it.
        let link = document().query_selector(&format!("#search-dialog-option-{index} a")).ok().flatten();
        match link.and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok()) {
            Some(link) => link.click(),
            None => {
                let _ = window().location().set_href(&row.href);
            }
        }
    };
    let search = move |q: String| {
        text.set(q.clone());
        set_active.set(0);
        live.typed(q, move |results| {
            set_active.set(0);
            set_found.set(results);
        });
    };
    if !typed.is_empty() {
        search(typed);
    }
    let on_input = move |ev: leptos::ev::Event| search(event_target_value(&ev));
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
                let index = active.get();
                if let Some(row) = rows().get(index) {
                    go(index, row);
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
    let option_id = |i: usize| format!("search-dialog-option-{i}");
    let row_class = move |i: usize| {
        if i == active.get() {
            "search-dialog__row search-dialog__row--active"
        } else {
            "search-dialog__row"
        }
    };
    // One closure renders the rows: fewer reactive pieces.
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
        // The query these results are for (the box may be ahead of them).
        let ping = results.as_ref().map(|r| domain::insights::click_url(&r.query)).unwrap_or_default();
        let mut next = 0;
        let groups = hits
            .into_iter()
            .map(|hit| {
                let first = next;
                next += 1 + hit.sections.len();
                group(hit, first, &ping, &attrs)
            })
            .collect_view();
        let (all_id, all_class, all_selected) = attrs(next);
        let (ask_id, ask_class, ask_selected) = attrs(next + 1);
        let remembered = q.clone();
        let searched = results.as_ref().map(|r| r.query.clone()).unwrap_or_default();
        // Opening a result (a click, or Enter clicking it) remembers the query, and notes the
        // result so the page it opens can ask whether it helped.
        let on_open = move |ev: leptos::ev::MouseEvent| {
            use wasm_bindgen::JsCast;
            remember(&remembered);
            let result = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("a[ping]").ok().flatten())
                .and_then(|a| a.get_attribute("href"));
            if let Some(href) = result {
                super::helped::remember_opened(&searched, &href);
            }
        };
        Some(view! {
            <ul class="search-dialog__list" id="search-dialog-list" role="listbox" aria-label="Results"
                on:click=on_open>
                {results.as_ref().is_some_and(|r| r.degraded).then(|| view! {
                    <li class="search-dialog__notice" role="presentation" data-testid="search-dialog-degraded">
                        "Semantic results unavailable: matching words only."
                    </li>
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
        if let Some(rows) = rows_view() {
            return rows;
        }
        view! { <p class="search-dialog__notice">"Type to search the documents."</p> }.into_any()
    };
    view! {
        <div class="search-dialog__panel">
            <input type="search" class="search-dialog__input" autocomplete="off"
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
    }
}

/// A document's rows: its best section, then its other matching sections, as options of one
/// group named by the title. Each link pings `ping` as it is opened.
fn group(
    hit: domain::search::Hit,
    first: usize,
    ping: &str,
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
                    <a href=section.url ping=ping.to_owned()>
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
                    <a href=hit.url ping=ping.to_owned()>
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

fn forget_recent() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(RECENT_KEY);
    }
}
