//! Markdown → safe HTML. pulldown-cmark renders, ammonia removes anything executable (scripts,
//! event handlers, `javascript:` URLs), so stored content can never run in a reader's browser.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// A heading in the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// What rendering produces: safe HTML plus what the page shows around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// Level 2 and 3 headings, in order, with their anchor ids.
    pub outline: Vec<Heading>,
    pub words: usize,
}

/// Minutes to read at ~220 words a minute; at least one.
pub fn reading_minutes(words: usize) -> u32 {
    u32::try_from(words.div_ceil(220).max(1)).unwrap_or(u32::MAX)
}

/// Renders Markdown to sanitised HTML. `resolve` maps a bare attachment name used as a link or
/// image target (`![diagram](hosts.png)`) to its URL; other targets are left as written.
/// Every heading gets a stable anchor id (and a `#` link to itself). Text nested too deeply to
/// parse in bounded time (uploads refuse it first) is shown as plain text.
pub fn render(markdown: &str, resolve: impl Fn(&str) -> Option<String>) -> Rendered {
    if crate::content::nesting::depth(markdown) > crate::content::nesting::MAX_NESTING {
        // Escaped text has no structure to parse (though it still reads as deep to the check).
        return render_parsed(&crate::content::convert::text_to_markdown(markdown), resolve);
    }
    render_parsed(markdown, resolve)
}

fn render_parsed(markdown: &str, resolve: impl Fn(&str) -> Option<String>) -> Rendered {
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options())
        .map(|event| match event {
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Image { link_type, dest_url: resolve_url(dest_url, &resolve), title, id })
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Link { link_type, dest_url: resolve_url(dest_url, &resolve), title, id })
            }
            other => other,
        })
        .collect();
    let words = events
        .iter()
        .map(|e| match e {
            Event::Text(t) | Event::Code(t) => t.split_whitespace().count(),
            _ => 0,
        })
        .sum();
    let outline = anchor_headings(&mut events);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    let html = ammonia::Builder::default()
        .add_tag_attributes("h1", &["id"])
        .add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .add_tag_attributes("h4", &["id"])
        .add_tag_attributes("h5", &["id"])
        .add_tag_attributes("h6", &["id"])
        .clean(&unsafe_html)
        .to_string();
    Rendered { html, outline, words }
}

/// Gives each heading a unique slug id and appends a `#` self-link; returns the h2/h3 outline.
fn anchor_headings(events: &mut Vec<Event<'_>>) -> Vec<Heading> {
    let mut anchors = Anchors::default();
    let mut outline = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Heading { level, .. }) = &events[i] else {
            i += 1;
            continue;
        };
        let level = *level as u8;
        let end = (i..events.len())
            .find(|&j| matches!(events[j], Event::End(pulldown_cmark::TagEnd::Heading(_))))
            .unwrap_or(events.len());
        let text: String = events[i..end]
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        let id = anchors.next(&text);
        if let Event::Start(Tag::Heading { id: heading_id, .. }) = &mut events[i] {
            *heading_id = Some(CowStr::from(id.clone()));
        }
        let link = format!(r##" <a href="#{id}" aria-label="Link to this section">#</a>"##);
        events.insert(end, Event::InlineHtml(CowStr::from(link)));
        if level == 2 || level == 3 {
            outline.push(Heading { level, id, text: text.trim().to_owned() });
        }
        i = end + 2;
    }
    outline
}

/// Heading anchor ids in document order: the heading's slug, made unique with `-2`, `-3`… The
/// renderer and the search chunker both use it, so a search result links to the id its heading
/// has on the page.
#[derive(Default)]
pub(crate) struct Anchors {
    used: std::collections::HashSet<String>,
}

impl Anchors {
    pub(crate) fn next(&mut self, heading_text: &str) -> String {
        let base = slugify(heading_text);
        let mut id = base.clone();
        let mut n = 2;
        while !self.used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// Lower-case letters and digits joined by single dashes; "section" when nothing is left.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "section".to_owned()
    } else {
        slug.to_owned()
    }
}

fn resolve_url<'a>(dest: CowStr<'a>, resolve: &impl Fn(&str) -> Option<String>) -> CowStr<'a> {
    match resolve(&dest) {
        Some(url) => CowStr::from(url),
        None => dest,
    }
}

