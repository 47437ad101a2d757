//! Markdown → safe HTML. pulldown-cmark renders, ammonia removes anything executable (scripts,
//! event handlers, `javascript:` URLs), so stored content can never run in a reader's browser.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// Renders Markdown to sanitised HTML. `resolve` maps a bare attachment name used as a link or
/// image target (`![diagram](hosts.png)`) to its URL; other targets are left as written.
pub fn render(markdown: &str, resolve: impl Fn(&str) -> Option<String>) -> String {
    let events = Parser::new_ext(markdown, options()).map(|event| match event {
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Image { link_type, dest_url: resolve_url(dest_url, &resolve), title, id })
        }
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: resolve_url(dest_url, &resolve), title, id })
        }
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default().clean(&unsafe_html).to_string()
}

fn resolve_url<'a>(dest: CowStr<'a>, resolve: &impl Fn(&str) -> Option<String>) -> CowStr<'a> {
    match resolve(&dest) {
        Some(url) => CowStr::from(url),
        None => dest,
    }
}

/// Splits a leading `# Title` line off the body. Returns (title, rest).
pub fn split_title(markdown: &str) -> (Option<&str>, &str) {
    let trimmed = markdown.trim_start();
    if let Some(rest) = trimmed.strip_prefix("# ") {
        let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
        let title = line.trim();
        if !title.is_empty() {
            return (Some(title), body.trim_start_matches(['\r', '\n']));
        }
    }
    (None, markdown)
}

/// Plain text of the first paragraph, at most `max_chars` characters, for listings.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    let mut in_paragraph = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(pulldown_cmark::TagEnd::Paragraph) if !text.is_empty() => break,
            Event::Text(t) | Event::Code(t) if in_paragraph => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            _ => {}
        }
    }
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_sanitises() {
        let html = render(
            "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n**b**",
            |_| None,
        );
        assert!(html.contains("<strong>b</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn resolves_attachment_names_only() {
        let html = render("![d](hosts.png) [site](https://example.org)", |name| {
            (name == "hosts.png").then(|| "/blobs/abc".to_owned())
        });
        assert!(html.contains(r#"src="/blobs/abc""#), "{html}");
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
    }

    #[test]
    fn splits_title() {
        assert_eq!(split_title("# Hello\n\nBody"), (Some("Hello"), "Body"));
        assert_eq!(split_title("No title"), (None, "No title"));
        assert_eq!(split_title("#NotATitle"), (None, "#NotATitle"));
    }

    #[test]
    fn excerpt_takes_first_paragraph_and_cuts_on_a_word() {
        assert_eq!(excerpt("## H\n\nFirst *para*\nline.\n\nSecond.", 100), "First para line.");
        assert_eq!(excerpt("one two three four", 9), "one two…");
    }
}
