//! Ask on the native host: real SQLite, the real router and search, and a scripted text model
//! whose answer (and when it gives it) each test decides. Sources come first, then the answer
//! in pieces, then `done`; the answer is kept until a passage it was built from changes;
//! identical questions share one generation; a reader who leaves stops the model; a model that
//! is down or hangs leaves the sources; bad questions are 400s and a crowd is a 429. The last
//! test streams from the real SmolLM2 model.

mod common;
#[path = "common/scripted.rs"]
mod scripted;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::*;
use domain::ask::{self, Answered, Event};
use domain::enrich;
use domain::ports::Ai;
use http_body_util::BodyExt;
use scripted::{Answer, Enrichment, Scripted};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

const ZEPPELIN: &str = "---\ntitle: Zeppelin mooring\n---\n# Zeppelin mooring\n\n## Mooring masts\n\n\
Airships are moored to a mast by the nose, so they swing with the wind. The Hindenburg used a \
mobile mast on rails at Lakehurst.\n";

/// The passage's sentence that answers how airships are moored, as an answer quoting it.
const QUOTED: &str = "Airships are moored to a mast by the nose, so they swing with the wind [1].";

/// Ask's scripted model: enrichment's calls never answer and are not counted.
fn model(answer: Answer, open: bool) -> Arc<Scripted> {
    Scripted::with(answer, open, Enrichment::Ignored)
}

struct Site {
    router: Router,
    ports: domain::Ports,
    domain: domain::Site,
    native: server::startup::Native,
    admin: String,
    _dir: tempfile::TempDir,
}

async fn site(ai: Arc<Scripted>) -> Site {
    let (native, admin, dir) = native_with(&[("zeppelin.md", ZEPPELIN.as_bytes())]).await;
    let settings = enrich::Settings {
        text_model: "scripted".into(),
        calls_per_minute: 1_000,
        calls_per_day: 10_000,
        timeout: Duration::from_secs(2),
        breaker_failures: 100,
        ..enrich::Settings::default()
    };
    let ports = with_scripted_model(&native, &dir, ai).await;
    // The scripted embeddings are not a model's: similarities mean nothing here, so the bar
    // for "not found" at once is off (its own test turns it on).
    // Follow-ups are rewritten by the (scripted) model, as on the Worker.
    let search = domain::search::Settings {
        ask_min_similarity: None,
        ask_rewrite_by_model: true,
        ..(*native.site.search).clone()
    };
    let site = domain::Site { ports, search: Arc::new(search), ..native.site.clone() }
        .with_enrich_settings(settings);
    Site {
        router: router_with(site.clone()),
        ports: site.ports.clone(),
        domain: site,
        native,
        admin,
        _dir: dir,
    }
}

fn ask_request(body: &str) -> Request<Body> {
    Request::post("/api/ask")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

fn question(q: &str) -> String {
    serde_json::json!({ "question": q }).to_string()
}

/// The events of a whole answer, in order.
fn events(body: &str) -> Vec<Event> {
    body.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event: ")).expect("event name");
            let data = block.lines().find_map(|l| l.strip_prefix("data: ")).expect("event data");
            Event::parse(name, data).unwrap_or_else(|| panic!("unreadable event {block:?}"))
        })
        .collect()
}

