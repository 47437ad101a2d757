//! What the model is asked, and what is read from its answer. The passages are numbered; the
//! answer cites them as `[1]`, `[2]`. Passages are data, not instructions: the system prompt
//! says so, and whatever the model writes is rendered by [`super::render`], which makes no
//! markup and no link of its own.

use super::Source;

/// What a reader is told when the passages do not hold the answer.
pub const NOT_FOUND: &str = "I couldn't find this in the documents.";

/// Words of a passage the model reads.
pub const PASSAGE_WORDS: usize = 90;

pub const SYSTEM: &str = "Answer the question from the numbered passages only. After each \
sentence, cite the passage it comes from in brackets, like [1]. Keep the answer short. If the \
passages do not contain the answer, say only: I couldn't find this in the documents.";

/// The user's turn: the numbered passages (each with where it comes from), then the question.
/// (SmolLM2-135M read this layout best of those tried; it still often cites badly.)
pub fn prompt(question: &str, sources: &[Source]) -> String {
    let mut out = String::from("Passages:\n");
    for source in sources {
        let place = if source.heading.is_empty() {
            source.title.clone()
        } else {
            format!("{} › {}", source.title, source.heading)
        };
        out.push_str(&format!("[{}] ({place}) {}\n", source.n, source.text));
    }
    out.push_str(&format!("\nQuestion: {question}"));
    out
}

/// A passage's first [`PASSAGE_WORDS`] words, on one line.
pub fn passage(body: &str) -> String {
    let words: Vec<&str> = body.split_whitespace().collect();
    let mut text = words[..words.len().min(PASSAGE_WORDS)].join(" ");
    if words.len() > PASSAGE_WORDS {
        text.push('…');
    }
    text
}

/// The passages an answer cites, in order of first citation: `[2]`, `[1, 3]` and `[1][2]`
/// count; numbers outside `1..=sources` do not.
pub fn citations(answer: &str, sources: usize) -> Vec<usize> {
    let mut cited = Vec::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inside = &rest[..close];
        if !inside.is_empty() && inside.chars().all(|c| c.is_ascii_digit() || c == ',' || c == ' ') {
            for n in inside.split(',').filter_map(|n| n.trim().parse::<usize>().ok()) {
                if (1..=sources).contains(&n) && !cited.contains(&n) {
                    cited.push(n);
                }
            }
        }
    }
    cited
}

/// Whether the answer says the passages do not hold it (or says nothing at all).
pub fn says_not_found(answer: &str) -> bool {
    let lower = answer.to_lowercase().replace('’', "'");
    lower.trim().is_empty()
        || [
            "couldn't find",
            "could not find",
            "cannot find",
            "can't find",
            "not in the documents",
            "no information",
        ]
        .iter()
        .any(|phrase| lower.contains(phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_are_read_in_order_and_bounded() {
        assert_eq!(
            citations("WAL is fast [2]. It logs [1, 3][2]. Not [9] nor [x] nor [].", 3),
            vec![2, 1, 3]
        );
        assert!(citations("no citations here", 3).is_empty());
        assert!(citations("unclosed [1", 3).is_empty());
    }

    #[test]
    fn not_found_is_recognised_in_its_usual_forms() {
        assert!(says_not_found(NOT_FOUND));
        assert!(says_not_found("Sorry, I could not find that in the passages."));
        assert!(says_not_found("  "));
        assert!(!says_not_found("Folio stores blobs by their SHA-256 [1]."));
    }

    #[test]
    fn the_prompt_numbers_passages_and_quotes_the_question() {
        let s = |n, heading: &str| Source {
            n,
            chunk_id: n as i64,
            document_id: 1,
            title: "Guide".into(),
            heading: heading.into(),
            url: "/docs/guide".into(),
            text: format!("text {n}"),
        };
        let p = prompt("how?", &[s(1, ""), s(2, "Setup")]);
        assert!(p.contains("[1] (Guide) text 1\n[2] (Guide › Setup) text 2\n"), "{p}");
        assert!(p.contains("Question: how?"));
        assert_eq!(passage(&"w ".repeat(200)).split_whitespace().count(), PASSAGE_WORDS);
    }
}
