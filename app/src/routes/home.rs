//! `/`: every document, newest first, with folders and tags to browse.

use domain::documents::model::Listing;
use leptos::prelude::*;

use crate::components::listing::{BrowseSidebar, ListingView};
use crate::escape::PageTitle;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <PageTitle text="Folio — documents" />
        <section class="intro">
            <h1>"Documents"</h1>
            <p class="lede">"Everything on this site, most recently updated first."</p>
        </section>
        <div class="with-browse">
            <BrowseSidebar />
            <ListingView listing=Listing::All base="/".into() />
        </div>
    }
}
