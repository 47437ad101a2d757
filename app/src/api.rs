//! Server functions: the browser's (and SSR's) way into the domain. Ports arrive through Leptos
//! context, provided by the host's router; nothing here knows which host it runs on.
//! Endpoints are named so URLs are stable for tests and scripts (`/api/<name>`).

use domain::documents::model::{Browse, Document, DocumentPage, Listing, Votes};
use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
fn site() -> Result<domain::Site, AppError> {
    use_context::<domain::Site>()
        .ok_or_else(|| AppError::new(500, "internal", "The server is misconfigured (no site in context)."))
}

/// The adapters alone, for use cases that need nothing else.
#[cfg(feature = "ssr")]
fn ports() -> Result<domain::Ports, AppError> {
    site().map(|site| site.ports)
}

#[cfg(feature = "ssr")]
fn slug_or_not_found(slug: String) -> Result<domain::documents::model::Slug, AppError> {
    // A malformed name can't match a document: to a reader that is simply "not found".
    domain::documents::model::Slug::try_from(slug)
        .map_err(|_| domain::DomainError::NotFound("document").into())
}

/// Documents on one page of the home listing.
/// A page of documents (all, a folder's or a tag's), newest first; `before` is the previous
/// page's `next` cursor. A listing page may be kept until the next write: it shows nothing
/// else that changes (the search and Ask pages, which show the facets too, are never kept).
#[server(endpoint = "list-documents")]
pub async fn list_documents(listing: Listing, before: Option<String>) -> Result<DocumentPage, AppError> {
    let ports = ports()?;
    let page = domain::documents::list_page(
        ports.db.as_ref(),
        &listing,
        before.as_deref(),
        domain::documents::model::PAGE_SIZE,
    )
    .await?;
    crate::http::page_cache::allow(None);
    Ok(page)
}

/// Folders and tags with their document counts.
#[server(endpoint = "browse")]
pub async fn browse_facets() -> Result<Browse, AppError> {
    let ports = ports()?;
    Ok(domain::documents::browse(ports.db.as_ref()).await?)
}

/// Reads a document; after the response, counts the view and makes what its enrichment lacks
/// (stale-while-revalidate: the page never waits for a model). A page showing no stale item
/// may be kept until the next write (nothing else it shows moves with the clock); its own view
/// count is such a write within a second, so a kept page asks for what it lacks again soon.
#[server(endpoint = "document")]
pub async fn get_document(slug: String) -> Result<Document, AppError> {
    let site = site()?;
    let doc = domain::documents::get(&site, &slug_or_not_found(slug)?).await?;
    domain::documents::record_view_later(&site, doc.id);
    domain::enrich::refresh_later(&site, doc.id, doc.enrichment.wanted());
    if doc.enrichment.timeless() {
        crate::http::page_cache::allow(Some(doc.id));
    }
    Ok(doc)
}

/// A document's summary, topics and related documents as stored now (what a page showing a
/// placeholder or a stale item polls for). What is still wanted is asked for again after the
/// response (a busy model turned it away): claims, the budget and the breaker bound it.
#[server(endpoint = "document-enrichment", input = leptos::server_fn::codec::GetUrl)]
pub async fn document_enrichment(slug: String) -> Result<domain::enrich::Enrichment, AppError> {
    let site = site()?;
    let (id, enrichment) = domain::enrich::read(&site, slug_or_not_found(slug)?.as_str()).await?;
    domain::enrich::refresh_later(&site, id, enrichment.wanted());
    Ok(enrichment)
}

/// An editor's "write the summary again" (made after the response).
#[server(endpoint = "regenerate-summary")]
pub async fn regenerate_summary(id: i64) -> Result<(), AppError> {
    let site = site()?;
    actor().await?;
    Ok(domain::enrich::regenerate_summary(&site, id).await?)
}

/// An editor hides a document's summary, or shows it again.
#[server(endpoint = "hide-summary")]
pub async fn hide_summary(id: i64, hidden: bool) -> Result<(), AppError> {
    let ports = ports()?;
    actor().await?;
    Ok(domain::enrich::set_summary_hidden(&ports, id, hidden).await?)
}

