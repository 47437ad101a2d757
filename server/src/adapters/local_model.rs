//! [`domain::ports::Ai`] natively: the candle models of the `models` crate, run on tokio's
//! blocking threads (never on the async ones), each call bounded by a time-out. Text
//! generation runs one call at a time (it already keeps the cores busy) and answers
//! [`AiError::Busy`] meanwhile rather than queueing past its caller's time-out; a call whose
//! caller gave up (a time-out dropped its future) stops at its next token.
//!
//! Readers go first. A reader's answer ([`Ai::generate_streamed`]) waits up to 10 s for the model,
//! and background writing ([`Ai::generate`]: summaries, topics) starts none while a reader waits
//! or is answered, and stops at its next token when one arrives (its caller is told
//! [`AiError::Busy`] and tries again later). So do background embeddings ([`Ai::embed`], one
//! batch at a time, in slices): a reader's query ([`Ai::embed_now`]) never waits behind one. Background writing reads its prompt in
//! chunks and looks for readers between them too: a long summary's prompt is many seconds of
//! work.

use async_trait::async_trait;
use domain::error::AiError;
use domain::ports::{Ai, OnText};
use models::{CrossEncoder, GenerateOptions, SentenceEmbedder, TextGenerator};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Texts an ingest batch embeds at a time between looks for readers' queries: a query waits
/// for at most one slice (a few hundred ms on 2 cores), not a whole batch of 32 (seconds).
const SLICE: usize = 4;
/// How long a reader's answer waits for the model: long enough for background writing to
/// notice it (between prompt chunks or tokens: about a second) and for another reader's short
/// answer, short of the caller's silence time-out (60 s);
/// a reader still waiting then (another reader's answer) is told [`AiError::Busy`] and Ask asks
/// again until its own deadline. While it waits no background writing starts: at 2 s, summaries
/// slipped in between a reader's tries and 2 of 8 answers gave up during an import.
const READER_WAIT: Duration = Duration::from_secs(10);
/// How long a reader told [`AiError::Busy`] still counts as waiting: past Ask's next try
/// (it polls every 300 ms).
const READER_LINGER: Duration = Duration::from_secs(2);

pub struct LocalModel {
    embedder: Arc<SentenceEmbedder>,
    /// Longest a call may take for one text once it runs; a batch gets this per text.
    per_text: Duration,
    /// One ingest batch at a time: candle already spreads one over every core, and batches
    /// racing each other only made all of them miss their time-outs. A reader's query (one
    /// text, milliseconds) never waits for this.
    batches: Arc<tokio::sync::Semaphore>,
    /// Readers' queries in flight: a batch starts no slice while there is one, so a query
    /// shares the cores with at most the slice already running.
    queries: Arc<Queries>,
    generator: Option<Arc<TextGenerator>>,
    /// What answers hybrid's second stage.
    reranker: Reranker,
    /// One generation at a time.
    generations: Arc<tokio::sync::Semaphore>,
    /// Readers' answers waiting for the model or being written: background writing yields.
    readers: Arc<Queries>,
}

impl LocalModel {
    pub fn new(embedder: SentenceEmbedder) -> Self {
        Self {
            embedder: Arc::new(embedder),
            per_text: Duration::from_secs(2),
            batches: Arc::new(tokio::sync::Semaphore::new(1)),
            queries: Arc::default(),
            generator: None,
            reranker: Reranker::Embedder,
            generations: Arc::new(tokio::sync::Semaphore::new(1)),
            readers: Arc::default(),
        }
    }

    /// Answers [`Ai::generate`] with `generator`.
    #[must_use]
    pub fn with_generator(mut self, generator: TextGenerator) -> Self {
        self.generator = Some(Arc::new(generator));
        self
    }

    /// Answers [`Ai::rerank`] with `reranker`.
    #[must_use]
    pub fn with_reranker(mut self, reranker: CrossEncoder) -> Self {
        self.reranker = Reranker::CrossEncoder(Arc::new(reranker));
        self
    }

    /// Answers [`Ai::rerank`] with [`AiError::Unavailable`] (`RERANK_MODEL=off`): the fused
    /// order stays.
    #[must_use]
    pub fn without_reranker(mut self) -> Self {
        self.reranker = Reranker::Off;
        self
    }

    pub fn dimensions(&self) -> usize {
        self.embedder.dimensions()
    }

