//! What the text model is asked, and what of its answer is kept. A model's answer is untrusted
//! text: it may be empty, garbage, huge, or markup. Summaries keep plain sentences (pages render
//! them as text nodes, so markup could not run anyway); topics keep tag-shaped words.

/// Words of a document a summary or its topics are made from: the first ones (a document's
/// opening says what it is about, and a small model reads a short input best).
pub const INPUT_WORDS: usize = 250;
/// Longest summary kept, in characters; a longer answer is cut at a sentence end.
const MAX_SUMMARY_CHARS: usize = 600;
/// At most this many topics.
pub const MAX_TOPICS: usize = 5;
const MAX_TOPIC_CHARS: usize = 32;

/// The document as the model reads it: its title and its first [`INPUT_WORDS`] words, with
/// Markdown's link targets, images and markup characters left out.
pub fn input(title: &str, markdown: &str) -> String {
    let mut words = Vec::with_capacity(INPUT_WORDS);
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        for word in line.split_whitespace() {
            if word.starts_with("![") || word.starts_with("](") || word.starts_with("http") {
                continue;
            }
            let word: String =
                word.chars().filter(|c| !matches!(c, '#' | '*' | '_' | '`' | '<' | '>' | '|')).collect();
            if !word.is_empty() {
                words.push(word);
            }
            if words.len() == INPUT_WORDS {
                break;
            }
        }
        if words.len() == INPUT_WORDS {
            break;
        }
    }
    format!("Title: {title}\n\n{}", words.join(" "))
}

pub const SUMMARY_SYSTEM: &str = "You summarise documents. Answer with two or three plain sentences \
about what the document says. No lists, no headings, no preamble.";
pub const TOPICS_SYSTEM: &str = "You label documents with topics. Answer with up to five short topics, \
one or two words each, separated by commas. Nothing else.";

pub fn summary_prompt(input: &str) -> String {
    format!("Summarise this document in two or three sentences.\n\n{input}")
}

pub fn topics_prompt(input: &str) -> String {
    format!("List up to five topics of this document, separated by commas.\n\n{input}")
}

/// The summary to keep from a model's answer, or `None` when nothing usable came back: markup
/// and a leading "Summary:" dropped, white space folded, at most [`MAX_SUMMARY_CHARS`]
/// (cut after the last full sentence that fits).
pub fn clean_summary(answer: &str) -> Option<String> {
    let text: String = without_tags(answer, 8 * MAX_SUMMARY_CHARS).replace(['*', '#', '`'], "");
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = folded.as_str();
    for prefix in ["Summary:", "summary:", "Here is a summary:", "Sure!", "Sure,"] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest).trim_start();
    }
    if rest.chars().count() > MAX_SUMMARY_CHARS {
        let cut: String = rest.chars().take(MAX_SUMMARY_CHARS).collect();
        rest = match cut.rfind(['.', '!', '?']) {
            Some(end) if end > MAX_SUMMARY_CHARS / 3 => &rest[..=end],
            _ => &rest[..cut.len()],
        };
    }
    // Fewer than three letters is not a summary (an empty answer, punctuation, a lone token).
    (rest.chars().filter(|c| c.is_alphabetic()).count() >= 3).then(|| rest.trim().to_owned())
}

/// Topics from a model's answer: split at commas, new lines or semicolons; numbering, bullets
/// and quotes dropped; each made tag-shaped (`[a-z0-9-]`, as tags are); duplicates, empty and
/// over-long ones dropped; at most [`MAX_TOPICS`]. `None` when none is left.
pub fn clean_topics(answer: &str) -> Option<Vec<String>> {
    let mut topics: Vec<String> = Vec::new();
    for part in without_tags(answer, 2_000).split([',', '\n', ';']) {
        let part = part
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')' | '-' | '*'));
        let part = part.trim_start_matches(|c: char| c.is_whitespace() || c == '•');
        let mut tag = String::new();
        for c in part.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                tag.push(c);
            } else if (c.is_whitespace() || c == '-' || c == '_') && !tag.is_empty() && !tag.ends_with('-') {
                tag.push('-');
            }
        }
        let tag = tag.trim_end_matches('-').to_owned();
        // A small model echoes the prompt's labels ("Title: …", "Topics: …"): not topics.
        let echo = tag.starts_with("topic") || tag.starts_with("title");
        if tag.len() < 2 || tag.len() > MAX_TOPIC_CHARS || echo || topics.contains(&tag) {
            continue;
        }
        topics.push(tag);
        if topics.len() == MAX_TOPICS {
            break;
        }
    }
    (!topics.is_empty()).then_some(topics)
}

/// The first `max_chars` of `text` with every `<…>` replaced by a space and control
/// characters but new lines made spaces.
fn without_tags(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars));
    let mut in_tag = false;
    for c in text.chars().take(max_chars) {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            '\n' => out.push('\n'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_is_the_title_and_the_first_words_without_markup() {
        let md = "# Heading\n\nSome *bold* text ![img](x.png) and `code`.\n\n```\nfn skipped() {}\n```\nEnd.";
        assert_eq!(input("T", md), "Title: T\n\nHeading Some bold text and code. End.");
        let long = "word ".repeat(2_000);
        assert_eq!(input("T", &long).split_whitespace().count(), INPUT_WORDS + 2, "Title: T, then the words");
    }

    #[test]
    fn summaries_keep_sentences_and_drop_markup_and_nothing() {
        assert_eq!(
            clean_summary("Summary: <b>Folio</b> renders pages.\n\nIt <script>alert(1)</script>is fast.")
                .as_deref(),
            Some("Folio renders pages. It alert(1) is fast.")
        );
        assert_eq!(clean_summary(""), None);
        assert_eq!(clean_summary("  ... \n"), None);
        assert_eq!(clean_summary("<img src=x onerror=alert(1)>"), None);
        let huge = "A sentence that goes on. ".repeat(500);
        let kept = clean_summary(&huge).expect("kept");
        assert!(kept.chars().count() <= MAX_SUMMARY_CHARS && kept.ends_with('.'), "{kept}");
    }

    #[test]
    fn topics_become_tag_shaped_and_few() {
        assert_eq!(
            clean_topics("1. Version control, Git Branches\n- merging; git branches, <b>x</b>").as_deref(),
            Some(&["version-control", "git-branches", "merging"].map(String::from)[..])
        );
        assert_eq!(clean_topics("a, b, c, d, e, f, g, h").as_deref(), None, "one letter is no topic");
        assert_eq!(clean_topics("one, two, three, four, five, six").map(|t| t.len()), Some(MAX_TOPICS));
        assert_eq!(clean_topics(""), None);
        assert_eq!(clean_topics(&"x".repeat(100)), None);
    }
}
