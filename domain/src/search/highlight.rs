//! Snippets for chunks found by meaning rather than by words: the stretch of the chunk with the
//! most query words, those words between the snippet markers (escaped later by
//! [`super::query::snippet_html`], like FTS5's snippets).

use super::query::{MARK_END, MARK_START};

/// Up to `size` words of `body`: the window holding the most of `query_words` (lowercase),
/// with `…` where it was cut and the matching words marked.
pub(super) fn window(body: &str, query_words: &[String], size: usize) -> String {
    let words: Vec<&str> = body.split_whitespace().collect();
    let hit: Vec<bool> = words.iter().map(|w| matches(w, query_words)).collect();
    let size = size.max(1);
    let mut best = (0, 0);
    if words.len() > size {
        let mut count = hit[..size].iter().filter(|h| **h).count();
        best = (count, 0);
        for start in 1..=words.len() - size {
            count = count + usize::from(hit[start + size - 1]) - usize::from(hit[start - 1]);
            if count > best.0 {
                best = (count, start);
            }
        }
    }
    let start = best.1;
    let end = (start + size).min(words.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for (i, word) in words[start..end].iter().enumerate() {
        if i > 0 || start > 0 {
            out.push(' ');
        }
        // The document's own text may hold the markers; they must not count as ours.
        let clean: String = word.chars().filter(|c| *c != MARK_START && *c != MARK_END).collect();
        if hit[start + i] {
            out.push(MARK_START);
            out.push_str(&clean);
            out.push(MARK_END);
        } else {
            out.push_str(&clean);
        }
    }
    if end < words.len() {
        out.push_str(" …");
    }
    out
}

/// A body word matches a query word when, letters and digits only and lowercase, one starts
/// with the other and they share at least four letters (or are equal): "index" finds
/// "indexes", "backup" finds "backups".
fn matches(word: &str, query_words: &[String]) -> bool {
    let word: String = word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    !word.is_empty()
        && query_words.iter().any(|q| {
            q == &word
                || (q.chars().count().min(word.chars().count()) >= 4
                    && (word.starts_with(q.as_str()) || q.starts_with(word.as_str())))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_window_with_the_most_query_words_and_marks_them() {
        let body = "one two three four five backup six seven backups eight nine ten";
        let got = window(body, &["backup".to_owned()], 4);
        assert_eq!(got, format!("… {MARK_START}backup{MARK_END} six seven {MARK_START}backups{MARK_END} …"));
        assert_eq!(window("short text", &[], 10), "short text");
    }

    #[test]
    fn markers_in_the_document_are_dropped() {
        let got = window(&format!("a{MARK_START}b c"), &[], 10);
        assert_eq!(got, "ab c");
    }
}