    /// Embeds `texts` on a blocking thread; `hold` (a permit, a query's mark) is released when
    /// the work ends, even if its caller gave up first.
    async fn run<H: Send + 'static>(&self, texts: Vec<String>, hold: H) -> Result<Vec<Vec<f32>>, AiError> {
        let embedder = self.embedder.clone();
        let job = tokio::task::spawn_blocking(move || {
            let vectors = embedder.embed(&texts);
            drop(hold);
            vectors
        });
        match job.await {
            Ok(Ok(vectors)) => Ok(vectors),
            Ok(Err(err)) => Err(AiError::Request(err.to_string())),
            Err(join) => Err(AiError::Request(format!("the model panicked: {join}"))),
        }
    }

    /// Background embeddings (ingest, related documents), one slice at a time, each started only
    /// when no reader's query is in flight and no reader's answer is being written (they would
    /// share the two cores). Each slice's time-out counts from when it starts: a batch queued
    /// behind others (a large import) is not failed for waiting; its caller bounds the wait.
    async fn batch(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        let permit = Arc::new(
            self.batches.clone().acquire_owned().await.map_err(|e| AiError::Unavailable(e.to_string()))?,
        );
        let mut vectors = Vec::with_capacity(texts.len());
        for slice in texts.chunks(SLICE) {
            self.queries.none().await;
            self.readers.none().await;
            let limit = self.limit(slice.len());
            let run = self.run(slice.to_vec(), permit.clone());
            vectors.extend(
                tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
                    Err(AiError::Unavailable(format!("no embedding within {limit:?}")))
                })?,
            );
        }
        Ok(vectors)
    }

    /// How long embedding `texts` texts may take once it runs.
    fn limit(&self, texts: usize) -> Duration {
        self.per_text * u32::try_from(texts.max(1)).unwrap_or(u32::MAX)
    }
}

/// What answers [`Ai::rerank`].
enum Reranker {
    /// The default: no cross-encoder ships natively.
    Embedder,
    CrossEncoder(Arc<CrossEncoder>),
    Off,
}

/// Counts readers' calls in flight (queries being embedded, answers being written), and wakes
/// waiting background work when none is left.
#[derive(Default)]
struct Queries {
    running: AtomicUsize,
    none_left: tokio::sync::Notify,
}

impl Queries {
    fn any(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 0
    }

    fn enter(self: &Arc<Self>) -> QueryMark {
        self.running.fetch_add(1, Ordering::SeqCst);
        QueryMark(self.clone())
    }

    async fn none(&self) {
        loop {
            // Registered before the check, so a query ending in between still wakes us.
            let woken = self.none_left.notified();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            woken.await;
        }
    }
}

/// A query in flight, until dropped.
struct QueryMark(Arc<Queries>);

impl Drop for QueryMark {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.none_left.notify_waiters();
        }
    }
}

