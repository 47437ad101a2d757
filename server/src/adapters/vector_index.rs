//! [`domain::ports::Vectors`] natively: an HNSW graph (usearch) in memory for the nearest
//! neighbours, and the vectors themselves in their own SQLite file beside the database, from
//! which the graph is rebuilt at start-up (in the background: until it is ready, queries say
//! the index is unavailable and search answers from keywords). Why usearch over sqlite-vec's
//! exact scan: docs/decisions/0006-usearch-over-an-exact-scan.md (figures in docs/performance.md).
//!
//! Ids are `<version_id>:<ordinal>`; the graph's u64 key packs both, so no id table is needed.

use async_trait::async_trait;
use domain::error::VectorError;
use domain::ports::{VectorId, VectorMatch, VectorQuery, VectorRecord, Vectors};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// Bits of the key that hold the ordinal (a version has far fewer than a million chunks).
const ORDINAL_BITS: u32 = 20;
/// Longest a query or a write may take.
const TIME_OUT: Duration = Duration::from_secs(5);

/// The graph and what filters need, once loaded.
struct Graph {
    index: Index,
    folders: HashMap<u64, Arc<str>>,
}

struct Inner {
    dimensions: usize,
    store: Mutex<Connection>,
    /// `None` while the graph is being rebuilt from the store.
    graph: RwLock<Option<Graph>>,
}

#[derive(Clone)]
pub struct VectorIndex {
    inner: Arc<Inner>,
}

/// What opening found, so the caller can ask for re-embedding when the store was lost or
/// made by a model of another size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The store holds vectors of this size (or is new and empty).
    Kept { vectors: usize },
    /// The store held vectors of another size and was emptied.
    Reset,
}

fn failed(e: impl std::fmt::Display) -> VectorError {
    VectorError::Request(e.to_string())
}

fn key_of(id: &str) -> Result<u64, VectorError> {
    let parsed: VectorId = id.parse()?;
    let (Ok(version), Ok(ordinal)) = (u64::try_from(parsed.version), u64::try_from(parsed.ordinal)) else {
        return Err(failed(format!("vector id {id:?} out of range")));
    };
    if ordinal >= 1 << ORDINAL_BITS || version >= 1 << (64 - ORDINAL_BITS) {
        return Err(failed(format!("vector id {id:?} out of range")));
    }
    Ok(version << ORDINAL_BITS | ordinal)
}

fn id_of(key: u64) -> String {
    let (version, ordinal) = (key >> ORDINAL_BITS, key & ((1 << ORDINAL_BITS) - 1));
    // Both fit in i64: the version has 64 − ORDINAL_BITS bits, the ordinal ORDINAL_BITS.
    VectorId { version: version.cast_signed(), ordinal: ordinal.cast_signed() }.to_string()
}

fn to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn new_graph(dimensions: usize, capacity: usize) -> Result<Index, VectorError> {
    let options = IndexOptions {
        dimensions,
        metric: MetricKind::Cos,
        quantization: ScalarKind::F32,
        connectivity: 16,
        expansion_add: 128,
        expansion_search: 64,
        multi: false,
    };
    let index = Index::new(&options).map_err(failed)?;
    index.reserve(capacity.max(1024)).map_err(failed)?;
    Ok(index)
}

