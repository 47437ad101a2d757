//! Heading-aware chunks of a document's Markdown, the unit that search indexes (keywords now,
//! vectors later) and that a result deep-links to. A chunk never crosses a heading, so it knows
//! its section's heading path and anchor (the id the rendered page gives that heading). Within
//! a section, blocks are packed to about [`Limits::target_words`]; the next chunk repeats the
//! last ~15% of the previous one so a passage cut in two is still found whole. Code blocks and
//! tables are not split unless one alone is far over the limit. Chunks are numbered in order,
//! so the same Markdown always gives the same chunks (a retried stage writes the same rows).

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::content::markdown::{options, Anchors};

/// One piece of a document for the search indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// 0, 1, 2… in document order: with the version, the chunk's stable id.
    pub ordinal: u32,
    /// The headings above this chunk, outermost first (the document title is not one).
    pub heading_path: Vec<String>,
    /// The anchor of the section the chunk is in; `None` before the first heading.
    pub anchor: Option<String>,
    /// Plain text (Markdown syntax removed, code kept), blocks separated by blank lines.
    pub text: String,
    pub words: usize,
}

/// What a model reads of a chunk (to embed it, to rerank it): its place in the document, then
/// its text.
pub(crate) fn passage(title: &str, heading: &str, body: &str) -> String {
    if heading.is_empty() {
        format!("{title}\n{body}")
    } else {
        format!("{title} — {heading}\n{body}")
    }
}

/// How big chunks get, in words.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub target_words: usize,
    pub max_words: usize,
    /// Words the next chunk of a section repeats from the end of the previous one.
    pub overlap_words: usize,
}

/// Sized for the embedding model: MiniLM reads at most 256 tokens (about 200 English words of
/// technical text); longer chunks would be embedded by their first part only.
impl Default for Limits {
    fn default() -> Self {
        Self { target_words: 180, max_words: 260, overlap_words: 30 }
    }
}

/// A top-level block: a paragraph, list, quote, code block or table, as plain text.
struct Block {
    text: String,
    words: usize,
    /// Code blocks and tables: kept whole when they fit.
    atomic: bool,
}

/// A heading's stretch of the document.
struct Section {
    heading_path: Vec<String>,
    anchor: Option<String>,
    blocks: Vec<Block>,
}

/// Splits `markdown` (a document's body, its title line already removed) into chunks.
pub fn chunk(markdown: &str, limits: Limits) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for section in sections(markdown) {
        let mut packed = Packed::default();
        let Section { heading_path, anchor, blocks } = section;
        let emit = |packed: &mut Packed, chunks: &mut Vec<Chunk>| {
            chunks.push(Chunk {
                ordinal: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
                heading_path: heading_path.clone(),
                anchor: anchor.clone(),
                text: packed.parts.join("\n\n"),
                words: packed.words,
            });
            packed.carry_tail(limits.overlap_words);
        };
        for block in split_oversized(blocks, limits) {
            if packed.fresh > 0 && packed.words + block.words > limits.max_words {
                emit(&mut packed, &mut chunks);
            }
            packed.push(block);
            if packed.words >= limits.target_words {
                emit(&mut packed, &mut chunks);
            }
        }
        if packed.fresh > 0 {
            emit(&mut packed, &mut chunks);
        }
    }
    chunks
}

/// The chunk being filled: its text, its words, and how many of them are new (not the overlap
/// carried from the chunk before).
#[derive(Default)]
struct Packed {
    parts: Vec<String>,
    words: usize,
    fresh: usize,
}

impl Packed {
    fn push(&mut self, block: Block) {
        self.words += block.words;
        self.fresh += block.words;
        self.parts.push(block.text);
    }

    /// Starts the next chunk with the last `n` words of this one.
    fn carry_tail(&mut self, n: usize) {
        let tail = tail_words(&self.parts.join(" "), n);
        self.words = count_words(&tail);
        self.fresh = 0;
        self.parts = if tail.is_empty() { Vec::new() } else { vec![tail] };
    }
}

/// The document's blocks grouped under their headings.
fn sections(markdown: &str) -> Vec<Section> {
    let mut anchors = Anchors::default();
    let mut sections = vec![Section { heading_path: Vec::new(), anchor: None, blocks: Vec::new() }];
    let mut path: Vec<(u8, String)> = Vec::new();
    let mut depth = 0_usize;
    let mut text = String::new();
    let mut heading: Option<u8> = None;
    let mut atomic = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some(level as u8);
                text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                let level = heading.take().unwrap_or(1);
                let title = text.trim().to_owned();
                text.clear();
                let anchor = anchors.next(&title);
                path.retain(|(l, _)| *l < level);
                path.push((level, title));
                sections.push(Section {
                    heading_path: path.iter().map(|(_, t)| t.clone()).collect(),
                    anchor: Some(anchor),
                    blocks: Vec::new(),
                });
            }
            Event::Start(tag) if heading.is_none() => {
                if depth == 0 {
                    text.clear();
                    atomic = matches!(tag, Tag::CodeBlock(_) | Tag::Table(_));
                }
                depth += 1;
            }
            Event::End(end) if heading.is_none() => {
                depth = depth.saturating_sub(1);
                if matches!(end, TagEnd::TableCell | TagEnd::Item) {
                    text.push(' ');
                }
                if matches!(end, TagEnd::TableRow | TagEnd::TableHead | TagEnd::Paragraph) {
                    text.push('\n');
                }
                if depth == 0 {
                    let block = text.trim().to_owned();
                    let words = count_words(&block);
                    if words > 0 {
                        if let Some(section) = sections.last_mut() {
                            section.blocks.push(Block { text: block, words, atomic });
                        }
                    }
                    text.clear();
                }
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push('\n'),
            _ => {}
        }
    }
    sections.retain(|s| !s.blocks.is_empty());
    sections
}

