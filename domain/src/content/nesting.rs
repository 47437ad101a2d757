//! How deeply a text nests, measured before any parser sees it. The HTML parser (html5ever) and
//! the Markdown parser (pulldown-cmark) take time quadratic in nesting depth: 60,000 nested
//! `<div>`s took minutes, 50,000 nested `>` quotes the same. Real documents nest a few dozen
//! levels, so anything past [`MAX_NESTING`] is refused before parsing, in one linear pass.

use crate::error::DomainError;

/// Deepest nesting of elements or block quotes Folio reads (real pages: under 50).
pub const MAX_NESTING: usize = 1000;

/// Elements that never hold others (void) or whose end tag may be left out: neither deepens a
/// well-formed page, so neither is counted (an old page's unclosed `<p>`s stay readable).
const NOT_COUNTED: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "colgroup",
    "caption", "rb", "rt", "rp", "html", "head", "body",
];

/// The deepest nesting in `text`: of HTML elements (Markdown may hold raw HTML too) or of
/// Markdown block quotes (`> > >`), whichever is deeper. An estimate that errs high only on
/// broken markup (unclosed elements); linear in the text.
pub fn depth(text: &str) -> usize {
    tag_depth(text).max(quote_depth(text))
}

/// `Err` with a message an editor can act on when `text` nests deeper than [`MAX_NESTING`].
pub fn check(text: &str, what: &str) -> Result<(), DomainError> {
    let depth = depth(text);
    if depth > MAX_NESTING {
        return Err(DomainError::BadInput(format!(
            "This {what} nests more than {MAX_NESTING} levels deep (about {depth}), so Folio does not read it. \
             Real documents nest a few dozen levels: save it again from an editor that closes its elements."
        )));
    }
    Ok(())
}

fn tag_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while let Some(offset) = memchr(b'<', &bytes[i..]) {
        i += offset + 1;
        let rest = &bytes[i..];
        if rest.starts_with(b"!--") {
            i += find(rest, b"-->").map_or(rest.len(), |end| end + 3);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = usize::from(closing);
        let name_len = rest[name_start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if name_len == 0 || !rest[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = text[i + name_start..i + name_start + name_len].to_ascii_lowercase();
        let end = memchr(b'>', rest).unwrap_or(rest.len());
        let self_closing = end > 0 && rest[end - 1] == b'/';
        i += end;
        if NOT_COUNTED.contains(&name.as_str()) || self_closing {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// The most `>` markers starting one line (spaces between them allowed, as Markdown does).
fn quote_depth(text: &str) -> usize {
    text.lines()
        .map(|line| {
            line.bytes().take_while(|b| matches!(b, b'>' | b' ' | b'\t')).filter(|&b| b == b'>').count()
        })
        .max()
        .unwrap_or(0)
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_pages_are_shallow_and_hostile_ones_deep() {
        let page = "<html><head><title>t</title><meta charset=utf-8></head><body><main><p>one<p>two\
                    <ul><li>a<li>b</ul><img src=x><br><div><span>x</span></div></main></body></html>";
        assert_eq!(depth(page), 3, "main > ul and main > div > span");
        assert_eq!(depth(&"<div>".repeat(60_000)), 60_000);
        assert_eq!(depth(&"<p>".repeat(60_000)), 0, "unclosed paragraphs do not nest");
        assert_eq!(depth("<!-- <div><div> --><br/><x-y/>"), 0);
        assert_eq!(depth("a < b and 1<2 <3"), 0);
        assert_eq!(depth("> quote\n> > deeper\n>>> deepest"), 3);
        assert_eq!(depth("<DIV><Div></div></DIV>"), 2);
    }

    #[test]
    fn too_deep_is_a_clear_refusal() {
        assert!(check(&"<div>".repeat(MAX_NESTING), "HTML file").is_ok());
        let err = check(&"> ".repeat(MAX_NESTING + 1), "Markdown file").expect_err("too deep");
        assert_eq!(err.status(), 400);
        assert!(err.public_message().contains("nests more than 1000 levels"), "{}", err.public_message());
    }
}
