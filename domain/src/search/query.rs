//! What a reader types, made safe for the keyword index, and the snippets shown back.
//!
//! A query is never pasted into FTS5's `MATCH`: it is cut into words and "quoted phrases", each
//! written as an FTS5 string, so `AND`, `NEAR`, `*`, `-`, `:`, parentheses and stray quotes are
//! only text and no input can make the query fail. The last word, still being typed, matches as
//! a prefix. Snippets come from FTS5 with private-use markers around the matched words; here the
//! text is escaped and only the markers become `<mark>`, so nothing from a document or a query
//! can become markup.

/// Longest input looked at; the rest is ignored (a 5,000-character paste still searches).
const MAX_INPUT_CHARS: usize = 500;
/// At most this many words or phrases.
const MAX_TERMS: usize = 16;
/// At most this many words in all, phrases included: every word costs the index a list to
/// read (and, when nothing matches, a spelling lookup), so a long paste searches its start.
pub const MAX_WORDS: usize = 32;
/// Longer words are cut (no real word is; a run of letters this long is noise).
const MAX_TERM_CHARS: usize = 64;

/// Snippet markers FTS5 puts around a match (Unicode private use: not in ordinary text).
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// A keyword query: phrases of one or more words, all required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordQuery {
    pub terms: Vec<Vec<String>>,
    /// The last term's last word is matched as a prefix (the reader is still typing it).
    pub prefix_last: bool,
}

impl KeywordQuery {
    /// Parses what a reader typed; `None` when nothing in it can be searched for.
    pub fn parse(input: &str) -> Option<Self> {
        let input: String = input.chars().take(MAX_INPUT_CHARS).collect();
        // Quotes make a phrase only when they pair up: the part after quote i (odd parts) is a
        // phrase when a closing quote follows it; an odd one out is ignored.
        let quotes = input.matches('"').count();
        let mut terms = Vec::new();
        let mut left = MAX_WORDS;
        for (i, part) in input.split('"').enumerate() {
            let mut words: Vec<String> = words(part);
            words.truncate(left);
            left -= words.len();
            if i % 2 == 1 && quotes > i {
                if !words.is_empty() {
                    terms.push(words);
                }
            } else {
                terms.extend(words.into_iter().map(|w| vec![w]));
            }
        }
        terms.truncate(MAX_TERMS);
        if terms.is_empty() {
            return None;
        }
        let typing = input.chars().last().is_some_and(char::is_alphanumeric);
        let last_is_word = terms.last().is_some_and(|t| t.len() == 1 && t[0].chars().count() >= 2);
        Some(Self { terms, prefix_last: typing && last_is_word })
    }

    /// The FTS5 query: every term an FTS5 string (`"a" "b c" "d"*`), implicitly AND-ed.
    pub fn to_fts(&self) -> String {
        (0..self.terms.len()).map(|i| self.fts_term(i, self.is_prefix(i))).collect::<Vec<_>>().join(" ")
    }

    /// Term `i` as an FTS5 string; with `prefix` it matches words that begin with it.
    pub fn fts_term(&self, i: usize, prefix: bool) -> String {
        // Words hold only letters and digits, so no `"` needs doubling.
        format!("\"{}\"{}", self.terms[i].join(" "), if prefix { "*" } else { "" })
    }

    /// Whether term `i` is the word still being typed (matched as a prefix).
    pub fn is_prefix(&self, i: usize) -> bool {
        self.prefix_last && i + 1 == self.terms.len()
    }

    /// Whether term `i` is a lone common English word, never worth an "any of the words" match.
    pub fn is_stop_term(&self, i: usize) -> bool {
        self.terms[i].len() == 1 && is_stop_word(&self.terms[i][0])
    }

    /// Every word, for a "showing results for" line or a spelling fallback.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().flatten().map(String::as_str)
    }
}

/// Words so common that "any of the words" would match nearly every chunk.
fn is_stop_word(word: &str) -> bool {
    const STOP: &[&str] = &[
        "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
        "i", "if", "in", "into", "is", "it", "its", "my", "of", "on", "or", "should", "so", "that", "the",
        "their", "there", "these", "this", "to", "was", "we", "what", "when", "where", "which", "who", "why",
        "will", "with", "you", "your",
    ];
    let lower = word.to_lowercase();
    STOP.contains(&lower.as_str())
}

