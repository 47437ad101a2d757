//! The 404 page.

use leptos::prelude::*;

use crate::escape::PageTitle;

/// The 404 page. On the server it also sets the response status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Not found — Folio" />
        <section class="not-found" data-testid="not-found">
            <p class="not-found__code">"404"</p>
            <h1>"We couldn’t find that page"</h1>
            <p>"It may have been moved or deleted, or the address may be mistyped."</p>
            <a class="button" href="/">"Back to all documents"</a>
        </section>
    }
}