#[server(endpoint = "vote")]
pub async fn vote(slug: String, helpful: bool) -> Result<Votes, AppError> {
    let ports = ports()?;
    let parts = request_parts()?;
    // One vote per reader: the reader is their address (unknown only in tests).
    let voter = crate::http::security::client_of(&parts).unwrap_or("unknown").to_owned();
    Ok(domain::documents::vote(&ports, &slug_or_not_found(slug)?, helpful, &voter).await?)
}

/// Searches the documents (the `/search` page and the header's search box; `/api/search` is
/// the same use case as plain JSON). A GET, so a query is a URL.
#[server(endpoint = "search-documents", input = leptos::server_fn::codec::GetUrl)]
pub async fn search(params: domain::search::Params) -> Result<domain::search::Results, AppError> {
    let site = site()?;
    let parts = request_parts()?;
    Ok(domain::search::search_for(&site, params, crate::http::security::client_of(&parts)).await?)
}

/// Answers a question whole (`/ask?q=` without JavaScript; the page with JavaScript streams it
/// from `/api/ask`). Only the person who asked waits for it.
#[server(endpoint = "ask-question", input = leptos::server_fn::codec::GetUrl)]
pub async fn ask_question(params: domain::ask::Params) -> Result<domain::ask::Answered, AppError> {
    let site = site()?;
    let parts = request_parts()?;
    let (question, _ticket) =
        domain::ask::admit(&site, params, crate::http::security::client_of(&parts)).await?;
    Ok(domain::ask::answer_whole(&site, &question).await?)
}

/// 👍/👎 on an answer, with what the reader was shown (the Ask page's form: plain fields, so
/// it posts without JavaScript too). `sources` is the JSON of the sources listed; `reason`
/// is empty, `wrong`, `incomplete` or `off-topic`. Stored without the reader's address.
#[server(endpoint = "vote-answer")]
pub async fn vote_answer(
    question: String,
    folder: String,
    tag: String,
    answer: String,
    sources: String,
    helpful: bool,
    reason: String,
) -> Result<(), AppError> {
    use domain::insights::{AnswerVote, Reason, SourceShown};
    let site = site()?;
    let parts = request_parts()?;
    let question = domain::ask::Question::parse(domain::ask::Params {
        question,
        folder: Some(folder),
        tag: Some(tag),
        thread: Vec::new(),
    })?;
    let sources: Vec<SourceShown> = serde_json::from_str(&sources)
        .map_err(|_| domain::DomainError::BadInput("The sources of that answer did not read.".into()))?;
    let vote = AnswerVote { question, answer, sources, helpful, reason: Reason::parse(&reason)? };
    // One vote per reader per answer: the reader is their address (unknown only in tests).
    let voter = crate::http::security::client_of(&parts).unwrap_or("unknown").to_owned();
    Ok(domain::insights::vote_answer(&site, &vote, &voter).await?)
}

/// "Did this help?" on a result opened from the search dialog: kept on the search for `q`
/// that the reader clicked through (insights' top searches show it). Nothing is kept without
/// such a search, nor while collecting is off.
#[server(endpoint = "search-helped")]
pub async fn search_helped(q: String, helped: bool) -> Result<(), AppError> {
    domain::insights::record_helped(&site()?, &q, helped).await?;
    Ok(())
}

/// Whether this site takes feedback on answers (`INSIGHTS`): the Ask page offers 👍/👎 then.
#[server(endpoint = "feedback-open")]
pub async fn feedback_open() -> Result<bool, AppError> {
    Ok(domain::insights::collecting(&site()?))
}

/// What readers searched for and asked over the last 7 or 30 days (admins).
#[server(endpoint = "insights", input = leptos::server_fn::codec::GetUrl)]
pub async fn insights_report(days: Option<String>) -> Result<domain::insights::Report, AppError> {
    let site = site()?;
    let me = actor().await?;
    let days = domain::insights::Days::parse(days.as_deref())?;
    Ok(domain::insights::report(&site, &me, days).await?.shortened(domain::insights::TOP))
}

