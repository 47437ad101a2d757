//! The keyword query parser against SQLite's real FTS5 (the engine D1 runs too): whatever a
//! reader types gives results or none, never a query error.

use domain::search::query::{snippet_html, KeywordQuery, MARK_END, MARK_START};
use rusqlite::Connection;

fn index() -> Connection {
    let db = Connection::open_in_memory().expect("db");
    db.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'porter unicode61');
         INSERT INTO t (body) VALUES ('SQLite keeps a write-ahead log for readers'),
                                     ('Folio renders <b>Markdown</b> & HTML at the edge'),
                                     ('AND NEAR are words too');",
    )
    .expect("index");
    db
}

fn search(db: &Connection, input: &str) -> rusqlite::Result<Vec<String>> {
    let Some(query) = KeywordQuery::parse(input) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT snippet(t, 0, '{MARK_START}', '{MARK_END}', '…', 16) FROM t WHERE t MATCH ?1 ORDER BY rank"
    );
    let mut stmt = db.prepare(&sql)?;
    let rows = stmt.query_map([query.to_fts()], |r| r.get::<_, String>(0))?;
    rows.collect()
}

#[test]
fn any_input_searches_and_none_fails() {
    let db = index();
    let nasty = [
        "\"",
        "\"\"\"",
        "AND",
        "a AND",
        "NEAR(",
        "NEAR(a, b",
        "*",
        "-",
        "col:x",
        "body:sqlite",
        "(",
        ")",
        "^",
        "'; DROP TABLE t; --",
        "\u{0}",
        "\u{E000}",
        "🙂",
        "OR OR OR",
        "sqlite\"",
        "{",
        "}",
        "+",
    ];
    for input in nasty {
        assert!(search(&db, input).is_ok(), "{input:?} must not be a query error: {:?}", search(&db, input));
    }
    let long = "sqlite ".repeat(800) + &"z".repeat(5_000);
    assert!(search(&db, &long).is_ok());
}

#[test]
fn words_phrases_and_the_word_being_typed_find_what_they_should() {
    let db = index();
    assert_eq!(search(&db, "write-ahead").expect("ok").len(), 1, "hyphenated words");
    assert_eq!(search(&db, "\"write ahead log\"").expect("ok").len(), 1, "a phrase");
    assert_eq!(search(&db, "\"log ahead\"").expect("ok").len(), 0, "words out of order are not the phrase");
    assert_eq!(search(&db, "mark").expect("ok").len(), 1, "a prefix while typing: mark… → Markdown");
    assert_eq!(search(&db, "mark ").expect("ok").len(), 0, "a finished word is exact");
    assert_eq!(search(&db, "AND NEAR").expect("ok").len(), 1, "operators are words to look for");
    let snippet = search(&db, "markdown").expect("ok").remove(0);
    assert_eq!(
        snippet_html(&snippet),
        "Folio renders &lt;b&gt;<mark>Markdown</mark>&lt;/b&gt; &amp; HTML at the edge"
    );
}
