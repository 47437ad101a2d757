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
/// (SmolLM2-135M read this layout best of those tried; it still seldom cites: see [`attribute`].)
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

/// An answer checked against its passages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributed {
    /// The sentences a passage supports, each citing the passage that supports it most.
    pub text: String,
    /// Some sentence that says something is supported by a passage.
    pub grounded: bool,
    /// Sentences taken out because no passage supports them.
    pub dropped: usize,
}

/// Words too common to tell passages apart.
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "with", "that", "this", "from", "what", "how", "does", "can", "you", "your",
    "into", "its", "was", "were", "has", "have", "not", "but", "all", "any", "one", "which", "when", "where",
    "who", "why", "will", "there", "their", "they", "them", "then", "than", "about", "also", "use", "used",
    "using", "is", "it", "of", "to", "in", "on", "by", "an", "or", "be", "as", "at", "so", "if", "do",
    "answer", "passage", "passages", "question", "yes",
];

/// A word without the endings that change least of its meaning (`commits`, `committed` →
/// `commit`), so that a sentence in other words of the same stem still matches its passage.
fn stem(word: &str) -> String {
    for ending in ["ing", "ed", "es", "s"] {
        if let Some(root) = word.strip_suffix(ending) {
            if root.chars().count() >= 3 {
                return root.to_owned();
            }
        }
    }
    word.to_owned()
}

pub(super) fn content_words(text: &str) -> std::collections::HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// The share of a sentence's content words a passage must hold for the sentence to be kept
/// (and at least two of them, or its only one). Chosen on the tuning set (docs/performance.md#ask).
pub const SUPPORT: f32 = 0.5;

/// Checks each sentence of `answer` against the passages: a small model seldom cites, cites the
/// wrong passage, and sometimes answers from what it learned ("The capital city of Mongolia is
/// Beijing [1].") rather than from the passages. A sentence is kept when one passage holds at
/// least [`SUPPORT`] of its content words, and then cites the passage that holds most of them
/// (the one it cited on a tie); a sentence no passage supports is dropped, whatever it cites.
/// Sentences with no content word ("Yes.") say nothing to check and stay. An answer left with
/// no supported sentence is not grounded: the caller says "not found" instead.
pub fn attribute(answer: &str, sources: &[Source]) -> Attributed {
    let answer = tidy(answer, sources);
    let passages: Vec<(usize, std::collections::HashSet<String>)> = sources
        .iter()
        .map(|s| (s.n, content_words(&format!("{} {} {}", s.title, s.heading, s.text))))
        .collect();
    let mut text = String::with_capacity(answer.len() + 16);
    let (mut grounded, mut dropped) = (false, 0);
    // A list's number ("2. ") stays only with a sentence kept after it on its line.
    let mut marker: Option<&str> = None;
    for sentence in sentences(&answer) {
        let cited = citations(sentence, sources.len());
        let bare = uncited(sentence);
        let words = content_words(&bare);
        if bare.trim().is_empty() {
            // A line break, kept once: a dropped line leaves no gap.
            if !text.is_empty() && !text.ends_with('\n') {
                text.push_str(sentence);
            }
            continue;
        }
        if !bare.chars().any(char::is_alphabetic) {
            marker = (!sentence.ends_with('\n')).then_some(sentence);
            continue;
        }
        if words.is_empty() {
            text.push_str(marker.take().unwrap_or(""));
            text.push_str(if cited.is_empty() { sentence } else { &bare });
            continue;
        }
        let best = passages
            .iter()
            .map(|(n, passage)| (*n, words.intersection(passage).count()))
            .max_by_key(|&(n, shared)| (shared, cited.contains(&n), std::cmp::Reverse(n)));
        match best {
            Some((n, shared))
                if shared >= words.len().min(2) && shared as f32 >= SUPPORT * words.len() as f32 =>
            {
                grounded = true;
                text.push_str(marker.take().unwrap_or(""));
                text.push_str(&cite(&bare, n));
            }
            _ => {
                marker = None;
                dropped += 1;
            }
        }
    }
    let text = text.trim_end().to_owned();
    Attributed { text, grounded, dropped }
}

