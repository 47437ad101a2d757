//! Applies `migrations/*.sql` at start-up, recording them in the same `d1_migrations` table
//! wrangler uses for D1, so both hosts agree on what "applied" means.

use rusqlite::Connection;

/// Every migration, in order. A test checks this list matches the `migrations/` folder.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial.sql", include_str!("../../migrations/0001_initial.sql")),
    ("0002_accounts.sql", include_str!("../../migrations/0002_accounts.sql")),
    ("0003_api_tokens.sql", include_str!("../../migrations/0003_api_tokens.sql")),
    ("0004_settings.sql", include_str!("../../migrations/0004_settings.sql")),
    ("0005_versions_and_ingest.sql", include_str!("../../migrations/0005_versions_and_ingest.sql")),
    ("0006_edits_folders_tags.sql", include_str!("../../migrations/0006_edits_folders_tags.sql")),
    ("0007_sign_in_throttle.sql", include_str!("../../migrations/0007_sign_in_throttle.sql")),
    ("0008_open_ingest_stages.sql", include_str!("../../migrations/0008_open_ingest_stages.sql")),
    ("0009_rendered_html_and_facets.sql", include_str!("../../migrations/0009_rendered_html_and_facets.sql")),
    ("0010_search_chunks.sql", include_str!("../../migrations/0010_search_chunks.sql")),
    ("0011_enrichment.sql", include_str!("../../migrations/0011_enrichment.sql")),
    ("0012_ask.sql", include_str!("../../migrations/0012_ask.sql")),
    ("0013_ids_never_reused.sql", include_str!("../../migrations/0013_ids_never_reused.sql")),
    ("0014_unfinished_claims.sql", include_str!("../../migrations/0014_unfinished_claims.sql")),
    ("0015_one_vote_per_reader.sql", include_str!("../../migrations/0015_one_vote_per_reader.sql")),
    ("0016_client_counts.sql", include_str!("../../migrations/0016_client_counts.sql")),
    ("0017_site_leases.sql", include_str!("../../migrations/0017_site_leases.sql")),
    ("0018_insights.sql", include_str!("../../migrations/0018_insights.sql")),
    ("0019_search_helped.sql", include_str!("../../migrations/0019_search_helped.sql")),
];

/// Applies the migrations not yet recorded, each in its own transaction. Returns their names.
pub fn apply(conn: &mut Connection) -> rusqlite::Result<Vec<&'static str>> {
    apply_these(conn, MIGRATIONS)
}

/// [`apply`] for the first migrations only: tests build a database as an older release left it.
pub fn apply_these(
    conn: &mut Connection,
    migrations: &[(&'static str, &'static str)],
) -> rusqlite::Result<Vec<&'static str>> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS d1_migrations (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           name TEXT UNIQUE,
           applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
         )",
    )?;
    let mut applied = Vec::new();
    for (name, sql) in migrations {
        let done: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM d1_migrations WHERE name = ?1)", [name], |r| {
                r.get(0)
            })?;
        if done {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("INSERT INTO d1_migrations (name) VALUES (?1)", [name])?;
        tx.commit()?;
        applied.push(*name);
    }
    Ok(applied)
}
