//! HTML → Markdown. Only the page's main content is kept: the first `<main>`, `[role=main]` or
//! `<article>` when there is one, without navigation, headers, footers, sidebars, forms or the
//! `¶`/`#` permalinks documentation generators put after headings. The title comes from the
//! page's `<title>` (as front matter, Folio's one way to set a title) unless the content starts
//! with its own `<h1>`. Scripts, styles and inline
//! handlers are dropped here; rendering sanitises again with ammonia, so nothing executable
//! survives either step.

use std::cell::RefCell;

use html5ever::tendril::{StrTendril, TendrilSink};
use markup5ever_rcdom::{Handle, Node, NodeData, RcDom};

use crate::error::DomainError;

/// Elements that are never content, wherever they are.
const NOT_CONTENT: &[&str] = &[
    "script", "style", "noscript", "iframe", "object", "embed", "template", "head", "svg", "math", "nav",
    "aside", "form", "button",
];
/// The page's own header and footer: dropped when the page has no main element to pick. Inside
/// one (an `<article>`'s `<header>` holds its title) they stay.
const PAGE_CHROME: &[&str] = &["header", "footer"];
/// Elements nested deeper than this keep only their text. Real pages stay far inside it (a
/// Sphinx page is ~15 deep); the Markdown converter recurses once per level, so a hostile file
/// of 60,000 nested `<div>`s would otherwise overflow the stack and abort the host.
const MAX_DEPTH: usize = 64;

/// HTML → Markdown of its main content, titled by the page's `<title>`. Every walk here uses an
/// explicit stack (html5ever's parser and the tree's drop do too), and the tree handed to the
/// converter is at most [`MAX_DEPTH`] deep, so no nesting can exhaust the stack.
pub fn html_to_markdown(html: &str) -> Result<String, DomainError> {
    crate::content::nesting::check(html, "HTML file")?;
    let unreadable = |e: std::io::Error| DomainError::BadInput(format!("That HTML could not be read: {e}"));
    let dom = html5ever::parse_document(RcDom::default(), Default::default())
        .from_utf8()
        .read_from(&mut html.as_bytes())
        .map_err(unreadable)?;
    let title =
        find(&dom.document, &|n| is_element(n, "title")).map(|t| text_of(&t)).filter(|t| !t.is_empty());
    let picked = find(&dom.document, &is_main);
    let main = picked.clone().unwrap_or_else(|| dom.document.clone());
    strip(&main, if picked.is_some() { &[] } else { PAGE_CHROME });
    flatten_below(&main, MAX_DEPTH);
    let converter = htmd::HtmlToMarkdown::builder().skip_tags(NOT_CONTENT.to_vec()).build();
    let markdown = converter.tree_to_markdown(&main);
    let markdown = markdown.trim();
    Ok(match title {
        // One line (text_of folds whitespace), kept as written: front matter is not Markdown.
        Some(title) if !markdown.starts_with("# ") => format!("---\ntitle: {title}\n---\n\n{markdown}"),
        _ => markdown.to_owned(),
    })
}

fn is_element(node: &Handle, tag: &str) -> bool {
    matches!(&node.data, NodeData::Element { name, .. } if &*name.local == tag)
}

/// `<main>`, `role="main"` or `<article>`: where a page keeps what it is about.
fn is_main(node: &Handle) -> bool {
    let NodeData::Element { name, attrs, .. } = &node.data else { return false };
    matches!(&*name.local, "main" | "article")
        || attrs.borrow().iter().any(|a| &*a.name.local == "role" && &*a.value == "main")
}

/// Every node below `node` (itself included) in document order, with its depth below `node`.
fn walk(node: &Handle, mut visit: impl FnMut(&Handle, usize) -> bool) {
    let mut stack = vec![(node.clone(), 0)];
    while let Some((node, depth)) = stack.pop() {
        // `false`: do not go below this node.
        if visit(&node, depth) {
            stack.extend(node.children.borrow().iter().rev().map(|child| (child.clone(), depth + 1)));
        }
    }
}

/// The first node, in document order, that `wanted` accepts.
fn find(node: &Handle, wanted: &dyn Fn(&Handle) -> bool) -> Option<Handle> {
    let mut found = None;
    walk(node, |n, _| {
        if found.is_none() && wanted(n) {
            found = Some(n.clone());
        }
        found.is_none()
    });
    found
}

/// Removes, below `node`, the elements that are not content (and `also`), and permalinks.
fn strip(node: &Handle, also: &[&str]) {
    walk(node, |n, _| {
        n.children.borrow_mut().retain(|child| {
            let tags = NOT_CONTENT.iter().chain(also);
            !(tags.into_iter().any(|tag| is_element(child, tag)) || is_permalink(child))
        });
        true
    });
}

