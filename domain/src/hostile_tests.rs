//! Hostile input for every parser an upload, a query or a model's answer reaches: generated
//! nesting, random bytes, huge lines. Nothing may panic, and nothing may recurse without bound:
//! a stack overflow is not a panic, it aborts the whole process (natively the server, on the
//! Worker the isolate). Each case runs on a thread with a small stack, well under the 2 MiB a
//! tokio blocking thread has, so a walk that recurses per level of nesting fails here.

use proptest::prelude::*;

use crate::ask::render;
use crate::content::convert::{html_to_markdown, pdf_to_markdown, text_to_markdown};
use crate::content::markdown::{render as render_markdown, split_front_matter};
use crate::search::query::{snippet_html, KeywordQuery};

/// Smaller than any host's stack for this work (tokio: 2 MiB; workerd's wasm stack: 1 MiB).
const SMALL_STACK: usize = 512 * 1024;

/// Runs `f` on a thread with [`SMALL_STACK`] and returns what it returned.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn a test thread")
        .join()
        .expect("no panic on hostile input")
}

/// `depth` nested elements of `tag` around `inner` (the file from the trust issue: 60,000 divs).
fn nested(tag: &str, depth: usize, inner: &str) -> String {
    let mut html = String::with_capacity(depth * (2 * tag.len() + 5) + inner.len());
    for _ in 0..depth {
        html.push_str(&format!("<{tag}>"));
    }
    html.push_str(inner);
    for _ in 0..depth {
        html.push_str(&format!("</{tag}>"));
    }
    html
}

/// Everything an uploaded file's text goes through, from conversion to the page.
fn convert_and_render(html: String) -> Result<String, String> {
    let markdown = html_to_markdown(&html).map_err(|e| e.public_message())?;
    let (_, body) = split_front_matter(&markdown);
    Ok(render_markdown(body, |_| None).html)
}

#[test]
fn sixty_thousand_nested_divs_are_refused_at_once_with_a_reason() {
    let html = format!("<title>Deep</title>{}", nested("div", 60_000, "<p>the treasure at the bottom</p>"));
    let upload = html.clone();
    let err = on_small_stack(move || convert_and_render(html)).expect_err("refused");
    assert!(err.contains("nests more than 1000 levels"), "{err}");
    let err = crate::content::upload::inspect("deep.html", upload.as_bytes(), 25 << 20).expect_err("refused");
    assert_eq!(err.status(), 400, "refused at upload, before anything is stored");
}

#[test]
fn deep_but_readable_nesting_of_every_kind_converts_and_keeps_its_text() {
    for tag in ["div", "ul", "blockquote", "table", "span", "a", "b", "main", "article", "section"] {
        let html = nested(tag, 900, "deep words");
        let out = on_small_stack(move || convert_and_render(html));
        assert!(out.as_ref().is_ok_and(|html| html.contains("deep words")), "<{tag}> × 900: {out:?}");
    }
    // Unclosed lists really do nest 20,000 deep: refused, like the divs.
    let lists = "<ul><li>".repeat(20_000) + "deep words";
    let out = on_small_stack(move || convert_and_render(lists));
    assert!(out.as_ref().is_err_and(|e| e.contains("nests more than")), "unclosed lists: {out:?}");
}

