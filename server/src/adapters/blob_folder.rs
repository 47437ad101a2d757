//! [`domain::Blobs`] on the filesystem: `<root>/<first two hex>/<key>`. Writes go to a temp
//! file that is synced and renamed into place, so a crash never leaves a half-written blob
//! under a real key.

use async_trait::async_trait;
use bytes::Bytes;
use domain::{BlobError, BlobKey};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::AsyncWriteExt;

pub struct FsBlobs {
    root: PathBuf,
    tmp: PathBuf,
    counter: AtomicU64,
}

impl FsBlobs {
    /// Creates the folders if needed. Leftover temp files from a crash are removed.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        for entry in std::fs::read_dir(&tmp)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(Self { root: root.to_owned(), tmp, counter: AtomicU64::new(0) })
    }

    /// Keys are validated hex, so joining them into a path cannot escape the root.
    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(&key.as_str()[..2]).join(key.as_str())
    }
}

fn io(err: std::io::Error) -> BlobError {
    BlobError::Io(err.to_string())
}

#[async_trait]
impl domain::Blobs for FsBlobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        // Callers check `exists` first (blobs::store); a repeat put renames identical bytes over
        // identical bytes, which is atomic and harmless.
        let path = self.path(key);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self.tmp.join(format!("{key}.{}.{n}", std::process::id()));
        let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
        let written = async {
            file.write_all(&bytes).await?;
            file.sync_all().await?;
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::rename(&tmp, &path).await
        };
        if let Err(err) = written.await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io(err));
        }
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Bytes>, BlobError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io(err)),
        }
    }

    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        tokio::fs::try_exists(self.path(key)).await.map_err(io)
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(err) if err.kind() != ErrorKind::NotFound => Err(io(err)),
            _ => Ok(()),
        }
    }

    async fn ping(&self) -> Result<(), BlobError> {
        let meta =
            tokio::fs::metadata(&self.root).await.map_err(|e| BlobError::Unavailable(e.to_string()))?;
        if meta.is_dir() {
            Ok(())
        } else {
            Err(BlobError::Unavailable(format!("{} is not a folder", self.root.display())))
        }
    }
}
