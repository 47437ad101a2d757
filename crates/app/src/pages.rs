//! The pages readers see.

use domain::model::{format_date, Attachment, Document, DocumentSummary, Votes};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{get_document, list_documents, SignIn, Vote};
use crate::error::AppError;

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let before = move || query.read().get("before");
    let docs = Resource::new(before, list_documents);
    view! {
        <Title text="Folio — documents" />
        <section class="intro">
            <h1>"Documents"</h1>
            <p class="lede">"Everything on this site, most recently updated first."</p>
        </section>
        <Suspense fallback=|| view! { <p class="muted">"Loading documents…"</p> }>
            {move || Suspend::new(async move {
                match docs.await {
                    Ok(page) if page.docs.is_empty() => {
                        view! { <p class="muted" data-testid="empty">"No documents yet."</p> }.into_any()
                    }
                    Ok(page) => view! {
                        <DocumentList docs=page.docs />
                        <nav class="pager">
                            {page.next.map(|cursor| view! {
                                <a href=format!("/?before={cursor}") rel="next" data-testid="older">"Older documents →"</a>
                            })}
                        </nav>
                    }.into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
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
                                "Updated " {format_date(doc.updated_at)} " · " {views_label(doc.views)}
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
    let doc = Resource::new(slug, get_document);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match doc.await {
                    Ok(doc) => view! { <DocumentView doc /> }.into_any(),
                    Err(err) if err.status == 404 => view! { <NotFound /> }.into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DocumentView(doc: Document) -> impl IntoView {
    view! {
        <Title text=format!("{} — Folio", doc.title) />
        <article class="document">
            <header class="document__header">
                <h1 data-testid="doc-title">{doc.title.clone()}</h1>
                <p class="document__meta">
                    "Updated " {format_date(doc.updated_at)} " · "
                    <span data-testid="reading-time">{format!("{} min read", doc.reading_minutes)}</span> " · "
                    <span data-testid="views" data-views=doc.views>{views_label(doc.views)}</span>
                </p>
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
        <Title text="Not found — Folio" />
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
        <Title text="Sign in — Folio" />
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
