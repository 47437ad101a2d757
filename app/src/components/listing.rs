//! Listings shared by the home, folder and tag pages: a page of documents with a pager, and
//! the folders and tags to browse by.

use domain::documents::model::{format_date, DocumentSummary, Listing};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{browse_facets, list_documents};
use crate::components::error_box::ErrorBox;
use crate::escape::PageTitle;

/// A folder's or tag's page: its name, the ways to browse, and its documents.
#[component]
pub fn FilteredListing(kind: &'static str, heading: String, base: String, listing: Listing) -> impl IntoView {
    view! {
        <PageTitle text=format!("{heading} — Folio") />
        <section class="intro">
            <p class="breadcrumbs"><a href="/">"Documents"</a> {format!(" / {kind}")}</p>
            <h1 data-testid="listing-title">{heading}</h1>
        </section>
        <div class="with-browse">
            <BrowseSidebar current=base.clone() />
            <ListingView listing base />
        </div>
    }
}

/// One page of a listing, with a link to the next (older) page.
#[component]
pub fn ListingView(listing: Listing, base: String) -> impl IntoView {
    let query = use_query_map();
    let before = move || query.read().get("before");
    let docs = Resource::new(
        move || (listing.clone(), before()),
        |(listing, before)| list_documents(listing, before),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading documents…"</p> }>
            {move || {
                let base = base.clone();
                Suspend::new(async move {
                    match docs.await {
                        Ok(page) if page.docs.is_empty() => {
                            view! { <p class="muted" data-testid="empty">"No documents yet."</p> }.into_any()
                        }
                        Ok(page) => view! {
                            <div class="listing">
                                <DocumentList docs=page.docs />
                                <nav class="pager">
                                    {page.next.map(|cursor| view! {
                                        <a href=format!("{base}?before={cursor}") rel="next" data-testid="older">"Older documents →"</a>
                                    })}
                                </nav>
                            </div>
                        }.into_any(),
                        Err(err) => view! { <ErrorBox err /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Folders and tags, for finding documents other than by date.
#[component]
pub fn BrowseSidebar(#[prop(optional, into)] current: Option<String>) -> impl IntoView {
    let facets = Resource::new(|| (), |()| browse_facets());
    view! {
        <nav class="browse" aria-label="Folders and tags" data-testid="browse">
            <Suspense fallback=|| ()>
                {move || {
                    let current = current.clone();
                    Suspend::new(async move {
                    let facets = facets.await.unwrap_or_default();
                    let here = |href: &str| (current.as_deref() == Some(href)).then_some("page");
                    view! {
                        {(!facets.folders.is_empty()).then(|| view! {
                            <p class="browse__row" data-testid="folders">
                                <span class="browse__label">"Folders"</span>
                                {facets.folders.into_iter().map(|f| view! {
                                    <a class="folder" href=format!("/folders/{}", f.name)
                                        aria-current=here(&format!("/folders/{}", f.name))>
                                        {f.name.clone()} <span class="tag__count">{f.count}</span>
                                    </a>
                                }).collect_view()}
                            </p>
                        })}
                        {(!facets.tags.is_empty()).then(|| view! {
                            <p class="browse__row tags" data-testid="tags">
                                <span class="browse__label">"Tags"</span>
                                {facets.tags.into_iter().map(|t| view! {
                                    <a class="tag" href=format!("/tags/{}", t.name)
                                        aria-current=here(&format!("/tags/{}", t.name))>
                                        "#" {t.name.clone()} <span class="tag__count">{t.count}</span>
                                    </a>
                                }).collect_view()}
                            </p>
                        })}
                    }
                    })
                }}
            </Suspense>
        </nav>
    }
}

#[component]
fn DocumentList(docs: Vec<DocumentSummary>) -> impl IntoView {
    view! {
        <ul class="doc-list" data-testid="doc-list">
            {docs
                .into_iter()
                .map(|doc| {
                    let href = format!("/docs/{}", doc.slug);
                    view! {
                        <li class="doc-card" data-testid="doc-card">
                            <a class="doc-card__title" href=href>{doc.title}</a>
                            <p class="doc-card__excerpt">{doc.excerpt}</p>
                            <p class="doc-card__meta">
                                {(!doc.folder.is_empty()).then(|| view! {
                                    <a class="doc-card__folder" href=format!("/folders/{}", doc.folder)>{doc.folder.clone()}</a>
                                    " · "
                                })}
                                "Updated " {format_date(doc.updated_at)} " · "
                                {format!("{} min read", doc.reading_minutes)} " · " {views_label(doc.views)}
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

pub fn views_label(views: i64) -> String {
    if views == 1 {
        "1 view".into()
    } else {
        format!("{views} views")
    }
}