#[test]
fn markdown_with_hostile_nesting_renders() {
    let cases = [
        format!("{}deep quote", "> ".repeat(50_000)),
        (0..20_000).map(|i| format!("{}- item\n", "  ".repeat(i % 200))).collect(),
        format!("{}x{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("{}x{}", "*".repeat(100_000), "*".repeat(100_000)),
        nested("div", 60_000, "raw html the sanitiser parses"),
        format!("{}text", "<details>".repeat(30_000)),
    ];
    for markdown in cases {
        let start = markdown.chars().take(20).collect::<String>();
        let html = on_small_stack(move || render_markdown(&markdown, |_| None).html);
        assert!(!html.is_empty(), "{start}… renders to something");
    }
}

#[test]
fn huge_lines_convert() {
    let line = "word ".repeat(400_000); // 2 MB on one line
    let text = line.clone();
    let md = on_small_stack(move || text_to_markdown(&text));
    assert!(md.len() >= line.len());
    let html = format!("<p>{line}</p>");
    assert!(on_small_stack(move || convert_and_render(html)).is_ok());
}

/// Tags with structure and tags that are dropped, so generated documents mix both.
const TAGS: &[&str] =
    &["div", "p", "ul", "li", "table", "tr", "td", "blockquote", "a", "b", "script", "main", "h2", "pre"];

fn generated_html() -> impl Strategy<Value = String> {
    (prop::collection::vec((0..TAGS.len(), 1usize..3000), 1..6), "[a-z <>&\"/=]{0,40}").prop_map(
        |(layers, inner)| {
            layers.iter().rev().fold(inner, |inside, &(tag, depth)| nested(TAGS[tag], depth, &inside))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_nesting_converts_or_is_refused_with_a_reason(html in generated_html()) {
        let readable = crate::content::nesting::depth(&html) <= crate::content::nesting::MAX_NESTING;
        let result = on_small_stack(move || convert_and_render(html));
        match result {
            Ok(_) => prop_assert!(readable),
            Err(message) => prop_assert!(!readable && message.contains("nests more than"), "{}", message),
        }
    }

    #[test]
    fn random_bytes_never_panic_a_converter(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        on_small_stack(move || {
            let _ = html_to_markdown(&text);
            let _ = render_markdown(&text_to_markdown(&text), |_| None);
            let _ = render_markdown(&text, |_| Some("/blobs/x".into()));
            let _ = split_front_matter(&text);
            let mut pdf = b"%PDF-1.4\n".to_vec();
            pdf.extend_from_slice(&bytes);
            let _ = pdf_to_markdown(&pdf);
        });
    }

    #[test]
    fn front_matter_of_any_shape_is_read(
        lines in prop::collection::vec("(title|tags|tag|- |[a-z]{1,8})[: ]{0,2}[^\n]{0,60}", 0..200),
        close in any::<bool>(),
    ) {
        let text = format!("---\n{}\n{}body", lines.join("\n"), if close { "---\n" } else { "" });
        let (front, body) = split_front_matter(&text);
        prop_assert!(front.tags.len() <= 20);
        prop_assert!(text.ends_with(body));
    }

    #[test]
    fn any_query_parses_into_bounded_safe_terms(input in "\\PC{0,2000}") {
        if let Some(query) = KeywordQuery::parse(&input) {
            prop_assert!(query.terms.len() <= 16);
            let fts = query.to_fts();
            // Every term is one FTS5 string: quotes balance, so no syntax leaks through.
            prop_assert_eq!(fts.matches('"').count() % 2, 0, "{}", fts);
        }
        let html = snippet_html(&input);
        prop_assert!(!html.replace("<mark>", "").replace("</mark>", "").contains('<'), "{}", html);
    }

    #[test]
    fn any_answer_renders_into_safe_blocks(answer in "\\PC{0,3000}", sources in 0usize..8) {
        let blocks = render::blocks(&answer, sources);
        for block in &blocks {
            let inlines: Vec<&render::Inline> = match block {
                render::Block::Paragraph(inlines) => inlines.iter().collect(),
                render::Block::List(items) => items.iter().flatten().collect(),
            };
            for inline in inlines {
                if let render::Inline::Cite(n) = inline {
                    prop_assert!((1..=sources).contains(n), "citation {} of {}", n, sources);
                }
            }
        }
    }
}

#[test]
fn an_answer_of_huge_lines_and_deep_markup_renders() {
    let answer = format!("{}{}", "**[".repeat(50_000), "- item\n".repeat(50_000));
    let blocks = on_small_stack(move || render::blocks(&answer, 3));
    assert!(!blocks.is_empty());
}
