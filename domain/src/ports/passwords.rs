use async_trait::async_trait;

use crate::error::PasswordError;

/// Password hashing: argon2id natively, PBKDF2-SHA256 through WebCrypto on Workers (whose
/// CPU budget argon2 would blow). Hashes are PHC strings that name their algorithm.
#[async_trait]
pub trait Passwords: Send + Sync {
    async fn hash(&self, password: &str) -> Result<String, PasswordError>;
    /// Whether the password matches. A hash in an algorithm this host cannot check is an error.
    async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError>;
}