/// `sentence` without its bracketed citations.
fn uncited(sentence: &str) -> String {
    let mut out = String::with_capacity(sentence.len());
    let mut rest = sentence;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close)
                if close > 0
                    && after[..close].chars().all(|c| c.is_ascii_digit() || c == ',' || c == ' ') =>
            {
                out.push_str(rest[..open].trim_end_matches(' '));
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `sentence` with ` [n]` before its full stop (and its trailing white space kept).
pub(super) fn cite(sentence: &str, n: usize) -> String {
    let body = sentence.trim_end();
    let trailing = &sentence[body.len()..];
    let (words, stop) = match body.char_indices().last() {
        Some((i, '.' | '!' | '?' | ':' | ';')) => (&body[..i], &body[i..]),
        _ => (body, ""),
    };
    format!("{} [{n}]{stop}{trailing}", words.trim_end())
}

/// What a small model copies from the prompt's layout, taken out of its answer: a passage's
/// "[n] (title › heading)" label, "The answer is:", and bracketed numbers that name no passage.
fn tidy(answer: &str, sources: &[Source]) -> String {
    let mut text = answer.to_owned();
    for source in sources {
        for place in [format!("({} › {})", source.title, source.heading), format!("({})", source.title)] {
            text = text.replace(&place, "");
        }
    }
    for filler in ["The answer is:", "the answer is:"] {
        text = text.replace(filler, "");
    }
    // A number at the start of a line is the prompt's passage label copied, not a citation.
    text = text
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            match trimmed.strip_prefix('[').and_then(|r| r.split_once(']')) {
                Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest,
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find(']').filter(|&c| c > 0 && after[..c].chars().all(|ch| ch.is_ascii_digit()));
        match close {
            Some(c) if !after[..c].parse::<usize>().is_ok_and(|n| (1..=sources.len()).contains(&n)) => {
                if out.ends_with(' ') {
                    out.pop();
                }
                rest = &after[c + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    // Lines and spaces left empty by what was taken out.
    let lines: Vec<String> = out
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty() && line.chars().any(char::is_alphanumeric))
        .collect();
    lines.join("\n")
}

/// `text` cut after each `.`, `!` or `?` that ends a sentence and after each line break; the
/// pieces joined are `text`.
pub(super) fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let next = chars.get(k + 1).map(|&(_, c)| c);
        let ends = c == '\n' || (matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace));
        if ends {
            let end = i + c.len_utf8();
            // The white space after a sentence stays with it.
            let end =
                text[end..].find(|c: char| !c.is_whitespace() || c == '\n').map_or(text.len(), |n| end + n);
            if end > start {
                out.push(&text[start..end]);
                start = end;
            }
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The [`PASSAGE_WORDS`] words of a chunk the model reads, on one line. A chunk holds about
/// twice that: the words read are the run of whole sentences holding most of the question's
/// content words, so an answer in a chunk's second half is read too. Of runs holding as many,
/// the one starting latest: the run begins at the sentence where the question's words begin,
/// not with sentences before it that hold none. `…` marks words left out on either side.
pub fn passage(body: &str, question: &str) -> String {
    let words: Vec<&str> = body.split_whitespace().collect();
    if words.len() <= PASSAGE_WORDS {
        return words.join(" ");
    }
    let asked = content_words(question);
    let held: Vec<std::collections::HashSet<String>> =
        words.iter().map(|w| content_words(w).intersection(&asked).cloned().collect()).collect();
    // Windows start where a sentence does.
    let starts =
        std::iter::once(0).chain((1..words.len()).filter(|&i| words[i - 1].ends_with(['.', '?', '!', ':'])));
    let holds = |start: usize| {
        let end = (start + PASSAGE_WORDS).min(words.len());
        held[start..end].iter().flatten().collect::<std::collections::HashSet<_>>().len()
    };
    let mut best = (0, holds(0));
    for start in starts.skip(1) {
        let n = holds(start);
        if n > 0 && n >= best.1 {
            best = (start, n);
        }
    }
    let (start, end) = (best.0, (best.0 + PASSAGE_WORDS).min(words.len()));
    let mut text = if start > 0 { String::from("… ") } else { String::new() };
    text.push_str(&words[start..end].join(" "));
    if end < words.len() {
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

    fn source(n: usize, text: &str) -> Source {
        Source {
            n,
            chunk_id: n as i64,
            document_id: 1,
            title: "Airships".into(),
            heading: String::new(),
            url: "/docs/airships".into(),
            text: text.into(),
        }
    }

    #[test]
    fn sentences_drawn_from_a_passage_get_its_number_and_others_are_dropped() {
        let sources = [
            source(1, "Airships are moored to a mast by the nose, so they swing with the wind."),
            source(2, "Hangar doors open sideways on rails."),
        ];
        let got = attribute(
            "Airships are moored to a mast by the nose. Doors open sideways on rails!\nLima is big.",
            &sources,
        );
        assert_eq!(
            got.text,
            "Airships are moored to a mast by the nose [1]. Doors open sideways on rails [2]!"
        );
        assert!(got.grounded);
        assert_eq!(got.dropped, 1, "Lima is in no passage");
        let echoed = attribute(
            "[2] (Airships) Airships are moored to a mast by the nose.\nThe answer is: [3].",
            &sources,
        );
        assert_eq!(
            echoed.text, "Airships are moored to a mast by the nose [1].",
            "the prompt's layout, copied, goes"
        );
        let made_up = attribute("The capital of Peru is Lima.", &sources);
        assert!(!made_up.grounded);
        assert_eq!(made_up.text, "");
    }

    #[test]
    fn a_citation_proves_nothing_the_passage_does_not_say() {
        let sources = [
            source(1, "Airships are moored to a mast by the nose, so they swing with the wind."),
            source(2, "Hangar doors open sideways on rails."),
        ];
        // What a small model said to a question the documents cannot answer.
        let beijing = attribute("The capital city of Mongolia is Beijing [1].", &sources);
        assert!(!beijing.grounded, "{beijing:?}");
        assert_eq!((beijing.text.as_str(), beijing.dropped), ("", 1));
        // True and false sentences, each citing a passage: only the true one stays.
        let mixed = attribute(
            "Airships swing with the wind [1]. Hangar doors are made of glass and steel [2]. Airships are towed underwater by submarines [1].",
            &sources,
        );
        assert_eq!(mixed.text, "Airships swing with the wind [1].");
        assert_eq!(mixed.dropped, 2);
        // The check's limit: one wrong word among the passage's own passes (it counts words,
        // it does not read them).
        assert!(attribute("Airships are moored by the tail [1].", &sources).grounded);
        // A true sentence citing the wrong passage cites the one that says it.
        let moved = attribute("Doors open sideways on rails [1].", &sources);
        assert_eq!(moved.text, "Doors open sideways on rails [2].");
        assert_eq!(
            attribute("It swings with the wind [2] [7].", &sources).text,
            "It swings with the wind [1]."
        );
        // Nothing to check: kept as written.
        assert_eq!(attribute("Yes.", &sources).text, "Yes.");
        // A list keeps the numbers of the items it keeps.
        assert_eq!(
            attribute(
                "1. Airships swing with the wind.\n2. Lima is big.\n3. Doors open sideways on rails.",
                &sources
            )
            .text,
            "1. Airships swing with the wind [1].\n3. Doors open sideways on rails [2]."
        );
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
        assert_eq!(passage(&"w ".repeat(200), "w").split_whitespace().count(), PASSAGE_WORDS);
    }

    #[test]
    fn the_passage_read_is_the_run_of_sentences_that_holds_the_question() {
        let filler = "Lorem ipsum dolor sit amet. ".repeat(20);
        let body = format!("{filler}Lighthouses are painted white to be seen by day. {filler}");
        let read = passage(&body, "why are lighthouses painted white?");
        assert!(read.starts_with("… Lighthouses are painted white"), "{read}");
        assert!(read.ends_with('…') && read.split_whitespace().count() == PASSAGE_WORDS + 1, "{read}");
        // Nothing of the question in the chunk, or a short chunk: its start, as before.
        assert!(passage(&body, "rainbows").starts_with("Lorem ipsum"));
        assert_eq!(passage("Short and whole.", "whole"), "Short and whole.");
    }

    #[test]
    fn a_hostile_chunk_of_endless_tiny_sentences_still_gives_one_passage() {
        // Every word starts a sentence: as many windows as words, each still 90 words read.
        let body = format!("{} Lighthouses shine. {}", "a. ".repeat(20_000), "b. ".repeat(20_000));
        let read = passage(&body, "lighthouses");
        assert!(read.starts_with("… Lighthouses shine."), "{}", &read[..40]);
        assert_eq!(read.split_whitespace().count(), PASSAGE_WORDS + 1);
    }
}
