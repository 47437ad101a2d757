//! Content addresses. A blob's key is the lowercase hex SHA-256 of its bytes, so a key can be
//! checked before any storage is touched and it doubles as a strong ETag.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

use crate::error::DomainError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobKey(String);

impl BlobKey {
    pub const LEN: usize = 64;

    /// The key of these bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Strong ETag: identical bytes, identical tag, forever.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl FromStr for BlobKey {
    type Err = DomainError;

    /// Accepts exactly 64 lowercase hex digits; anything else (`..`, `/`, upper case) is refused,
    /// which also makes a key safe to use as a file name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == Self::LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::BadInput("A blob key is 64 lowercase hexadecimal characters.".into()))
        }
    }
}

impl TryFrom<String> for BlobKey {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<BlobKey> for String {
    fn from(k: BlobKey) -> Self {
        k.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_sha256_hex() {
        assert_eq!(
            BlobKey::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(BlobKey::of(b"abc").etag().len(), 66);
    }

    #[test]
    fn rejects_traversal_and_non_hex() {
        for bad in [
            "..",
            "../etc/passwd",
            "a/b",
            "",
            &"g".repeat(64),
            &"A".repeat(64),
            &"a".repeat(63),
            &"a".repeat(65),
        ] {
            let err = bad.parse::<BlobKey>().expect_err(bad);
            assert_eq!(err.status(), 400);
        }
        assert!("a".repeat(64).parse::<BlobKey>().is_ok());
    }
}
