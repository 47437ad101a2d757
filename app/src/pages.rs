//! The pages readers see.

use domain::documents::model::{
    format_date, Attachment, Document, DocumentSummary, Listing, PendingVersion, VersionStatus, Votes,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    browse_facets, document_source, get_document, ingest_status, list_documents, DeleteDocument,
    SaveDocument, SignIn, Vote,
};
use crate::error::AppError;
use crate::escape::PageTitle;
use domain::documents::Source;

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

/// A folder's or tag's page: its name, the ways to browse, and its documents.
#[component]
fn FilteredListing(kind: &'static str, heading: String, base: String, listing: Listing) -> impl IntoView {
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
fn ListingView(listing: Listing, base: String) -> impl IntoView {
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
fn BrowseSidebar(#[prop(optional, into)] current: Option<String>) -> impl IntoView {
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

fn views_label(views: i64) -> String {
    if views == 1 {
        "1 view".into()
    } else {
        format!("{views} views")
    }
}

#[component]
pub fn DocumentPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let resource = Resource::new(slug, get_document);
    let crate::Viewer(user) = expect_context::<crate::Viewer>();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let editor = matches!(user.await, Ok(Some(_)));
                match resource.await {
                    Ok(doc) => {
                        let refresh = Callback::new(move |()| resource.refetch());
                        view! { <DocumentView doc editor refresh /> }.into_any()
                    }
                    Err(err) if err.status == 404 => view! { <NotFound /> }.into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DocumentView(doc: Document, editor: bool, refresh: Callback<()>) -> impl IntoView {
    view! {
        <PageTitle text=format!("{} — Folio", doc.title) />
        <article class="document">
            <header class="document__header">
                {(!doc.folder.is_empty()).then(|| view! {
                    <p class="breadcrumbs" data-testid="breadcrumbs">
                        <a href="/">"Documents"</a> " / "
                        <a href=format!("/folders/{}", doc.folder)>{doc.folder.clone()}</a>
                    </p>
                })}
                <h1 data-testid="doc-title">{doc.title.clone()}</h1>
                <p class="document__meta">
                    "Updated " {format_date(doc.updated_at)} " · "
                    <span data-testid="reading-time">{format!("{} min read", doc.reading_minutes)}</span> " · "
                    <span data-testid="views" data-views=doc.views>{views_label(doc.views)}</span> " · "
                    <span data-testid="doc-version" data-version=doc.version>{format!("version {}", doc.version)}</span>
                </p>
                {(!doc.tags.is_empty()).then(|| view! {
                    <p class="tags" data-testid="doc-tags">
                        {doc.tags.iter().map(|t| view! { <a class="tag" href=format!("/tags/{t}")>"#" {t.clone()}</a> }).collect_view()}
                    </p>
                })}
                {editor.then(|| view! { <EditorActions id=doc.id slug=doc.slug.clone() pending=doc.pending.clone() refresh /> })}
            </header>
            {(doc.outline.len() >= 2).then(|| view! {
                <nav class="toc" aria-label="On this page" data-testid="toc">
                    <p class="toc__title">"On this page"</p>
                    <ol>
                        {doc.outline.into_iter().map(|h| view! {
                            <li class=format!("toc__item toc__item--h{}", h.level)>
                                <a href=format!("#{}", h.id)>{h.text}</a>
                            </li>
                        }).collect_view()}
                    </ol>
                </nav>
            })}
            <div class="prose" data-testid="doc-body" inner_html=doc.body_html></div>
            {(!doc.attachments.is_empty()).then(|| view! { <Attachments files=doc.attachments /> })}
            <HelpfulVote slug=doc.slug votes=doc.votes />
        </article>
    }
}

/// Edit and delete, for signed-in editors, and how a newer version's ingest is going. Delete
/// asks once more inside a `<details>`, so it needs no JavaScript to confirm.
#[component]
fn EditorActions(
    id: i64,
    slug: String,
    pending: Option<PendingVersion>,
    refresh: Callback<()>,
) -> impl IntoView {
    let delete = ServerAction::<DeleteDocument>::new();
    // Once hydrated, follow a version still being ingested and show it when it is ready.
    if pending.as_ref().is_some_and(|p| p.status != VersionStatus::Failed) {
        Effect::new(move || watch_ingest(id, refresh));
    }
    let failure = move || match delete.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    view! {
        <div class="editor-actions" data-testid="editor-actions">
            <a class="button" href=format!("/docs/{slug}/edit") data-testid="edit-link">"Edit"</a>
            <details class="confirm">
                <summary class="button button--danger" data-testid="delete-open">"Delete…"</summary>
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=id />
                    <span>"Delete this document and its versions? This can’t be undone."</span>
                    <button type="submit" class="button button--danger" data-testid="delete-confirm"
                        disabled=move || delete.pending().get()>
                        "Delete"
                    </button>
                </ActionForm>
            </details>
            {move || failure().map(|msg| view! { <p class="form-error" role="alert">{msg}</p> })}
            {pending.map(|p| {
                let text = match (p.status, p.error) {
                    (VersionStatus::Failed, Some(error)) => format!("Version {} failed: {error}", p.version),
                    (VersionStatus::Failed, None) => format!("Version {} failed.", p.version),
                    (status, _) => {
                        format!("Version {} is {}; reload in a moment to see it.", p.version, status.as_str())
                    }
                };
                view! { <p class="notice" data-testid="pending-version" data-status=p.status.as_str()>{text}</p> }
            })}
        </div>
    }
}

/// Polls a document's ingest status until its newest version is ready (then `refresh`) or failed.
fn watch_ingest(id: i64, refresh: Callback<()>) {
    leptos::task::spawn_local(async move {
        match ingest_status(id).await.map(|s| s.status) {
            Ok(Some(status)) if status.is_final() => refresh.run(()),
            Ok(_) => set_timeout(move || watch_ingest(id, refresh), std::time::Duration::from_millis(500)),
            Err(_) => {}
        }
    });
}

/// `/docs/:slug/edit`: the live version's Markdown in a text box; saving makes a new version.
#[component]
pub fn EditPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let source = Resource::new(slug, document_source);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match source.await {
                    Ok(source) => view! { <Editor source /> }.into_any(),
                    Err(err) if err.status == 404 => view! { <NotFound /> }.into_any(),
                    Err(err) if err.status == 401 => view! {
                        <p data-testid="edit-sign-in"><a href="/sign-in">"Sign in"</a> " to edit documents."</p>
                    }.into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Editor(source: Source) -> impl IntoView {
    let save = ServerAction::<SaveDocument>::new();
    let failure = move || match save.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    let converted = (source.kind != "markdown").then(|| {
        format!(
            "This version came from {} and was converted to Markdown. Saving stores your Markdown as a new version.",
            match source.kind.as_str() {
                "pdf" => "a PDF",
                "html" => "an HTML file",
                "text" => "a text file",
                _ => "an image",
            }
        )
    });
    view! {
        <PageTitle text=format!("Edit {} — Folio", source.title) />
        <section class="editor">
            <p class="breadcrumbs"><a href=format!("/docs/{}", source.slug)>{source.title.clone()}</a> " / edit"</p>
            <h1>"Edit " {source.title.clone()}</h1>
            <p class="muted">
                {format!("Editing version {}. Saving creates version {}; earlier versions are kept. ", source.version, source.version + 1)}
                "Front matter (" <code>"tags: a, b"</code> ") sets tags."
            </p>
            <crate::upload_page::ReadOnlyBanner />
            {converted.map(|text| view! { <p class="notice">{text}</p> })}
            <ActionForm action=save>
                <input type="hidden" name="id" value=source.id />
                <input type="hidden" name="base_version" value=source.version />
                <textarea name="markdown" rows="24" spellcheck="true" data-testid="editor-text"
                    aria-label="Markdown">{crate::escape::rcdata(source.markdown)}</textarea>
                <div class="editor__actions">
                    <button type="submit" class="button button--primary" data-testid="editor-save"
                        disabled=move || save.pending().get()>
                        "Save new version"
                    </button>
                    <a class="button" href=format!("/docs/{}", source.slug)>"Cancel"</a>
                </div>
            </ActionForm>
            {move || failure().map(|msg| view! { <p class="form-error" role="alert" data-testid="editor-error">{msg}</p> })}
        </section>
    }
}

#[component]
fn Attachments(files: Vec<Attachment>) -> impl IntoView {
    view! {
        <section class="attachments" data-testid="attachments">
            <h2>"Attachments"</h2>
            <ul>
                {files.into_iter().map(|f| view! {
                    <li>
                        <a href=f.url>{f.name}</a>
                        <span class="muted">{format!(" · {} · {}", f.content_type, human_size(f.size))}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[expect(clippy::cast_precision_loss, reason = "a display size needs one decimal, not exact bytes")]
fn human_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// "Was this helpful?" A real form, so it also works before (or without) hydration; once
/// hydrated it calls the server function in place and updates the totals without a reload.
#[component]
fn HelpfulVote(slug: String, votes: Votes) -> impl IntoView {
    let action = ServerAction::<Vote>::new();
    let totals = move || match action.value().get() {
        Some(Ok(updated)) => updated,
        _ => votes,
    };
    let thanks = move || matches!(action.value().get(), Some(Ok(_)));
    let failure = move || match action.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    view! {
        <aside class="vote" data-testid="vote">
            <ActionForm action>
                <input type="hidden" name="slug" value=slug />
                <span class="vote__question">"Was this page helpful?"</span>
                <button type="submit" name="helpful" value="true" data-testid="vote-yes"
                    disabled=move || action.pending().get()>
                    "Yes " <span data-testid="helpful-yes">{move || totals().helpful_yes}</span>
                </button>
                <button type="submit" name="helpful" value="false" data-testid="vote-no"
                    disabled=move || action.pending().get()>
                    "No " <span data-testid="helpful-no">{move || totals().helpful_no}</span>
                </button>
            </ActionForm>
            <Show when=thanks>
                <p class="vote__thanks" data-testid="vote-thanks">"Thanks for your feedback."</p>
            </Show>
            {move || failure().map(|msg| view! { <p class="vote__error" role="alert">{msg}</p> })}
        </aside>
    }
}

#[component]
fn ErrorBox(err: AppError) -> impl IntoView {
    view! {
        <div class="error-box" role="alert">
            <h2>"Sorry, that didn’t work"</h2>
            <p>{err.message}</p>
        </div>
    }
}

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

/// Sign-in for editors and admins (readers need no account).
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = expect_context::<ServerAction<SignIn>>();
    let error = move || match action.value().get() {
        Some(Err(err)) => Some(err.message),
        _ => None,
    };
    view! {
        <PageTitle text="Sign in — Folio" />
        <section class="sign-in">
            <h1>"Sign in"</h1>
            <p class="muted">"For editors and admins. Reading needs no account."</p>
            <ActionForm action>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required data-testid="email" />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required
                        data-testid="password" />
                </label>
                <button type="submit" class="button button--primary" data-testid="sign-in-submit"
                    disabled=move || action.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
            {move || error().map(|msg| view! { <p class="form-error" role="alert" data-testid="sign-in-error">{msg}</p> })}
        </section>
    }
}
