//! An answer's Markdown, read into a few safe pieces that pages render as Leptos nodes:
//! paragraphs and lists of text, **strong**, `code` and citations. Nothing else becomes markup:
//! raw HTML stays visible text, a Markdown link keeps only its words (the target is dropped),
//! so a model repeating an injected passage can produce neither a script nor a foreign link.
//! Built for streaming: an unfinished `**` or `[` stays text until it closes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Inline {
    Text(String),
    Strong(String),
    Code(String),
    /// `[n]`: source `n` (1-based), known to exist.
    Cite(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    Paragraph(Vec<Inline>),
    List(Vec<Vec<Inline>>),
}

/// `answer` as blocks; citations beyond `sources` stay text.
pub fn blocks(answer: &str, sources: usize) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, out: &mut Vec<Block>| {
        if !paragraph.trim().is_empty() {
            out.push(Block::Paragraph(inlines(paragraph.trim(), sources)));
        }
        paragraph.clear();
    };
    for line in answer.lines() {
        let trimmed = line.trim();
        let item = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
            .or_else(|| numbered_item(trimmed));
        if let Some(item) = item {
            flush(&mut paragraph, &mut out);
            let item = inlines(item.trim(), sources);
            match out.last_mut() {
                Some(Block::List(items)) => items.push(item),
                _ => out.push(Block::List(vec![item])),
            }
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
        } else {
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(trimmed.trim_start_matches('#').trim_start());
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// `1. text` → `text`.
fn numbered_item(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && digits < 3).then(|| line[digits..].strip_prefix(". ")).flatten()
}

fn inlines(text: &str, sources: usize) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let push_plain = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**").filter(|&e| e > 0) {
                push_plain(&mut plain, &mut out);
                out.push(Inline::Strong(after[..end].to_owned()));
                rest = &after[end + 2..];
                continue;
            }
        }
        if c == '`' {
            if let Some(end) = rest[1..].find('`').filter(|&e| e > 0) {
                push_plain(&mut plain, &mut out);
                out.push(Inline::Code(rest[1..=end].to_owned()));
                rest = &rest[end + 2..];
                continue;
            }
        }
        if c == '[' {
            if let Some(close) = rest.find(']') {
                let inside = &rest[1..close];
                let numbers: Option<Vec<usize>> = inside.split(',').map(|n| n.trim().parse().ok()).collect();
                match numbers {
                    Some(numbers)
                        if !numbers.is_empty() && numbers.iter().all(|n| (1..=sources).contains(n)) =>
                    {
                        push_plain(&mut plain, &mut out);
                        out.extend(numbers.into_iter().map(Inline::Cite));
                        rest = &rest[close + 1..];
                        continue;
                    }
                    _ => {}
                }
                // A Markdown link: its words stay, its target goes.
                if let Some(target) = rest[close + 1..].strip_prefix('(') {
                    if let Some(end) = target.find(')') {
                        plain.push_str(inside);
                        rest = &target[end + 1..];
                        continue;
                    }
                }
            }
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    push_plain(&mut plain, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn paragraphs_lists_strong_code_and_citations() {
        let got = blocks(
            "## Answer\nWAL is **fast** [1].\nIt uses `fsync` [1, 2].\n\n- one [2]\n- two\n1. three",
            2,
        );
        assert_eq!(
            got,
            vec![
                Block::Paragraph(vec![
                    text("Answer WAL is "),
                    Inline::Strong("fast".into()),
                    text(" "),
                    Inline::Cite(1),
                    text(". It uses "),
                    Inline::Code("fsync".into()),
                    text(" "),
                    Inline::Cite(1),
                    Inline::Cite(2),
                    text("."),
                ]),
                Block::List(vec![
                    vec![text("one "), Inline::Cite(2)],
                    vec![text("two")],
                    vec![text("three")]
                ]),
            ]
        );
    }

    #[test]
    fn markup_and_links_become_text() {
        let got = blocks("<script>alert(1)</script> see [the site](https://evil.example) [7] [x]", 2);
        assert_eq!(got, vec![Block::Paragraph(vec![text("<script>alert(1)</script> see the site [7] [x]")])]);
    }

    #[test]
    fn unfinished_pieces_of_a_stream_stay_text() {
        assert_eq!(blocks("it is **fa", 1), vec![Block::Paragraph(vec![text("it is **fa")])]);
        assert_eq!(blocks("see [1", 1), vec![Block::Paragraph(vec![text("see [1")])]);
    }
}
