//! Where a model's files come from: a local folder, or a Hugging Face repo downloaded once
//! into a cache folder (only where the machine has internet; offline, point at a folder).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::ModelError;

/// Where models are kept unless `FOLIO_MODEL_CACHE` says otherwise: the user's cache
/// (`$XDG_CACHE_HOME`, else `~/.cache`) under `folio/models`, where set-up unpacks the wheels.
pub fn default_cache() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    base.map_or_else(|| PathBuf::from("models"), |base| base.join("folio").join("models"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A folder holding the model's files.
    Dir(PathBuf),
    /// `owner/name` on huggingface.co, fetched into `cache` on first use.
    Hub { repo: String, revision: String, cache: PathBuf },
}

impl ModelSource {
    /// A setting's value: an existing folder, else a repo id (`owner/name[@revision]`), which
    /// downloads into `cache`.
    pub fn parse(value: &str, cache: &Path) -> Result<Self, ModelError> {
        let path = Path::new(value);
        if path.is_dir() {
            return Ok(Self::Dir(path.to_owned()));
        }
        let (repo, revision) = value.split_once('@').unwrap_or((value, "main"));
        let valid = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        match repo.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) && valid(revision) => Ok(Self::Hub {
                repo: repo.to_owned(),
                revision: revision.to_owned(),
                cache: cache.join(repo.replace('/', "--")).join(revision),
            }),
            _ => Err(ModelError::Files(format!(
                "{value:?} is neither a folder nor a Hugging Face repo id (owner/name)"
            ))),
        }
    }

    /// A folder holding `files`, downloading them first if needed (empty names are skipped).
    pub(crate) fn resolve(&self, files: &[&str]) -> Result<PathBuf, ModelError> {
        match self {
            Self::Dir(dir) => Ok(dir.clone()),
            Self::Hub { repo, revision, cache } => {
                std::fs::create_dir_all(cache)
                    .map_err(|e| ModelError::Files(format!("{}: {e}", cache.display())))?;
                for file in files.iter().filter(|f| !f.is_empty()) {
                    let target = cache.join(file);
                    if !target.exists() {
                        download(
                            &format!("https://huggingface.co/{repo}/resolve/{revision}/{file}"),
                            &target,
                        )?;
                    }
                }
                Ok(cache.clone())
            }
        }
    }
}

/// Fetches `url` to `target` through a temporary file, so a broken download leaves nothing.
fn download(url: &str, target: &Path) -> Result<(), ModelError> {
    tracing::info!(%url, "downloading model file");
    let failed = |e: &dyn fmt::Display| ModelError::Files(format!("{url}: {e}"));
    let mut response = ureq::get(url).call().map_err(|e| failed(&e))?;
    let mut bytes = Vec::new();
    response.body_mut().as_reader().read_to_end(&mut bytes).map_err(|e| failed(&e))?;
    let partial = target.with_extension("partial");
    std::fs::write(&partial, &bytes).map_err(|e| failed(&e))?;
    std::fs::rename(&partial, target).map_err(|e| failed(&e))
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            Self::Hub { repo, revision, .. } => write!(f, "{repo}@{revision}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_repo_ids_are_told_apart() {
        let cache = Path::new("/tmp/models-cache");
        let here = std::env::temp_dir();
        assert_eq!(
            ModelSource::parse(here.to_str().expect("utf-8"), cache).expect("dir"),
            ModelSource::Dir(here)
        );
        match ModelSource::parse("sentence-transformers/all-MiniLM-L6-v2", cache).expect("repo") {
            ModelSource::Hub { repo, revision, cache } => {
                assert_eq!(
                    (repo.as_str(), revision.as_str()),
                    ("sentence-transformers/all-MiniLM-L6-v2", "main")
                );
                assert!(cache.ends_with("sentence-transformers--all-MiniLM-L6-v2/main"));
            }
            other => panic!("{other:?}"),
        }
        assert!(ModelSource::parse("not a model", cache).is_err());
        assert!(ModelSource::parse("../../etc/passwd", cache).is_err());
    }
}
