use futures::future::BoxFuture;
use std::future::Future;
use std::time::Duration;

/// A unit of background work. It must not fail loudly: it logs and ends.
pub type Task = BoxFuture<'static, ()>;

/// CPU-bound work (a conversion in this process) handed to [`Tasks::run_cpu`].
pub type CpuJob = Box<dyn FnOnce() + Send>;

/// Work that runs after the response: a spawned tokio task natively, `waitUntil` on Workers.
pub trait Tasks: Send + Sync {
    fn spawn(&self, name: &'static str, task: Task);
    /// Runs `job` where it cannot stall other requests: a blocking thread natively, inline on
    /// a Worker (one request per isolate thread, nothing to stall). The future ends with it.
    fn run_cpu(&self, job: CpuJob) -> Task;
    /// Ends after `duration` (a tokio timer natively, `setTimeout` on Workers): what
    /// [`with_timeout`] races calls to models and indexes against.
    fn sleep(&self, duration: Duration) -> Task;
}

/// `future`'s output, or `None` when `limit` passes first (the future is dropped, which
/// cancels it).
pub async fn with_timeout<T>(
    tasks: &dyn Tasks,
    limit: Duration,
    future: impl Future<Output = T>,
) -> Option<T> {
    let future = std::pin::pin!(future);
    match futures::future::select(future, tasks.sleep(limit)).await {
        futures::future::Either::Left((value, _)) => Some(value),
        futures::future::Either::Right(((), _)) => None,
    }
}

/// A call that has a fallback: its value, or `None` (logged as what failed or timed out, and
/// what is done `instead`) when it errs or `limit` passes first. Readers' paths use it for
/// every model and index call, so a slow model degrades a page rather than stalling it.
pub async fn or_fallback<T, E: std::fmt::Display>(
    tasks: &dyn Tasks,
    limit: Duration,
    what: &str,
    instead: &str,
    future: impl Future<Output = Result<T, E>>,
) -> Option<T> {
    match with_timeout(tasks, limit, future).await {
        Some(Ok(value)) => Some(value),
        Some(Err(err)) => {
            tracing::warn!(%err, "{what} failed; {instead}");
            None
        }
        None => {
            tracing::warn!("{what} timed out; {instead}");
            None
        }
    }
}

/// Runs `f` through [`Tasks::run_cpu`] and returns its result (`None` if it panicked).
pub async fn run_cpu<T: Send + 'static>(
    tasks: &dyn Tasks,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let out = slot.clone();
    tasks
        .run_cpu(Box::new(move || {
            let value = f();
            if let Ok(mut out) = out.lock() {
                *out = Some(value);
            }
        }))
        .await;
    slot.lock().ok().and_then(|mut v| v.take())
}
