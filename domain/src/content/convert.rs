//! Turning uploaded formats into the Markdown Folio stores. HTML becomes Markdown (scripts,
//! styles and inline handlers are dropped here; rendering sanitises again with ammonia, so
//! nothing executable survives either step). Plain text becomes Markdown that shows it as is;
//! a PDF becomes its text, paragraph by paragraph.

use crate::error::DomainError;

/// HTML → Markdown. Script, style and other non-content elements are skipped entirely.
pub fn html_to_markdown(html: &str) -> Result<String, DomainError> {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec![
            "script", "style", "noscript", "iframe", "object", "embed", "template", "head", "svg", "math",
        ])
        .build();
    converter
        .convert(html)
        .map(|md| md.trim().to_owned())
        .map_err(|e| DomainError::BadInput(format!("That HTML could not be read: {e}")))
}

/// Plain text → Markdown that renders as the same text: characters Markdown would interpret
/// are escaped and line breaks are kept.
pub fn text_to_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.lines() {
        for c in line.chars() {
            if matches!(
                c,
                '\\' | '`'
                    | '*'
                    | '_'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | '<'
                    | '>'
                    | '('
                    | ')'
                    | '#'
                    | '+'
                    | '-'
                    | '.'
                    | '!'
                    | '|'
                    | '~'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("  \n");
    }
    out
}

/// PDF → Markdown of its text. A PDF that can't be parsed, or has no text layer (a scan), is a
/// readable error. The parser can panic on hostile files: natively that is caught here; on the
/// Worker (panic = abort) the ingest job fails and is reported instead.
pub fn pdf_to_markdown(bytes: &[u8]) -> Result<String, DomainError> {
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes))
        .map_err(|_| DomainError::BadInput("This PDF could not be read: it is damaged or unusual.".into()))?
        .map_err(|e| DomainError::BadInput(format!("This PDF could not be read ({e}).")))?;
    let paragraphs: Vec<String> = extracted
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs.is_empty() {
        return Err(DomainError::BadInput(
            "This PDF has no text to extract (is it a scanned image?).".into(),
        ));
    }
    Ok(paragraphs.iter().map(|p| text_to_markdown(p).trim_end().to_owned()).collect::<Vec<_>>().join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::render;

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

    #[test]
    fn pdf_text_becomes_paragraphs() {
        let md = pdf_to_markdown(include_bytes!("../../tests/fixtures/report.pdf")).expect("reads");
        let html = render(&md, |_| None).html;
        assert!(html.contains("<p>Quarterly report</p>"), "{html}");
        assert!(html.contains("<p>Revenue grew in every region.</p>"), "{html}");
        assert!(html.contains("Second page text here."), "{html}");
    }

    #[test]
    fn unreadable_pdfs_are_explained() {
        let err = pdf_to_markdown(include_bytes!("../../tests/fixtures/broken.pdf")).expect_err("broken");
        assert_eq!(err.status(), 400);
        assert!(err.public_message().starts_with("This PDF could not be read"), "{}", err.public_message());
        assert!(pdf_to_markdown(b"%PDF-1.4\n%%EOF").is_err());
    }

    #[test]
    fn text_renders_as_written() {
        let md = text_to_markdown("# not a heading\n*not emphasis* <b>not html</b>\nsecond line");
        let html = render(&md, |_| None).html;
        assert!(!html.contains("<h1") && !html.contains("<em>") && !html.contains("<b>"), "{html}");
        assert!(html.contains("# not a heading"), "{html}");
        assert!(html.contains("&lt;b&gt;not html&lt;/b&gt;"), "{html}");
        assert!(html.contains("<br"), "line breaks are kept: {html}");
    }
}