#[async_trait]
impl Ai for LocalModel {
    /// Background work: queued behind other batches and behind readers.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        self.batch(texts).await
    }

    /// A reader's query: runs at once, and background batches start no slice meanwhile.
    async fn embed_now(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        let limit = self.limit(texts.len());
        let mark = self.queries.enter();
        tokio::time::timeout(limit, self.run(texts, mark))
            .await
            .unwrap_or_else(|_| Err(AiError::Unavailable(format!("no embedding within {limit:?}"))))
    }

    fn embedding_model(&self) -> &str {
        self.embedder.name()
    }

    /// The cross-encoder `RERANK_MODEL` names, as a reader's call (background batches wait).
    /// Without one (none ships natively: none is in a wheel) the sentence embedder stands in,
    /// scoring each passage by its cosine with the query. Both measured against the fused order
    /// (docs/performance.md); the stand-in answers Workers AI's reranker the same way.
    async fn rerank(&self, query: String, passages: Vec<String>) -> Result<Vec<f32>, AiError> {
        let reranker = match &self.reranker {
            Reranker::Off => return Err(AiError::Unavailable("no reranker (RERANK_MODEL is off)".into())),
            Reranker::CrossEncoder(reranker) => Some(reranker.clone()),
            Reranker::Embedder => None,
        };
        if let Some(reranker) = reranker {
            let mark = self.queries.enter();
            let limit = self.limit(passages.len());
            // Search gives up on its own time-out (`SEARCH_RERANK_TIMEOUT_MS`) by dropping this
            // future: the scoring stops at its next batch rather than holding the cores.
            let cancelled = Arc::new(AtomicBool::new(false));
            let _stop = StopOnDrop(cancelled.clone());
            let job = tokio::task::spawn_blocking(move || {
                let scores = reranker.score(&query, &passages, || !cancelled.load(Ordering::Relaxed));
                drop(mark);
                scores
            });
            return match tokio::time::timeout(limit, job).await {
                Ok(Ok(Ok(scores))) => Ok(scores),
                Ok(Ok(Err(err))) => Err(AiError::Request(err.to_string())),
                Ok(Err(join)) => Err(AiError::Request(format!("the reranker panicked: {join}"))),
                Err(_) => Err(AiError::Unavailable(format!("no reranking within {limit:?}"))),
            };
        }
        let count = passages.len();
        let mut texts = Vec::with_capacity(count + 1);
        texts.push(query);
        texts.extend(passages);
        let vectors = self.embed_now(texts).await?;
        let Some((query, passages)) = vectors.split_first().filter(|(_, rest)| rest.len() == count) else {
            return Err(AiError::Request(format!("{} vectors for {} texts", vectors.len(), count + 1)));
        };
        // The vectors are normalised: the dot product is the cosine.
        Ok(passages.iter().map(|p| p.iter().zip(query).map(|(a, b)| a * b).sum()).collect())
    }

    /// Background writing: none starts while a reader waits, and it stops for one.
    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError> {
        if self.readers.any() {
            return Err(AiError::Busy("a reader's question goes first".into()));
        }
        let permit = self
            .generations
            .clone()
            .try_acquire_owned()
            .map_err(|_| AiError::Busy("the local text model is writing something else".into()))?;
        self.write(system, prompt, &|_| {}, permit, Some(self.readers.clone())).await
    }

    /// A reader's answer: background writing makes way for it.
    async fn generate_streamed(
        &self,
        system: String,
        prompt: String,
        on_text: OnText<'_>,
    ) -> Result<String, AiError> {
        let reader = self.readers.enter();
        let waiting = std::time::Instant::now();
        let Some(permit) = tokio::time::timeout(READER_WAIT, self.generations.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
        else {
            // Ask tries again shortly: the reader stays marked until then, or a summary could
            // start in between and the reader wait behind it again.
            tokio::spawn(async move {
                tokio::time::sleep(READER_LINGER).await;
                drop(reader);
            });
            return Err(AiError::Busy("the local text model is answering another question".into()));
        };
        tracing::debug!(waited_ms = waiting.elapsed().as_millis(), "local model: a reader's answer starts");
        self.write(system, prompt, on_text, permit, None).await
    }
}

impl LocalModel {
    /// Writes the answer to `prompt` under `system` while holding `permit`, handing each piece to
    /// `on_text`; with `yield_to`, stops at the first token after a reader arrives there
    /// ([`AiError::Busy`]).
    async fn write(
        &self,
        system: String,
        prompt: String,
        on_text: OnText<'_>,
        permit: tokio::sync::OwnedSemaphorePermit,
        yield_to: Option<Arc<Queries>>,
    ) -> Result<String, AiError> {
        let generator = self
            .generator
            .clone()
            .ok_or_else(|| AiError::Unavailable("no text model is configured".into()))?;
        // Dropping this future (the caller's time-out, a reader who left) tells the generation
        // to stop: the flag is set and the pieces' channel closes.
        let begun = std::time::Instant::now();
        let cancelled = Arc::new(AtomicBool::new(false));
        let _stop = StopOnDrop(cancelled.clone());
        let yielded = Arc::new(AtomicBool::new(false));
        let gave_way = yielded.clone();
        let (pieces, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
        let job = tokio::task::spawn_blocking(move || {
            // Background writing gives way to a reader between tokens and between prompt chunks.
            let go_on = || {
                if yield_to.as_ref().is_some_and(|readers| readers.any()) {
                    gave_way.store(true, Ordering::SeqCst);
                    return false;
                }
                !cancelled.load(Ordering::Relaxed)
            };
            let answer = generator.generate(
                &system,
                &prompt,
                &GenerateOptions::default(),
                |piece| pieces.send(piece.to_owned()).is_ok(),
                go_on,
            );
            drop(permit);
            tracing::debug!(
                ms = begun.elapsed().as_millis(),
                background = yield_to.is_some(),
                prompt_chars = prompt.len(),
                answer_chars = answer.as_ref().map_or(0, String::len),
                ok = answer.is_ok(),
                "local model: writing ended"
            );
            answer
        });
        while let Some(piece) = received.recv().await {
            on_text(&piece);
        }
        match job.await {
            Ok(Ok(_)) if yielded.load(Ordering::SeqCst) => {
                tracing::debug!(ms = begun.elapsed().as_millis(), "local model: background writing gave way");
                Err(AiError::Busy("stopped for a reader's question".into()))
            }
            Ok(Ok(text)) => Ok(text),
            Ok(Err(err)) => Err(AiError::Request(err.to_string())),
            Err(join) => Err(AiError::Request(format!("the model panicked: {join}"))),
        }
    }
}

/// Sets its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A model made to misbehave on purpose (`FOLIO_AI_FAULT`), for tests and benchmarks of the
/// paths that must not depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every call fails at once, as a stopped model would.
    Down,
    /// Every call waits this long first.
    Slow(Duration),
    /// Calls never answer (only time-outs end them).
    Hang,
}

