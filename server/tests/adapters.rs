//! The port contract suite on the native adapters (the Worker runs the same suite on D1/R2),
//! plus start-up behaviour of the real binary.

use domain::contract::Check;
use server::adapters::blob_folder::FsBlobs;
use server::adapters::sqlite::SqliteDb;
use std::process::Command;
use tempfile::TempDir;

fn assert_all_pass(checks: &[Check], at_least: usize) {
    let failures: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}: {}", c.port, c.name, c.detail))
        .collect();
    assert!(failures.is_empty(), "contract failures:\n{}", failures.join("\n"));
    assert!(checks.len() >= at_least, "the suite ran ({} checks)", checks.len());
}

#[tokio::test]
async fn sqlite_passes_the_db_contract() {
    let dir = TempDir::new().expect("temp");
    let db = SqliteDb::open(&dir.path().join("contract.db")).expect("open");
    assert_all_pass(&domain::contract::db(&db).await, 10);
}

/// Both throttles: the native host counts in memory; the database one (what the Worker uses on
/// D1, run there by the same contract) on real SQLite with the migrations applied.
#[tokio::test]
async fn memory_and_database_pass_the_throttle_contract() {
    assert_all_pass(&domain::contract::throttle(&domain::ports::MemoryThrottle::default()).await, 2);
    let dir = TempDir::new().expect("temp");
    let db = SqliteDb::open(&dir.path().join("throttle.db")).expect("open");
    let db = domain::site::limits::DbThrottle(std::sync::Arc::new(db));
    assert_all_pass(&domain::contract::throttle(&db).await, 2);
}

#[tokio::test]
async fn filesystem_passes_the_blobs_contract() {
    let dir = TempDir::new().expect("temp");
    let blobs = FsBlobs::open(&dir.path().join("blobs")).expect("open");
    assert_all_pass(&domain::contract::blobs(&blobs).await, 5);
    let leftovers = std::fs::read_dir(dir.path().join("blobs/tmp")).expect("tmp dir").count();
    assert_eq!(leftovers, 0, "no temp files left behind");
}