impl VectorIndex {
    /// Opens (or creates) the store at `path` for vectors of `dimensions`, and rebuilds the
    /// graph from it on a background thread.
    pub fn open(path: &Path, dimensions: usize) -> Result<(Self, Opened), VectorError> {
        let conn = Connection::open(path).map_err(failed)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS vectors (
               key INTEGER PRIMARY KEY, document_id INTEGER NOT NULL, folder TEXT NOT NULL, vec BLOB NOT NULL
             );",
        )
        .map_err(failed)?;
        let stored: Option<i64> = conn
            .query_row("SELECT value FROM meta WHERE name = 'dimensions'", [], |r| r.get(0))
            .optional()
            .map_err(failed)?;
        let wanted = i64::try_from(dimensions).map_err(failed)?;
        let opened = if stored.is_some_and(|d| d != wanted) {
            conn.execute_batch("DELETE FROM vectors").map_err(failed)?;
            Opened::Reset
        } else {
            let count: i64 =
                conn.query_row("SELECT COUNT(*) FROM vectors", [], |r| r.get(0)).map_err(failed)?;
            Opened::Kept { vectors: usize::try_from(count).unwrap_or(0) }
        };
        conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('dimensions', ?1)", [wanted])
            .map_err(failed)?;
        let this =
            Self { inner: Arc::new(Inner { dimensions, store: Mutex::new(conn), graph: RwLock::new(None) }) };
        let loader = this.clone();
        std::thread::Builder::new()
            .name("vector-index-load".into())
            .spawn(move || match loader.rebuild() {
                Ok(n) => tracing::info!(vectors = n, "vector index ready"),
                Err(err) => tracing::error!(%err, "vector index could not be built; semantic search is off"),
            })
            .map_err(failed)?;
        Ok((this, opened))
    }

    /// Rebuilds the graph from the store (two threads add in parallel). Returns the count.
    fn rebuild(&self) -> Result<usize, VectorError> {
        let rows: Vec<(u64, String, Vec<u8>)> = {
            let store = self.inner.store.lock().map_err(failed)?;
            let mut stmt = store.prepare("SELECT key, folder, vec FROM vectors").map_err(failed)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))
                .map_err(failed)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed)?;
            rows.into_iter().map(|(k, f, v)| (u64::try_from(k).unwrap_or(0), f, v)).collect()
        };
        let index = new_graph(self.inner.dimensions, rows.len() * 5 / 4)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        index.reserve_capacity_and_threads(rows.len().max(1024) * 5 / 4, threads).map_err(failed)?;
        let per = rows.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for part in rows.chunks(per) {
                let index = &index;
                scope.spawn(move || {
                    for (key, _, vec) in part {
                        if let Err(err) = index.add(*key, &from_bytes(vec)) {
                            tracing::warn!(%err, key, "vector not added");
                        }
                    }
                });
            }
        });
        let folders = rows.into_iter().map(|(k, f, _)| (k, Arc::from(f.as_str()))).collect();
        let count = index.size();
        *self.inner.graph.write().map_err(failed)? = Some(Graph { index, folders });
        Ok(count)
    }

    /// Waits up to `limit` for the graph to be loaded (tests, benchmarks, the eval).
    pub async fn ready(&self, limit: Duration) -> bool {
        let until = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < until {
            if self.inner.graph.read().is_ok_and(|g| g.is_some()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    fn upsert_now(&self, records: Vec<VectorRecord>) -> Result<(), VectorError> {
        let keyed: Vec<(u64, VectorRecord)> =
            records.into_iter().map(|r| Ok((key_of(&r.id)?, r))).collect::<Result<_, VectorError>>()?;
        if let Some((_, bad)) = keyed.iter().find(|(_, r)| r.values.len() != self.inner.dimensions) {
            return Err(failed(format!(
                "vector {} has {} dimensions; the index holds {}",
                bad.id,
                bad.values.len(),
                self.inner.dimensions
            )));
        }
        {
            let mut store = self.inner.store.lock().map_err(failed)?;
            let tx = store.transaction().map_err(failed)?;
            for (key, r) in &keyed {
                tx.execute(
                    "INSERT OR REPLACE INTO vectors (key, document_id, folder, vec) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        i64::try_from(*key).map_err(failed)?,
                        r.document_id,
                        r.folder,
                        to_bytes(&r.values)
                    ],
                )
                .map_err(failed)?;
            }
            tx.commit().map_err(failed)?;
        }
        let mut graph = self.inner.graph.write().map_err(failed)?;
        // Still loading: the loader reads the store, which now has these.
        let Some(graph) = graph.as_mut() else { return Ok(()) };
        let needed = graph.index.size() + keyed.len();
        if needed > graph.index.capacity() {
            graph.index.reserve((needed * 2).max(1024)).map_err(failed)?;
        }
        for (key, r) in keyed {
            if graph.index.contains(key) {
                graph.index.remove(key).map_err(failed)?;
            }
            graph.index.add(key, &r.values).map_err(failed)?;
            graph.folders.insert(key, Arc::from(r.folder.as_str()));
        }
        Ok(())
    }

    fn query_now(&self, query: &VectorQuery) -> Result<Vec<VectorMatch>, VectorError> {
        if query.values.len() != self.inner.dimensions {
            return Err(failed(format!(
                "the query has {} dimensions; the index holds {}",
                query.values.len(),
                self.inner.dimensions
            )));
        }
        let graph = self.inner.graph.read().map_err(failed)?;
        let graph = graph
            .as_ref()
            .ok_or_else(|| VectorError::Unavailable("the vector index is still loading".into()))?;
        let found = match &query.folder {
            Some(folder) => graph.index.filtered_search(&query.values, query.top_k, |key| {
                graph.folders.get(&key).is_some_and(|f| **f == **folder)
            }),
            None => graph.index.search(&query.values, query.top_k),
        }
        .map_err(failed)?;
        Ok(found
            .keys
            .into_iter()
            .zip(found.distances)
            .map(|(key, distance)| VectorMatch { id: id_of(key), score: 1.0 - distance })
            .collect())
    }

    fn delete_now(&self, ids: &[String]) -> Result<(), VectorError> {
        let keys: Vec<u64> = ids.iter().filter_map(|id| key_of(id).ok()).collect();
        {
            let mut store = self.inner.store.lock().map_err(failed)?;
            let tx = store.transaction().map_err(failed)?;
            for key in &keys {
                tx.execute("DELETE FROM vectors WHERE key = ?1", [i64::try_from(*key).map_err(failed)?])
                    .map_err(failed)?;
            }
            tx.commit().map_err(failed)?;
        }
        if let Some(graph) = self.inner.graph.write().map_err(failed)?.as_mut() {
            for key in keys {
                graph.index.remove(key).map_err(failed)?;
                graph.folders.remove(&key);
            }
        }
        Ok(())
    }

    /// The exact nearest neighbours by a full scan (what an index without a graph, such as
    /// sqlite-vec's `vec0`, does): the benchmark's baseline. Returns how many it found.
    pub fn exact(&self, values: &[f32], top_k: usize) -> Result<usize, VectorError> {
        let graph = self.inner.graph.read().map_err(failed)?;
        let graph = graph.as_ref().ok_or_else(|| VectorError::Unavailable("loading".into()))?;
        Ok(graph.index.exact_search(values, top_k).map_err(failed)?.keys.len())
    }

    /// How many vectors the graph holds (0 while loading).
    pub fn len(&self) -> usize {
        self.inner.graph.read().ok().and_then(|g| g.as_ref().map(|g| g.index.size())).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs `f` on a blocking thread, bounded by [`TIME_OUT`].
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, VectorError> + Send + 'static,
) -> Result<T, VectorError> {
    match tokio::time::timeout(TIME_OUT, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(failed(format!("vector index task failed: {join}"))),
        Err(_) => {
            Err(VectorError::Unavailable(format!("no answer from the vector index within {TIME_OUT:?}")))
        }
    }
}

#[async_trait]
impl Vectors for VectorIndex {
    async fn upsert(&self, records: Vec<VectorRecord>) -> Result<(), VectorError> {
        let this = self.clone();
        blocking(move || this.upsert_now(records)).await
    }

    async fn query(&self, query: VectorQuery) -> Result<Vec<VectorMatch>, VectorError> {
        let this = self.clone();
        blocking(move || this.query_now(&query)).await
    }

    async fn delete(&self, ids: Vec<String>) -> Result<(), VectorError> {
        let this = self.clone();
        blocking(move || this.delete_now(&ids)).await
    }

    fn dimensions(&self) -> usize {
        self.inner.dimensions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_refuse_what_does_not_fit() {
        for id in ["1:0", "42:7", "123456:1048575"] {
            assert_eq!(id_of(key_of(id).expect(id)), id);
        }
        for id in ["1", "a:b", "1:1048576", "-1:2"] {
            assert!(key_of(id).is_err(), "{id}");
        }
    }
}
