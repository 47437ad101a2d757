//! Uploads and the ingest pipeline. An upload is checked, its bytes stored (content-addressed),
//! and a new immutable version plus a durable job are written in one batch ([`accept`],
//! [`edit`]). Jobs run in the background (Tasks) in [`Stage`]s, each idempotent ([`jobs`]): a
//! worker leases a job before a stage, so a crash or an evicted isolate leaves an expired lease
//! that the next sweep resumes.
//!
//! - `accept`: uploads and edits become versions and jobs; `batch`: one request's files.
//! - `jobs`: leases, retries, the sweep; `due`: the sweep after a response, where no cron runs.
//! - `stages/`: the [`Stage`] order and one file per stage (`extract`, `index`, `publish`, `embed`).
//! - `status`, `delete`: a document's ingest state; removing a document and its blobs.

mod accept;
mod batch;
mod delete;
mod due;
mod jobs;
mod stages;
mod status;

pub use accept::{accept, add_tag, edit, Outcome, UploadResult};
pub use batch::{Batch, FileOutcome, Refusal};
pub use delete::delete;
pub use due::{sweep_if_due, SWEEP_EVERY_SECONDS};
pub use jobs::{release_leases, run_later, run_pending, run_until_live, sweep, Swept};
pub use stages::Stage;
pub use status::{status, DocumentStatus};

/// Seeding adds sample pages as versions with jobs, like uploads.
pub(crate) use accept::add_sample;