impl Fault {
    /// `down`, `hang` or `slow:<milliseconds>`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "down" => Some(Self::Down),
            "hang" => Some(Self::Hang),
            _ => value.strip_prefix("slow:")?.parse().ok().map(|ms| Self::Slow(Duration::from_millis(ms))),
        }
    }
}

/// How a model misbehaves on purpose: a [`Fault`], a fixed answer its text model gives instead
/// of writing, or both. `FOLIO_AI_FAULT` natively and the stand-in's `/__fault` take the same
/// words: `down`, `hang`, `slow:<ms>`, `say:<text>`, `slow:<ms>;say:<text>`, or `up` (none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Misbehaviour {
    pub fault: Option<Fault>,
    pub say: Option<String>,
}

impl Misbehaviour {
    pub fn parse(value: &str) -> Option<Self> {
        let (fault, say) = match value.split_once(";say:") {
            Some((fault, text)) => (Some(Fault::parse(fault)?), Some(text)),
            None => match value.strip_prefix("say:") {
                Some(text) => (None, Some(text)),
                None if value == "up" => (None, None),
                None => (Some(Fault::parse(value)?), None),
            },
        };
        Some(Self { fault, say: say.map(str::to_owned) })
    }
}

pub struct Faulty<A> {
    pub inner: A,
    pub misbehaviour: Misbehaviour,
}

impl<A: Ai> Faulty<A> {
    async fn misbehave(&self) -> Result<(), AiError> {
        match self.misbehaviour.fault {
            None => Ok(()),
            Some(Fault::Down) => Err(AiError::Unavailable("the model is down (FOLIO_AI_FAULT=down)".into())),
            Some(Fault::Slow(wait)) => {
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Some(Fault::Hang) => std::future::pending().await,
        }
    }
}

#[async_trait]
impl<A: Ai> Ai for Faulty<A> {
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        self.misbehave().await?;
        self.inner.embed(texts).await
    }

    async fn embed_now(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        self.misbehave().await?;
        self.inner.embed_now(texts).await
    }

    fn embedding_model(&self) -> &str {
        self.inner.embedding_model()
    }

    async fn rerank(&self, query: String, passages: Vec<String>) -> Result<Vec<f32>, AiError> {
        self.misbehave().await?;
        self.inner.rerank(query, passages).await
    }

    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError> {
        self.misbehave().await?;
        match &self.misbehaviour.say {
            Some(said) => Ok(said.clone()),
            None => self.inner.generate(system, prompt).await,
        }
    }

    async fn generate_streamed(
        &self,
        system: String,
        prompt: String,
        on_text: OnText<'_>,
    ) -> Result<String, AiError> {
        self.misbehave().await?;
        match &self.misbehaviour.say {
            Some(said) => {
                said.split_inclusive(' ').for_each(on_text);
                Ok(said.clone())
            }
            None => self.inner.generate_streamed(system, prompt, on_text).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_batch_starts_no_slice_while_a_query_is_in_flight() {
        let queries = Arc::new(Queries::default());
        let mark = queries.enter();
        let slice = tokio::spawn({
            let queries = queries.clone();
            async move { queries.none().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!slice.is_finished(), "a slice started while a query was embedded");
        drop(mark);
        tokio::time::timeout(Duration::from_secs(1), slice).await.expect("woken").expect("joined");
    }

    #[test]
    fn misbehaviour_reads_a_fault_an_answer_or_both() {
        let slow = |ms| Some(Fault::Slow(Duration::from_millis(ms)));
        assert_eq!(Misbehaviour::parse("up"), Some(Misbehaviour::default()));
        assert_eq!(Misbehaviour::parse("down").and_then(|m| m.fault), Some(Fault::Down));
        assert_eq!(
            Misbehaviour::parse("say:Two words; and more"),
            Some(Misbehaviour { fault: None, say: Some("Two words; and more".into()) })
        );
        assert_eq!(
            Misbehaviour::parse("slow:4000;say:Late, but known."),
            Some(Misbehaviour { fault: slow(4000), say: Some("Late, but known.".into()) })
        );
        for wrong in ["", "slow", "slow:soon", "later;say:x", "sometimes"] {
            assert_eq!(Misbehaviour::parse(wrong), None, "{wrong}");
        }
    }
}
