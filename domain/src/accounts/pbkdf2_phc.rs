//! The PHC string for PBKDF2-SHA256 hashes: `$pbkdf2-sha256$i=<iterations>$<salt>$<hash>`
//! (unpadded standard base64). The Worker writes it with WebCrypto; the native host can verify
//! it too, so accounts survive a move between hosts.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

pub const PREFIX: &str = "$pbkdf2-sha256$";
/// workerd refuses more than 100,000 PBKDF2 iterations (to bound CPU per request).
pub const WORKER_ITERATIONS: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pbkdf2Hash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl Pbkdf2Hash {
    pub fn to_phc(&self) -> String {
        format!(
            "{PREFIX}i={}${}${}",
            self.iterations,
            STANDARD_NO_PAD.encode(&self.salt),
            STANDARD_NO_PAD.encode(&self.hash)
        )
    }

    /// None when the string is not a well-formed PBKDF2-SHA256 PHC string.
    pub fn parse(phc: &str) -> Option<Self> {
        let rest = phc.strip_prefix(PREFIX)?;
        let mut parts = rest.split('$');
        let iterations = parts.next()?.strip_prefix("i=")?.parse().ok().filter(|i| *i > 0)?;
        let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        if parts.next().is_some() || salt.is_empty() || hash.len() != 32 {
            return None;
        }
        Some(Self { iterations, salt, hash })
    }

    /// Compares without an early exit, so timing says nothing about how much matched.
    pub fn matches(&self, derived: &[u8]) -> bool {
        derived.len() == self.hash.len()
            && derived.iter().zip(&self.hash).fold(0, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let h = Pbkdf2Hash { iterations: 100_000, salt: vec![1; 16], hash: vec![2; 32] };
        let phc = h.to_phc();
        assert!(phc.starts_with("$pbkdf2-sha256$i=100000$"));
        assert_eq!(Pbkdf2Hash::parse(&phc), Some(h.clone()));
        assert!(h.matches(&[2; 32]));
        assert!(!h.matches(&[3; 32]));
        for bad in [
            "",
            "$argon2id$v=19$x",
            "$pbkdf2-sha256$i=0$AQ$AQ",
            "$pbkdf2-sha256$i=1$$",
            "$pbkdf2-sha256$i=1$AQ$AQ$x",
        ] {
            assert_eq!(Pbkdf2Hash::parse(bad), None, "{bad}");
        }
    }
}
