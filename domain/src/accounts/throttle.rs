//! Sign-in throttling. Every attempt is counted *before* its password is hashed, in one atomic
//! statement that adds it to its keys and returns their counts; past a key's limit the attempt
//! is refused (`429`) without a hash and its count taken back. So at most a key's limit of
//! guesses is ever checked in a window, however many arrive at once, and the count lives in the
//! database, so it holds across processes and Worker isolates.
//!
//! Three keys, so that the lock-out an attacker can cause stays theirs:
//! - the account *and* the client address ([`PAIR_LIMIT`]): guessing at one account locks out
//!   only the guesser's address; the owner elsewhere still signs in;
//! - the address ([`ADDRESS_LIMIT`]): one address spraying many accounts;
//! - the account from every address together ([`ACCOUNT_LIMIT`]), a much higher bar for
//!   guessing spread over many addresses.
//!
//! Attempts are counted for any email typed, with or without an account, so a locked-out email
//! says nothing about whether it exists. A wrong password keeps its count; a right one forgets
//! the account-and-address count and takes its own attempt back from the other two (signing in
//! to one's own account must not launder guesses at other accounts); an attempt whose password
//! was never checked (the hasher busy or failing) is taken back. (The table's `failures` column,
//! named when only failures were counted, holds these attempts.)

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::DomainError;
use crate::ports::{Db, DbExt};
use crate::sql::Statement;

/// The length of a counting window.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Guesses at one account from one address within a window.
pub const PAIR_LIMIT: i64 = 5;
/// Guesses from one address at any accounts within a window (higher: offices and phones share
/// one).
pub const ADDRESS_LIMIT: i64 = 20;
/// Guesses at one account from all addresses together within a window: far above what one
/// address may try, so locking an owner out takes many addresses.
pub const ACCOUNT_LIMIT: i64 = 100;

/// Who is trying: the typed email and, when known, the client's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pair: String,
    address: Option<String>,
    account: String,
}

impl Attempt {
    /// `email` as typed (normalised here, valid or not); `address` as the host resolved it.
    pub fn new(email: &str, address: Option<&str>) -> Self {
        let email = email.trim().to_lowercase();
        Self {
            // A newline is in no address, so no two (email, address) pairs share a key.
            pair: key("pair", &format!("{email}\n{}", address.unwrap_or(""))),
            address: address.map(|a| key("address", a)),
            account: key("account", &email),
        }
    }

    fn keys(&self) -> impl Iterator<Item = (&str, i64)> {
        [(self.pair.as_str(), PAIR_LIMIT), (self.account.as_str(), ACCOUNT_LIMIT)]
            .into_iter()
            .chain(self.address.as_deref().map(|a| (a, ADDRESS_LIMIT)))
    }

    fn limit_of(&self, key: &str) -> Option<i64> {
        self.keys().find(|(k, _)| *k == key).map(|(_, limit)| limit)
    }
}

/// Stored keys are hashes: the table never holds an address or a typed email in the clear.
fn key(kind: &str, value: &str) -> String {
    hex::encode(Sha256::digest(format!("{kind}:{value}").as_bytes()))
}

/// An attempt that was counted and may have its password checked. Say how it ended:
/// [`Counted::failed`], [`Counted::succeeded`] or [`Counted::uncount`].
#[must_use = "say how the attempt ended"]
#[derive(Debug)]
pub struct Counted {
    attempt: Attempt,
    /// Each key with the start of the window it was counted in.
    windows: Vec<(String, i64)>,
}

