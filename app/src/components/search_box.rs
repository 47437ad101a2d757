//! The search box in every page's header. Without JavaScript it is a GET form to `/search`.
//! Hydrated (a lazy island: its wasm loads apart from the page's), typing in it or clicking it
//! opens the search dialog with what was typed, and `Ctrl-K` / `⌘K` or `/` opens it from
//! anywhere ([`super::search_dialog`], whose code loads then). One place searches as the reader
//! types, so a reading page carries only these listeners.

use leptos::prelude::*;

#[island(lazy)]
pub fn SearchBox() -> impl IntoView {
    crate::island_live();
    #[cfg(feature = "hydrate")]
    {
        crate::components::search_dialog::listen_for_shortcut();
        crate::components::helped::ask_if_it_helped();
    }
    view! {
        <div class="search-box" data-testid="search-box">
            <form method="get" action="/search" role="search">
                <input type="search" name="q" autocomplete="off" placeholder="Search"
                    aria-label="Search the documents" aria-haspopup="dialog"
                    aria-keyshortcuts="Control+K Meta+K /"
                    data-testid="search-input"
                    on:input=|_| open_dialog() on:click=|_| open_dialog() />
            </form>
        </div>
    }
}

/// The dialog takes over from the first keystroke (or a click), carrying the text typed so far.
fn open_dialog() {
    #[cfg(feature = "hydrate")]
    crate::components::search_dialog::open_from_box();
}
