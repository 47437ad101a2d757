//! What repeated searches reuse: readers repeat queries. A search's [`Results`] are kept while
//! the database has not been written to since (as kept pages are: only where this process sees
//! every write, [`crate::Db::writes`]; on D1 nothing is kept, since another isolate's upload
//! would not show). A query's embedding depends on the model and the text alone, so it is kept
//! on both hosts, across writes: a repeated query costs no model call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Request, Results};

/// Searches kept at most (each a page of hits: a few KB).
const RESULTS: usize = 256;
/// Query embeddings kept at most (MiniLM's 384 floats: 1.5 KB each).
const EMBEDDINGS: usize = 1024;

/// The search results and query embeddings of one process or isolate.
#[derive(Default)]
pub struct SearchCache {
    results: Mutex<HashMap<String, (u64, Arc<Results>)>>,
    embeddings: Mutex<Lru>,
}

impl SearchCache {
    /// The results kept for `key`, if stored at `writes`.
    pub(crate) fn results(&self, key: &str, writes: u64) -> Option<Arc<Results>> {
        let kept = self.results.lock().ok()?;
        kept.get(key).filter(|(at, _)| *at == writes).map(|(_, results)| results.clone())
    }

    /// Keeps `results` for `key`, current while `writes` holds. When full, results from before
    /// `writes_now` go first, then all.
    pub(crate) fn keep_results(&self, key: String, writes: u64, results: Results, writes_now: u64) {
        let Ok(mut kept) = self.results.lock() else { return };
        if kept.len() >= RESULTS && !kept.contains_key(&key) {
            kept.retain(|_, (at, _)| *at == writes_now);
            if kept.len() >= RESULTS {
                kept.clear();
            }
        }
        kept.insert(key, (writes, Arc::new(results)));
    }

    /// The embedding of `text` by `model`, if kept.
    pub(crate) fn embedding(&self, model: &str, text: &str) -> Option<Arc<Vec<f32>>> {
        self.embeddings.lock().ok()?.get(&(model.to_owned(), text.to_owned()))
    }

    pub(crate) fn keep_embedding(&self, model: &str, text: &str, values: Vec<f32>) {
        if let Ok(mut kept) = self.embeddings.lock() {
            kept.insert((model.to_owned(), text.to_owned()), Arc::new(values));
        }
    }
}

/// What identical searches share: the query's words as typed, lower-cased and with single
/// spaces, and every other parameter.
pub(crate) fn key(request: &Request) -> String {
    let words = request.query.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    format!(
        "{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{words}",
        request.mode,
        request.limit,
        request.folder,
        request.tag,
        request.after,
        request.semantic_ratio,
        request.fusion,
        request.rerank,
    )
}

/// A query embedding's key: the model's name and the text.
type ModelText = (String, String);

/// Least recently used goes first. Eviction scans (a thousand entries, once per new query past
/// the bound): no second structure to keep in step.
#[derive(Default)]
struct Lru {
    /// Each embedding with the clock reading of its last use.
    entries: HashMap<ModelText, (u64, Arc<Vec<f32>>)>,
    clock: u64,
}

