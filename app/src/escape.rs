//! Text in the two places Leptos writes it without escaping on the server: the page's
//! `<title>` (leptos_meta) and `<textarea>` (tachys marks its children as not to be escaped).
//! Both are RCDATA in HTML: entities are decoded and tags are not parsed, except the element's
//! own end tag, so unescaped `</title>` or `</textarea>` in user text ends the element and what
//! follows runs as markup. Pages use [`PageTitle`] and [`rcdata`]; a test below checks.

use leptos::prelude::*;

/// Sets the page title. Pages use this, never `leptos_meta::Title` directly (a test below
/// checks): leptos_meta 0.8.7 writes the server-rendered title into `<head>`
/// without escaping it (`ServerMetaContextOutput::inject_meta_context` in its `lib.rs` pushes
/// the text as is), so `</title><script>…` in a document title or a URL ran as script.
/// In the browser the title is set through `document.title`, which takes plain text, so only the
/// server side escapes. Drop the escaping once leptos_meta escapes the title itself.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    view! { <leptos_meta::Title text=rcdata(text) /> }
}

/// The children of a `<textarea>` (or any RCDATA element): escaped when rendered on the server,
/// as is in the browser, where Leptos sets them as a DOM text node. tachys 0.2.19 declares
/// `textarea` with `ESCAPE_CHILDREN = false` (its `html/element/elements.rs`), so without this a
/// document containing `</textarea><script>` ran script on its edit page.
pub fn rcdata(text: String) -> String {
    #[cfg(feature = "ssr")]
    let text = escape_text(&text);
    text
}

/// Escapes text for an HTML element's content (`<title>` is RCDATA: entities are decoded, tags
/// are not, so `&lt;/title&gt;` shows as text and cannot close the element).
#[cfg(any(feature = "ssr", test))]
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        domain::content::push_html_escaped(&mut out, c);
    }
    out
}

/// `text` as a URL query value (`+` for a space, every other byte but the unreserved ones
/// percent-encoded).
pub fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn title_text_cannot_close_the_element() {
        let escaped = super::escape_text(r#"</title><script>alert("x")</script> & 'co'"#);
        assert_eq!(
            escaped,
            "&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;"
        );
    }

    /// Every title goes through `PageTitle` and every textarea's text through `rcdata`.
    #[test]
    fn no_page_writes_rcdata_unescaped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut offenders = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).expect("src dir").flatten().map(|e| e.path()));
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("escape.rs") {
                let source = std::fs::read_to_string(&path).expect("source");
                let raw_title = source.contains("<Title") || source.contains("leptos_meta::Title");
                let raw_textarea = source.split("</textarea>").skip(1).count()
                    > source.matches("{crate::escape::rcdata(").count();
                if raw_title || raw_textarea {
                    offenders.push(path.display().to_string());
                }
            }
        }
        assert!(offenders.is_empty(), "use escape::PageTitle and escape::rcdata in {offenders:?}");
    }
}
