//! [`domain::Passwords`] natively: argon2id (the OWASP-recommended default parameters) for new
//! hashes; PBKDF2-SHA256 hashes written by the Worker still verify, so accounts can move hosts.
//! Hashing is deliberately slow (a core and 19 MiB for each), so it runs on the blocking pool,
//! at most one hash per core at once: past that a request is turned away at once
//! ([`PasswordError::Busy`], `429`) rather than queued, so a flood of sign-ins cannot take every
//! core and the memory with it.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use domain::accounts::pbkdf2_phc::{self, Pbkdf2Hash};
use domain::PasswordError;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct Argon2Passwords {
    /// One permit per hash that may run now.
    slots: Arc<Semaphore>,
}

impl Argon2Passwords {
    /// As many hashes at once as the machine has cores.
    pub fn new() -> Self {
        Self::with_slots(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    }

    /// At most `slots` hashes at once (at least one).
    pub fn with_slots(slots: usize) -> Self {
        Self { slots: Arc::new(Semaphore::new(slots.max(1))) }
    }

    /// Runs `f` on the blocking pool if a slot is free; the slot is held until `f` ends, even
    /// when the request that asked has gone.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| PasswordError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            f()
        })
        .await
        .map_err(|e| PasswordError::Failed(e.to_string()))?
    }
}

impl Default for Argon2Passwords {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl domain::Passwords for Argon2Passwords {
    async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.blocking(move || {
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
        self.blocking(move || {
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Passwords;

    #[tokio::test]
    async fn hashes_past_the_free_slots_are_turned_away_at_once_and_slots_come_back() {
        let passwords = Argon2Passwords::with_slots(1);
        let (first, second) = tokio::join!(passwords.hash("a long password"), passwords.hash("another one"));
        assert!(first.is_ok(), "{first:?}");
        assert_eq!(second, Err(PasswordError::Busy));
        let phc = passwords.hash("a long password").await.expect("the slot is free again");
        assert_eq!(passwords.verify("a long password", &phc).await, Ok(true));
    }
}