#[tokio::test]
async fn argon2_passes_the_passwords_contract_and_reads_worker_hashes() {
    let passwords = server::adapters::argon2id::Argon2Passwords::new();
    assert_all_pass(&domain::contract::passwords(&passwords).await, 2);
    let hash = domain::Passwords::hash(&passwords, "a password").await.expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    // The well-known PBKDF2-HMAC-SHA256 vector ("password", "salt", c=1), stored as the Worker would.
    let worker_hash = domain::accounts::pbkdf2_phc::Pbkdf2Hash {
        iterations: 1,
        salt: b"salt".to_vec(),
        hash: hex_bytes("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
    }
    .to_phc();
    assert!(domain::Passwords::verify(&passwords, "password", &worker_hash).await.expect("verify"));
    assert!(!domain::Passwords::verify(&passwords, "passw0rd", &worker_hash).await.expect("verify"));
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
}

#[test]
fn migrations_list_matches_the_folder() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
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

mod converter {
    use super::assert_all_pass;
    use bytes::Bytes;
    use domain::error::{ConvertError, Stopped};
    use domain::ports::{Conversion, Converter, InProcess};
    use domain::DomainError;
    use server::adapters::child_converter::{ChildConverter, Limits};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    const SELF_DRAWING: &[u8] = include_bytes!("../../domain/tests/fixtures/self-drawing.pdf");
    const FLATE_BOMB: &[u8] = include_bytes!("../../domain/tests/fixtures/flate-bomb.pdf");

    fn child(limits: Limits) -> ChildConverter {
        ChildConverter::new(env!("CARGO_BIN_EXE_folio").into(), limits)
    }

    /// How the conversion stopped, and how long it took.
    async fn stopped(converter: &ChildConverter, bytes: &'static [u8]) -> (Stopped, Duration) {
        let started = Instant::now();
        let outcome = converter.convert(Conversion::PdfToMarkdown, Bytes::from_static(bytes)).await;
        match outcome {
            Err(DomainError::Convert(ConvertError::Stopped { file: "PDF", why })) => (why, started.elapsed()),
            other => panic!("expected the converter to stop, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn both_converters_pass_the_converter_contract() {
        assert_all_pass(&domain::contract::converter(&child(Limits::default())).await, 3);
        let tasks = server::adapters::tokio_tasks::TokioTasks::new();
        assert_all_pass(&domain::contract::converter(&InProcess::new(Arc::new(tasks))).await, 3);
    }

    #[tokio::test]
    async fn a_stack_overflow_ends_only_the_child() {
        let (why, took) = stopped(&child(Limits::default()), SELF_DRAWING).await;
        assert_eq!(why, Stopped::Crashed);
        assert!(took < Duration::from_secs(10), "{took:?}");
    }

    #[tokio::test]
    async fn the_memory_cap_ends_a_decompression_bomb() {
        // 7 KB that inflate to 4 GiB: the child's address space ends it at 1 GiB.
        let (why, took) = stopped(&child(Limits::default()), FLATE_BOMB).await;
        assert_eq!(why, Stopped::OutOfMemory { limit_mib: 1024 });
        assert!(took < Duration::from_secs(30), "{took:?}");
    }

    #[tokio::test]
    async fn the_cpu_limit_and_the_time_out_end_a_long_conversion() {
        // Inflating the bomb to 4 GiB keeps a core busy for longer than either limit (and the
        // memory cap is raised so it is not what ends it).
        let cpu = Limits { cpu_secs: 1, memory_mib: 8192, ..Limits::default() };
        let (why, took) = stopped(&child(cpu), FLATE_BOMB).await;
        assert_eq!(why, Stopped::TooSlow { limit_secs: 1 });
        assert!(took < Duration::from_secs(5), "{took:?}");
        let wall = Limits { timeout: Duration::from_secs(1), memory_mib: 8192, ..Limits::default() };
        let (why, took) = stopped(&child(wall), FLATE_BOMB).await;
        assert_eq!(why, Stopped::TooSlow { limit_secs: 1 });
        assert!(took < Duration::from_secs(3), "{took:?}");
    }

    /// The figure in ARCHITECTURE.md (Decisions): what a child adds to each conversion.
    /// `cargo test -p server --test adapters -- --ignored --nocapture cost_of_a_child`
    #[tokio::test]
    #[ignore = "a measurement, not a check"]
    async fn cost_of_a_child_per_conversion() {
        let pdf = Bytes::from_static(include_bytes!("../../domain/tests/fixtures/report.pdf"));
        let tasks: Arc<dyn domain::Tasks> = Arc::new(server::adapters::tokio_tasks::TokioTasks::new());
        let in_process: Box<dyn Converter> = Box::new(InProcess::new(tasks));
        for (name, converter) in
            [("in a thread", in_process), ("in a child", Box::new(child(Limits::default())))]
        {
            let runs: u32 = 50;
            let started = Instant::now();
            for _ in 0..runs {
                converter.convert(Conversion::PdfToMarkdown, pdf.clone()).await.expect("converts");
            }
            println!("{name}: {:?} per conversion of report.pdf", started.elapsed() / runs);
        }
    }

    #[tokio::test]
    async fn a_program_that_is_not_a_converter_is_unavailable_not_the_files_fault() {
        let converter = ChildConverter::new("/bin/true".into(), Limits::default());
        let err = converter
            .convert(Conversion::PdfToMarkdown, Bytes::from_static(b"%PDF-1.4"))
            .await
            .expect_err("no answer");
        assert!(matches!(err, DomainError::Convert(ConvertError::Unavailable(_))), "{err:?}");
        assert!(err.is_internal(), "retried like storage");
    }
}