/// Registers every server function by hand: the Worker (wasm32) has no `inventory`, and doing it
/// on both hosts keeps one list.
#[cfg(feature = "ssr")]
pub fn register_server_fns() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<ListDocuments>();
    register_explicit::<GetDocument>();
    register_explicit::<Vote>();
    register_explicit::<AskQuestion>();
    register_explicit::<TagDocument>();
    register_explicit::<SignIn>();
    register_explicit::<SignOut>();
    register_explicit::<CurrentUser>();
    register_explicit::<AdminOverview>();
    register_explicit::<CreateAccount>();
    register_explicit::<CreateToken>();
    register_explicit::<SetWrites>();
    register_explicit::<IngestStatus>();
    register_explicit::<RevokeToken>();
    register_explicit::<BrowseFacets>();
    register_explicit::<DocumentSource>();
    register_explicit::<SaveDocument>();
    register_explicit::<DeleteDocument>();
    register_explicit::<FetchUploadSettings>();
    register_explicit::<Search>();
    register_explicit::<DocumentEnrichment>();
    register_explicit::<RegenerateSummary>();
    register_explicit::<HideSummary>();
    register_explicit::<VoteAnswer>();
    register_explicit::<FeedbackOpen>();
    register_explicit::<InsightsReport>();
}

#[cfg(feature = "ssr")]
fn request_parts() -> Result<axum::http::request::Parts, AppError> {
    use_context::<axum::http::request::Parts>()
        .ok_or_else(|| AppError::new(500, "internal", "The server is misconfigured (no request)."))
}

#[cfg(feature = "ssr")]
fn set_cookie(value: String) {
    if let (Some(response), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), axum::http::HeaderValue::from_str(&value))
    {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// Signs in and sets the session cookie; without JavaScript the form post is redirected home.
#[server(endpoint = "sign-in")]
pub async fn sign_in(email: String, password: String) -> Result<domain::accounts::auth::User, AppError> {
    let ports = ports()?;
    let parts = request_parts()?;
    let client = crate::http::security::client_of(&parts);
    let (token, user) = domain::accounts::auth::sign_in(&ports, &email, &password, client).await?;
    set_cookie(crate::http::session::set(&token, crate::http::session::is_https(&parts)));
    leptos_axum::redirect("/");
    Ok(user)
}

#[server(endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    let ports = ports()?;
    let parts = request_parts()?;
    if let Some(token) = crate::http::session::token(&parts.headers) {
        domain::accounts::auth::sign_out(&ports, &token).await?;
    }
    set_cookie(crate::http::session::clear(crate::http::session::is_https(&parts)));
    leptos_axum::redirect("/");
    Ok(())
}

/// Who is signed in, if anyone.
#[server(endpoint = "me")]
pub async fn current_user() -> Result<Option<domain::accounts::auth::User>, AppError> {
    let parts = request_parts()?;
    Ok(crate::http::session::viewer(&site()?, &parts.headers).await?)
}

/// Who is making this request: `Unauthorized` unless someone with an account.
#[cfg(feature = "ssr")]
async fn actor() -> Result<domain::accounts::auth::User, AppError> {
    Ok(crate::http::session::actor(&site()?, &request_parts()?.headers).await?)
}

/// Everything the admin page shows: who you are, your tokens, and (admins) every account.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdminView {
    pub me: domain::accounts::auth::User,
    pub users: Vec<domain::accounts::auth::User>,
    pub tokens: Vec<domain::accounts::auth::TokenInfo>,
    pub writes_disabled: bool,
}

#[server(endpoint = "admin-overview")]
pub async fn admin_overview() -> Result<AdminView, AppError> {
    let ports = ports()?;
    let me = actor().await?;
    let users = if me.role == domain::accounts::auth::Role::Admin {
        domain::accounts::auth::list_users(&ports, &me).await?
    } else {
        Vec::new()
    };
    let tokens = domain::accounts::auth::list_tokens(&ports, &me).await?;
    let writes_disabled = domain::site::settings::writes_disabled(&ports).await?;
    Ok(AdminView { me, users, tokens, writes_disabled })
}

