//! `folio import <dir>`: walks a folder of Markdown, text, HTML, PDF and images and uploads each
//! file through the site's HTTP API (`POST /api/documents`), so it works the same against the
//! native server and a deployed Worker. Sub-folders become Folio folders. Images go first, so
//! Markdown that names them finds them when it is published. One request per file: a refused
//! file never takes the others down, and progress is real.

use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::documents::model::VersionStatus;
use serde::Deserialize;

mod cli;
pub mod multipart;
pub use cli::{main, ArgsError, ImportArgs};

/// File extensions the importer sends; anything else is skipped (and listed).
const SUPPORTED: &[&str] =
    &["md", "markdown", "txt", "text", "html", "htm", "pdf", "png", "jpg", "jpeg", "gif", "webp"];
const IMAGES: &[&str] = &["png", "jpg", "jpeg", "gif", "webp"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// An API token (`folio_…`), sent as `Authorization: Bearer`.
    Token(String),
    /// An editor's email and password, exchanged for a session cookie first.
    Password { email: String, password: String },
}

#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    /// The site, e.g. `http://127.0.0.1:3000` or `https://folio.example.workers.dev`.
    pub url: String,
    pub auth: Auth,
    /// Wait until every uploaded document is ingested (ready or failed) before returning.
    pub wait: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not sign in: {0}")]
    SignIn(String),
    #[error("the site at {url} did not answer: {message}")]
    Unreachable { url: String, message: String },
    #[error("the site refuses uploads: {0}")]
    Refused(String),
}

/// What happened to each file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub duplicate: Vec<String>,
    /// Refused by the site, with its reason (too large, wrong type…).
    pub rejected: Vec<(String, String)>,
    /// Not sent: not a type Folio takes.
    pub skipped: Vec<String>,
    /// Accepted but ingest failed (only known with `wait`), with the reason.
    pub failed: Vec<(String, String)>,
    pub bytes_sent: u64,
}

impl Summary {
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty() && self.failed.is_empty()
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} created, {} updated, {} unchanged, {} rejected, {} failed, {} skipped ({:.1} MB sent)",
            self.created.len(),
            self.updated.len(),
            self.duplicate.len(),
            self.rejected.len(),
            self.failed.len(),
            self.skipped.len(),
            self.bytes_sent as f64 / 1_048_576.0
        )?;
        for (path, why) in &self.rejected {
            writeln!(f, "  rejected {path}: {why}")?;
        }
        for (path, why) in &self.failed {
            writeln!(f, "  failed   {path}: {why}")?;
        }
        for path in &self.skipped {
            writeln!(f, "  skipped  {path}: not Markdown, text, HTML, PDF or an image")?;
        }
        Ok(())
    }
}

/// A file found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    path: PathBuf,
    /// Relative to the imported folder, `/`-separated, for messages.
    shown: String,
    /// The relative folder it sits in (`''` at the top).
    folder: String,
    size: u64,
}

/// Files under `dir`, hidden ones (`.git`, `.DS_Store`) left out: (supported, skipped).
/// Images first, then the rest, each in path order.
fn walk(dir: &Path) -> Result<(Vec<Found>, Vec<String>), ImportError> {
    fn visit(root: &Path, dir: &Path, out: &mut Vec<Found>) -> Result<(), ImportError> {
        let read = |e| ImportError::Read { path: dir.to_owned(), source: e };
        let mut entries: Vec<_> =
            std::fs::read_dir(dir).map_err(read)?.collect::<Result<_, _>>().map_err(read)?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let meta = entry.metadata().map_err(|e| ImportError::Read { path: path.clone(), source: e })?;
            if meta.is_dir() {
                visit(root, &path, out)?;
            } else if meta.is_file() {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let shown = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let folder = shown.rsplit_once('/').map(|(folder, _)| folder.to_owned()).unwrap_or_default();
                out.push(Found { path, shown, folder, size: meta.len() });
            }
        }
        Ok(())
    }
    if !dir.is_dir() {
        return Err(ImportError::NotAFolder(dir.to_owned()));
    }
    let mut all = Vec::new();
    visit(dir, dir, &mut all)?;
    let extension =
        |f: &Found| f.path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let (mut supported, skipped): (Vec<Found>, Vec<Found>) =
        all.into_iter().partition(|f| SUPPORTED.contains(&extension(f).as_str()));
    supported.sort_by_key(|f| (!IMAGES.contains(&extension(f).as_str()), f.shown.clone()));
    Ok((supported, skipped.into_iter().map(|f| f.shown).collect()))
}

