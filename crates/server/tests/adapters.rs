//! The port contract suite on the native adapters (the Worker runs the same suite on D1/R2),
//! plus start-up behaviour of the real binary.

use domain::contract::Check;
use server::fs_blobs::FsBlobs;
use server::sqlite::SqliteDb;
use std::process::Command;
use tempfile::TempDir;

fn assert_all_pass(checks: &[Check]) {
    let failures: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}: {}", c.port, c.name, c.detail))
        .collect();
    assert!(failures.is_empty(), "contract failures:\n{}", failures.join("\n"));
    assert!(checks.len() >= 5, "the suite ran ({} checks)", checks.len());
}

#[tokio::test]
async fn sqlite_passes_the_db_contract() {
    let dir = TempDir::new().expect("temp");
    let db = SqliteDb::open(&dir.path().join("contract.db")).expect("open");
    assert_all_pass(&domain::contract::db(&db).await);
}

#[tokio::test]
async fn filesystem_passes_the_blobs_contract() {
    let dir = TempDir::new().expect("temp");
    let blobs = FsBlobs::open(&dir.path().join("blobs")).expect("open");
    assert_all_pass(&domain::contract::blobs(&blobs).await);
    let leftovers = std::fs::read_dir(dir.path().join("blobs/tmp")).expect("tmp dir").count();
    assert_eq!(leftovers, 0, "no temp files left behind");
}

#[test]
fn migrations_list_matches_the_folder() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let mut on_disk: Vec<String> = std::fs::read_dir(folder)
        .expect("migrations folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = server::migrations::MIGRATIONS.iter().map(|(name, _)| *name).collect();
    assert_eq!(on_disk, listed, "add new files in migrations/ to server::migrations::MIGRATIONS");
}

#[test]
fn reopening_applies_nothing_twice() {
    let dir = TempDir::new().expect("temp");
    let path = dir.path().join("twice.db");
    drop(SqliteDb::open(&path).expect("first open"));
    let mut conn = rusqlite::Connection::open(&path).expect("raw open");
    assert!(server::migrations::apply(&mut conn).expect("second apply").is_empty());
}

/// Runs the real `folio` binary on a data folder and returns (success, stderr).
fn start_folio(data_dir: &std::path::Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_folio"))
        .env("FOLIO_DATA_DIR", data_dir)
        .env("FOLIO_ADDR", "127.0.0.1:0")
        .output()
        .expect("run folio");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_database_that_cannot_open_stops_the_server_with_its_path() {
    let dir = TempDir::new().expect("temp");
    // The data "folder" is a file, so neither the folder nor the database can be created.
    let not_a_dir = dir.path().join("occupied");
    std::fs::write(&not_a_dir, b"x").expect("write");
    let (ok, stderr) = start_folio(&not_a_dir);
    assert!(!ok);
    assert!(stderr.contains(&*not_a_dir.to_string_lossy()), "names the path: {stderr}");

    // A folder where the database file should be.
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("folio.db")).expect("mkdir");
    let (ok, stderr) = start_folio(&data);
    assert!(!ok);
    assert!(stderr.contains("could not open the database at"), "{stderr}");
    assert!(stderr.contains("folio.db"), "{stderr}");
}
