//! "Did this help?" on a result opened from the search dialog. As the reader opens a result,
//! the dialog notes the query and the page it leads to in this tab's `sessionStorage`
//! ([`remember_opened`]); the page that opens finds the note ([`ask_if_it_helped`], called
//! where the header's search box hydrates), forgets it, and asks once, at the foot of the
//! window. The answer is kept on that search in insights; nothing about the reader is. The
//! asking code is split off (`#[lazy]`): a page opened any other way loads none of it.

use leptos::prelude::*;

/// The note: `<milliseconds since the epoch>\n<path>\n<query>`.
const KEY: &str = "folio.opened-result";
/// A note older than this is from another visit: nothing is asked.
const FRESH_MS: f64 = 120_000.0;

fn storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

/// The dialog opened `href` (a document link) from a search for `query`.
pub fn remember_opened(query: &str, href: &str) {
    let path = href.split('#').next().unwrap_or(href);
    if let Some(storage) = storage() {
        let _ = storage.set_item(KEY, &format!("{}\n{path}\n{query}", js_sys::Date::now()));
    }
}

/// Asks whether this page helped, when the dialog opened it moments ago.
pub fn ask_if_it_helped() {
    let Some(storage) = storage() else { return };
    let Some(note) = storage.get_item(KEY).ok().flatten() else { return };
    let _ = storage.remove_item(KEY);
    let mut parts = note.splitn(3, '\n');
    let (Some(at), Some(path), Some(query)) = (parts.next(), parts.next(), parts.next()) else { return };
    let fresh = at.parse::<f64>().is_ok_and(|at| js_sys::Date::now() - at < FRESH_MS);
    let here = window().location().pathname().is_ok_and(|p| p == path);
    if fresh && here && !query.trim().is_empty() {
        leptos::task::spawn_local(ask(query.to_owned()));
    }
}

/// Mounts the question at the end of `<body>`.
#[lazy]
fn ask(query: String) {
    use wasm_bindgen::JsCast;
    let Some(body) = document().body() else { return };
    let Ok(element) = document().create_element("aside") else { return };
    element.set_class_name("helped");
    let _ = element.set_attribute("aria-label", "Did this help?");
    let _ = element.set_attribute("data-testid", "helped");
    let _ = body.append_child(&element);
    let view = leptos::mount::mount_to(element.unchecked_into(), move || view! { <Question query /> });
    // Lives with the page.
    std::mem::forget(view);
}

#[component]
fn Question(query: String) -> impl IntoView {
    let (said, set_said) = signal(None::<Result<(), String>>);
    let (gone, set_gone) = signal(false);
    let query = StoredValue::new(query);
    let answer = move |helped: bool| {
        move |_| {
            let query = query.get_value();
            leptos::task::spawn_local(async move {
                let result = crate::api::search_helped(query, helped).await.map_err(|e| e.message);
                set_said.set(Some(result));
            });
        }
    };
    view! {
        <Show when=move || !gone.get()>
            {match said.get() {
                None => view! {
                    <span class="helped__question">"Did this answer your search for " <q>{query.get_value()}</q> "?"</span>
                    <button type="button" class="button" on:click=answer(true) data-testid="helped-yes">"👍 Yes"</button>
                    <button type="button" class="button" on:click=answer(false) data-testid="helped-no">"👎 No"</button>
                }.into_any(),
                Some(Ok(())) => view! { <span data-testid="helped-thanks">"Thanks: it tells the editors what to write."</span> }.into_any(),
                Some(Err(why)) => view! { <span role="alert">{why}</span> }.into_any(),
            }}
            <button type="button" class="helped__close" aria-label="Dismiss" on:click=move |_| set_gone.set(true)>"×"</button>
        </Show>
    }
}