/// Replaces what is below each element `max_depth` levels under `node` with its text.
fn flatten_below(node: &Handle, max_depth: usize) {
    walk(node, |n, depth| {
        if depth < max_depth {
            return true;
        }
        if !n.children.borrow().is_empty() {
            let text = Node::new(NodeData::Text { contents: RefCell::new(StrTendril::from(text_of(n))) });
            text.parent.set(Some(std::rc::Rc::downgrade(n)));
            // The old subtree is dropped here; its `Drop` is iterative.
            *n.children.borrow_mut() = vec![text];
        }
        false
    });
}

/// A link whose whole text is a permalink glyph (`¶`, `#`, `§`, `🔗`).
fn is_permalink(node: &Handle) -> bool {
    is_element(node, "a") && matches!(text_of(node).as_str(), "¶" | "#" | "§" | "🔗")
}

/// The text below `node`, whitespace folded to single spaces.
fn text_of(node: &Handle) -> String {
    let mut out = String::new();
    walk(node, |n, _| {
        if let NodeData::Text { contents } = &n.data {
            out.push_str(&contents.borrow());
        }
        true
    });
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::{render, split_front_matter};

    fn title_of(markdown: &str) -> Option<String> {
        split_front_matter(markdown).0.title
    }

    #[test]
    fn only_the_main_content_is_kept_and_titled_by_the_page() {
        // The shape of a Sphinx page (the Python tutorial): chrome around a role=main body.
        let html = r##"<html><head><title>4. More Control Flow Tools &mdash; Python 3.11</title></head><body>
            <div class="related"><nav><a href="/">index</a> | <a href="/modules">modules</a></nav></div>
            <div class="sphinxsidebar"><aside><h3>Table of Contents</h3><ul><li>4.1 if</li></ul></aside></div>
            <div class="body" role="main">
              <section><h2>4.1. <code>if</code> Statements<a class="headerlink" href="#if-statements">¶</a></h2>
              <p>Perhaps the most well-known statement type is the <code>if</code> statement.</p></section>
            </div>
            <footer>&copy; Copyright 2001 Python Software Foundation.</footer></body></html>"##;
        let md = html_to_markdown(html).expect("converts");
        assert_eq!(title_of(&md).as_deref(), Some("4. More Control Flow Tools — Python 3.11"), "{md}");
        assert!(md.contains("Perhaps the most well-known statement type"), "{md}");
        assert!(md.contains("## 4.1. `if` Statements"), "{md}");
        for chrome in ["¶", "index", "modules", "Table of Contents", "Copyright"] {
            assert!(!md.contains(chrome), "{chrome} should be gone: {md}");
        }
    }

    #[test]
    fn a_first_h1_is_the_title_and_pages_without_main_keep_their_body() {
        let md =
            html_to_markdown("<title>Tab [name]</title><h1>Real title</h1><p>Text.</p>").expect("converts");
        assert!(md.starts_with("# Real title"), "{md}");
        let md = html_to_markdown("<title>*Only* a title</title><p>Text.</p>").expect("converts");
        assert_eq!(title_of(&md).as_deref(), Some("*Only* a title"), "the title reads as written: {md}");
        assert_eq!(
            html_to_markdown("<article><p>Just this.</p></article><p>not this</p>").expect("md"),
            "Just this."
        );
        let post = "<header>Site</header><article><header><h1>Post</h1></header><p>Body.</p></article>";
        assert_eq!(html_to_markdown(post).expect("md"), "# Post\n\nBody.", "an article keeps its own header");
    }

    #[test]
    fn html_becomes_markdown_without_anything_executable() {
        let html = r#"<html><head><title>t</title><style>p{}</style></head><body>
            <h1>Title</h1><p>Some <strong>bold</strong> and <a href="https://example.org">a link</a>.</p>
            <script>alert(1)</script><p onclick="alert(2)">Click</p>
            <a href="javascript:alert(3)">bad</a><svg onload="alert(4)"><circle/></svg>
            <ul><li>one</li><li>two</li></ul></body></html>"#;
        let md = html_to_markdown(html).expect("converts");
        assert!(md.contains("# Title"), "{md}");
        assert!(md.contains("**bold**"), "{md}");
        assert!(md.contains("[a link](https://example.org)"), "{md}");
        assert!(!md.contains("alert(1)") && !md.contains("onclick") && !md.contains("<svg"), "{md}");
        // Whatever survives conversion is made inert when rendered.
        let html_out = render(&md, |_| None).html;
        assert!(!html_out.contains("javascript:") && !html_out.contains("onclick"), "{html_out}");
        assert!(html_out.contains("<li>two</li>"), "{html_out}");
    }
}
