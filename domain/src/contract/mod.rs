//! The port contracts: one suite per port that every adapter must pass. Native adapters run it
//! in `cargo test`; the Worker runs the same code against D1 and R2 inside workerd. Each check
//! reports instead of panicking so a host can return the whole table as JSON.

use bytes::Bytes;
use serde::Serialize;

use crate::error::DbError;
use crate::ports::{Blobs, Db};
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

/// Runs the Db contract in a scratch table it creates and drops.
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

    let cleanup = db.execute(Statement::new("DROP TABLE IF EXISTS contract_scratch")).await;
    report.record("drop scratch table", cleanup.map(drop).map_err(|e| e.to_string()));
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
