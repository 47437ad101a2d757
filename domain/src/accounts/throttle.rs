//! Sign-in throttling: a few failed sign-ins per account and per client address within a
//! window, then `429` until the window ends. Counted in the database so the limit holds across
//! processes and Worker isolates.
//!
//! Failures are counted for any email typed, with or without an account, so a locked-out email
//! says nothing about whether it exists. A success clears the account's count, not the
//! address's: signing in to one's own account must not launder guesses at other accounts.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::DomainError;
use crate::ports::{Db, DbExt};
use crate::sql::Statement;

/// The length of a counting window.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Failed sign-ins to one account within a window before it is locked until the window ends.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failed sign-ins from one address within a window (higher: offices and phones share one).
pub const ADDRESS_LIMIT: i64 = 20;

/// Who is trying: the typed email and, when known, the client's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    account: String,
    address: Option<String>,
}

impl Attempt {
    /// `email` as typed (normalised here, valid or not); `address` as the host resolved it.
    pub fn new(email: &str, address: Option<&str>) -> Self {
        Self {
            account: key("account", &email.trim().to_lowercase()),
            address: address.map(|a| key("address", a)),
        }
    }

    fn keys(&self) -> impl Iterator<Item = (&str, i64)> {
        std::iter::once((self.account.as_str(), ACCOUNT_LIMIT))
            .chain(self.address.as_deref().map(|a| (a, ADDRESS_LIMIT)))
    }
}

/// Stored keys are hashes: the table never holds an address or a typed email in the clear.
fn key(kind: &str, value: &str) -> String {
    hex::encode(Sha256::digest(format!("{kind}:{value}").as_bytes()))
}

/// `Throttled` when the account or the address has used up its window; checked before the
/// password, so a locked account's right password is refused too.
pub async fn check(db: &dyn Db, attempt: &Attempt) -> Result<(), DomainError> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
        failures: i64,
        retry_after: i64,
    }
    let stmt = Statement::new(
        "SELECT key, failures, window_start + ?1 - unixepoch() AS retry_after FROM sign_in_failures
         WHERE key IN (?2, ?3) AND window_start > unixepoch() - ?1",
    )
    .bind(WINDOW_SECS)
    .bind(attempt.account.as_str())
    .bind(attempt.address.as_deref());
    let rows: Vec<Row> = db.query_all(stmt).await?;
    let wait = attempt
        .keys()
        .filter_map(|(key, limit)| rows.iter().find(|r| r.key == key && r.failures >= limit))
        .map(|r| r.retry_after.max(1))
        .max();
    match wait {
        Some(secs) => Err(DomainError::Throttled { retry_after_secs: secs.unsigned_abs() }),
        None => Ok(()),
    }
}

/// Counts a failed sign-in against the account and the address (a new window once the old one
/// has ended), and forgets windows that have ended.
pub async fn record_failure(db: &dyn Db, attempt: &Attempt) -> Result<(), DomainError> {
    let mut stmts: Vec<Statement> = attempt
        .keys()
        .map(|(key, _)| {
            Statement::new(
                "INSERT INTO sign_in_failures (key, failures, window_start) VALUES (?1, 1, unixepoch())
                 ON CONFLICT (key) DO UPDATE SET
                   failures = CASE WHEN window_start <= unixepoch() - ?2 THEN 1 ELSE failures + 1 END,
                   window_start = CASE WHEN window_start <= unixepoch() - ?2 THEN unixepoch() ELSE window_start END",
            )
            .bind(key)
            .bind(WINDOW_SECS)
        })
        .collect();
    stmts.push(
        Statement::new("DELETE FROM sign_in_failures WHERE window_start <= unixepoch() - ?1")
            .bind(WINDOW_SECS),
    );
    db.batch(stmts).await?;
    Ok(())
}

/// A successful sign-in: the account starts afresh.
pub async fn clear_account(db: &dyn Db, attempt: &Attempt) -> Result<(), DomainError> {
    db.execute(Statement::new("DELETE FROM sign_in_failures WHERE key = ?1").bind(attempt.account.as_str()))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_count_as_typed_after_normalising_and_are_never_stored_in_the_clear() {
        let a = Attempt::new(" Ann@Example.org ", Some("192.0.2.1"));
        assert_eq!(a, Attempt::new("ann@example.org", Some("192.0.2.1")));
        assert_ne!(a.account, Attempt::new("bob@example.org", None).account);
        assert!(!a.account.contains("ann") && a.address.as_deref().is_some_and(|k| !k.contains("192")));
        assert_eq!(a.keys().count(), 2);
        assert_eq!(Attempt::new("ann@example.org", None).keys().count(), 1);
    }
}
