//! One upload request of several files: what each file became, and how refusals combine. The
//! HTTP layer only reads the parts; the policy (per-file limit, the `folder` field, which
//! status a request whose every file was refused answers with) lives here.

use bytes::Bytes;
use serde::Serialize;

use super::accept::{accept, UploadResult};
use crate::accounts::auth::User;
use crate::content::upload;
use crate::site::settings;
use crate::{DomainError, Ports};

/// A `folder` field is cut to this many characters before it is made safe.
const FOLDER_CHARS: usize = 200;

/// One file's line in an upload's answer.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum FileOutcome {
    Accepted(UploadResult),
    /// `name` made safe to show; `error` as the API shows errors.
    Refused {
        name: String,
        error: Refusal,
    },
}

/// `{code, message}`, the shape of every API error.
#[derive(Debug, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// The files of one upload, added as they are read.
pub struct Batch<'a> {
    ports: &'a Ports,
    actor: &'a User,
    max_bytes: usize,
    folder: String,
    outcomes: Vec<FileOutcome>,
    first_refusal: Option<DomainError>,
}

impl<'a> Batch<'a> {
    /// Refuses at once on a read-only site, before a body is read only to refuse each file.
    pub async fn start(ports: &'a Ports, actor: &'a User, max_bytes: usize) -> Result<Self, DomainError> {
        settings::ensure_writable(ports).await?;
        Ok(Self { ports, actor, max_bytes, folder: String::new(), outcomes: Vec::new(), first_refusal: None })
    }

    /// The largest file accepted, in bytes: a reader stops keeping a file's bytes past it.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// A `folder` field: it applies to the files after it.
    pub fn set_folder(&mut self, raw: &str) {
        self.folder = raw.chars().take(FOLDER_CHARS).collect();
    }

    /// Checks, stores and queues one file; `None` when it went over the limit while it
    /// streamed in (its bytes were not kept).
    pub async fn add(&mut self, raw_name: &str, bytes: Option<Bytes>) {
        let outcome = match bytes {
            None => Err(DomainError::TooLarge(format!(
                "{} is larger than the {} MB limit per file.",
                upload::safe_name(raw_name).unwrap_or_default(),
                self.max_bytes / 1_048_576
            ))),
            Some(bytes) => {
                accept(self.ports, self.actor, raw_name, bytes, self.max_bytes, &self.folder).await
            }
        };
        match outcome {
            Ok(result) => self.outcomes.push(FileOutcome::Accepted(result)),
            Err(err) => {
                let name = upload::safe_name(raw_name).unwrap_or_default();
                let error = Refusal { code: err.code(), message: err.public_message() };
                self.outcomes.push(FileOutcome::Refused { name, error });
                self.first_refusal.get_or_insert(err);
            }
        }
    }

    /// One outcome per file, or an error for the request: no file at all is bad input, and
    /// when every file was refused the request is too, with the first refusal's status (413,
    /// 415, 400…) so a script sees the failure in the status.
    pub fn finish(self) -> Result<Vec<FileOutcome>, DomainError> {
        if self.outcomes.is_empty() {
            return Err(DomainError::BadInput(
                "Attach one or more files (multipart parts with a file name).".into(),
            ));
        }
        let accepted = self.outcomes.iter().any(|o| matches!(o, FileOutcome::Accepted(_)));
        match self.first_refusal {
            Some(first) if !accepted => Err(first),
            _ => Ok(self.outcomes),
        }
    }
}
