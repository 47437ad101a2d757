//! [`domain::Tasks`] natively: tokio tasks, tracked so shutdown (and tests) can wait for them.

use domain::ports::{CpuJob, Task, Tasks};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

#[derive(Clone, Default)]
pub struct TokioTasks {
    tracker: TaskTracker,
}

impl TokioTasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until every task spawned so far has finished (used at shutdown and in tests).
    pub async fn wait_idle(&self) {
        self.tracker.close();
        self.tracker.wait().await;
        self.tracker.reopen();
    }
}

impl Tasks for TokioTasks {
    fn spawn(&self, name: &'static str, task: Task) {
        self.tracker.spawn(task.instrument(tracing::info_span!("task", name)));
    }

    fn run_cpu(&self, job: CpuJob) -> Task {
        Box::pin(async move {
            if let Err(err) = tokio::task::spawn_blocking(job).await {
                tracing::error!(%err, "a CPU job panicked");
            }
        })
    }

    fn sleep(&self, duration: std::time::Duration) -> Task {
        Box::pin(tokio::time::sleep(duration))
    }
}
