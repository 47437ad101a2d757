//! The port contracts: one suite per port that every adapter must pass. Native adapters run it
//! in `cargo test`; the Worker runs the same code against D1 and R2 inside workerd. Each check
//! reports instead of panicking so a host can return the whole table as JSON.

mod ids;

use bytes::Bytes;
use serde::Serialize;

use crate::error::DbError;
use crate::ports::{Blobs, Db, DbExt, Throttle};
use crate::sql::{decode, Statement};
use crate::storage::blob_key::BlobKey;

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub port: &'static str,
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

struct Report {
    port: &'static str,
    checks: Vec<Check>,
}

impl Report {
    fn record(&mut self, name: &'static str, outcome: Result<(), String>) {
        let (passed, detail) = match outcome {
            Ok(()) => (true, String::new()),
            Err(detail) => (false, detail),
        };
        self.checks.push(Check { port: self.port, name, passed, detail });
    }
}

fn expect(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct ScratchRow {
    id: i64,
    n: Option<i64>,
    r: Option<f64>,
    t: Option<String>,
}

/// Runs the Db contract in a scratch table it creates and drops, then checks on Folio's own
/// tables (rows it adds and removes) that a deleted row's id is never given again.
pub async fn db(db: &dyn Db) -> Vec<Check> {
    let mut report = Report { port: "db", checks: Vec::new() };
    let setup = async {
        db.execute(Statement::new("DROP TABLE IF EXISTS contract_scratch")).await?;
        db.execute(Statement::new(
            "CREATE TABLE contract_scratch (id INTEGER PRIMARY KEY, n INTEGER, r REAL, t TEXT UNIQUE)",
        ))
        .await
    };
    report.record("create scratch table", setup.await.map(drop).map_err(|e| e.to_string()));

    let insert = |id: i64, n: Option<i64>, t: &str| {
        Statement::new("INSERT INTO contract_scratch (id, n, r, t) VALUES (?1, ?2, ?3, ?4)")
            .bind(id)
            .bind(n)
            .bind(0.5)
            .bind(t)
    };
    let read_all = || Statement::new("SELECT id, n, r, t FROM contract_scratch ORDER BY id");

    let outcome = async {
        let changed = db.execute(insert(1, Some(1 << 52), "héllo ✓")).await.map_err(|e| e.to_string())?;
        expect(changed == 1, || format!("execute reported {changed} changes, expected 1"))?;
        let rows: Vec<ScratchRow> =
            decode(db.query(read_all()).await.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        let want = ScratchRow { id: 1, n: Some(1 << 52), r: Some(0.5), t: Some("héllo ✓".into()) };
        expect(rows == vec![want], || format!("read back {rows:?}"))
    };
    report.record("insert then read back integers, reals and unicode text", outcome.await);

    let outcome = async {
        let rows = db
            .query(Statement::new("SELECT n FROM contract_scratch WHERE id = ?1").bind(None::<i64>))
            .await
            .map_err(|e| e.to_string())?;
        expect(rows.is_empty(), || format!("expected no rows, got {rows:?}"))
    };
    report.record("a query matching nothing returns no rows", outcome.await);

    let outcome = async {
        match db.execute(insert(2, None, "héllo ✓")).await {
            Err(DbError::Constraint(_)) => Ok(()),
            other => Err(format!("expected a constraint error, got {other:?}")),
        }
    };
    report.record("a UNIQUE violation is DbError::Constraint", outcome.await);

    let outcome = async {
        let result = db.batch(vec![insert(3, Some(3), "three"), insert(4, Some(4), "héllo ✓")]).await;
        expect(result.is_err(), || "a batch with a failing statement succeeded".into())?;
        let rows = db.query(read_all()).await.map_err(|e| e.to_string())?;
        expect(rows.len() == 1, || format!("batch was not atomic: {} rows remain", rows.len()))
    };
    report.record("a failing batch writes nothing", outcome.await);

    let outcome = async {
        db.batch(vec![insert(5, None, "five"), insert(6, Some(-6), "six")])
            .await
            .map_err(|e| e.to_string())?;
        let rows: Vec<ScratchRow> =
            decode(db.query(read_all()).await.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        expect(rows.len() == 3 && rows[1].n.is_none() && rows[2].n == Some(-6), || format!("{rows:?}"))
    };
    report.record("a good batch writes everything, NULLs included", outcome.await);

    let outcome = async {
        let rows = db
            .query(Statement::new("UPDATE contract_scratch SET n = 7 WHERE id = ?1 RETURNING n").bind(5_i64))
            .await
            .map_err(|e| e.to_string())?;
        expect(rows.first().and_then(|r| r.get("n")).and_then(serde_json::Value::as_i64) == Some(7), || {
            format!("{rows:?}")
        })
    };
    report.record("RETURNING rows come back from query", outcome.await);

    let outcome = async {
        // Kept pages are served while this holds: every committed write must move it.
        let Some(start) = db.writes() else { return Ok(()) };
        db.query(read_all()).await.map_err(|e| e.to_string())?;
        expect(db.writes() == Some(start), || "a read moved writes()".into())?;
        db.execute(insert(7, Some(7), "seven")).await.map_err(|e| e.to_string())?;
        let after_execute = db.writes().unwrap_or(start);
        expect(after_execute > start, || "execute did not move writes()".into())?;
        db.batch(vec![insert(8, Some(8), "eight")]).await.map_err(|e| e.to_string())?;
        let after_batch = db.writes().unwrap_or(after_execute);
        expect(after_batch > after_execute, || "batch did not move writes()".into())?;
        db.query(Statement::new("UPDATE contract_scratch SET n = 9 WHERE id = 8 RETURNING n"))
            .await
            .map_err(|e| e.to_string())?;
        expect(db.writes().unwrap_or(after_batch) > after_batch, || {
            "a RETURNING write did not move writes()".into()
        })
    };
    report.record("writes(), where counted, moves with every write and no read", outcome.await);

    let outcome = async {
        #[derive(serde::Deserialize)]
        struct Divided {
            q: serde_json::Value,
            kind: String,
        }
        let row: Divided =
            db.query_one(Statement::new("SELECT 7 / ?1 AS q, typeof(?1) AS kind").bind(2_i64)).await?;
        Ok::<_, DbError>(row)
    };
    let outcome = outcome.await.map_err(|e| e.to_string()).and_then(|row| {
        expect(row.q == serde_json::json!(3) && row.kind == "integer", || {
            format!("7 / 2 bound as an integer gave {} ({})", row.q, row.kind)
        })
    });
    report.record("an integer parameter is an integer in SQL (7 / ?1 = 3)", outcome);

    let cleanup = db.execute(Statement::new("DROP TABLE IF EXISTS contract_scratch")).await;
    report.record("drop scratch table", cleanup.map(drop).map_err(|e| e.to_string()));

    report.record(
        "a deleted document's, version's and chunk's ids are never given again",
        ids::ids_never_reused(db).await,
    );
    report.checks
}

/// Runs the Throttle contract on keys of its own (a fresh window of an hour: the clock could turn
/// a minute's window over mid-check).
pub async fn throttle(throttle: &dyn Throttle) -> Vec<Check> {
    let mut report = Report { port: "throttle", checks: Vec::new() };
    let hour = std::time::Duration::from_secs(3_600);
    let stamp = web_time::SystemTime::now().duration_since(web_time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let (key, other) = (format!("contract:{stamp}:a"), format!("contract:{stamp}:b"));
    let outcome = async {
        for n in 0..3 {
            let refused = throttle.take(&key, 3, hour).await;
            expect(refused.is_none(), || format!("use {n} of 3 was refused ({refused:?})"))?;
        }
        let wait = throttle.take(&key, 3, hour).await;
        expect(wait.is_some_and(|w| w >= std::time::Duration::from_secs(1) && w <= hour), || {
            format!("the 4th use of 3 gave {wait:?}, not a wait within the window")
        })
    };
    report.record("counts up to the limit, then says how long to wait", outcome.await);
    let refused = throttle.take(&other, 3, hour).await;
    report.record(
        "another key is counted apart",
        expect(refused.is_none(), || format!("a new key was refused ({refused:?})")),
    );
    report.checks
}

/// Runs the Blobs contract on keys only it uses.
pub async fn blobs(blobs: &dyn Blobs) -> Vec<Check> {
    let mut report = Report { port: "blobs", checks: Vec::new() };
    let bytes = Bytes::from((0..=255_u8).cycle().take(70_000).collect::<Vec<u8>>());
    let key = BlobKey::of(&bytes);
    // Start clean in case an earlier run was interrupted.
    let _ = blobs.delete(&key).await;

    report.record("ping", blobs.ping().await.map_err(|e| e.to_string()));

    let outcome = async {
        let got = blobs.get(&key).await.map_err(|e| e.to_string())?;
        expect(got.is_none(), || "a missing key returned bytes".into())?;
        let exists = blobs.exists(&key).await.map_err(|e| e.to_string())?;
        expect(!exists, || "a missing key exists".into())
    };
    report.record("a missing key is absent", outcome.await);

    let outcome = async {
        blobs.put(&key, bytes.clone()).await.map_err(|e| e.to_string())?;
        let got = blobs.get(&key).await.map_err(|e| e.to_string())?;
        expect(got.as_ref() == Some(&bytes), || {
            format!("read back {} bytes, wrote {}", got.map_or(0, |b| b.len()), bytes.len())
        })?;
        expect(blobs.exists(&key).await.map_err(|e| e.to_string())?, || "stored key does not exist".into())
    };
    report.record("binary bytes round-trip", outcome.await);

    let outcome = async {
        blobs.put(&key, bytes.clone()).await.map_err(|e| e.to_string())?;
        let got = blobs.get(&key).await.map_err(|e| e.to_string())?;
        expect(got.as_ref() == Some(&bytes), || "second put changed the bytes".into())
    };
    report.record("putting the same key twice is harmless", outcome.await);

    let outcome = async {
        blobs.delete(&key).await.map_err(|e| e.to_string())?;
        expect(!blobs.exists(&key).await.map_err(|e| e.to_string())?, || "deleted key still exists".into())?;
        blobs.delete(&key).await.map_err(|e| format!("deleting a missing key failed: {e}"))
    };
    report.record("delete removes, and deleting twice is harmless", outcome.await);
    report.checks
}

/// Runs the Passwords contract: salted hashes that name their algorithm and verify correctly.
pub async fn passwords(passwords: &dyn crate::ports::Passwords) -> Vec<Check> {
    let mut report = Report { port: "passwords", checks: Vec::new() };
    let secret = "correct horse battery ✓";
    let outcome = async {
        let first = passwords.hash(secret).await.map_err(|e| e.to_string())?;
        let second = passwords.hash(secret).await.map_err(|e| e.to_string())?;
        expect(first.starts_with('$') && first.matches('$').count() >= 3, || {
            format!("not a PHC string: {first}")
        })?;
        expect(first != second, || "two hashes of one password are identical (no salt)".into())?;
        expect(passwords.verify(secret, &first).await.map_err(|e| e.to_string())?, || {
            "the right password failed".into()
        })?;
        expect(!passwords.verify("correct horse battery x", &first).await.map_err(|e| e.to_string())?, || {
            "a wrong password passed".into()
        })
    };
    report.record("hash is salted, names its algorithm, and verifies", outcome.await);
    let outcome = async {
        match passwords.verify(secret, "$pbkdf2-sha256$i=1$broken").await {
            Ok(false) | Err(_) => Ok(()),
            Ok(true) => Err("a malformed hash verified".into()),
        }
    };
    report.record("a malformed hash never verifies", outcome.await);
    report.checks
}

/// Runs the Converter contract: a PDF converts; an unreadable one and empty bytes are refused
/// with a reason a person reads (`BadInput`), never a converter failure.
pub async fn converter(converter: &dyn crate::ports::Converter) -> Vec<Check> {
    use crate::ports::Conversion::PdfToMarkdown;
    let mut report = Report { port: "converter", checks: Vec::new() };
    let pdf = Bytes::from_static(include_bytes!("../../tests/fixtures/report.pdf"));
    let outcome = match converter.convert(PdfToMarkdown, pdf).await {
        Ok(markdown) => expect(markdown.contains("Revenue grew in every region"), || {
            format!("the report's text is missing: {markdown:?}")
        }),
        Err(err) => Err(err.to_string()),
    };
    report.record("a PDF becomes its text", outcome);
    for (name, bytes) in [
        (
            "an unreadable PDF is refused with the reason",
            &include_bytes!("../../tests/fixtures/broken.pdf")[..],
        ),
        ("empty bytes are refused with the reason", b""),
    ] {
        let outcome = match converter.convert(PdfToMarkdown, Bytes::from_static(bytes)).await {
            Err(crate::error::DomainError::BadInput(why)) => {
                expect(why.starts_with("This PDF could not be read"), || format!("said: {why}"))
            }
            other => Err(format!("{other:?}")),
        };
        report.record(name, outcome);
    }
    report.checks
}

/// A unit vector of `dims` pointing mostly along axis `axis` (distinct, comparable test data).
fn axis_vector(dims: usize, axis: usize) -> Vec<f32> {
    let mut v = vec![0.01_f32; dims];
    v[axis % dims] = 1.0;
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

/// Runs the Vectors contract with ids of version `scratch_version` (far above real ones; the
/// suite deletes what it wrote). An eventually consistent index (Vectorize) passes once its
/// writes are visible: `settle` waits for that (nothing natively).
pub async fn vectors(
    vectors: &dyn crate::ports::Vectors,
    scratch_version: i64,
    settle: impl Fn() -> futures::future::BoxFuture<'static, ()>,
) -> Vec<Check> {
    use crate::ports::{VectorQuery, VectorRecord};
    let mut report = Report { port: "vectors", checks: Vec::new() };
    let dims = vectors.dimensions();
    let id = |i: usize| format!("{scratch_version}:{i}");
    let record = |i: usize, folder: &str| VectorRecord {
        id: id(i),
        values: axis_vector(dims, i),
        document_id: -1,
        folder: folder.to_owned(),
    };
    let records = vec![record(0, "a"), record(1, "a"), record(2, "b")];
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();

    let outcome = async {
        vectors.upsert(records.clone()).await.map_err(|e| e.to_string())?;
        settle().await;
        let found = vectors
            .query(VectorQuery { values: axis_vector(dims, 1), top_k: 3, folder: None })
            .await
            .map_err(|e| e.to_string())?;
        expect(found.first().is_some_and(|m| m.id == id(1)), || format!("nearest to vector 1: {found:?}"))?;
        expect(found.first().is_some_and(|m| m.score > 0.9), || format!("a self-match scores {found:?}"))?;
        expect(found.windows(2).all(|w| w[0].score >= w[1].score), || format!("not best first: {found:?}"))
    };
    report.record("upserted vectors are found nearest first", outcome.await);

    let outcome = async {
        let found = vectors
            .query(VectorQuery { values: axis_vector(dims, 1), top_k: 3, folder: Some("b".into()) })
            .await
            .map_err(|e| e.to_string())?;
        expect(found.iter().all(|m| m.id == id(2)) && !found.is_empty(), || {
            format!("folder b gave {found:?}")
        })
    };
    report.record("a folder filter keeps only that folder", outcome.await);

    let outcome = async {
        vectors
            .upsert(vec![VectorRecord { values: axis_vector(dims, 5), ..record(0, "a") }])
            .await
            .map_err(|e| e.to_string())?;
        settle().await;
        let found = vectors
            .query(VectorQuery { values: axis_vector(dims, 5), top_k: 1, folder: None })
            .await
            .map_err(|e| e.to_string())?;
        expect(found.first().is_some_and(|m| m.id == id(0)), || {
            format!("replaced vector not found: {found:?}")
        })
    };
    report.record("upsert replaces a vector with the same id", outcome.await);

    let outcome = async {
        let wrong = VectorRecord { values: vec![0.5; dims + 1], ..record(9, "a") };
        expect(vectors.upsert(vec![wrong]).await.is_err(), || {
            "a vector of the wrong size was accepted".into()
        })
    };
    report.record("a vector of the wrong size is refused", outcome.await);

    let outcome = async {
        vectors.delete(ids.clone()).await.map_err(|e| e.to_string())?;
        settle().await;
        let found = vectors
            .query(VectorQuery { values: axis_vector(dims, 1), top_k: 10, folder: None })
            .await
            .map_err(|e| e.to_string())?;
        expect(!found.iter().any(|m| ids.contains(&m.id)), || format!("deleted ids still found: {found:?}"))?;
        vectors.delete(ids.clone()).await.map_err(|e| format!("deleting again failed: {e}"))
    };
    report.record("deleted ids are gone, and deleting twice is harmless", outcome.await);
    report.checks
}

/// Runs the Ai embedding contract: one unit vector per text, in order, closer for texts that
/// mean the same.
pub async fn ai_embeddings(ai: &dyn crate::ports::Ai, dims: usize) -> Vec<Check> {
    let mut report = Report { port: "ai", checks: Vec::new() };
    let texts = vec![
        "How do I back up my database?".to_owned(),
        "Making a copy of the database file for safekeeping".to_owned(),
        "The cat sat in the sun on the windowsill".to_owned(),
    ];
    let outcome = async {
        let got = ai.embed(texts.clone()).await.map_err(|e| e.to_string())?;
        expect(got.len() == texts.len(), || format!("{} vectors for {} texts", got.len(), texts.len()))?;
        expect(got.iter().all(|v| v.len() == dims), || {
            format!("sizes {:?}, want {dims}", got.iter().map(Vec::len).collect::<Vec<_>>())
        })?;
        let norms: Vec<f32> = got.iter().map(|v| v.iter().map(|x| x * x).sum::<f32>().sqrt()).collect();
        expect(norms.iter().all(|n| (n - 1.0).abs() < 1e-3), || format!("not unit length: {norms:?}"))?;
        let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let (near, far) = (cos(&got[0], &got[1]), cos(&got[0], &got[2]));
        expect(near > far + 0.1, || {
            format!("paraphrase {near:.3} is not closer than an unrelated text {far:.3}")
        })
    };
    report.record("unit vectors, one per text, closer in meaning is closer", outcome.await);
    let outcome = async {
        let one = ai.embed(vec![texts[0].clone()]).await.map_err(|e| e.to_string())?;
        let batch = ai.embed(texts.clone()).await.map_err(|e| e.to_string())?;
        let cos = one[0].iter().zip(&batch[0]).map(|(x, y)| x * y).sum::<f32>();
        expect(cos > 0.999, || format!("the same text alone and in a batch differ (cos {cos})"))
    };
    report.record("a text's vector does not depend on its batch", outcome.await);
    report.checks
}
