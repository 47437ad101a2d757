//! [`domain::Blobs`] on Cloudflare R2. R2 checks each upload against its SHA-256 (the key), so
//! a corrupted transfer is refused instead of stored.

use async_trait::async_trait;
use bytes::Bytes;
use domain::{BlobError, BlobKey};
use worker::send::{SendFuture, SendWrapper};
use worker::Bucket;

pub struct R2Blobs {
    bucket: SendWrapper<Bucket>,
}

impl R2Blobs {
    pub fn new(bucket: Bucket) -> Self {
        Self { bucket: SendWrapper::new(bucket) }
    }
}

fn io(err: worker::Error) -> BlobError {
    BlobError::Io(err.to_string())
}

#[async_trait]
impl domain::Blobs for R2Blobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<(), BlobError> {
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