/// Image targets that are bare file names (`![x](diagram.png)`): candidates for attachments.
pub fn relative_image_targets(markdown: &str) -> Vec<String> {
    let mut names: Vec<String> = Parser::new_ext(markdown, options())
        .filter_map(|event| match event {
            Event::Start(Tag::Image { dest_url, .. }) => Some(dest_url.into_string()),
            _ => None,
        })
        .filter(|name| !name.is_empty() && !name.contains(['/', ':', '?', '#', '\\']))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What a leading front-matter block says: `---`, then `key: value` lines, then `---`.
/// Folio reads `title` and `tags` (`tags: a, b`, `tags: [a, b]` or a `- a` list).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub tags: Vec<String>,
}

/// At most this many tags per document; more are ignored.
const MAX_TAGS: usize = 20;

/// Splits front matter off the top of a document. Without a well-formed block (no closing
/// `---` within the first 4 KB) the whole text is the body.
pub fn split_front_matter(markdown: &str) -> (FrontMatter, &str) {
    let text = markdown.trim_start_matches('\u{feff}');
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return (FrontMatter::default(), markdown);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            let front = parse_front_matter(&rest[..offset]);
            return (front, &rest[offset + line.len()..]);
        }
        offset += line.len();
        if offset > 4096 {
            break;
        }
    }
    (FrontMatter::default(), markdown)
}

