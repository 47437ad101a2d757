//! Plain text → Markdown that shows it as is.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::render;

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
