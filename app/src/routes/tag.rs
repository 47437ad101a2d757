//! `/tags/{tag}`: the documents with a tag.

use domain::documents::model::Listing;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::listing::FilteredListing;

/// `/tags/markdown`: the documents with a tag.
#[component]
pub fn TagPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let tag = params.read().get("tag").unwrap_or_default();
        view! {
            <FilteredListing kind="tag" heading=format!("#{tag}") base=format!("/tags/{tag}")
                listing=Listing::Tag(tag) />
        }
    }
}
