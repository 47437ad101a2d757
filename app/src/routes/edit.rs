//! `/docs/{slug}/edit`: the live version's Markdown in a text box; saving makes a new version.

use domain::documents::Source;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{document_source, SaveDocument};
use crate::components::error_box::ErrorBox;
use crate::escape::PageTitle;
use crate::routes::not_found::NotFound;

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
                    Ok(source) => view! {
                        <PageTitle text=format!("Edit {} — Folio", source.title) />
                        <crate::routes::upload::ReadOnlyBanner />
                        <Editor source />
                    }.into_any(),
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

/// The interactive part: saving in place shows a refusal (a conflict, paused writes) next to
/// the text, which stays as typed; a saved version loads the document page.
#[island(lazy)]
fn Editor(source: Source) -> impl IntoView {
    crate::island_live();
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
        <section class="editor">
            <p class="breadcrumbs"><a href=format!("/docs/{}", source.slug)>{source.title.clone()}</a> " / edit"</p>
            <h1>"Edit " {source.title.clone()}</h1>
            <p class="muted">
                {format!("Editing version {}. Saving creates version {}; earlier versions are kept. ", source.version, source.version + 1)}
                "Front matter (" <code>"tags: a, b"</code> ") sets tags."
            </p>
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