/// Letters and digits in runs; everything else separates words.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// An FTS5 snippet (with [`MARK_START`]/[`MARK_END`] around matches) as safe HTML: the text
/// escaped, the matches in `<mark>`, always balanced.
pub fn snippet_html(snippet: &str) -> String {
    let mut html = String::with_capacity(snippet.len() + 32);
    let mut open = false;
    for c in snippet.chars() {
        match c {
            MARK_START if !open => {
                html.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                html.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            c => crate::content::push_html_escaped(&mut html, c),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(input: &str) -> Option<String> {
        KeywordQuery::parse(input).map(|q| q.to_fts())
    }

    #[test]
    fn words_become_quoted_terms_and_the_last_one_a_prefix() {
        assert_eq!(fts("sqlite fts").as_deref(), Some("\"sqlite\" \"fts\"*"));
        assert_eq!(fts("sqlite fts ").as_deref(), Some("\"sqlite\" \"fts\""), "a finished word is exact");
        assert_eq!(fts("Crème brûlée").as_deref(), Some("\"Crème\" \"brûlée\"*"));
        assert_eq!(fts("a").as_deref(), Some("\"a\""), "one letter is too short to be a prefix");
    }

    #[test]
    fn fts_syntax_is_only_text() {
        for input in ["a AND b", "NEAR(a b)", "x*", "-y", "col:z", "(a OR b)", "^start", "a + b", "{a b}"] {
            let q = fts(input).expect(input);
            assert!(
                q.split('"')
                    .enumerate()
                    .all(|(i, part)| i % 2 == 1 || part.trim().is_empty() || part.trim() == "*"),
                "{input} → {q}: everything outside quotes is whitespace or the final star"
            );
        }
        assert_eq!(fts("a AND b").as_deref(), Some("\"a\" \"AND\" \"b\""), "AND is a word to look for");
    }

    #[test]
    fn quotes_make_phrases_only_when_they_pair_up() {
        assert_eq!(fts("\"write ahead\" log").as_deref(), Some("\"write ahead\" \"log\"*"));
        assert_eq!(fts("\"unbalanced quote").as_deref(), Some("\"unbalanced\" \"quote\"*"));
        assert_eq!(fts("\"a b\" \"c").as_deref(), Some("\"a b\" \"c\""), "the odd quote is ignored");
        assert_eq!(fts("say \"\" nothing").as_deref(), Some("\"say\" \"nothing\"*"));
    }

    #[test]
    fn nothing_searchable_is_no_query_and_long_input_is_bounded() {
        for input in ["", "   ", "\"\"", "*** --- !!!", "\u{E000}"] {
            assert_eq!(KeywordQuery::parse(input), None, "{input:?}");
        }
        let long = "word ".repeat(1_000) + &"x".repeat(5_000);
        let q = KeywordQuery::parse(&long).expect("searchable");
        assert_eq!(q.terms.len(), MAX_TERMS);
        let huge = KeywordQuery::parse(&"y".repeat(5_000)).expect("one long word");
        assert_eq!(huge.terms[0][0].chars().count(), MAX_TERM_CHARS);
        let phrase = format!("\"{}\" more words", "ab ".repeat(100));
        let q = KeywordQuery::parse(&phrase).expect("searchable");
        assert_eq!((q.terms.len(), q.words().count()), (1, MAX_WORDS), "a long phrase is cut too");
    }

    #[test]
    fn snippets_escape_everything_but_the_marks() {
        let raw = format!("<img src=x onerror=alert(1)> {MARK_START}sqlite{MARK_END} & \"q\"");
        assert_eq!(
            snippet_html(&raw),
            "&lt;img src=x onerror=alert(1)&gt; <mark>sqlite</mark> &amp; &quot;q&quot;"
        );
        // Stray markers (a document that contains them) never unbalance the tags.
        assert_eq!(snippet_html(&format!("{MARK_END}a{MARK_START}b")), "a<mark>b</mark>");
        assert_eq!(snippet_html(&format!("{MARK_START}{MARK_START}c")), "<mark>c</mark>");
    }
}
