//! `/folders/{path}`: a folder's documents, sub-folders included.

use domain::documents::model::Listing;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::listing::FilteredListing;

/// `/folders/guides/setup`: a folder and the folders inside it.
#[component]
pub fn FolderPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let folder = params.read().get("path").unwrap_or_default();
        view! {
            <FilteredListing kind="folder" heading=folder.clone() base=format!("/folders/{folder}")
                listing=Listing::Folder(folder) />
        }
    }
}
