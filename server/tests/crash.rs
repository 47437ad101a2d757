//! Crash safety with the real binary: `folio` is killed with SIGKILL while it extracts a large
//! PDF, then started again on the same data folder. The document must end up ready, with no
//! job left behind and exactly one stored file per blob row; a file that keeps killing it is set
//! aside after three runs; a PDF that crashes or floods its converter fails alone while the
//! server goes on; a first start never waits for a hung model, and a stop never waits for it
//! long.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@folio.test";
const ADMIN_PASSWORD: &str = "a long admin password";

/// A valid PDF of `pages` pages, each with 45 lines of text (built by hand: no PDF library
/// needed to write one, and its size is what makes extraction take seconds).
fn large_pdf(pages: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |out: &mut Vec<u8>, body: String| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", offsets.len()).as_bytes());
    };
    let font = 3 + 2 * pages;
    object(&mut out, "<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 3 + 2 * i)).collect();
    object(&mut out, format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")));
    for page in 0..pages {
        object(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >> >> /Contents {} 0 R >>",
                4 + 2 * page
            ),
        );
        let mut text = String::from("BT /F1 11 Tf 60 740 Td\n");
        for line in 0..45 {
            text.push_str(&format!(
                "0 -14 Td (Page {page} line {line}: the quick brown fox jumps over the lazy dog.) Tj\n"
            ));
        }
        text.push_str(if page + 1 == pages {
            "0 -14 Td (The very last line of the report.) Tj ET"
        } else {
            "ET"
        });
        object(&mut out, format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()));
    }
    object(&mut out, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into());
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
    for offset in &offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", offsets.len() + 1)
            .as_bytes(),
    );
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `folio`, killed when dropped so a failing test leaves no server behind.
struct Folio(Child);