async fn ask_whole(router: &Router, body: &str) -> (StatusCode, Vec<Event>, Answered) {
    let (status, headers, text) = send(router, ask_request(body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(headers[header::CONTENT_TYPE].to_str().expect("type").starts_with("text/event-stream"));
    let events = events(&text);
    let mut answered = Answered::default();
    for event in events.clone() {
        answered.apply(event);
    }
    (status, events, answered)
}

#[tokio::test]
async fn sources_come_first_then_the_answer_in_pieces_then_what_it_cited() {
    let ai = model(Answer::Text("Airships swing with the wind on a mast [1]."), true);
    let site = site(ai.clone()).await;
    let (_, events, answered) = ask_whole(&site.router, &question("How are airships moored?")).await;
    assert!(matches!(events.first(), Some(Event::Sources(_))), "{events:?}");
    assert!(matches!(events.last(), Some(Event::Done(_))));
    let pieces = events.iter().filter(|e| matches!(e, Event::Text(_))).count();
    assert!(pieces > 3, "streamed in pieces, not whole: {pieces}");
    let first = &answered.sources[0];
    assert_eq!((first.n, first.title.as_str()), (1, "Zeppelin mooring"));
    assert_eq!(first.url, "/docs/zeppelin#mooring-masts", "deep link to the passage's section");
    assert!(first.text.contains("moored to a mast"), "{first:?}");
    let done = answered.done.expect("done");
    assert_eq!(done.citations, vec![1]);
    assert!(!done.not_found && !done.cached && done.unavailable.is_none(), "{done:?}");
    assert!(done.timings.first_text_ms.is_some());
    assert_eq!(answered.answer, "Airships swing with the wind on a mast [1].");
    // The quick answer: the passage's own sentence, cited, before the model's first piece.
    let quick = events.iter().position(|e| matches!(e, Event::Quick(_)));
    let text = events.iter().position(|e| matches!(e, Event::Text(_)));
    assert!(matches!((quick, text), (Some(q), Some(t)) if q < t), "{events:?}");
    let said = &answered.quick.sentences[0];
    assert_eq!(said.n, 1);
    assert!(said.text.starts_with("Airships are moored to a mast by the nose"), "{said:?}");
    assert!(done.timings.quick_ms.is_some_and(|q| Some(q) <= done.timings.first_text_ms));

    // Asked again (other case, spacing and punctuation): from storage, no second generation.
    let (_, _, again) = ask_whole(&site.router, &question("  how are AIRSHIPS moored ")).await;
    assert_eq!(again.answer, answered.answer);
    assert_eq!(again.quick, answered.quick, "the quick answer comes with a stored one too");
    assert!(again.done.expect("done").cached);
    assert_eq!(ai.asked(), 1);
    // Without JavaScript the page shows it whole.
    let (_, _, page) = send(&site.router, get("/ask?q=How+are+airships+moored%3F")).await;
    assert!(page.contains("data-testid=\"ask-quick\"") && page.contains("Quick answer"), "{page}");
    // Another filter is another question.
    let filtered =
        serde_json::json!({ "question": "How are airships moored?", "tag": "nowhere" }).to_string();
    let (_, _, other) = ask_whole(&site.router, &filtered).await;
    assert!(other.sources.is_empty() && other.done.expect("done").not_found, "nothing under that tag");
    assert_eq!(ai.asked(), 1, "no passages: no model call");
}

#[tokio::test]
async fn a_stored_answer_goes_as_soon_as_its_passage_changes() {
    let ai = model(Answer::Text("On a mast [1]."), true);
    let site = site(ai.clone()).await;
    let q = question("How are airships moored?");
    ask_whole(&site.router, &q).await;
    ask_whole(&site.router, &q).await;
    assert_eq!(ai.asked(), 1);

    let id: i64 = site
        .ports
        .db
        .query(domain::sql::Statement::new("SELECT id FROM documents WHERE slug = 'zeppelin'"))
        .await
        .expect("id")[0]["id"]
        .as_i64()
        .expect("id");
    let edited = ZEPPELIN.replace("Lakehurst", "Friedrichshafen");
    let body = format!(
        "id={id}&base_version=1&markdown={}",
        edited.replace(' ', "+").replace('\n', "%0A").replace('#', "%23")
    );
    let (status, _, text) =
        send(&site.native.router, with_cookie(form("/api/save-document", body), &site.admin)).await;
    assert!(status.is_success() || status.is_redirection(), "{status} {text}");
    site.native.tasks.wait_idle().await;
    let (_, _, after_edit) = ask_whole(&site.router, &q).await;
    assert!(!after_edit.done.expect("done").cached);
    assert!(after_edit.sources[0].text.contains("Friedrichshafen"), "the new passage");
    assert_eq!(ai.asked(), 2, "the edit dropped the stored answer");

    let (status, _, _) =
        send(&site.native.router, with_cookie(delete(&format!("/api/documents/{id}")), &site.admin)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // SQLite gives the next chunk the deleted one's id: another document's chunk with that id
    // must not revive the answer.
    let before: i64 = count(&site.native, "chunks").await;
    let (status, _) = upload(
        &site.native,
        &site.admin,
        &[("gliders.md", b"# Gliders\n\nGliders have no engine.\n\n## Wings\n\nLong thin wings.\n")],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    site.native.tasks.wait_idle().await;
    assert_eq!(count(&site.native, "chunks").await, before + 2, "the ids the zeppelin's chunks had");
    let (_, _, after_delete) = ask_whole(&site.router, &q).await;
    assert!(after_delete.sources.iter().all(|s| s.title != "Zeppelin mooring"));
    assert!(!after_delete.done.expect("done").cached);
}

#[tokio::test]
async fn identical_questions_asked_at_once_share_one_generation() {
    let ai = model(Answer::Text("On a mast [1]."), false);
    let site = site(ai.clone()).await;
    let askers: Vec<_> = (0..6)
        .map(|_| {
            let router = site.router.clone();
            tokio::spawn(async move { ask_whole(&router, &question("How are airships moored?")).await.2 })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    ai.open();
    for asker in askers {
        let answered = asker.await.expect("asker");
        assert_eq!(answered.answer, "On a mast [1].");
    }
    assert_eq!(ai.asked(), 1, "one generation for six askers");
}

#[tokio::test]
async fn a_reader_who_leaves_stops_the_generation_and_frees_the_question() {
    let ai = model(Answer::Hang, true);
    let site = site(ai.clone()).await;
    let response = site
        .router
        .clone()
        .oneshot(ask_request(&question("How are airships moored?")))
        .await
        .expect("response");
    let mut body = response.into_body();
    let first = body.frame().await.expect("a frame").expect("bytes").into_data().expect("data");
    assert!(String::from_utf8_lossy(&first).starts_with("event: sources"));
    // Keep reading (the answer is made as the body is read) until the model starts, then leave.
    for _ in 0..50 {
        if ai.asked() == 1 {
            break;
        }
        let _ = tokio::time::timeout(Duration::from_millis(20), body.frame()).await;
    }
    assert_eq!(ai.asked(), 1);
    drop(body);
    assert_eq!(ai.dropped.load(Ordering::SeqCst), 1, "the model's future was dropped");
    site.native.tasks.wait_idle().await;
    assert_eq!(count(&site.native, "ask_claims").await, 0, "the claim was released");
}

#[tokio::test]
async fn a_model_that_fails_or_hangs_leaves_the_sources_and_a_notice() {
    for answer in [Answer::Fail, Answer::Hang] {
        let ai = model(answer, true);
        let site = site(ai.clone()).await;
        let (status, _, answered) = ask_whole(&site.router, &question("How are airships moored?")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answered.sources[0].title, "Zeppelin mooring");
        let done = answered.done.expect("done");
        assert!(done.unavailable.expect("a notice").contains("unavailable right now"));
        // Nothing stored: the next asker tries again.
        assert_eq!(count(&site.native, "ask_answers").await, 0);
        let (_, _, page) = send(&site.router, get("/ask?q=How+are+airships+moored%3F")).await;
        assert!(page.contains("data-testid=\"ask-unavailable\""), "the page says so too");
        assert!(page.contains("Zeppelin mooring"));
        assert!(page.contains("value=\"How are airships moored?\""), "the form shows the question");
    }
}

#[tokio::test]
async fn bad_questions_are_400s_that_say_why_and_a_crowd_is_a_429() {
    let ai = model(Answer::Text("On a mast [1]."), false);
    let site = site(ai.clone()).await;
    for (body, says) in [
        (question("   "), "Type a question"),
        (question(&"why ".repeat(2_500)), "at most 500 characters"),
        (question("\u{0}\u{1}binary\u{2}"), "must be words"),
        (question("?!… —"), "must be words"),
        ("not json".to_owned(), "as JSON"),
    ] {
        let (status, _, text) = send(&site.router, ask_request(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:.40}: {text}");
        assert!(text.contains(says), "{text}");
    }
    let (status, _, page) = send(&site.router, get(&format!("/ask?q={}", "why+".repeat(2_500)))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("at most 500 characters"));

    // 20 different questions at once, the model shut: 8 are answered, the rest told to wait.
    let askers: Vec<_> = (0..20)
        .map(|i| {
            let router = site.router.clone();
            tokio::spawn(async move {
                let res = router
                    .oneshot(ask_request(&question(&format!("airships moored {i}"))))
                    .await
                    .expect("response");
                let status = res.status();
                let retry = res.headers().get(header::RETRY_AFTER).cloned();
                let body = res.into_body().collect().await.expect("body").to_bytes();
                (status, retry, String::from_utf8_lossy(&body).into_owned())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    ai.open();
    let mut answered = 0;
    for asker in askers {
        let (status, retry, body) = asker.await.expect("no crash");
        match status {
            StatusCode::OK => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(retry.is_some(), "a 429 says when to come back");
                assert!(body.contains("Try again in"), "{body}");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(answered, 8);
}

#[tokio::test]
async fn what_the_model_writes_is_text_and_a_question_without_passages_is_not_found() {
    let ai = model(
        Answer::Text(
            // Mostly the passage's words, so that the answer check keeps it and it reaches the page.
            "<script>alert(1)</script> Airships are moored to a mast by the nose and swing with the wind on rails at Lakehurst, see [this](https://evil.example/x) [1] [9].",
        ),
        true,
    );
    let site = site(ai.clone()).await;
    let (status, _, page) = send(&site.router, get("/ask?q=How+are+airships+moored%3F")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script>alert(1)"), "markup is text");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("href=\"https://evil"), "a link's target is dropped");
    assert!(
        page.contains("href=\"/docs/zeppelin#mooring-masts\" data-testid=\"ask-cite\""),
        "[1] links to the passage"
    );
    assert!(!page.contains("[9]"), "a number that names no passage is dropped");

    let (_, _, answered) = ask_whole(&site.router, &question("Qwxz flibbertigibbet vorpal?")).await;
    assert!(answered.sources.is_empty());
    assert_eq!(answered.answer, ask::prompt::NOT_FOUND);
    assert!(answered.done.expect("done").not_found);
}

#[tokio::test]
async fn a_model_that_finds_nothing_where_the_passages_answer_is_replaced_by_their_words() {
    // The small model's "not found" to a question its passage answers.
    let ai = model(Answer::Text(ask::prompt::NOT_FOUND), true);
    let site = site(ai.clone()).await;
    let (_, events, answered) = ask_whole(&site.router, &question("How are airships moored?")).await;
    assert_eq!(answered.quick.as_answer(), QUOTED, "the quick answer came first");
    assert_eq!(answered.answer, QUOTED);
    assert!(
        matches!(events.last(), Some(Event::Done(d)) if d.quoted && !d.not_found && d.answer.as_deref() == Some(QUOTED))
    );
    // Stored as the answer, and still known for what it is when it comes from storage.
    let (_, _, stored) = ask_whole(&site.router, &question("How are airships moored?")).await;
    let done = stored.done.expect("done");
    assert!(done.cached && done.quoted && stored.answer == QUOTED, "{done:?}");
    // The page shows it once, as the answer, and never "not found" under it.
    let (_, _, page) = send(&site.router, get("/ask?q=How+are+airships+moored%3F")).await;
    assert!(page.contains("ask-answer--quoted") && !page.contains("data-testid=\"ask-quick\""), "{page}");
    assert!(!page.contains("couldn&#x27;t find") && !page.contains("couldn't find"));
    assert!(
        page.contains("the model&#x27;s answer did not hold up")
            || page.contains("the model's answer did not hold up")
    );
    // Where no sentence answers, "not found" stays.
    let (_, _, nothing) = ask_whole(&site.router, &question("What is the capital of Mongolia?")).await;
    assert_eq!(nothing.answer, ask::prompt::NOT_FOUND);
    assert!(nothing.done.expect("done").not_found);
}

#[tokio::test]
async fn an_answer_is_checked_against_its_passages() {
    // Drawn from passage 1 without saying so: the citation is attached.
    let ai = model(Answer::Text("Airships are moored to a mast by the nose."), true);
    let site = site(ai.clone()).await;
    let (_, events, answered) = ask_whole(&site.router, &question("How are airships moored?")).await;
    assert_eq!(answered.answer, "Airships are moored to a mast by the nose [1].");
    assert!(matches!(events.last(), Some(Event::Done(d)) if d.answer.is_some() && d.citations == vec![1]));
    let (_, _, stored) = ask_whole(&site.router, &question("How are airships moored?")).await;
    assert_eq!(stored.answer, answered.answer, "kept as checked");

    // Drawn from none of them (the model answered from what it learned): its answer goes, and
    // the passage's own sentence that answers (the quick answer) is the answer instead.
    ai.answer(Answer::Text("The capital of Peru is Lima, a large city."));
    let (_, _, made_up) = ask_whole(&site.router, &question("How are airships moored at Lima?")).await;
    assert_eq!(made_up.answer, QUOTED);
    let done = made_up.done.expect("done");
    assert!(done.quoted && !done.not_found && done.citations == vec![1], "{done:?}");

    // What a small model said to a question the documents cannot answer, citing a passage that
    // says nothing of it: a citation proves nothing, the sentence goes, and with it the answer.
    ai.answer(Answer::Text("The capital city of Mongolia is Beijing [1]."));
    let (_, events, beijing) = ask_whole(&site.router, &question("What is the capital of Mongolia?")).await;
    assert!(!beijing.sources.is_empty(), "the mooring page is still the nearest");
    assert_eq!(beijing.answer, ask::prompt::NOT_FOUND);
    let done = beijing.done.expect("done");
    assert!(done.not_found && done.citations.is_empty());
    assert!(
        matches!(events.last(), Some(Event::Done(d)) if d.answer.as_deref() == Some(ask::prompt::NOT_FOUND)),
        "done carries the checked answer, which replaces the pieces streamed"
    );
    // The page without JavaScript shows the checked answer, never the claim.
    let (_, _, page) = send(&site.router, get("/ask?q=What+is+the+capital+of+Mongolia%3F")).await;
    assert!(!page.contains("Beijing"), "the unsupported claim never reaches the page");
    assert!(page.contains("You could look at"), "the sources are offered as where to look");

    // True and false sentences, each citing the passage: the true one stays, the false one goes,
    // and that is what is stored.
    ai.answer(Answer::Text(
        "Airships are moored to a mast by the nose [1]. The Hindenburg flew to the Moon in 1969 carrying penguins [1].",
    ));
    let (_, _, mixed) = ask_whole(&site.router, &question("Where was the Hindenburg moored?")).await;
    assert_eq!(mixed.answer, "Airships are moored to a mast by the nose [1].");
    let (_, _, stored) = ask_whole(&site.router, &question("Where was the Hindenburg moored?")).await;
    assert!(stored.done.expect("done").cached);
    assert_eq!(stored.answer, mixed.answer, "the checked answer is what is stored");
}

#[tokio::test]
async fn a_question_no_passage_is_near_is_not_found_at_once_without_the_model() {
    let ai = model(Answer::Text("Airships are moored to a mast by the nose [1]."), true);
    let site = site(ai.clone()).await;
    // No cosine reaches 1.5: a bar there stands for a question nothing answers.
    let search = domain::search::Settings { ask_min_similarity: Some(1.5), ..(*site.domain.search).clone() };
    let far = domain::Site { search: Arc::new(search), ..site.domain.clone() };
    let router = router_with(far);
    let started = std::time::Instant::now();
    let (_, events, answered) = ask_whole(&router, &question("How are airships moored?")).await;
    assert!(started.elapsed() < Duration::from_millis(1_000), "{:?}", started.elapsed());
    assert_eq!(ai.asked(), 0, "the model is not asked");
    assert!(!answered.sources.is_empty(), "the nearest sources are still offered");
    assert_eq!(answered.answer, ask::prompt::NOT_FOUND);
    let done = answered.done.expect("done");
    assert!(done.not_found && done.citations.is_empty() && done.unavailable.is_none());
    assert!(matches!(events.as_slice(), [Event::Sources(_), Event::Text(_), Event::Done(_)]));
    let (_, _, page) = send(&router, get("/ask?q=How+are+airships+moored%3F")).await;
    assert!(page.contains("You could look at") && page.contains("couldn"), "{page}");

    // Under the bar the model answers as before.
    let (_, _, answered) = ask_whole(&site.router, &question("How are airships moored?")).await;
    assert_eq!(answered.answer, "Airships are moored to a mast by the nose [1].");
    assert_eq!(ai.asked(), 1);
}

/// The real text model streams an answer in pieces through the native adapter, and a dropped
/// future stops it.
#[tokio::test]
async fn the_local_text_model_streams_an_answer() {
    let model = local_model();
    let sources = vec![ask::Source {
        n: 1,
        chunk_id: 1,
        document_id: 1,
        title: "Zeppelin mooring".into(),
        heading: "Mooring masts".into(),
        url: "/docs/zeppelin#mooring-masts".into(),
        text: "Airships are moored to a mast by the nose, so they swing with the wind.".into(),
    }];
    let pieces = Mutex::new(Vec::<String>::new());
    let answer = model
        .generate_streamed(
            ask::prompt::SYSTEM.into(),
            ask::prompt::prompt("How are airships moored?", &sources),
            &|piece| pieces.lock().expect("pieces").push(piece.to_owned()),
        )
        .await
        .expect("answer");
    let pieces = pieces.into_inner().expect("pieces");
    eprintln!("SmolLM2 answered in {} pieces: {answer:?}", pieces.len());
    assert!(pieces.len() > 3, "streamed in pieces");
    assert_eq!(pieces.concat(), answer, "the pieces are the answer, in order");
    // Greedy decoding is the same run to run on one machine, not across CPUs: another SIMD
    // kernel rounds differently and the argmax can tip (on an AMD EPYC it wrote "The answer to
    // the question about airships mooring is: [2] Zeppelin." where earlier machines wrote about
    // the mast). What a small model must still do anywhere is write about what it was asked.
    let lower = answer.to_lowercase();
    assert!(
        ["mast", "moor", "nose", "wind", "airship", "zeppelin"].iter().any(|w| lower.contains(w)),
        "an answer about the question: {answer}"
    );
    if std::env::var("FOLIO_PROMPT_PROBE").is_ok() {
        // Prints what the model makes of other questions, for trying prompts by hand.
        let more = vec![
            sources[0].clone(),
            ask::Source {
                n: 2,
                title: "Hangars".into(),
                heading: "Doors".into(),
                text: "Hangar doors open sideways on rails. A hangar holds two airships.".into(),
                ..sources[0].clone()
            },
        ];
        for q in [
            "How are airships moored?",
            "How do hangar doors open?",
            "What is the capital of Peru?",
            "Who wrote Hamlet?",
        ] {
            let a = model
                .generate_streamed(ask::prompt::SYSTEM.into(), ask::prompt::prompt(q, &more), &|_| {})
                .await;
            eprintln!("PROBE {q} → {a:?}");
        }
    }
}

/// The local models as the native host loads them (SmolLM2 and MiniLM from set-up's cache).
fn local_model() -> Arc<server::adapters::local_model::LocalModel> {
    let config = server::config::Config::default();
    let source =
        models::ModelSource::parse(config.text_model().expect("default").as_str(), &config.model_cache)
            .expect("source");
    let generator = models::TextGenerator::load(&source, &config.text_model_file, None)
        .unwrap_or_else(|e| panic!("{e}: run scripts/setup.sh"));
    let embedder = models::SentenceEmbedder::load(
        &models::ModelSource::parse(config.embedding_model().expect("default").as_str(), &config.model_cache)
            .expect("source"),
    )
    .expect("embedder");
    Arc::new(server::adapters::local_model::LocalModel::new(embedder).with_generator(generator))
}

#[tokio::test]
async fn a_summary_being_written_stops_for_a_readers_question() {
    let model = local_model();
    // Background writing (a summary): long enough to be still going when the reader comes.
    let summary = tokio::spawn({
        let model = model.clone();
        async move {
            model
                .generate(
                    "You write long, detailed summaries.".into(),
                    "Summarise the history of airships, decade by decade, in twenty paragraphs.".into(),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(!summary.is_finished(), "the summary was still being written");
    let pieces = Mutex::new(0_usize);
    let answer = model
        .generate_streamed(
            ask::prompt::SYSTEM.into(),
            "Passages:\n[1] Airships are moored to a mast by the nose.\n\nQuestion: How are airships moored?"
                .into(),
            &|_| *pieces.lock().expect("pieces") += 1,
        )
        .await;
    assert!(answer.is_ok_and(|a| !a.is_empty()), "the reader is answered");
    assert!(*pieces.lock().expect("pieces") > 0);
    // The summary gave way at its next token: its caller is told the model is busy (and the
    // enrichment job tries again later), not that it failed.
    let summary = summary.await.expect("joined");
    assert!(matches!(summary, Err(domain::error::AiError::Busy(_))), "{summary:?}");
}

/// A follow-up is made to stand alone before it is searched: by the model when its rewrite
/// keeps the conversation's words, else by the rule; the page is told what was searched for.
#[tokio::test]
async fn a_follow_up_is_searched_for_as_a_whole_question() {
    const RULES: &[(&str, &str)] = &[
        ("Last: and at Lakehurst?", "How are airships moored at Lakehurst?\nRewritten: more"),
        ("Last: and with what?", "The Hindenburg used a mobile mast on rails."),
        ("Passages", "Airships are moored to a mast by the nose [1]."),
    ];
    let ai = model(Answer::ByPrompt(RULES), true);
    let site = site(ai.clone()).await;
    let follow_up =
        |q: &str| serde_json::json!({ "question": q, "thread": ["How are airships moored?"] }).to_string();

    // The model's rewrite, kept: it says what both questions said and nothing new.
    let (_, events, answered) = ask_whole(&site.router, &follow_up("and at Lakehurst?")).await;
    let Some(Event::Searched(searched)) = events.first() else { panic!("searched first: {events:?}") };
    assert_eq!(searched.text, "How are airships moored at Lakehurst?");
    assert!(searched.by_model);
    assert_eq!(answered.sources[0].title, "Zeppelin mooring");
    assert_eq!(ai.asked(), 2, "the rewrite, then the answer");

    // The model answered instead of rewriting: the rule joins the questions.
    let (_, _, answered) = ask_whole(&site.router, &follow_up("and with what?")).await;
    let searched = answered.searched.expect("searched");
    assert_eq!(searched.text, "How are airships moored, with what?");
    assert!(!searched.by_model);
    assert_eq!(answered.sources[0].title, "Zeppelin mooring");

    // A question that stands alone is asked as it is, without asking the model to rewrite it.
    let before = ai.asked();
    let (_, events, answered) = ask_whole(&site.router, &follow_up("Where did the Hindenburg moor?")).await;
    assert!(matches!(events.first(), Some(Event::Sources(_))), "{events:?}");
    assert_eq!(answered.searched, None);
    assert_eq!(ai.asked(), before + 1, "the answer only");

    // The thread is questions too: binary in it is a 400 that says which.
    let (status, _, text) = send(
        &site.router,
        ask_request(&serde_json::json!({ "question": "and then?", "thread": ["\u{1}\u{2}"] }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("earlier question"), "{text}");
}

/// What the real SmolLM2 makes of follow-ups: its rewrite is used only when [`accept`] keeps
/// it, so either way the question searched for holds the words of both turns.
#[tokio::test]
async fn the_local_text_model_rewrites_a_follow_up_or_the_rule_does() {
    use domain::ask::followup;
    let model = local_model();
    let cases: &[(&[&str], &str, &[&str])] = &[
        (&["How do I install git?"], "and on Windows?", &["git", "windows"]),
        (&["How are airships moored?"], "what about in a storm?", &["moor", "storm"]),
        (&["How do I create a branch?", "and rename it?"], "how do I delete it?", &["branch", "delete"]),
    ];
    let mut kept = 0;
    for (thread, follow_up, words) in cases {
        let thread: Vec<String> = thread.iter().map(|t| (*t).to_owned()).collect();
        let said = model
            .generate_streamed(followup::SYSTEM.into(), followup::prompt(&thread, follow_up), &|_| {})
            .await
            .expect("the model writes");
        let previous = followup::previous(&thread).expect("a thread");
        let accepted = followup::accept(&said, &thread, follow_up, &previous);
        eprintln!("SmolLM2 rewrote {follow_up:?} after {thread:?} as {said:?}: kept {accepted:?}");
        kept += usize::from(accepted.is_some());
        let searched = accepted.unwrap_or_else(|| followup::combine(&previous, follow_up)).to_lowercase();
        for word in *words {
            assert!(searched.contains(word), "{searched:?} lacks {word}");
        }
    }
    eprintln!("SmolLM2's rewrite kept for {kept} of {}", cases.len());
}
