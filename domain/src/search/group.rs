//! One entry per document: its best chunk, with the document's next best matching sections
//! (the search dialog lists up to three sections under a document).

use super::Candidate;

/// Sections a document may show besides its best one.
pub(crate) const MORE_SECTIONS: usize = 2;
/// How far below the document's best chunk another may score and still be shown, on the
/// semantic side's cosine scale: further down it is about something else.
const SECTION_MARGIN: f64 = 0.15;

/// Another matching section of a found document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    pub chunk_id: i64,
    pub heading: String,
    pub anchor: Option<String>,
    pub snippet: String,
}

/// Keeps the first (best) candidate of each document, in order; with `sections`, the
/// document's next best chunks (other headings, close enough to the best) go with it.
pub(crate) fn per_document(list: Vec<Candidate>, sections: bool) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut at = std::collections::HashMap::new();
    for candidate in list {
        match at.get(&candidate.document_id) {
            None => {
                at.insert(candidate.document_id, out.len());
                out.push(candidate);
            }
            Some(&i) if sections => add_section(&mut out[i], candidate, SECTION_MARGIN),
            Some(_) => {}
        }
    }
    out
}

/// `other` (a chunk of the same document) as one of `best`'s sections, if there is room, it
/// is a section not shown yet and it scores within `margin` of `best`.
fn add_section(best: &mut Candidate, other: Candidate, margin: f64) {
    if other.score >= best.score - margin {
        let Candidate { chunk_id, heading, anchor, snippet, .. } = other;
        push_section(best, Section { chunk_id, heading, anchor, snippet });
    }
}

/// A document both sides found keeps the keyword side's chunk; the semantic side's best chunk
/// and sections fill its remaining sections.
pub(crate) fn merge(keyword: &mut Candidate, semantic: Candidate) {
    let Candidate { chunk_id, heading, anchor, snippet, sections, .. } = semantic;
    let first = Section { chunk_id, heading, anchor, snippet };
    for section in std::iter::once(first).chain(sections) {
        push_section(keyword, section);
    }
}

/// Adds `section` to `to`'s sections while there is room and it shows a place not shown yet.
fn push_section(to: &mut Candidate, section: Section) {
    let same_place =
        |heading: &str, anchor: &Option<String>| heading == section.heading && *anchor == section.anchor;
    let shown =
        same_place(&to.heading, &to.anchor) || to.sections.iter().any(|s| same_place(&s.heading, &s.anchor));
    if to.sections.len() < MORE_SECTIONS && !shown {
        to.sections.push(section);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(document_id: i64, chunk_id: i64, heading: &str, score: f64) -> Candidate {
        Candidate {
            document_id,
            chunk_id,
            slug: format!("d{document_id}"),
            title: format!("D{document_id}"),
            heading: heading.into(),
            anchor: Some(heading.to_lowercase()),
            snippet: String::new(),
            score,
            sections: Vec::new(),
        }
    }

    #[test]
    fn a_document_keeps_its_best_chunk_and_up_to_two_close_sections() {
        let list = vec![
            chunk(1, 10, "Install", 0.80),
            chunk(2, 20, "Usage", 0.75),
            chunk(1, 11, "Upgrade", 0.70),
            chunk(1, 12, "Install", 0.69),
            chunk(1, 13, "Remove", 0.66),
            chunk(1, 14, "History", 0.65),
            chunk(2, 21, "Appendix", 0.30),
        ];
        let docs = per_document(list.clone(), true);
        assert_eq!(docs.iter().map(|d| d.chunk_id).collect::<Vec<_>>(), [10, 20]);
        let headings: Vec<&str> = docs[0].sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["Upgrade", "Remove"], "no repeat of Install, at most two");
        assert!(docs[1].sections.is_empty(), "0.30 is far below 0.75: about something else");
        assert!(per_document(list, false).iter().all(|d| d.sections.is_empty()));
    }

    #[test]
    fn a_merge_adds_the_semantic_chunk_unless_it_is_already_shown() {
        let mut keyword = chunk(1, 10, "Install", 9.0);
        merge(&mut keyword, chunk(1, 10, "Install", 0.8));
        assert!(keyword.sections.is_empty());
        let mut semantic = chunk(1, 11, "Upgrade", 0.8);
        semantic.sections.push(Section {
            chunk_id: 12,
            heading: "Remove".into(),
            anchor: None,
            snippet: String::new(),
        });
        merge(&mut keyword, semantic);
        assert_eq!(keyword.sections.iter().map(|s| s.chunk_id).collect::<Vec<_>>(), [11, 12]);
    }
}
