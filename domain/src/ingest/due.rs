//! The sweep where no cron runs it (Cloudflare Pages): a host calls [`sweep_if_due`] after a
//! response, and a lease row in the database (`site_leases`) lets one caller a minute through,
//! whichever isolate it is on, so two isolates finishing responses together do not both sweep.

use super::jobs::{sweep, Swept};
use crate::error::DomainError;
use crate::site::Site;
use crate::sql::Statement;

/// The least time between two sweeps of one site started by [`sweep_if_due`].
pub const SWEEP_EVERY_SECONDS: i64 = 60;

/// Sweeps when no sweep was claimed in the last [`SWEEP_EVERY_SECONDS`]; `Ok(None)` when one
/// was. The lease is never released: its end is what spaces the sweeps, and a sweep that dies
/// half-way is safe to leave (every step of it can run again).
pub async fn sweep_if_due(site: &Site) -> Result<Option<Swept>, DomainError> {
    let won = site
        .ports
        .db
        .query(
            Statement::new(
                "INSERT INTO site_leases (name, until) VALUES ('sweep', unixepoch() + ?1)
                 ON CONFLICT (name) DO UPDATE SET until = excluded.until WHERE until <= unixepoch()
                 RETURNING name",
            )
            .bind(SWEEP_EVERY_SECONDS),
        )
        .await?;
    if won.is_empty() {
        return Ok(None);
    }
    sweep(site).await.map(Some)
}
