//! Crash safety with the real binary: `folio` is killed with SIGKILL while it extracts a large
//! PDF, then started again on the same data folder. The document must end up ready, with no
//! job left behind and exactly one stored file per blob row.

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
    let child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .env("FOLIO_DATA_DIR", data)
        .env("FOLIO_ADDR", format!("127.0.0.1:{port}"))
        .env("FOLIO_SEED_SAMPLES", "false")
        // This test is about extraction; embedding the report would only keep its job longer.
        .env("FOLIO_EMBEDDING_MODEL", "off")
        .env("FOLIO_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FOLIO_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("FOLIO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start folio");
    let child = Folio(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "folio did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// The document's ingest status, and its error if it failed (an editor's `cookie`: only editors
/// may see an upload's status).
fn status(port: u16, id: i64, cookie: &str) -> (String, String) {
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

    // Upload with a token, as a script would.
    let login = serde_json::json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }).to_string();
    let res = ureq::post(&format!("http://127.0.0.1:{port}/api/session"))
        .header("Content-Type", "application/json")
        .send(login.as_bytes())
        .expect("sign in");
    let cookie =
        res.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_owned();
    let pdf = large_pdf(1500);
    let boundary = "crash-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"annual-report.pdf\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut res = ureq::post(&format!("http://127.0.0.1:{port}/api/documents"))
        .header("Cookie", &cookie)
        .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
        .send(&body[..])
        .expect("upload");
    assert_eq!(res.status(), 201);
    let results: serde_json::Value =
        serde_json::from_str(&res.body_mut().read_to_string().expect("body")).expect("json");
    let id = results[0]["id"].as_i64().expect("id");

    // Kill it while the PDF is being extracted.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = status(port, id, &cookie);
    while seen.0 != "extracting" {
        assert!(seen.0 == "queued", "extraction ended before the kill ({seen:?}): make the PDF larger");
        assert!(Instant::now() < deadline, "ingest never started (status {seen:?})");
        std::thread::sleep(Duration::from_millis(20));
        seen = status(port, id, &cookie);
    }
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("reaped");
    let stage: String = rusqlite::Connection::open(data.path().join("folio.db"))
        .and_then(|db| db.query_row("SELECT stage FROM ingest_jobs", [], |r| r.get(0)))
        .expect("the job survives the crash");
    assert_eq!(stage, "extract", "killed mid-extraction");

    let port = free_port();
    let second = start(data.path(), port);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = status(port, id, &cookie);
    while seen.0 != "ready" {
        assert!(seen.0 != "failed", "ingest failed after the restart: {seen:?}");
        assert!(Instant::now() < deadline, "not ready two minutes after the restart (status {seen:?})");
        std::thread::sleep(Duration::from_millis(200));
        seen = status(port, id, &cookie);
    }
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
