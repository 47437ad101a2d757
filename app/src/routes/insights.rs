//! `/admin/insights?days=7|30`: what readers searched for and asked, for admins. Top searches
//! (with how often a result was opened), searches that found nothing, questions answered "not
//! found", and answers voted down with what the reader was shown. Every list downloads as CSV
//! (`/admin/insights.csv?days=&kind=`). Server-rendered only: no island, no code to download.
//! Every query here is text a reader typed: it reaches the page only as text nodes.

use domain::documents::model::format_date;
use domain::insights::{AnswerVoteRow, Days, Kind, QuestionRow, Report, SearchRow};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::insights_report;
use crate::escape::PageTitle;

#[component]
pub fn InsightsPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || query.read().get("days");
    let report = Resource::new(days, insights_report);
    view! {
        <PageTitle text="Insights — admin — Folio" />
        <h1>"Insights"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <ReportView report /> }.into_any(),
                    Err(err) if err.status == 401 => view! {
                        <p data-testid="insights-sign-in">
                            <a href="/sign-in">"Sign in"</a> " as an administrator to see insights."
                        </p>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert" data-testid="insights-error">{err.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReportView(report: Report) -> impl IntoView {
    let days = report.days.count();
    let window = |d: Days| {
        let n = d.count();
        if n == days {
            view! { <strong aria-current="page">{format!("{n} days")}</strong> }.into_any()
        } else {
            view! { <a href=format!("/admin/insights?days={n}") data-testid=format!("insights-days-{n}")>{format!("{n} days")}</a> }.into_any()
        }
    };
    let csv = move |kind: Kind| {
        view! {
            <a class="insights__csv" href=format!("/admin/insights.csv?days={days}&kind={}", kind.as_str())
                data-testid=format!("insights-csv-{}", kind.as_str())>"CSV"</a>
        }
    };
    view! {
        <p class="muted">
            "Over the last " {window(Days::Week)} " · " {window(Days::Month)}
            ". Nothing here names a reader; everything is forgotten after 90 days. "
            <a href="/admin">"Admin"</a>
        </p>
        {(!report.collecting).then(|| view! {
            <p class="notice" role="status" data-testid="insights-off">
                "Collecting is turned off on this site (INSIGHTS = false): what was collected before is shown until it is forgotten."
            </p>
        })}
        <p data-testid="insights-totals">
            {format!(
                "{} ({} found nothing) · {} ({} not found) · answers voted helpful {}, not helpful {}",
                counted(report.searches, "search", "searches"), report.searches_empty,
                counted(report.questions, "question", "questions"), report.questions_not_found,
                report.votes_up, report.votes_down
            )}
        </p>
        <section class="panel" data-testid="insights-top">
            <h2>"Top searches " {csv(Kind::Searches)}</h2>
            <SearchTable rows=report.top_searches testid="insights-top-row" />
        </section>
        <section class="panel" data-testid="insights-no-results">
            <h2>"Searches with no results " {csv(Kind::NoResults)}</h2>
            <SearchTable rows=report.no_results testid="insights-no-results-row" />
        </section>
        <section class="panel" data-testid="insights-not-found">
            <h2>"Questions answered “not found” " {csv(Kind::NotFound)}</h2>
            <QuestionTable rows=report.not_found />
        </section>
        <section class="panel" data-testid="insights-downvoted">
            <h2>"Answers voted down " {csv(Kind::Downvoted)}</h2>
            <DownvotedList rows=report.downvoted />
        </section>
    }
}

/// `1 search`, `2 searches`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
fn SearchTable(rows: Vec<SearchRow>, testid: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"None yet."</p> }.into_any();
    }
    view! {
        <table class="data-table">
            <thead><tr>
                <th>"Query"</th><th>"Searches"</th><th>"Found nothing"</th>
                <th title="Share of the searches that found something in which a result was opened">"Opened a result"</th>
                <th title="What readers said when asked whether the result they opened helped">"Helped?"</th>
                <th>"Last"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let through = r.click_through().map_or_else(|| "–".to_owned(), |p| format!("{p}% ({})", r.clicked));
                    let helped = if r.helped + r.unhelpful == 0 {
                        "–".to_owned()
                    } else {
                        format!("{} yes · {} no", r.helped, r.unhelpful)
                    };
                    view! {
                        <tr data-testid=testid>
                            <td data-testid="insights-query">{r.query.clone()}</td>
                            <td>{r.searches}</td>
                            <td>{r.empty}</td>
                            <td>{through}</td>
                            <td data-testid="insights-helped">{helped}</td>
                            <td>{format_date(r.last_at)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn QuestionTable(rows: Vec<QuestionRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"None yet."</p> }.into_any();
    }
    view! {
        <table class="data-table">
            <thead><tr><th>"Question"</th><th>"Asked"</th><th>"Not found"</th><th>"Last"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr data-testid="insights-not-found-row">
                        <td data-testid="insights-question">{r.question}</td>
                        <td>{r.asked}</td>
                        <td>{r.not_found}</td>
                        <td>{format_date(r.last_at)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn DownvotedList(rows: Vec<AnswerVoteRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"None yet."</p> }.into_any();
    }
    view! {
        <ol class="insights__answers">
            {rows.into_iter().map(|r| {
                let reasons = if r.reasons.is_empty() { "no reason given".to_owned() } else { r.reasons.join(", ") };
                view! {
                    <li class="insights__answer" data-testid="insights-downvoted-row">
                        <p><strong data-testid="insights-downvoted-question">{r.question}</strong></p>
                        <p class="muted" data-testid="insights-downvoted-votes">
                            {format!("{} not helpful · {} helpful · {reasons} · {}", r.down, r.up, format_date(r.last_at))}
                        </p>
                        // The answer as plain text: the model's Markdown is not rendered here.
                        <blockquote class="insights__answer-text" data-testid="insights-downvoted-answer">{r.answer}</blockquote>
                        {(!r.sources.is_empty()).then(|| view! {
                            <ol class="insights__sources">
                                {r.sources.into_iter().map(|s| view! {
                                    // Checked when the vote was stored: a link into this site's documents.
                                    <li><a href=s.url>{s.title}</a>{(!s.heading.is_empty()).then(|| format!(" · {}", s.heading))}</li>
                                }).collect_view()}
                            </ol>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}