#[server(endpoint = "create-account")]
pub async fn create_account(
    email: String,
    password: String,
    role: domain::accounts::auth::Role,
) -> Result<domain::accounts::auth::User, AppError> {
    let ports = ports()?;
    let me = actor().await?;
    Ok(domain::accounts::auth::create_account(&ports, &me, &email, &password, role).await?)
}

/// What the upload and edit pages tell editors before they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UploadSettings {
    /// An admin has made the site read-only.
    pub writes_disabled: bool,
    pub max_upload_mb: usize,
}

#[server(endpoint = "upload-settings")]
pub async fn fetch_upload_settings() -> Result<UploadSettings, AppError> {
    let ports = ports()?;
    let limits = use_context::<crate::http::Limits>().unwrap_or_default();
    Ok(UploadSettings {
        writes_disabled: domain::site::settings::writes_disabled(&ports).await?,
        max_upload_mb: limits.max_upload_bytes / (1024 * 1024),
    })
}

/// The kill switch: `disabled = true` makes the site read-only (admins only).
#[server(endpoint = "set-writes")]
pub async fn set_writes(disabled: bool) -> Result<(), AppError> {
    let ports = ports()?;
    let me = actor().await?;
    Ok(domain::site::settings::set_writes_disabled(&ports, &me, disabled).await?)
}

#[server(endpoint = "create-token")]
pub async fn create_token(name: String) -> Result<domain::accounts::auth::NewToken, AppError> {
    let ports = ports()?;
    let me = actor().await?;
    Ok(domain::accounts::auth::create_token(&ports, &me, &name).await?)
}

#[server(endpoint = "revoke-token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    let ports = ports()?;
    let me = actor().await?;
    Ok(domain::accounts::auth::revoke_token(&ports, &me, id).await?)
}

/// The Markdown an editor edits (editors and admins).
#[server(endpoint = "document-source")]
pub async fn document_source(slug: String) -> Result<domain::documents::Source, AppError> {
    let ports = ports()?;
    actor().await?;
    Ok(domain::documents::source(&ports, &slug_or_not_found(slug)?).await?)
}

/// Saves an edit as a new version, then (without JavaScript too) goes back to the document.
#[server(endpoint = "save-document")]
pub async fn save_document(
    id: i64,
    base_version: i64,
    markdown: String,
) -> Result<domain::ingest::UploadResult, AppError> {
    let site = site()?;
    let ports = &site.ports;
    let me = actor().await?;
    let limits = use_context::<crate::http::Limits>().unwrap_or_default();
    let saved =
        domain::ingest::edit(ports, &me, id, base_version, &markdown, limits.max_upload_bytes).await?;
    domain::ingest::run_later(&site);
    leptos_axum::redirect(&format!("/docs/{}", saved.slug));
    Ok(saved)
}

/// Turns a suggested topic into one of the document's tags (a new version with the tag in its
/// front matter), then shows the page. A plain form post, so it works without JavaScript.
#[server(endpoint = "tag-document")]
pub async fn tag_document(id: i64, base_version: i64, tag: String) -> Result<(), AppError> {
    let site = site()?;
    let ports = &site.ports;
    let me = actor().await?;
    let limits = use_context::<crate::http::Limits>().unwrap_or_default();
    let saved = domain::ingest::add_tag(ports, &me, id, base_version, &tag, limits.max_upload_bytes).await?;
    domain::ingest::run_later(&site);
    leptos_axum::redirect(&format!("/docs/{}", saved.slug));
    Ok(())
}

/// Deletes a document (and the files only it used), then goes home.
#[server(endpoint = "delete-document")]
pub async fn delete_document(id: i64) -> Result<(), AppError> {
    let ports = ports()?;
    let me = actor().await?;
    domain::ingest::delete(&ports, &me, id).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// A document's ingest status, for the upload page's live updates (editors and admins).
#[server(endpoint = "ingest-status")]
pub async fn ingest_status(id: i64) -> Result<domain::ingest::DocumentStatus, AppError> {
    let ports = ports()?;
    actor().await?;
    Ok(domain::ingest::status(&ports, id).await?)
}
