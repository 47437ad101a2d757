//! `/docs/{slug}`: a document, its attachments and the "helpful?" vote; for editors, edit and
//! delete and how a newer version's ingest is going.

use domain::documents::model::{format_date, Attachment, Document, PendingVersion, VersionStatus, Votes};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{get_document, ingest_status, DeleteDocument, HideSummary, RegenerateSummary, Vote};
use crate::components::enrichment::{EnrichmentPanel, Tagging};
use crate::components::error_box::ErrorBox;
use crate::components::listing::views_label;
use crate::escape::PageTitle;
use crate::routes::not_found::NotFound;

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
                    Ok(doc) => view! { <DocumentView doc editor /> }.into_any(),
                    Err(err) if err.status == 404 => view! { <NotFound /> }.into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DocumentView(doc: Document, editor: bool) -> impl IntoView {
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
                {editor.then(|| view! {
                    <EditorActions id=doc.id slug=doc.slug.clone() pending=doc.pending.clone()
                        summary_hidden=doc.enrichment.summary_hidden />
                })}
            </header>
            <EnrichmentPanel enrichment=doc.enrichment slug=doc.slug.clone()
                tagging=editor.then(|| Tagging { id: doc.id, version: doc.version, tags: doc.tags.clone() }) />
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
/// asks once more inside a `<details>`, so it needs no JavaScript to confirm. Lazy: readers'
/// pages never have it, so they never download it.
#[island(lazy)]
fn EditorActions(
    id: i64,
    slug: String,
    pending: Option<PendingVersion>,
    summary_hidden: bool,
) -> impl IntoView {
    crate::island_live();
    let delete = ServerAction::<DeleteDocument>::new();
    let regenerate = ServerAction::<RegenerateSummary>::new();
    let hide = ServerAction::<HideSummary>::new();
    // Either one changes what the page shows: load it again once done.
    Effect::new(move || {
        if matches!(regenerate.value().get(), Some(Ok(()))) || matches!(hide.value().get(), Some(Ok(()))) {
            let _ = window().location().reload();
        }
    });
    // Once hydrated, follow a version still being ingested and load it when it is ready.
    if pending.as_ref().is_some_and(|p| p.status != VersionStatus::Failed) {
        Effect::new(move || watch_ingest(id));
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
            <ActionForm action=regenerate>
                <input type="hidden" name="id" value=id />
                <button type="submit" class="button" data-testid="regenerate-summary">"Write summary again"</button>
            </ActionForm>
            <ActionForm action=hide>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="hidden" value=(!summary_hidden).to_string() />
                <button type="submit" class="button" data-testid="hide-summary">
                    {if summary_hidden { "Show summary" } else { "Hide summary" }}
                </button>
            </ActionForm>
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

/// Polls a document's ingest status until its newest version is ready or failed, then reloads
/// the page to show it (pages are rendered on the server; only this part runs in the browser).
fn watch_ingest(id: i64) {
    leptos::task::spawn_local(async move {
        match ingest_status(id).await.map(|s| s.status) {
            Ok(Some(status)) if status.is_final() => {
                let _ = window().location().reload();
            }
            Ok(_) => set_timeout(move || watch_ingest(id), std::time::Duration::from_millis(500)),
            Err(_) => {}
        }
    });
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
#[island]
fn HelpfulVote(slug: String, votes: Votes) -> impl IntoView {
    crate::island_live();
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