/// Counts `attempt` against its keys in one statement (a new window for a key whose window has
/// ended) and admits it if every key is within its limit. Otherwise `Throttled` until the
/// latest of the full windows ends, and the attempt is taken back.
pub async fn count(db: &dyn Db, attempt: &Attempt) -> Result<Counted, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
        failures: i64,
        window_start: i64,
        retry_after: i64,
    }
    let keys: Vec<&str> = attempt.keys().map(|(key, _)| key).collect();
    // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT, not a join.
    let stmt = Statement::new(
        "INSERT INTO sign_in_failures (key, failures, window_start)
         SELECT value, 1, unixepoch() FROM json_each(?1) WHERE true
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN window_start <= unixepoch() - ?2 THEN 1 ELSE failures + 1 END,
           window_start = CASE WHEN window_start <= unixepoch() - ?2 THEN unixepoch() ELSE window_start END
         RETURNING key, failures, window_start, window_start + ?2 - unixepoch() AS retry_after",
    )
    .bind(serde_json::to_string(&keys).unwrap_or_default())
    .bind(WINDOW_SECS);
    let rows: Vec<Row> = db.query_all(stmt).await?;
    let counted = Counted {
        attempt: attempt.clone(),
        windows: rows.iter().map(|r| (r.key.clone(), r.window_start)).collect(),
    };
    let wait = rows
        .iter()
        .filter(|r| attempt.limit_of(&r.key).is_some_and(|limit| r.failures > limit))
        .map(|r| r.retry_after.max(1))
        .max();
    let Some(secs) = wait else { return Ok(counted) };
    // Refused unchecked: not a guess. Should taking it back fail, the count only errs high.
    if let Err(err) = counted.uncount(db).await {
        tracing::warn!(%err, "sign-in throttle: a refused attempt stays counted");
    }
    Err(DomainError::Throttled { retry_after_secs: secs.unsigned_abs() })
}

impl Counted {
    /// A wrong password: it stays counted. Windows that have ended are forgotten.
    pub async fn failed(self, db: &dyn Db) -> Result<(), DomainError> {
        db.execute(
            Statement::new("DELETE FROM sign_in_failures WHERE window_start <= unixepoch() - ?1")
                .bind(WINDOW_SECS),
        )
        .await?;
        Ok(())
    }

    /// The right password: this account from this address starts afresh, and the attempt is
    /// taken back from the address's and the account's counts (their other guesses stay).
    pub async fn succeeded(self, db: &dyn Db) -> Result<(), DomainError> {
        let others = self.others();
        let pair = self.attempt.pair.clone();
        db.batch(vec![
            Statement::new("DELETE FROM sign_in_failures WHERE key = ?1").bind(pair),
            take_back(&others),
        ])
        .await?;
        Ok(())
    }

    /// The password was never checked (the hasher was busy or failed): not a guess.
    pub async fn uncount(self, db: &dyn Db) -> Result<(), DomainError> {
        db.execute(take_back(&self.windows)).await?;
        Ok(())
    }

    fn others(&self) -> Vec<(String, i64)> {
        self.windows.iter().filter(|(key, _)| *key != self.attempt.pair).cloned().collect()
    }
}

/// Takes one attempt back from each key, in the window it was counted in only. (The table's
/// columns are named in full: `json_each` has a `key` column of its own.)
fn take_back(windows: &[(String, i64)]) -> Statement {
    Statement::new(
        "UPDATE sign_in_failures SET failures = failures - 1
         WHERE failures > 0 AND EXISTS (
           SELECT 1 FROM json_each(?1) j
           WHERE json_extract(j.value, '$[0]') = sign_in_failures.key
             AND json_extract(j.value, '$[1]') = sign_in_failures.window_start)",
    )
    .bind(serde_json::to_string(windows).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_count_as_typed_after_normalising_and_are_never_stored_in_the_clear() {
        let a = Attempt::new(" Ann@Example.org ", Some("192.0.2.1"));
        assert_eq!(a, Attempt::new("ann@example.org", Some("192.0.2.1")));
        assert_ne!(a.account, Attempt::new("bob@example.org", None).account);
        assert_ne!(a.pair, Attempt::new("ann@example.org", Some("192.0.2.2")).pair);
        assert!(!a.account.contains("ann") && a.address.as_deref().is_some_and(|k| !k.contains("192")));
        assert_eq!(a.keys().count(), 3);
        assert_eq!(Attempt::new("ann@example.org", None).keys().count(), 2);
        assert_eq!(a.limit_of(&a.pair), Some(PAIR_LIMIT));
        assert_eq!(a.limit_of(&a.account), Some(ACCOUNT_LIMIT));
    }
}