impl Drop for Folio {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `folio` on `data` and waits until it answers.
fn start(data: &Path, port: u16) -> Folio {
    // This test is about extraction; embedding the report would only keep its job longer.
    start_with(data, port, &[("FOLIO_SEED_SAMPLES", "false"), ("FOLIO_EMBEDDING_MODEL", "off")], 30)
}

/// Starts `folio` on `data` with `settings`, and waits up to `within_secs` until it answers.
fn start_with(data: &Path, port: u16, settings: &[(&str, &str)], within_secs: u64) -> Folio {
    let child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .env("FOLIO_DATA_DIR", data)
        .env("FOLIO_ADDR", format!("127.0.0.1:{port}"))
        .envs(settings.iter().copied())
        .env("FOLIO_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FOLIO_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("FOLIO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start folio");
    let child = Folio(child);
    let deadline = Instant::now() + Duration::from_secs(within_secs);
    while ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "folio did not answer within {within_secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// The document's ingest status, and its error if it failed, as an editor sees it.
fn status(port: u16, cookie: &str, id: i64) -> (String, String) {
    let Ok(mut res) =
        ureq::get(&format!("http://127.0.0.1:{port}/api/documents/{id}")).header("Cookie", cookie).call()
    else {
        return (String::new(), String::new());
    };
    let body: serde_json::Value =
        serde_json::from_str(&res.body_mut().read_to_string().unwrap_or_default()).unwrap_or_default();
    (
        body["status"].as_str().unwrap_or_default().to_owned(),
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Signs the admin in; the session cookie (`name=value`).
fn sign_in(port: u16) -> String {
    let login = serde_json::json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }).to_string();
    let res = ureq::post(&format!("http://127.0.0.1:{port}/api/session"))
        .header("Content-Type", "application/json")
        .send(login.as_bytes())
        .expect("sign in");
    res.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_owned()
}

/// Uploads one file through the API; its document id.
fn upload(port: u16, cookie: &str, name: &str, bytes: &[u8]) -> i64 {
    let (content_type, body) = import::multipart::form("", &[(name, bytes)]);
    let mut res = ureq::post(&format!("http://127.0.0.1:{port}/api/documents"))
        .header("Cookie", cookie)
        .header("Content-Type", &content_type)
        .send(&body[..])
        .expect("upload");
    assert_eq!(res.status(), 201);
    let results: serde_json::Value =
        serde_json::from_str(&res.body_mut().read_to_string().expect("body")).expect("json");
    results[0]["id"].as_i64().expect("id")
}

/// Waits until the document's status is `wanted`; `failed` before that fails the test.
fn wait_for(port: u16, cookie: &str, id: i64, wanted: &str, within: Duration) -> (String, String) {
    let deadline = Instant::now() + within;
    let mut seen = status(port, cookie, id);
    while seen.0 != wanted {
        assert!(seen.0 != "failed", "ingest failed: {seen:?}");
        assert!(Instant::now() < deadline, "not {wanted} within {within:?} (status {seen:?})");
        std::thread::sleep(Duration::from_millis(200));
        seen = status(port, cookie, id);
    }
    seen
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
        })
        .unwrap_or(0)
}

#[test]
fn killed_mid_ingest_the_server_finishes_the_job_after_a_restart_and_leaves_no_orphans() {
    let data = tempfile::tempdir().expect("data dir");
    let port = free_port();
    let mut first = start(data.path(), port);
    let cookie = sign_in(port);
    let id = upload(port, &cookie, "annual-report.pdf", &large_pdf(1500));

    // Kill it while the PDF is being extracted.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = status(port, &cookie, id);
    while seen.0 != "extracting" {
        assert!(seen.0 == "queued", "extraction ended before the kill ({seen:?}): make the PDF larger");
        assert!(Instant::now() < deadline, "ingest never started (status {seen:?})");
        std::thread::sleep(Duration::from_millis(20));
        seen = status(port, &cookie, id);
    }
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("reaped");
    let stage: String = rusqlite::Connection::open(data.path().join("folio.db"))
        .and_then(|db| db.query_row("SELECT stage FROM ingest_jobs", [], |r| r.get(0)))
        .expect("the job survives the crash");
    assert_eq!(stage, "extract", "killed mid-extraction");

    let port = free_port();
    let second = start(data.path(), port);
    // Sessions are stored: the cookie still signs the editor in after the restart.
    wait_for(port, &cookie, id, "ready", Duration::from_secs(120));
    let mut page = ureq::get(&format!("http://127.0.0.1:{port}/docs/annual-report")).call().expect("page");
    let html = page.body_mut().with_config().limit(50 << 20).read_to_string().expect("html");
    assert!(html.contains("The very last line of the report."), "the whole PDF was extracted");
    drop(second);

    // Nothing left behind: no job, no stray file, a file for every blob row.
    let db = rusqlite::Connection::open(data.path().join("folio.db")).expect("open db");
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql);
    assert_eq!(count("SELECT COUNT(*) FROM ingest_jobs"), 0);
    assert_eq!(count("SELECT COUNT(*) FROM document_versions WHERE status <> 'ready'"), 0);
    // The PDF, and its extracted Markdown (too long for a row, so a blob too; it has no title
    // line, so the body readers see is the same bytes, stored once).
    assert_eq!(count("SELECT COUNT(*) FROM document_versions WHERE body_key IS NOT NULL"), 1);
    assert_eq!(count("SELECT COUNT(*) FROM documents WHERE body_key IS NOT NULL"), 1);
    // Its HTML, rendered once at publish, is too long for a row as well.
    assert_eq!(count("SELECT COUNT(*) FROM documents WHERE html_key IS NOT NULL AND body_html IS NULL"), 1);
    let rows = count("SELECT COUNT(*) FROM blobs");
    assert_eq!(rows, 3, "the PDF, its Markdown and its HTML");
    let stored = files_under(&data.path().join("blobs")) - files_under(&data.path().join("blobs/tmp"));
    assert_eq!(i64::try_from(stored).ok(), Some(rows), "one file per blob row");
    assert_eq!(files_under(&data.path().join("blobs/tmp")), 0, "no half-written temp files");
}

/// The job's claims that have not come back, read from the database while `folio` runs.
fn unfinished_claims(data: &Path) -> i64 {
    rusqlite::Connection::open(data.join("folio.db"))
        .and_then(|db| db.query_row("SELECT unfinished FROM ingest_jobs", [], |r| r.get(0)))
        .unwrap_or(0)
}

#[test]
fn a_file_that_stops_the_server_three_times_is_set_aside_and_the_site_goes_on() {
    let data = tempfile::tempdir().expect("data dir");
    let port = free_port();
    let mut server = start(data.path(), port);
    let cookie = sign_in(port);
    let id = upload(port, &cookie, "fatal-report.pdf", &large_pdf(1500));

    // Three runs die mid-extraction (as a converter that aborts the process would make them):
    // each start resumes the job at once, and each time the process dies again.
    for run in 1..=3 {
        let deadline = Instant::now() + Duration::from_secs(30);
        while unfinished_claims(data.path()) < run {
            assert!(Instant::now() < deadline, "run {run} never claimed the job");
            std::thread::sleep(Duration::from_millis(20));
        }
        server.0.kill().expect("SIGKILL");
        server.0.wait().expect("reaped");
        server = start(data.path(), port);
    }

    // The fourth start sets it aside instead of dying again, and says why.
    let (_, error) = wait_for(port, &cookie, id, "failed", Duration::from_secs(30));
    assert!(error.contains("stopped the converter 3 times"), "{error}");
    assert_eq!(unfinished_claims(data.path()), 0, "no job left to run again");

    // Nothing waits behind it: the next upload goes live.
    let next = upload(port, &cookie, "notes.md", b"# Notes\n\nStill working after a bad file.\n");
    wait_for(port, &cookie, next, "ready", Duration::from_secs(60));
    let page = ureq::get(&format!("http://127.0.0.1:{port}/docs/notes")).call().expect("page");
    assert_eq!(page.status(), 200);
    drop(server);
}

