//! Site-wide switches kept in the database. The write kill switch is read on every request
//! that writes, so turning it on takes effect on the next request on every isolate.

use serde::Deserialize;

use crate::accounts::auth::{require_admin, User};
use crate::error::DomainError;
use crate::ports::{DbExt, Ports};
use crate::sql::Statement;

const WRITES_DISABLED: &str = "writes_disabled";

/// Whether an admin has made the site read-only.
pub async fn writes_disabled(ports: &Ports) -> Result<bool, DomainError> {
    #[derive(Deserialize)]
    struct Row {
        value: String,
    }
    let row: Option<Row> = ports
        .db
        .query_opt(Statement::new("SELECT value FROM settings WHERE key = ?1").bind(WRITES_DISABLED))
        .await?;
    Ok(row.is_some_and(|r| r.value == "1"))
}

/// Call before any content write (uploads, edits, votes): 503 while writes are disabled.
pub async fn ensure_writable(ports: &Ports) -> Result<(), DomainError> {
    if writes_disabled(ports).await? {
        return Err(DomainError::ReadOnly(
            "Folio is read-only for now: an administrator has paused changes. Reading still works.".into(),
        ));
    }
    Ok(())
}

/// Turns the kill switch on or off (admins only; account and token management stay open so an
/// admin can always turn it back).
pub async fn set_writes_disabled(ports: &Ports, actor: &User, disabled: bool) -> Result<(), DomainError> {
    require_admin(actor)?;
    ports
        .db
        .execute(
            Statement::new(
                "INSERT INTO settings (key, value, updated_by) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                   updated_at = unixepoch(), updated_by = excluded.updated_by",
            )
            .bind(WRITES_DISABLED)
            .bind(if disabled { "1" } else { "0" })
            .bind(actor.id),
        )
        .await?;
    Ok(())
}
