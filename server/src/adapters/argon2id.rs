//! [`domain::Passwords`] natively: argon2id (the OWASP-recommended default parameters) for new
//! hashes; PBKDF2-SHA256 hashes written by the Worker still verify, so accounts can move hosts.
//! Hashing is deliberately slow, so it runs on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use domain::accounts::pbkdf2_phc::{self, Pbkdf2Hash};
use domain::PasswordError;

pub struct Argon2Passwords;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
) -> Result<T, PasswordError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| PasswordError::Failed(e.to_string()))?
}

#[async_trait]
impl domain::Passwords for Argon2Passwords {
    async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        blocking(move || {
            let mut bytes = [0_u8; 16];
            getrandom::fill(&mut bytes).map_err(|e| PasswordError::Failed(e.to_string()))?;
            let salt = SaltString::encode_b64(&bytes).map_err(|e| PasswordError::Failed(e.to_string()))?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| PasswordError::Failed(e.to_string()))
        })
        .await
    }

    async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        let (password, phc) = (password.to_owned(), phc.to_owned());
        blocking(move || {
            if phc.starts_with(pbkdf2_phc::PREFIX) {
                let Some(stored) = Pbkdf2Hash::parse(&phc) else { return Ok(false) };
                let mut derived = [0_u8; 32];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                    password.as_bytes(),
                    &stored.salt,
                    stored.iterations,
                    &mut derived,
                );
                return Ok(stored.matches(&derived));
            }
            if phc.starts_with("$argon2") {
                let Ok(parsed) = PasswordHash::new(&phc) else { return Ok(false) };
                return Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
            }
            Err(PasswordError::Unsupported(phc.split('$').nth(1).unwrap_or("unknown").to_owned()))
        })
        .await
    }
}