/// One uploaded file's answer from `POST /api/documents`.
#[derive(Debug, Deserialize)]
struct FileResult {
    id: Option<i64>,
    result: Option<String>,
    error: Option<ApiMessage>,
}

#[derive(Debug, Deserialize)]
struct ApiMessage {
    message: String,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ApiMessage,
}

/// The site, and how this run proves who it is.
struct Site {
    agent: ureq::Agent,
    url: String,
    /// `Authorization` or `Cookie` header.
    credential: (&'static str, String),
}

impl Site {
    fn connect(url: &str, auth: &Auth) -> Result<Self, ImportError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        let url = url.trim_end_matches('/').to_owned();
        let credential = match auth {
            Auth::Token(token) => ("Authorization", format!("Bearer {token}")),
            Auth::Password { email, password } => {
                let body = serde_json::json!({ "email": email, "password": password }).to_string();
                let mut res = agent
                    .post(&format!("{url}/api/session"))
                    .header("Content-Type", "application/json")
                    .send(body.as_bytes())
                    .map_err(|e| ImportError::Unreachable { url: url.clone(), message: e.to_string() })?;
                if res.status() != 200 {
                    let text = res.body_mut().read_to_string().unwrap_or_default();
                    return Err(ImportError::SignIn(message_of(&text, res.status().as_u16())));
                }
                let cookie = res
                    .headers()
                    .get("set-cookie")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                    .ok_or_else(|| ImportError::SignIn("the site set no session cookie".into()))?;
                ("Cookie", cookie.to_owned())
            }
        };
        Ok(Self { agent, url, credential })
    }

    /// Uploads one file. Network errors and 5xx answers (other than "read-only") are retried.
    fn upload(&self, file: &Found, bytes: &[u8]) -> Result<FileResult, ImportError> {
        let name = file.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (content_type, body) = multipart::form(&file.folder, &[(&name, bytes)]);
        let mut last = String::new();
        for attempt in 0..3 {
            if attempt > 0 {
                // A blocking CLI (no async runtime): sleeping between retries is fine here.
                std::thread::sleep(Duration::from_millis(500 << attempt));
            }
            let sent = self
                .agent
                .post(&format!("{}/api/documents", self.url))
                .header(self.credential.0, &self.credential.1)
                .header("Content-Type", &content_type)
                .send(&body[..]);
            let mut res = match sent {
                Ok(res) => res,
                Err(err) => {
                    last = err.to_string();
                    continue;
                }
            };
            let status = res.status().as_u16();
            let text = res.body_mut().read_to_string().unwrap_or_default();
            match status {
                201 => {
                    let mut results: Vec<FileResult> =
                        serde_json::from_str(&text).map_err(|e| ImportError::Unreachable {
                            url: self.url.clone(),
                            message: format!("unexpected answer: {e}"),
                        })?;
                    return results.pop().ok_or_else(|| ImportError::Unreachable {
                        url: self.url.clone(),
                        message: "an empty answer".into(),
                    });
                }
                401 | 403 | 503 => return Err(ImportError::Refused(message_of(&text, status))),
                500..=599 => last = message_of(&text, status),
                _ => {
                    return Ok(FileResult {
                        id: None,
                        result: None,
                        error: Some(ApiMessage { message: message_of(&text, status) }),
                    })
                }
            }
        }
        Err(ImportError::Unreachable { url: self.url.clone(), message: last })
    }

    /// The ingest status of document `id`'s newest version, with the reason when it failed.
    fn status(&self, id: i64) -> Option<(VersionStatus, Option<String>)> {
        #[derive(Deserialize)]
        struct Status {
            status: Option<VersionStatus>,
            error: Option<String>,
        }
        let mut res = self
            .agent
            .get(&format!("{}/api/documents/{id}", self.url))
            .header(self.credential.0, &self.credential.1)
            .call()
            .ok()?;
        let status: Status = serde_json::from_str(&res.body_mut().read_to_string().ok()?).ok()?;
        Some((status.status?, status.error))
    }
}

