//! Accounts and sessions. Readers are anonymous; editors and admins sign in with an email and
//! a password. Password hashing is a port ([`crate::ports::Passwords`]) because the right
//! algorithm depends on the host: argon2id natively, PBKDF2 through WebCrypto on Workers.
//!
//! A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::DomainError;
use crate::ports::Ports;
use crate::sql::{decode_one, Statement};

/// How long a session lasts after sign-in.
pub const SESSION_SECONDS: i64 = 14 * 24 * 60 * 60;
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;

/// A normalised email address (trimmed, lower-case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let email = s.trim().to_lowercase();
        let valid = (3..=254).contains(&email.len())
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.contains('@')
            });
        if valid {
            Ok(Self(email))
        } else {
            Err(DomainError::BadInput("Enter an email address like name@example.org.".into()))
        }
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Editor,
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

/// Checks a new password against the policy before it is hashed.
pub fn check_new_password(password: &str) -> Result<(), DomainError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(DomainError::BadInput(format!(
            "A password needs at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(DomainError::BadInput("That password is too long.".into()));
    }
    Ok(())
}

/// A fresh session token (256 random bits, hex) and the hash that is stored.
pub fn new_session_token() -> Result<(String, String), DomainError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| DomainError::BadInput(format!("no randomness: {e}")))?;
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    Ok((token, hash))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Deserialize)]
struct UserRow {
    id: i64,
    email: String,
    role: Role,
    password_hash: String,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self { id: row.id, email: row.email, role: row.role }
    }
}

async fn find_by_email(ports: &Ports, email: &Email) -> Result<Option<UserRow>, DomainError> {
    let rows = ports
        .db
        .query(
            Statement::new("SELECT id, email, role, password_hash FROM users WHERE email = ?1")
                .bind(email.as_str()),
        )
        .await?;
    rows.into_iter().next().map(decode_one).transpose().map_err(Into::into)
}

/// Creates an account. Fails with a conflict if the email is taken.
pub async fn create_user(
    ports: &Ports,
    email: &Email,
    password: &str,
    role: Role,
) -> Result<User, DomainError> {
    check_new_password(password)?;
    let hash = ports.passwords.hash(password).await?;
    let rows = ports
        .db
        .query(
            Statement::new(
                "INSERT INTO users (email, password_hash, role) VALUES (?1, ?2, ?3)
                 RETURNING id, email, role, password_hash",
            )
            .bind(email.as_str())
            .bind(hash)
            .bind(role.as_str()),
        )
        .await?;
    let row: UserRow = decode_one(rows.into_iter().next().ok_or(DomainError::NotFound("user"))?)?;
    Ok(row.into())
}

/// Creates the configured admin on first start; an existing account is left as it is (its
/// password may have been changed since). Returns true when it created the account.
pub async fn ensure_admin(ports: &Ports, email: &Email, password: &str) -> Result<bool, DomainError> {
    if find_by_email(ports, email).await?.is_some() {
        return Ok(false);
    }
    create_user(ports, email, password, Role::Admin).await?;
    Ok(true)
}

/// A session for correct credentials. The same message for an unknown email and a wrong
/// password, so sign-in does not reveal who has an account.
pub async fn sign_in(ports: &Ports, email: &str, password: &str) -> Result<(String, User), DomainError> {
    let wrong = || DomainError::Unauthorized("That email and password don’t match an account.".into());
    let Ok(email) = Email::try_from(email.to_owned()) else {
        return Err(wrong());
    };
    let Some(row) = find_by_email(ports, &email).await? else {
        return Err(wrong());
    };
    if !ports.passwords.verify(password, &row.password_hash).await? {
        return Err(wrong());
    }
    let (token, hash) = new_session_token()?;
    ports
        .db
        .execute(
            Statement::new(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, unixepoch() + ?3)",
            )
            .bind(hash)
            .bind(row.id)
            .bind(SESSION_SECONDS),
        )
        .await?;
    Ok((token, row.into()))
}

/// The user a session token belongs to, if it exists and has not expired.
pub async fn session_user(ports: &Ports, token: &str) -> Result<Option<User>, DomainError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let rows = ports
        .db
        .query(
            Statement::new(
                "SELECT u.id, u.email, u.role, u.password_hash FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > unixepoch()",
            )
            .bind(token_hash(token)),
        )
        .await?;
    Ok(rows.into_iter().next().map(decode_one::<UserRow>).transpose()?.map(Into::into))
}

/// Ends a session (and clears expired ones while at it).
pub async fn sign_out(ports: &Ports, token: &str) -> Result<(), DomainError> {
    ports
        .db
        .batch(vec![
            Statement::new("DELETE FROM sessions WHERE token_hash = ?1").bind(token_hash(token)),
            Statement::new("DELETE FROM sessions WHERE expires_at <= unixepoch()"),
        ])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::try_from(" Ann@Example.ORG ".to_owned()).expect("ok").as_str(), "ann@example.org");
        for bad in ["", "ann", "ann@", "@example.org", "ann@example", "a b@example.org", "a@b@c.org"] {
            assert!(Email::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pass").is_ok());
        assert!(check_new_password(&"x".repeat(2000)).is_err());
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, hash_a) = new_session_token().expect("token");
        let (b, _) = new_session_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_a, token_hash(&a));
        assert_ne!(hash_a, a);
    }
}