#[test]
fn a_pdf_that_crashes_or_floods_its_converter_fails_alone_and_the_server_goes_on() {
    let data = tempfile::tempdir().expect("data dir");
    let port = free_port();
    let mut server = start(data.path(), port);
    let cookie = sign_in(port);
    // The crash comes first: before isolation it aborted `folio` itself, so the bomb (which
    // would take GBs in-process) is never sent to a server without a memory cap.
    let hostile: [(&str, &[u8], &str); 2] = [
        (
            "self-drawing.pdf",
            include_bytes!("../../domain/tests/fixtures/self-drawing.pdf"),
            "This PDF could not be read: the converter crashed on it.",
        ),
        (
            "flate-bomb.pdf",
            include_bytes!("../../domain/tests/fixtures/flate-bomb.pdf"),
            "This PDF could not be read: the converter needed more than 1024 MiB of memory.",
        ),
    ];
    for (name, bytes, reason) in hostile {
        let id = upload(port, &cookie, name, bytes);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = status(port, &cookie, id);
        while seen.0 != "failed" {
            assert!(server.0.try_wait().expect("wait").is_none(), "{name} stopped the server");
            assert!(Instant::now() < deadline, "{name} did not fail within 60 s ({seen:?})");
            std::thread::sleep(Duration::from_millis(100));
            seen = status(port, &cookie, id);
        }
        assert_eq!(seen.1, reason, "{name}");
    }
    assert!(server.0.try_wait().expect("wait").is_none(), "the server is still running");

    // The next PDF converts as ever.
    let next = upload(port, &cookie, "report.pdf", include_bytes!("../../domain/tests/fixtures/report.pdf"));
    wait_for(port, &cookie, next, "ready", Duration::from_secs(60));
    drop(server);
}

#[test]
fn a_first_start_with_a_hung_model_serves_the_sample_pages_at_once() {
    // What `make run` starts, with the model hung: each embedding call would wait 120 s, and
    // seeding used to wait for them before the port opened (over 200 s).
    let data = tempfile::tempdir().expect("data dir");
    let port = free_port();
    let _server =
        start_with(data.path(), port, &[("FOLIO_SEED_SAMPLES", "true"), ("FOLIO_AI_FAULT", "hang")], 60);
    let mut res = ureq::get(&format!("http://127.0.0.1:{port}/api/search?q=folio&mode=keyword"))
        .call()
        .expect("search");
    let body: serde_json::Value =
        serde_json::from_str(&res.body_mut().read_to_string().expect("body")).expect("json");
    let results = body["results"].as_array().map_or(0, Vec::len);
    assert!(results >= 2, "the sample pages are live and keyword-searchable: {body}");
    // Their vectors are the background's: the jobs wait at `embed`, nothing earlier.
    let stages: Vec<String> = rusqlite::Connection::open(data.path().join("folio.db"))
        .and_then(|db| {
            let mut stmt = db.prepare("SELECT DISTINCT stage FROM ingest_jobs")?;
            let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .expect("jobs");
    assert!(stages.iter().all(|s| s == "embed"), "{stages:?}");
}

#[test]
fn a_stopped_server_exits_soon_although_background_work_hangs() {
    // The sample pages' embeddings hang (each would give up after two minutes): SIGTERM must
    // not wait for them; their jobs are durable and the next start resumes them.
    let data = tempfile::tempdir().expect("data dir");
    let port = free_port();
    let mut server =
        start_with(data.path(), port, &[("FOLIO_SEED_SAMPLES", "true"), ("FOLIO_AI_FAULT", "hang")], 60);
    std::thread::sleep(Duration::from_secs(1)); // the background jobs are under way
    let stopped = Instant::now();
    let sent = Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().expect("kill");
    assert!(sent.success());
    let exit = loop {
        if let Some(exit) = server.0.try_wait().expect("try_wait") {
            break exit;
        }
        assert!(stopped.elapsed() < Duration::from_secs(60), "still running a minute after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("exited {:?} after SIGTERM: {exit}", stopped.elapsed());
    assert!(exit.success(), "a clean exit: {exit}");
    let waiting: i64 = rusqlite::Connection::open(data.path().join("folio.db"))
        .and_then(|db| {
            db.query_row("SELECT COUNT(*) FROM ingest_jobs WHERE stage = 'embed'", [], |r| r.get(0))
        })
        .expect("jobs");
    assert!(waiting > 0, "the unfinished embeddings are kept for the next start");
}
