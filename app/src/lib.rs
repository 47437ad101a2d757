//! Folio's Leptos application, shared by both hosts and the browser bundle.
//!
//! - [`App`] and [`shell`]: the component tree and the HTML document around it, rendered on
//!   the server; in the browser, `hydrate` brings the page's `#[island]`s to life (nothing else
//!   is hydrated: islands mode).
//! - [`routes`]: one file per page; [`components`]: pieces several pages show.
//! - [`api`]: server functions; [`error`]: what a failure looks like to a person or a script.
//! - [`escape`]: text in the places Leptos writes it raw on the server.
//! - with `ssr`, [`http`]: the one axum router both hosts serve (REST routes, middleware,
//!   security headers, the session cookie), and [`samples`].
// The document page's view type nests deeper than rustc's default query depth (128) when its
// layout is computed in a full build; `cargo check` never gets that far.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod escape;
#[cfg(feature = "ssr")]
pub mod http;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod samples;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::api::{current_user, SignOut};
use crate::components::search_box::SearchBox;
use crate::escape::PageTitle;
use crate::routes::admin::AdminPage;
use crate::routes::ask::AskPage;
use crate::routes::document::DocumentPage;
use crate::routes::edit::EditPage;
use crate::routes::folder::FolderPage;
use crate::routes::home::HomePage;
use crate::routes::insights::InsightsPage;
use crate::routes::not_found::NotFound;
use crate::routes::search::SearchPage;
use crate::routes::sign_in::SignInPage;
use crate::routes::tag::TagPage;
use crate::routes::upload::UploadPage;

/// The HTML document. Asset paths come from [`LeptosOptions`], never hard-coded names.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let css = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <Stylesheet id="leptos" href=css />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The browser side: start the islands runtime (the islands script then hydrates each island,
/// loading a lazy island's wasm first). Server functions that redirect (sign-in, save, delete)
/// load the new page, since no client-side router runs in islands mode.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = window().location().set_href(location);
    });
    leptos::mount::hydrate_islands();
    let islands = document().get_elements_by_tag_name("leptos-island").length();
    ISLANDS_PENDING.with(|pending| pending.set(islands));
    if islands == 0 {
        mark_hydrated();
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    static ISLANDS_PENDING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Each island calls this once it is live; after the page's last one, `<body>` gets
/// `data-hydrated="true"`, the marker tests and tooling wait for.
fn island_live() {
    #[cfg(feature = "hydrate")]
    Effect::new(|| {
        let left = ISLANDS_PENDING.with(|pending| {
            let left = pending.get().saturating_sub(1);
            pending.set(left);
            left
        });
        if left == 0 {
            mark_hydrated();
        }
    });
}

#[cfg(feature = "hydrate")]
fn mark_hydrated() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Who is signed in: looked up once per page (on the server) and shared by the header and
    // the pages.
    provide_context(Viewer(Resource::new(|| (), |()| current_user())));
    view! {
        <PageTitle text="Folio" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Router>
            <header class="site-header">
                <a class="site-header__brand" href="/">"Folio"</a>
                <span class="site-header__tagline">"content and search at the edge"</span>
                <SearchBox />
                <a class="site-header__ask" href="/ask" data-testid="ask-tab">"Ask"</a>
                <AccountMenu />
            </header>
            <main class="page">
                // Async: the whole page (title included) arrives as HTML, readable without JS.
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("docs/:slug") view=DocumentPage ssr=SsrMode::Async />
                    <Route path=path!("docs/:slug/edit") view=EditPage ssr=SsrMode::Async />
                    <Route path=path!("folders/*path") view=FolderPage ssr=SsrMode::Async />
                    <Route path=path!("tags/:tag") view=TagPage ssr=SsrMode::Async />
                    <Route path=path!("sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("admin/insights") view=InsightsPage ssr=SsrMode::Async />
                    <Route path=path!("upload") view=UploadPage ssr=SsrMode::Async />
                    <Route path=path!("search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("ask") view=AskPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">"Folio · open source · built with Leptos"</footer>
        </Router>
    }
}

/// The signed-in account (or `None`), shared through context.
#[derive(Clone, Copy)]
pub struct Viewer(pub Resource<Result<Option<domain::accounts::auth::User>, crate::error::AppError>>);

/// "Sign in", or who is signed in and a way out.
#[component]
fn AccountMenu() -> impl IntoView {
    // Outside an island this is a plain form post; the server answers with a redirect home.
    let sign_out = ServerAction::<SignOut>::new();
    let Viewer(user) = expect_context::<Viewer>();
    view! {
        <nav class="account" data-testid="account">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! {
                            <span class="account__who" data-testid="signed-in-as">{user.email}</span>
                            <a href="/upload" data-testid="upload-link-header">"Upload"</a>
                            <a href="/admin" data-testid="admin-link">"Admin"</a>
                            <ActionForm action=sign_out>
                                <button type="submit" class="link-button" data-testid="sign-out">"Sign out"</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! { <a href="/sign-in" data-testid="sign-in-link">"Sign in"</a> }.into_any(),
                    }
                })}
            </Suspense>
        </nav>
    }
}