fn parse_front_matter(block: &str) -> FrontMatter {
    let mut front = FrontMatter::default();
    let mut in_tag_list = false;
    let push_tag = |front: &mut FrontMatter, raw: &str| {
        if let Some(tag) = tag_name(raw) {
            if !front.tags.contains(&tag) && front.tags.len() < MAX_TAGS {
                front.tags.push(tag);
            }
        }
    };
    for line in block.lines() {
        if in_tag_list {
            if let Some(item) = line.trim_start().strip_prefix("- ") {
                push_tag(&mut front, item);
                continue;
            }
            in_tag_list = false;
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim().trim_matches(['"', '\'']);
        match key.trim().to_ascii_lowercase().as_str() {
            "title" if !value.is_empty() => front.title = Some(value.to_owned()),
            "tags" | "tag" if value.is_empty() => in_tag_list = true,
            "tags" | "tag" => {
                for raw in value.trim_start_matches('[').trim_end_matches(']').split(',') {
                    push_tag(&mut front, raw);
                }
            }
            _ => {}
        }
    }
    front
}

/// `markdown` with `tag` among its front matter's tags (a block is added when there is none).
/// The block's other lines stay as written; its tags become one `tags: [a, b]` line. Unchanged
/// when the tag is there already.
pub fn with_tag(markdown: &str, tag: &str) -> String {
    let (front, body) = split_front_matter(markdown);
    if front.tags.iter().any(|t| t == tag) {
        return markdown.to_owned();
    }
    let mut tags = front.tags.clone();
    tags.push(tag.to_owned());
    let tags_line = format!("tags: [{}]", tags.join(", "));
    if body.len() == markdown.len() {
        // No front matter: a block with the tag alone.
        return format!("---\n{tags_line}\n---\n{markdown}");
    }
    let block_end = markdown.len() - body.len();
    let block = &markdown[..block_end];
    let mut lines: Vec<&str> = Vec::new();
    let mut in_tag_list = false;
    for line in block.lines() {
        let key = line.split_once(':').map(|(k, _)| k.trim().to_ascii_lowercase());
        if in_tag_list && line.trim_start().starts_with("- ") {
            continue;
        }
        in_tag_list = false;
        if matches!(key.as_deref(), Some("tags" | "tag")) {
            in_tag_list = line.split_once(':').is_some_and(|(_, v)| v.trim().is_empty());
            continue;
        }
        lines.push(line);
    }
    // `lines` is the opening `---`, the other keys and the closing `---`.
    let closing = lines.pop().unwrap_or("---");
    format!("{}\n{tags_line}\n{closing}\n{body}", lines.join("\n"))
}

/// A tag as it appears in addresses: lower-case ASCII letters, digits and single dashes, at
/// most 40 characters. `None` when nothing usable is left.
pub fn tag_name(raw: &str) -> Option<String> {
    let tag = crate::content::upload::ascii_slug(raw.trim().trim_matches(['"', '\'', '#']), 40);
    (!tag.is_empty()).then_some(tag)
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
    fn a_tag_is_added_to_the_front_matter_once() {
        assert_eq!(with_tag("# T\nText", "rust"), "---\ntags: [rust]\n---\n# T\nText");
        let inline = "---\ntitle: T\ntags: [a, b]\nother: x\n---\n# T\n";
        assert_eq!(with_tag(inline, "rust"), "---\ntitle: T\nother: x\ntags: [a, b, rust]\n---\n# T\n");
        let listed = "---\ntags:\n  - one\n  - two\ntitle: T\n---\nBody";
        let added = with_tag(listed, "three");
        assert_eq!(split_front_matter(&added).0.tags, vec!["one", "two", "three"]);
        assert_eq!(split_front_matter(&added).0.title.as_deref(), Some("T"));
        assert!(added.ends_with("---\nBody"), "{added}");
        assert_eq!(with_tag(inline, "a"), inline, "there already: unchanged");
    }

    #[test]
    fn front_matter_gives_title_and_tags() {
        let (front, body) =
            split_front_matter("---\ntitle: \"Set up\"\ntags: [Guide, Editing Tips, guide]\n---\n# H\nText");
        assert_eq!(front.title.as_deref(), Some("Set up"));
        assert_eq!(front.tags, vec!["guide", "editing-tips"]);
        assert_eq!(body, "# H\nText");
        let (front, _) = split_front_matter("---\ntags:\n  - one\n  - Two Words\nother: x\n---\nBody");
        assert_eq!(front.tags, vec!["one", "two-words"]);
        // No closing line: not front matter, nothing is lost.
        let (front, body) = split_front_matter("---\ntitle: x\nno end");
        assert_eq!((front, body), (FrontMatter::default(), "---\ntitle: x\nno end"));
        assert_eq!(tag_name(" #Rust!! "), Some("rust".into()));
        assert_eq!(tag_name("ЖЖ"), None);
    }

    #[test]
    fn renders_and_sanitises() {
        let html = render_html(
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
        let html = render_html("![d](hosts.png) [site](https://example.org)", |name| {
            (name == "hosts.png").then(|| "/blobs/abc".to_owned())
        });
        assert!(html.contains(r#"src="/blobs/abc""#), "{html}");
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
    }

    fn render_html(md: &str, resolve: impl Fn(&str) -> Option<String>) -> String {
        render(md, resolve).html
    }

    #[test]
    fn headings_get_unique_anchors_and_an_outline() {
        let r = render(
            "# Top\n\n## Getting started\n\n### Install `folio`\n\n## Getting started\n\nSome words here.",
            |_| None,
        );
        assert!(
            r.html.contains(r##"<h2 id="getting-started">Getting started <a href="#getting-started""##),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"id="getting-started-2""#), "{}", r.html);
        let ids: Vec<&str> = r.outline.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["getting-started", "install-folio", "getting-started-2"]);
        assert_eq!(r.outline[1].level, 3);
        assert_eq!(r.outline[1].text, "Install folio");
        assert_eq!(r.words, 10);
        assert_eq!(reading_minutes(r.words), 1);
        assert_eq!(reading_minutes(441), 3);
    }

    #[test]
    fn raw_html_cannot_smuggle_attributes_through_headings() {
        let r = render("<h2 id=\"x\" onclick=\"alert(1)\" style=\"color:red\">Hi</h2>", |_| None);
        assert!(!r.html.contains("onclick") && !r.html.contains("style"), "{}", r.html);
    }

    #[test]
    fn finds_bare_image_names_only() {
        let md = "![a](one.png) ![b](https://x.org/two.png) ![c](/blobs/abc) ![d](one.png) ![e](three.gif)";
        assert_eq!(relative_image_targets(md), ["one.png", "three.gif"]);
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  ---  "), "section");
        assert_eq!(slugify("Ünïcode ok"), "ünïcode-ok");
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
