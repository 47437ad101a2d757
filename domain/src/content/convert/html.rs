//! HTML → Markdown. Scripts, styles and inline handlers are dropped here; rendering sanitises
//! again with ammonia, so nothing executable survives either step.

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
}
