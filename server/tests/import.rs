//! `folio import` against a real native server on a socket: a folder tree goes in through the
//! HTTP API, sub-folders become folders, a second run changes nothing.

mod common;

use common::*;
use std::path::Path;

const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0,
    0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0,
    1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("handbook/onboarding")).expect("mkdir");
    let files: &[(&str, &[u8])] = &[
        (
            "handbook/onboarding/first-week.md",
            b"---\ntags: onboarding\n---\n# First week\n\n![map](office-map.png)",
        ),
        ("handbook/onboarding/office-map.png", PNG_1X1),
        (
            "handbook/policies.html",
            b"<html><body><h1>Policies</h1><p>Be kind.</p><script>x()</script></body></html>",
        ),
        ("report.pdf", include_bytes!("../../domain/tests/fixtures/report.pdf")),
        ("readme.txt", b"Plain text notes."),
        ("broken.pdf", include_bytes!("../../domain/tests/fixtures/broken.pdf")),
        ("setup.md", b"MZ\x90\x00 a program in disguise"),
        ("budget.xlsx", b"PK\x03\x04"),
    ];
    for (path, bytes) in files {
        std::fs::write(root.join(path), bytes).expect("write");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_is_imported_through_the_api_and_a_second_run_changes_nothing() {
    let (native, _data) = native().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = native.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let admin = domain::accounts::auth::User {
        id: 1,
        email: "admin@folio.test".into(),
        role: domain::accounts::auth::Role::Admin,
    };
    let token = domain::accounts::auth::create_token(&native.site.ports, &admin, "import")
        .await
        .expect("token")
        .token;
    let dir = tempfile::tempdir().expect("dir");
    tree(dir.path());
    let options = import::Options {
        dir: dir.path().to_owned(),
        url: url.clone(),
        auth: import::Auth::Token(token.clone()),
        wait: true,
        progress: false,
    };

    let first = {
        let options = options.clone();
        tokio::task::spawn_blocking(move || import::run(&options)).await.expect("join").expect("import")
    };
    assert_eq!(first.created.len(), 6, "{first}");
    assert_eq!(first.rejected.len(), 1, "{first}");
    assert!(first.rejected[0].1.contains("Windows program"), "{first}");
    assert_eq!(first.failed, vec![("broken.pdf".to_owned(), first.failed[0].1.clone())], "{first}");
    assert!(first.failed[0].1.starts_with("This PDF could not be read"), "{first}");
    assert_eq!(first.skipped, vec!["budget.xlsx"]);

    let (_, _, page) = send(&native.router, get("/docs/handbook-onboarding-first-week")).await;
    assert!(page.contains("href=\"/folders/handbook/onboarding\""), "{page}");
    assert!(page.contains("src=\"/blobs/"), "the image uploaded first is attached: {page}");
    let (_, _, folder) = send(&native.router, get("/folders/handbook")).await;
    assert!(folder.contains("First week") && folder.contains("Policies"), "{folder}");

    let second =
        tokio::task::spawn_blocking(move || import::run(&options)).await.expect("join").expect("import");
    assert_eq!((second.created.len(), second.updated.len(), second.duplicate.len()), (0, 0, 6), "{second}");

    // Wrong credentials stop the run with a reason instead of rejecting every file.
    let bad = import::Options {
        dir: dir.path().to_owned(),
        url,
        auth: import::Auth::Token("folio_wrong".into()),
        wait: false,
        progress: false,
    };
    let err =
        tokio::task::spawn_blocking(move || import::run(&bad)).await.expect("join").expect_err("refused");
    assert!(err.to_string().contains("refuses uploads"), "{err}");
}
