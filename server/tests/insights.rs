//! Insights on the native host, with real SQLite and the real router: searches (a run typed
//! live counts once), opened results, questions answered "not found", and 👍/👎 on answers are
//! kept without the reader's address; `/admin/insights` and its CSV show them to signed-in editors only;
//! `INSIGHTS = false` keeps nothing; the sweep forgets what is older than 90 days.

mod common;

use axum::http::{header, StatusCode};
use common::*;
use domain::sql::Statement;

/// Form-encodes `pairs` as a browser posts a form.
fn encoded(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

async fn rows(
    native: &server::startup::Native,
    sql: &str,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    native.site.ports.db.query(Statement::new(sql.to_owned())).await.expect("query")
}

fn vote_form(answer: &str, helpful: bool, reason: &str) -> String {
    let sources = r#"[{"n":1,"title":"Welcome <b>to</b> Folio","heading":"","url":"/docs/welcome"}]"#;
    encoded(&[
        ("question", "What is <script>alert(1)</script> Folio?"),
        ("folder", ""),
        ("tag", ""),
        ("answer", answer),
        ("sources", sources),
        ("helpful", if helpful { "true" } else { "false" }),
        ("reason", reason),
    ])
}

#[tokio::test]
async fn searches_questions_and_votes_are_kept_without_addresses_and_shown_to_admins() {
    let (native, _dir) = native().await;
    let router = &native.router;
    native.tasks.wait_idle().await;

    // A submitted search that finds nothing, twice; one that finds the samples.
    for q in ["  Zzyzx   Nowhere ", "zzyzx nowhere", "markdown"] {
        let (status, _, body) = send(router, get(&format!("/api/search?q={}", q.replace(' ', "+")))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // The dialog's search as the reader types: one search for what was typed last.
    for q in ["m", "ma", "mark", "markd"] {
        let (status, _, _) = send(router, get(&format!("/api/search?q={q}&live=true"))).await;
        assert_eq!(status, StatusCode::OK);
        native.tasks.wait_idle().await;
    }
    // A reader opens a result of "markdown".
    let (status, _, _) = send(router, form("/api/search/click?q=Markdown", "PING")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // It did not help; then "did this help?" for a search nobody clicked through keeps nothing.
    for body in ["q=Markdown&helped=false", "q=zzyzx+nowhere&helped=true"] {
        let (status, _, text) = send(router, form("/api/search-helped", body)).await;
        assert!(status.is_success(), "{status} {text}");
    }
    // A question no passage answers.
    let (status, _, _) =
        send(router, json("/api/ask", r#"{"question":"How do I moor a zeppelin xyzzy?"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    // 👎 with a reason, then the same reader changes their reason: one vote.
    for reason in ["incomplete", "wrong"] {
        let (status, _, body) =
            send(router, form("/api/vote-answer", vote_form("It is <i>a site</i> [1].", false, reason)))
                .await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
    }
    native.tasks.wait_idle().await;

    let helped = rows(&native, "SELECT query, helped FROM insight_searches WHERE helped IS NOT NULL").await;
    assert_eq!(helped.len(), 1, "{helped:?}");
    assert_eq!((helped[0]["query"].as_str(), helped[0]["helped"].as_i64()), (Some("markdown"), Some(0)));
    let searches =
        rows(&native, "SELECT query, results, live, clicked FROM insight_searches ORDER BY id").await;
    let queries: Vec<(&str, i64, i64, i64)> = searches
        .iter()
        .map(|r| {
            (
                r["query"].as_str().unwrap_or(""),
                r["results"].as_i64().unwrap_or(-1),
                r["live"].as_i64().unwrap_or(-1),
                r["clicked"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(queries.len(), 4, "{queries:?}");
    assert_eq!(queries[0], ("zzyzx nowhere", 0, 0, 0));
    assert_eq!(queries[1], ("zzyzx nowhere", 0, 0, 0));
    assert_eq!((queries[2].0, queries[2].3), ("markdown", 1));
    assert_eq!((queries[3].0, queries[3].2), ("markd", 1));
    let questions = rows(&native, "SELECT question, not_found FROM insight_questions").await;
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0]["not_found"], 1);
    let votes = rows(&native, "SELECT * FROM answer_votes").await;
    assert_eq!(votes.len(), 1, "one vote per reader per answer");
    assert_eq!(votes[0]["reason"], "wrong");
    assert_eq!(votes[0]["voter"].as_str().map(str::len), Some(64));
    for table in ["insight_searches", "insight_questions", "answer_votes"] {
        let text = serde_json::to_string(&rows(&native, &format!("SELECT * FROM {table}")).await)
            .unwrap_or_default();
        assert!(!text.contains("unknown") && !text.contains("127.0.0.1"), "{table} holds an address: {text}");
    }

    // Only admins see insights.
    let (status, _, body) = send(router, get("/admin/insights")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("insights-sign-in"), "{body}");
    let (status, _, _) = send(router, get("/admin/insights.csv?kind=searches")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let admin = session_cookie(router, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _, page) = send(router, with_cookie(get("/admin/insights?days=30"), &admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_parses_as_written(&page);
    assert!(page.contains("zzyzx nowhere"), "{page}");
    assert!(page.contains("How do I moor a zeppelin xyzzy?"));
    // What readers typed and models wrote is text, never markup.
    assert!(page.contains("What is &lt;script&gt;alert(1)&lt;/script&gt; Folio?"), "{page}");
    assert!(page.contains("It is &lt;i&gt;a site&lt;/i&gt; [1]."));
    assert!(page.contains("Welcome &lt;b&gt;to&lt;/b&gt; Folio"));
    assert!(!page.contains("<script>alert(1)"));
    let (status, headers, csv) =
        send(router, with_cookie(get("/admin/insights.csv?days=7&kind=no-results"), &admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"folio-insights-no-results-7d.csv\""
    );
    assert!(csv.starts_with("\"query\",\"searches\",\"no_results\""), "{csv}");
    assert!(csv.contains("\"zzyzx nowhere\",\"2\",\"2\",\"0\",\"\""), "{csv}");
    let (_, _, csv) = send(router, with_cookie(get("/admin/insights.csv?kind=searches"), &admin)).await;
    assert!(csv.contains("\"markdown\",\"1\",\"0\",\"1\",\"100\",\"0\",\"1\""), "{csv}");
    let (_, _, csv) = send(router, with_cookie(get("/admin/insights.csv?kind=downvoted"), &admin)).await;
    assert!(csv.contains("\"wrong\""), "{csv}");
    let (status, _, _) = send(router, with_cookie(get("/admin/insights.csv?days=365"), &admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_site_with_insights_off_keeps_nothing_and_the_sweep_forgets_after_90_days() {
    let (native, _dir) = native().await;
    native.tasks.wait_idle().await;
    let off =
        domain::Site { ..native.site.clone() }.with_insights(domain::insights::Settings { collect: false });
    let router = router_with(off);
    let (status, _, _) = send(&router, get("/api/search?q=markdown")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&router, form("/api/vote-answer", vote_form("An answer.", false, ""))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    native.tasks.wait_idle().await;
    assert_eq!(count(&native, "insight_searches").await, 0);
    assert_eq!(count(&native, "answer_votes").await, 0);

    let db = &native.site.ports.db;
    for sql in [
        "INSERT INTO insight_searches (query, results, at) VALUES ('old', 0, unixepoch() - 91 * 86400), ('new', 1, unixepoch() - 89 * 86400)",
        "INSERT INTO insight_questions (question, not_found, at) VALUES ('old?', 1, unixepoch() - 91 * 86400)",
    ] {
        db.execute(Statement::new(sql)).await.expect("insert");
    }
    domain::ingest::sweep(&native.site).await.expect("sweep");
    let left = rows(&native, "SELECT query FROM insight_searches").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["query"], "new");
    assert_eq!(count(&native, "insight_questions").await, 0);
}