impl Lru {
    fn get(&mut self, key: &ModelText) -> Option<Arc<Vec<f32>>> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(used, values)| {
            *used = clock;
            values.clone()
        })
    }

    fn insert(&mut self, key: ModelText, values: Arc<Vec<f32>>) {
        self.clock += 1;
        if self.entries.len() >= EMBEDDINGS && !self.entries.contains_key(&key) {
            let oldest = self.entries.iter().min_by_key(|(_, (used, _))| *used).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (self.clock, values));
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use bytes::Bytes;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Arc;

    use crate::ports::{CpuJob, Task, VectorMatch, VectorQuery, VectorRecord};
    use crate::search::{search, Mode, Request};
    use crate::sql::{Row, Statement};
    use crate::{
        Ai, AiError, BlobError, BlobKey, Blobs, Db, DbError, PasswordError, Passwords, Ports, Site, Tasks,
    };
    use crate::{VectorError, Vectors};

    /// A database without rows whose writes are counted; `writes()` is `None` when `seen_all` is
    /// false, as on D1.
    struct Empty {
        writes: AtomicU64,
        seen_all: bool,
    }

    #[async_trait]
    impl Db for Empty {
        async fn query(&self, _: Statement) -> Result<Vec<Row>, DbError> {
            Ok(Vec::new())
        }
        async fn execute(&self, _: Statement) -> Result<u64, DbError> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            Ok(1)
        }
        async fn batch(&self, _: Vec<Statement>) -> Result<(), DbError> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        fn writes(&self) -> Option<u64> {
            self.seen_all.then(|| self.writes.load(Ordering::SeqCst))
        }
    }

    /// Counts the calls a search makes to the model and the vector index.
    #[derive(Default)]
    struct Counted {
        embeds: AtomicUsize,
        lookups: AtomicUsize,
    }

    #[async_trait]
    impl Ai for Counted {
        async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
            self.embeds.fetch_add(1, Ordering::SeqCst);
            Ok(texts.iter().map(|_| vec![1.0, 0.0, 0.0]).collect())
        }
        async fn generate(&self, _: String, _: String) -> Result<String, AiError> {
            Err(AiError::Unavailable("no text model here".into()))
        }
    }

    #[async_trait]
    impl Vectors for Counted {
        async fn upsert(&self, _: Vec<VectorRecord>) -> Result<(), VectorError> {
            Ok(())
        }
        async fn query(&self, _: VectorQuery) -> Result<Vec<VectorMatch>, VectorError> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            Ok(vec![VectorMatch { id: "1:0".into(), score: 0.9 }])
        }
        async fn delete(&self, _: Vec<String>) -> Result<(), VectorError> {
            Ok(())
        }
        fn dimensions(&self) -> usize {
            3
        }
    }

    /// What a search never reaches.
    struct Unused;

    #[async_trait]
    impl Blobs for Unused {
        async fn put(&self, _: &BlobKey, _: Bytes) -> Result<(), BlobError> {
            Err(BlobError::Unavailable("unused".into()))
        }
        async fn get(&self, _: &BlobKey) -> Result<Option<Bytes>, BlobError> {
            Ok(None)
        }
        async fn exists(&self, _: &BlobKey) -> Result<bool, BlobError> {
            Ok(false)
        }
        async fn delete(&self, _: &BlobKey) -> Result<(), BlobError> {
            Ok(())
        }
        async fn ping(&self) -> Result<(), BlobError> {
            Ok(())
        }
    }

    #[async_trait]
    impl Passwords for Unused {
        async fn hash(&self, _: &str) -> Result<String, PasswordError> {
            Err(PasswordError::Failed("unused".into()))
        }
        async fn verify(&self, _: &str, _: &str) -> Result<bool, PasswordError> {
            Ok(false)
        }
    }

    /// Time-outs never fire; CPU work runs inline.
    impl Tasks for Unused {
        fn spawn(&self, _: &'static str, _: Task) {}
        fn run_cpu(&self, job: CpuJob) -> Task {
            job();
            Box::pin(async {})
        }
        fn sleep(&self, _: std::time::Duration) -> Task {
            Box::pin(std::future::pending())
        }
    }

    fn site(seen_all: bool) -> (Site, Arc<Empty>, Arc<Counted>) {
        let db = Arc::new(Empty { writes: AtomicU64::new(0), seen_all });
        let counted = Arc::new(Counted::default());
        let ports = Ports::new(db.clone(), Arc::new(Unused), Arc::new(Unused), Arc::new(Unused))
            .with_semantic(counted.clone(), counted.clone());
        (Site::new(ports), db, counted)
    }

    fn semantic(query: &str) -> Request {
        Request { query: query.into(), mode: Mode::Semantic, limit: 10, ..Request::default() }
    }

    fn calls(counted: &Counted) -> (usize, usize) {
        (counted.embeds.load(Ordering::SeqCst), counted.lookups.load(Ordering::SeqCst))
    }

    #[test]
    fn a_repeated_search_calls_neither_the_model_nor_the_index_until_a_write() {
        futures::executor::block_on(async {
            let (site, db, counted) = site(true);
            let first = search(&site, semantic("write ahead log")).await.expect("search");
            assert!(!first.degraded);
            assert_eq!(calls(&counted), (1, 1));
            // The same words, typed differently: the kept results.
            let again = search(&site, semantic("  Write ahead   LOG ")).await.expect("search");
            assert_eq!(calls(&counted), (1, 1), "a repeat reached the model or the index");
            assert_eq!((again.results, again.query.as_str()), (first.results, "  Write ahead   LOG "));
            // Another mode is another search.
            let hybrid = Request { mode: Mode::Hybrid, ..semantic("write ahead log") };
            search(&site, hybrid).await.expect("search");
            assert_eq!(calls(&counted), (1, 2), "the query's embedding was not reused");

            db.execute(Statement::new("UPDATE settings SET value = 1")).await.expect("write");
            search(&site, semantic("write ahead log")).await.expect("search");
            assert_eq!(calls(&counted), (1, 3), "after a write the index is asked again, the model not");
        });
    }

    #[test]
    fn where_writes_are_not_seen_only_embeddings_are_kept() {
        futures::executor::block_on(async {
            let (site, _db, counted) = site(false);
            search(&site, semantic("write ahead log")).await.expect("search");
            search(&site, semantic("write ahead log")).await.expect("search");
            assert_eq!(calls(&counted), (1, 2));
        });
    }

    #[test]
    fn kept_results_and_embeddings_are_bounded() {
        let cache = super::SearchCache::default();
        let results = || super::Results {
            query: String::new(),
            mode: Mode::Hybrid,
            took_ms: 0,
            degraded: false,
            corrected: None,
            similarity: None,
            reranked: false,
            results: Vec::new(),
        };
        for i in 0..super::RESULTS + 10 {
            cache.keep_results(format!("q{i}"), 1, results(), 1);
        }
        assert!(cache.results.lock().expect("lock").len() <= super::RESULTS);
        assert!(cache.results("q0", 2).is_none(), "results outlived a write");
        for i in 0..super::EMBEDDINGS + 10 {
            cache.keep_embedding("m", &format!("q{i}"), vec![0.0]);
            // The first query stays in use, so it stays.
            assert!(cache.embedding("m", "q0").is_some(), "the most used query was dropped at {i}");
        }
        assert_eq!(cache.embeddings.lock().expect("lock").entries.len(), super::EMBEDDINGS);
        assert!(cache.embedding("m", "q1").is_none(), "the least recently used stayed");
        assert!(cache.embedding("other model", "q0").is_none(), "a model's vector served another");
    }
}