/// Blocks over the limit become several: prose at word boundaries; code and tables at line
/// boundaries, and only when one is more than twice the limit (else it stays whole).
fn split_oversized(blocks: Vec<Block>, limits: Limits) -> Vec<Block> {
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        let too_big =
            if block.atomic { block.words > 2 * limits.max_words } else { block.words > limits.max_words };
        if !too_big {
            out.push(block);
            continue;
        }
        let pieces: Vec<&str> =
            if block.atomic { block.text.lines().collect() } else { block.text.split_whitespace().collect() };
        let joiner = if block.atomic { "\n" } else { " " };
        let mut piece = Vec::new();
        let mut words = 0;
        for part in pieces {
            let part_words = count_words(part);
            if words + part_words > limits.target_words && words > 0 {
                out.push(Block { text: piece.join(joiner), words, atomic: block.atomic });
                piece.clear();
                words = 0;
            }
            piece.push(part);
            words += part_words;
        }
        if words > 0 {
            out.push(Block { text: piece.join(joiner), words, atomic: block.atomic });
        }
    }
    out
}

fn count_words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The last `n` words of `text`.
fn tail_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    words[words.len().saturating_sub(n)..].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::render;

    fn words(n: usize, word: &str) -> String {
        vec![word; n].join(" ")
    }

    #[test]
    fn chunks_keep_their_heading_path_and_the_anchor_the_page_renders() {
        let md = "Intro text.\n\n## Install\n\nRun the installer.\n\n### On Linux\n\nUse apt.\n\n## Install\n\nAgain.";
        let chunks = chunk(md, Limits::default());
        let got: Vec<_> =
            chunks.iter().map(|c| (c.heading_path.join(" > "), c.anchor.clone(), c.text.clone())).collect();
        assert_eq!(
            got,
            [
                (String::new(), None, "Intro text.".to_owned()),
                ("Install".into(), Some("install".into()), "Run the installer.".into()),
                ("Install > On Linux".into(), Some("on-linux".into()), "Use apt.".into()),
                ("Install".into(), Some("install-2".into()), "Again.".into()),
            ]
        );
        let html = render(md, |_| None).html;
        for anchor in chunks.iter().filter_map(|c| c.anchor.as_deref()) {
            assert!(html.contains(&format!("id=\"{anchor}\"")), "{anchor} is on the page: {html}");
        }
        assert_eq!(chunks.iter().map(|c| c.ordinal).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }

    #[test]
    fn long_sections_are_packed_near_the_target_with_overlap() {
        let paragraphs: Vec<String> = (0..12).map(|i| words(60, &format!("w{i}"))).collect();
        let md = format!("## Long\n\n{}", paragraphs.join("\n\n"));
        let chunks = chunk(&md, Limits::default());
        assert!(chunks.len() >= 3, "{}", chunks.len());
        for c in &chunks {
            assert!(c.words <= Limits::default().max_words + Limits::default().overlap_words, "{}", c.words);
            assert_eq!(c.anchor.as_deref(), Some("long"));
        }
        // Each later chunk begins with the end of the one before it.
        for pair in chunks.windows(2) {
            let start: Vec<&str> = pair[1].text.split_whitespace().take(5).collect();
            assert!(pair[0].text.contains(&start.join(" ")), "overlap between chunks");
        }
        let all: usize = 12 * 60;
        let covered: usize = chunks.iter().map(|c| c.words).sum();
        assert!(covered >= all, "nothing is lost: {covered} of {all}");
    }

    #[test]
    fn code_blocks_and_tables_stay_whole_and_text_is_plain() {
        let code = (0..40)
            .map(|i| format!("let x{i} = {i}; // step {i} of the setup"))
            .collect::<Vec<_>>()
            .join("\n");
        let md = format!(
            "## Setup\n\n{}\n\n```rust\n{code}\n```\n\n| a | b |\n|---|---|\n| **one** | two |\n\nAfter *the* table.",
            words(200, "prose")
        );
        let chunks = chunk(&md, Limits::default());
        let with_code: Vec<_> = chunks.iter().filter(|c| c.text.contains("let x0 = 0")).collect();
        assert_eq!(with_code.len(), 1, "one chunk holds the code block");
        assert!(with_code[0].text.contains("let x39 = 39"), "the whole code block");
        let table = chunks.iter().find(|c| c.text.contains("one")).expect("table text");
        assert!(table.text.contains("two") && !table.text.contains("**") && !table.text.contains('|'));
        assert!(chunks.iter().any(|c| c.text.contains("After the table.")));
    }

    #[test]
    fn one_huge_paragraph_is_split_and_the_result_is_deterministic() {
        let md = words(5_000, "lorem");
        let first = chunk(&md, Limits::default());
        assert!(first.len() >= 5_000 / 350, "{}", first.len());
        assert!(first.iter().all(|c| c.words <= 350 + 40));
        assert_eq!(first, chunk(&md, Limits::default()), "same Markdown, same chunks");
        assert!(chunk("", Limits::default()).is_empty());
        assert!(chunk("## Only a heading", Limits::default()).is_empty());
    }
}
