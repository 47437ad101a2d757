//! [`domain::Blobs`] on Cloudflare R2. R2 checks a single-part upload against its SHA-256 (the
//! key), so a corrupted transfer is refused instead of stored. Large blobs go up in parts
//! (multipart upload), which R2 retries and assembles; an aborted upload leaves no object.

use async_trait::async_trait;
use bytes::Bytes;
use domain::{BlobError, BlobKey};
use worker::send::{SendFuture, SendWrapper};
use worker::Bucket;

/// Blobs above this go up as a multipart upload, in parts of this size (R2 wants every part
/// but the last to be at least 5 MiB and all the same size).
const PART_BYTES: usize = 8 * 1024 * 1024;

pub struct R2Blobs {
    bucket: SendWrapper<Bucket>,
}

impl R2Blobs {
    pub fn new(bucket: Bucket) -> Self {
        Self { bucket: SendWrapper::new(bucket) }
    }
}

impl R2Blobs {
    /// A multipart upload; on any failure the upload is aborted so no partial object remains.
    async fn put_in_parts(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        let upload = self.bucket.create_multipart_upload(key.as_str()).execute().await.map_err(io)?;
        let mut parts = Vec::with_capacity(bytes.len().div_ceil(PART_BYTES));
        for (i, chunk) in bytes.chunks(PART_BYTES).enumerate() {
            let number = u16::try_from(i + 1).map_err(|_| BlobError::Io("too many parts".into()))?;
            match upload.upload_part(number, chunk.to_vec()).await {
                Ok(part) => parts.push(part),
                Err(err) => {
                    let _ = upload.abort().await;
                    return Err(io(err));
                }
            }
        }
        upload.complete(parts).await.map(drop).map_err(io)
    }
}

fn io(err: worker::Error) -> BlobError {
    BlobError::Io(err.to_string())
}

#[async_trait]
impl domain::Blobs for R2Blobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
        if bytes.len() > PART_BYTES {
            return SendFuture::new(self.put_in_parts(key, bytes)).await;
        }
        let digest = hex_digest(key)?;
        SendFuture::new(async {
            self.bucket.put(key.as_str(), bytes.to_vec()).sha256(digest).execute().await.map(drop).map_err(io)
        })
        .await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Bytes>, BlobError> {
        SendFuture::new(async {
            let Some(object) = self.bucket.get(key.as_str()).execute().await.map_err(io)? else {
                return Ok(None);
            };
            match object.body() {
                Some(body) => Ok(Some(Bytes::from(body.bytes().await.map_err(io)?))),
                None => Ok(None),
            }
        })
        .await
    }

    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        SendFuture::new(async { self.bucket.head(key.as_str()).await.map(|o| o.is_some()).map_err(io) }).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        SendFuture::new(async { self.bucket.delete(key.as_str()).await.map_err(io) }).await
    }

    async fn ping(&self) -> Result<(), BlobError> {
        SendFuture::new(async {
            self.bucket
                .list()
                .limit(1)
                .execute()
                .await
                .map(drop)
                .map_err(|e| BlobError::Unavailable(e.to_string()))
        })
        .await
    }
}

fn hex_digest(key: &BlobKey) -> Result<Vec<u8>, BlobError> {
    let hex = key.as_str().as_bytes();
    hex.chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| BlobError::Io("blob key is not hex".into()))
        })
        .collect()
}
