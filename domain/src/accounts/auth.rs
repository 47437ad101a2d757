//! Accounts and sessions. Readers are anonymous; editors and admins sign in with an email and
//! a password. Password hashing is a port ([`crate::ports::Passwords`]) because the right
//! algorithm depends on the host: argon2id natively, PBKDF2 through WebCrypto on Workers.
//!
//! A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::{Id, Statement};

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
    /// The stored and displayed name (`users.role`).
    pub fn as_str(self) -> &'static str {
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

/// `N` random bytes as hex: session tokens, API tokens, CSP nonces.
pub fn random_hex<const N: usize>() -> Result<String, DomainError> {
    let mut bytes = [0_u8; N];
    // The OS having no randomness is our failure, not the request's: a 500.
    getrandom::fill(&mut bytes).map_err(|e| DomainError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

/// A fresh session token (256 random bits, hex) and the hash that is stored.
pub fn new_session_token() -> Result<(String, String), DomainError> {
    let token = random_hex::<32>()?;
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
    Ok(ports
        .db
        .query_opt(
            Statement::new("SELECT id, email, role, password_hash FROM users WHERE email = ?1")
                .bind(email.as_str()),
        )
        .await?)
}

/// The account with this email, if any (emails compare case-insensitively).
pub async fn user_by_email(ports: &Ports, email: &str) -> Result<Option<User>, DomainError> {
    let Ok(email) = Email::try_from(email.to_owned()) else { return Ok(None) };
    Ok(find_by_email(ports, &email).await?.map(User::from))
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
    let row: UserRow = ports
        .db
        .query_one(
            Statement::new(
                "INSERT INTO users (email, password_hash, role) VALUES (?1, ?2, ?3)
                 RETURNING id, email, role, password_hash",
            )
            .bind(email.as_str())
            .bind(hash)
            .bind(role.as_str()),
        )
        .await?;
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
/// password, and the same work (one password hash), so sign-in reveals neither by its answer
/// nor by its timing who has an account. Every attempt is counted before its password is
/// hashed, per account and client `address` ([`crate::accounts::throttle`]): past a limit the
/// answer is `Throttled` (429) and no hash is spent.
pub async fn sign_in(
    ports: &Ports,
    email: &str,
    password: &str,
    address: Option<&str>,
) -> Result<(String, User), DomainError> {
    use crate::accounts::throttle;
    let db = ports.db.as_ref();
    let counted = throttle::count(db, &throttle::Attempt::new(email, address)).await?;
    let checked = async {
        let account = match Email::try_from(email.to_owned()) {
            Ok(email) => find_by_email(ports, &email).await?,
            Err(_) => None,
        };
        let matched = match &account {
            Some(row) => ports.passwords.verify(password, &row.password_hash).await?,
            None => {
                // Spend what a real check costs, so a quick answer doesn't mean "no such account".
                ports.passwords.hash(password).await?;
                false
            }
        };
        Ok::<_, DomainError>(account.filter(|_| matched))
    }
    .await;
    let row = match checked {
        Ok(Some(row)) => row,
        Ok(None) => {
            counted.failed(db).await?;
            return Err(DomainError::Unauthorized("That email and password don’t match an account.".into()));
        }
        Err(err) => {
            // Unchecked (the hasher busy, the database failing): not a guess.
            if let Err(undo) = counted.uncount(db).await {
                tracing::warn!(%undo, "sign-in throttle: an unchecked attempt stays counted");
            }
            return Err(err);
        }
    };
    counted.succeeded(db).await?;
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

/// A secret we issued: 64 hex digits. Anything else is not looked up at all.
fn is_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The user a credential query finds for a token's hash (`?1`), if any.
async fn user_for_token_hash(
    ports: &Ports,
    sql: &'static str,
    token: &str,
) -> Result<Option<User>, DomainError> {
    let row: Option<UserRow> = ports.db.query_opt(Statement::new(sql).bind(token_hash(token))).await?;
    Ok(row.map(Into::into))
}

/// The user a session token belongs to, if it exists and has not expired.
pub async fn session_user(ports: &Ports, token: &str) -> Result<Option<User>, DomainError> {
    if !is_secret(token) {
        return Ok(None);
    }
    let sql = "SELECT u.id, u.email, u.role, u.password_hash FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.token_hash = ?1 AND s.expires_at > unixepoch()";
    user_for_token_hash(ports, sql, token).await
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

/// Only admins may manage accounts.
pub fn require_admin(actor: &User) -> Result<(), DomainError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(DomainError::Forbidden("Only an administrator can do that.".into()))
    }
}

/// Every account, oldest first (admins only).
pub async fn list_users(ports: &Ports, actor: &User) -> Result<Vec<User>, DomainError> {
    require_admin(actor)?;
    let rows: Vec<UserRow> = ports
        .db
        .query_all(Statement::new("SELECT id, email, role, password_hash FROM users ORDER BY id"))
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// An admin creates an editor (or another admin). A taken email is a clear 409.
pub async fn create_account(
    ports: &Ports,
    actor: &User,
    email: &str,
    password: &str,
    role: Role,
) -> Result<User, DomainError> {
    require_admin(actor)?;
    let email = Email::try_from(email.to_owned())?;
    if find_by_email(ports, &email).await?.is_some() {
        return Err(DomainError::Conflict(format!("There is already an account for {}.", email.as_str())));
    }
    create_user(ports, &email, password, role).await
}

/// Prefix that makes a leaked token easy to recognise (and to scan for in repositories).
pub const TOKEN_PREFIX: &str = "folio_";

/// An API token as listed: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub created_at: i64,
    pub revoked: bool,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub token: String,
}

/// Creates an API token for the actor (editors and admins).
pub async fn create_token(ports: &Ports, actor: &User, name: &str) -> Result<NewToken, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::BadInput("Give the token a name of 1 to 100 characters.".into()));
    }
    let (secret, _) = new_session_token()?;
    let token = format!("{TOKEN_PREFIX}{secret}");
    let Id { id } = ports
        .db
        .query_one(
            Statement::new(
                "INSERT INTO api_tokens (user_id, name, token_hash) VALUES (?1, ?2, ?3) RETURNING id",
            )
            .bind(actor.id)
            .bind(name)
            .bind(token_hash(&token)),
        )
        .await?;
    Ok(NewToken { id, name: name.to_owned(), token })
}

