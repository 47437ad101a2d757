//! [`domain::Db`] on a SQLite file (rusqlite, bundled SQLite). Blocking calls run on tokio's
//! blocking pool so they never stall the async workers.
//!
//! One writer connection (SQLite serialises writers anyway) and a few read-only connections:
//! with WAL, a page's reads never wait behind a write such as a view count. A query goes to a
//! reader when SQLite says its statement is read-only, else to the writer (`… RETURNING`).
//! Every write goes through that one writer, so it can count them ([`domain::Db::writes`]).

use async_trait::async_trait;
use domain::sql::{Param, Row, Statement};
use domain::DbError;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{params_from_iter, Connection, ErrorCode, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Read-only connections: enough for every core to read at once.
const READERS: usize = 4;
/// Statements kept prepared per connection (the app has a few dozen).
const STATEMENT_CACHE: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("could not open the database at {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("could not apply migrations to the database at {path}: {source}")]
    Migrate { path: PathBuf, source: rusqlite::Error },
}

#[derive(Clone)]
pub struct SqliteDb {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
    /// Moves after each use of the writer that changed rows, once it is committed.
    writes: Arc<AtomicU64>,
}

impl SqliteDb {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let open_err = |source| OpenError::Open { path: path.to_owned(), source };
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(open_err)?;
        let applied = crate::migrations::apply(&mut conn)
            .map_err(|source| OpenError::Migrate { path: path.to_owned(), source })?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied migrations");
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let readers = (0..READERS)
            .map(|_| {
                let reader = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                reader.execute_batch("PRAGMA busy_timeout = 5000;")?;
                reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Ok(Mutex::new(reader))
            })
            .collect::<Result<Vec<_>, rusqlite::Error>>()
            .map_err(open_err)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(conn)),
            readers: readers.into(),
            next_reader: Arc::new(AtomicUsize::new(0)),
            writes: Arc::new(AtomicU64::new(0)),
        })
    }

    async fn with_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let (writer, writes) = (self.writer.clone(), self.writes.clone());
        blocking(move || {
            let mut conn = lock(&writer)?;
            written(&mut conn, &writes, f)
        })
        .await
    }

    /// Runs a query on a reader if its statement only reads, else on the writer.
    async fn read_or_write(&self, stmt: Statement) -> Result<Vec<Row>, DbError> {
        let (readers, writer, writes) = (self.readers.clone(), self.writer.clone(), self.writes.clone());
        let first = self.next_reader.fetch_add(1, Ordering::Relaxed);
        blocking(move || {
            // A free reader if there is one, else wait for the next in turn.
            let reader = (0..readers.len())
                .find_map(|i| readers[(first + i) % readers.len()].try_lock().ok())
                .map_or_else(|| lock(&readers[first % readers.len()]), Ok)?;
            if reader.prepare_cached(&stmt.sql).map_err(map_err)?.readonly() {
                return run_query(&reader, &stmt);
            }
            drop(reader);
            let mut conn = lock(&writer)?;
            written(&mut conn, &writes, |conn| run_query(conn, &stmt))
        })
        .await
    }
}

/// Runs `f` on the writer and moves `writes` if it changed rows. Counted after `f` returns,
/// when its transaction is committed (or rolled back: a spare move only costs a cache miss),
/// so a reader that sees the new number also sees the write.
fn written<T>(
    conn: &mut Connection,
    writes: &AtomicU64,
    f: impl FnOnce(&mut Connection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let before = conn.total_changes();
    let result = f(conn);
    if conn.total_changes() != before {
        writes.fetch_add(1, Ordering::Release);
    }
    result
}

fn lock(conn: &Mutex<Connection>) -> Result<std::sync::MutexGuard<'_, Connection>, DbError> {
    conn.lock().map_err(|_| DbError::Unavailable("connection poisoned".into()))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DbError> + Send + 'static,
) -> Result<T, DbError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DbError::Unavailable(format!("database task failed: {e}")))?
}

fn to_value(param: &Param) -> Value {
    match param {
        Param::Null => Value::Null,
        Param::Int(v) => Value::Integer(*v),
        Param::Real(v) => Value::Real(*v),
        Param::Text(v) => Value::Text(v.clone()),
    }
}

fn to_json(value: ValueRef<'_>) -> serde_json::Value {
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(v) => v.into(),
        ValueRef::Real(v) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
        ValueRef::Text(v) => String::from_utf8_lossy(v).into_owned().into(),
        ValueRef::Blob(v) => v.iter().copied().map(serde_json::Value::from).collect(),
    }
}

fn map_err(err: rusqlite::Error) -> DbError {
    match &err {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            ErrorCode::ConstraintViolation => DbError::Constraint(err.to_string()),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen => {
                DbError::Unavailable(err.to_string())
            }
            _ => DbError::Query(err.to_string()),
        },
        _ => DbError::Query(err.to_string()),
    }
}

fn run_query(conn: &Connection, stmt: &Statement) -> Result<Vec<Row>, DbError> {
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(map_err)?;
    let names: Vec<String> = prepared.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = prepared.query(params_from_iter(stmt.params.iter().map(to_value))).map_err(map_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        let mut map = Row::new();
        for (i, name) in names.iter().enumerate() {
            map.insert(name.clone(), to_json(row.get_ref(i).map_err(map_err)?));
        }
        out.push(map);
    }
    Ok(out)
}

fn run_execute(conn: &Connection, stmt: &Statement) -> Result<u64, DbError> {
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(map_err)?;
    let changed = prepared.execute(params_from_iter(stmt.params.iter().map(to_value))).map_err(map_err)?;
    Ok(changed as u64)
}

#[async_trait]
impl domain::Db for SqliteDb {
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, DbError> {
        self.read_or_write(stmt).await
    }

    async fn execute(&self, stmt: Statement) -> Result<u64, DbError> {
        self.with_writer(move |conn| run_execute(conn, &stmt)).await
    }

    async fn batch(&self, stmts: Vec<Statement>) -> Result<(), DbError> {
        self.with_writer(move |conn| {
            let tx = conn.transaction().map_err(map_err)?;
            for stmt in &stmts {
                run_execute(&tx, stmt)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }

    fn writes(&self) -> Option<u64> {
        Some(self.writes.load(Ordering::Acquire))
    }
}