fn message_of(body: &str, status: u16) -> String {
    serde_json::from_str::<ErrorBody>(body)
        .map(|e| e.error.message)
        .unwrap_or_else(|_| format!("HTTP {status}"))
}

/// Imports a folder. Per-file refusals are collected in the summary; a site that cannot be
/// reached, refuses the credentials or is read-only stops the run with an error.
pub fn run(options: &Options) -> Result<Summary, ImportError> {
    let (files, skipped) = walk(&options.dir)?;
    let site = Site::connect(&options.url, &options.auth)?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    let bar = if options.progress {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut summary = Summary { skipped, ..Summary::default() };
    let mut accepted = Vec::new();
    for (i, file) in files.iter().enumerate() {
        bar.set_message(format!("{}/{} {}", i + 1, files.len(), file.shown));
        let bytes = std::fs::read(&file.path)
            .map_err(|e| ImportError::Read { path: file.path.clone(), source: e })?;
        let answer = site.upload(file, &bytes)?;
        summary.bytes_sent += bytes.len() as u64;
        bar.inc(file.size);
        match (answer.result.as_deref(), answer.error) {
            (_, Some(err)) => summary.rejected.push((file.shown.clone(), err.message)),
            (Some("created"), None) => summary.created.push(file.shown.clone()),
            (Some("updated"), None) => summary.updated.push(file.shown.clone()),
            _ => summary.duplicate.push(file.shown.clone()),
        }
        if let Some(id) = answer.id {
            accepted.push((file.shown.clone(), id));
        }
    }
    bar.finish_and_clear();
    if options.wait {
        wait_for_ingest(&site, accepted, &mut summary);
    }
    Ok(summary)
}

/// Polls each accepted document until its ingest is ready or failed (at most ~2 minutes).
fn wait_for_ingest(site: &Site, mut pending: Vec<(String, i64)>, summary: &mut Summary) {
    for _ in 0..240 {
        pending.retain(|(shown, id)| match site.status(*id) {
            Some((VersionStatus::Ready, _)) => false,
            Some((VersionStatus::Failed, error)) => {
                summary.failed.push((shown.clone(), error.unwrap_or_else(|| "ingest failed".into())));
                false
            }
            _ => true,
        });
        if pending.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    for (shown, _) in pending {
        summary.failed.push((shown, "still being processed after two minutes".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walking_finds_supported_files_images_first_and_skips_the_rest() {
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("guides/setup")).expect("mkdir");
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        for (path, text) in [
            ("a.md", "# A"),
            ("guides/setup/install.md", "# Install"),
            ("guides/diagram.PNG", "png"),
            ("notes.docx", "?"),
            (".git/config", "x"),
            (".DS_Store", "x"),
        ] {
            std::fs::write(root.join(path), text).expect("write");
        }
        let (found, skipped) = walk(root).expect("walk");
        let shown: Vec<_> = found.iter().map(|f| (f.shown.as_str(), f.folder.as_str())).collect();
        assert_eq!(
            shown,
            vec![("guides/diagram.PNG", "guides"), ("a.md", ""), ("guides/setup/install.md", "guides/setup")]
        );
        assert_eq!(skipped, vec!["notes.docx"]);
        assert!(matches!(walk(&root.join("a.md")), Err(ImportError::NotAFolder(_))));
    }

    #[test]
    fn the_summary_lists_what_went_wrong() {
        let summary = Summary {
            created: vec!["a.md".into()],
            rejected: vec![("evil.md".into(), "evil.md is a Windows program".into())],
            ..Summary::default()
        };
        let text = summary.to_string();
        assert!(text.starts_with("1 created, 0 updated, 0 unchanged, 1 rejected"), "{text}");
        assert!(text.contains("rejected evil.md: evil.md is a Windows program"), "{text}");
        assert!(!summary.is_clean());
    }
}