/// The actor's tokens; an admin sees everyone's.
pub async fn list_tokens(ports: &Ports, actor: &User) -> Result<Vec<TokenInfo>, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        name: String,
        owner: String,
        created_at: i64,
        revoked: i64,
    }
    let rows: Vec<Row> = ports
        .db
        .query_all(
            Statement::new(
                "SELECT t.id, t.name, u.email AS owner, t.created_at, t.revoked_at IS NOT NULL AS revoked
                 FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE ?1 OR t.user_id = ?2 ORDER BY t.id",
            )
            .bind(actor.role == Role::Admin)
            .bind(actor.id),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenInfo {
            id: r.id,
            name: r.name,
            owner: r.owner,
            created_at: r.created_at,
            revoked: r.revoked != 0,
        })
        .collect())
}

/// Revokes a token: its owner or an admin may.
pub async fn revoke_token(ports: &Ports, actor: &User, id: i64) -> Result<(), DomainError> {
    let changed = ports
        .db
        .execute(
            Statement::new(
                "UPDATE api_tokens SET revoked_at = unixepoch()
                 WHERE id = ?1 AND revoked_at IS NULL AND (?2 OR user_id = ?3)",
            )
            .bind(id)
            .bind(actor.role == Role::Admin)
            .bind(actor.id),
        )
        .await?;
    if changed == 0 {
        return Err(DomainError::NotFound("token"));
    }
    Ok(())
}

/// The user behind a `folio_…` API token, if it exists and is not revoked.
pub async fn token_user(ports: &Ports, token: &str) -> Result<Option<User>, DomainError> {
    if !token.strip_prefix(TOKEN_PREFIX).is_some_and(is_secret) {
        return Ok(None);
    }
    let sql =
        "SELECT u.id, u.email, u.role, u.password_hash FROM api_tokens t JOIN users u ON u.id = t.user_id
               WHERE t.token_hash = ?1 AND t.revoked_at IS NULL";
    user_for_token_hash(ports, sql, token).await
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
    fn only_admins_manage_accounts() {
        let admin = User { id: 1, email: "a@b.co".into(), role: Role::Admin };
        let editor = User { id: 2, email: "e@b.co".into(), role: Role::Editor };
        assert!(require_admin(&admin).is_ok());
        assert_eq!(require_admin(&editor).map_err(|e| e.status()), Err(403));
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
