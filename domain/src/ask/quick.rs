//! The quick answer: the passage sentences that best answer the question, sent right after the
//! sources and before the model has written anything. Extractive, so grounded by construction:
//! each sentence is a passage's own words, cited to that passage. Sentences are scored against
//! the question by words (the share of the question's content words they hold) and, when the
//! embedding model answers within the search time-out, by meaning (cosine of sentence and
//! question). When no sentence clears the bar there is no quick answer: like the model's "not
//! found", it knows when nothing answers.

use serde::{Deserialize, Serialize};

use super::prompt::{content_words, sentences};
use super::Source;
use crate::ports::or_fallback;
use crate::site::Site;

/// A passage's sentence, cited to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cited {
    pub text: String,
    /// The passage it comes from (`Source::n`).
    pub n: usize,
}

/// The quick answer: its sentences, best first; none when nothing answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quick {
    pub sentences: Vec<Cited>,
}

/// Sentences shown at most.
const MOST: usize = 2;
/// A second sentence is shown only when it scores at least this share of the first's.
const SECOND: f32 = 0.85;
/// Weight of meaning in a sentence's score (the rest is words), when there are embeddings.
const MEANING: f32 = 0.6;
/// The score a sentence needs, with embeddings (meaning and words) and with words only.
/// Chosen on the tuning set (git-doc), reported on both: docs/performance.md#quick-answer.
pub const BAR: f32 = 0.45;
pub const BAR_WORDS_ONLY: f32 = 0.6;
/// A sentence shorter than this (in words) says too little to answer alone.
const FEWEST_WORDS: usize = 5;
/// Longest sentence considered, in words (a passage flattened from a table or a list).
const MOST_WORDS: usize = 60;

impl Quick {
    /// The sentences as an answer, each citing its passage before its full stop, as the
    /// model is asked to.
    pub fn as_answer(&self) -> String {
        let cited: Vec<String> =
            self.sentences.iter().map(|c| super::prompt::cite(c.text.trim(), c.n)).collect();
        cited.join(" ")
    }
}

/// One sentence the quick answer may use.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    n: usize,
    text: String,
    /// The share of the question's content words it holds.
    held: f32,
}

/// Sentences embedded at most: those holding most of the question's words (ties: the earlier
/// passage, which search ranked higher). Embedding is most of the quick answer's time; on the
/// tuning set 4 found the gold document as often as 6 and more often than 10 or all (whose
/// embeddings ran past the time-out on a busy machine): docs/performance.md#quick-answer.
const EMBEDDED: usize = 4;

/// The quick answer to `question` from `sources`.
pub async fn quick(site: &Site, question: &str, sources: &[Source]) -> Quick {
    let candidates = shortlist(candidates(question, sources));
    if candidates.is_empty() {
        return Quick::default();
    }
    // Meaning's bar is on MiniLM's scale: where the "not found" bar is off because the
    // embedding model's scale was not measured (the Worker's bge-small), words alone decide.
    let meaning = match site.search.ask_min_similarity {
        Some(_) => meaning(site, question, &candidates).await,
        None => None,
    };
    choose(&candidates, meaning.as_deref())
}

/// The [`EMBEDDED`] candidates holding most of the question's content words, in their order.
fn shortlist(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    if candidates.len() <= EMBEDDED {
        return candidates;
    }
    let mut ranked: Vec<usize> = (0..candidates.len()).collect();
    // Stable: on a tie the earlier candidate stays first.
    ranked.sort_by(|&a, &b| candidates[b].held.total_cmp(&candidates[a].held));
    let mut keep = vec![false; candidates.len()];
    for &i in ranked.iter().take(EMBEDDED) {
        keep[i] = true;
    }
    let mut kept = keep.into_iter();
    candidates.retain(|_| kept.next().unwrap_or(false));
    candidates
}

/// Every whole sentence of the passages, in passage order, with the share of the question's
/// content words it holds; none for a question without content words.
fn candidates(question: &str, sources: &[Source]) -> Vec<Candidate> {
    let asked = content_words(question);
    if asked.is_empty() {
        return Vec::new();
    }
    let candidate = |n: usize, text: &str| {
        // A passage read from a chunk's middle starts "… " and then a whole sentence.
        let text = text.trim().trim_start_matches('…').trim_start().to_owned();
        let held = content_words(&text).intersection(&asked).count() as f32 / asked.len() as f32;
        Candidate { n, text, held }
    };
    sources
        .iter()
        .flat_map(|source| sentences(&source.text).into_iter().map(|s| candidate(source.n, s)))
        .filter(|c| {
            let words = c.text.split_whitespace().count();
            // A passage is cut after its first words: its last piece may stop mid-sentence.
            (FEWEST_WORDS..=MOST_WORDS).contains(&words)
                && !c.text.ends_with('…')
                && c.text.chars().any(char::is_alphabetic)
        })
        .collect()
}

/// Each candidate's cosine similarity to the question, in order; `None` when the embedding
/// model is absent, fails or is slower than the search time-out (words alone then decide).
async fn meaning(site: &Site, question: &str, candidates: &[Candidate]) -> Option<Vec<f32>> {
    let ai = site.ports.ai.as_ref()?;
    let model = ai.embedding_model();
    let kept = site.searches.embedding(model, question);
    let mut texts: Vec<String> = candidates.iter().map(|c| c.text.clone()).collect();
    if kept.is_none() {
        texts.push(question.to_owned());
    }
    let tasks = site.ports.tasks.as_ref();
    let embedded = ai.embed_now(texts);
    let mut vectors = or_fallback(
        tasks,
        site.search.semantic_timeout,
        "the quick answer's embeddings",
        "scoring by words",
        embedded,
    )
    .await?;
    let question = match kept {
        Some(kept) => kept.as_ref().clone(),
        None => vectors.pop()?,
    };
    (vectors.len() == candidates.len()).then(|| vectors.iter().map(|v| cosine(v, &question)).collect())
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let norms = norm(a) * norm(b);
    if norms > 0.0 {
        dot / norms
    } else {
        0.0
    }
}

/// The best sentences above the bar: scored by words and, given `meaning` (one cosine per
/// candidate), by meaning too. A second sentence must score close to the first.
fn choose(candidates: &[Candidate], meaning: Option<&[f32]>) -> Quick {
    let bar = if meaning.is_some() { BAR } else { BAR_WORDS_ONLY };
    // Ranked by the score; kept when it clears its bar or holds enough of the question's words
    // on their own (a sentence with all of them answers, whatever an embedding says).
    let mut scored: Vec<(f32, &Candidate)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let score = match meaning.and_then(|m| m.get(i)) {
                Some(similarity) => MEANING * similarity + (1.0 - MEANING) * c.held,
                None => c.held,
            };
            (score, c.held, c)
        })
        .filter(|&(score, held, _)| score >= bar || held >= BAR_WORDS_ONLY)
        .map(|(score, _, c)| (score, c))
        .collect();
    // Best first; on a tie the earlier passage (search ranked it higher).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(best, _)) = scored.first() else { return Quick::default() };
    let mut chosen: Vec<Cited> = Vec::new();
    for (score, candidate) in scored {
        if chosen.len() == MOST || score < best * SECOND {
            break;
        }
        // The same words twice (a passage repeated in two documents) say nothing new.
        if chosen.iter().all(|c| c.text != candidate.text) {
            chosen.push(Cited { text: candidate.text.clone(), n: candidate.n });
        }
    }
    Quick { sentences: chosen }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(n: usize, text: &str) -> Source {
        Source {
            n,
            chunk_id: n as i64,
            document_id: n as i64,
            title: format!("Doc {n}"),
            heading: String::new(),
            url: format!("/docs/doc-{n}"),
            text: text.into(),
        }
    }

    #[test]
    fn whole_sentences_of_enough_words_are_candidates_and_a_cut_tail_is_not() {
        let sources = [source(
            1,
            "Short one. Use git stash to shelve the changes in your working tree. Then the rest of a \
             passage that was cut…",
        )];
        let texts: Vec<String> =
            candidates("how do I shelve changes", &sources).into_iter().map(|c| c.text).collect();
        assert_eq!(texts, ["Use git stash to shelve the changes in your working tree."]);
    }

    #[test]
    fn by_words_the_sentence_holding_the_question_is_chosen_and_cited_to_its_passage() {
        let sources = [
            source(1, "The lighthouse keeper lives on the island all year round with his family."),
            source(2, "To shelve uncommitted changes, run git stash and pop them back later on."),
        ];
        let quick = choose(&candidates("how do I shelve uncommitted changes", &sources), None);
        assert_eq!(quick.sentences.len(), 1);
        assert_eq!(quick.sentences[0].n, 2);
        assert!(quick.sentences[0].text.starts_with("To shelve uncommitted changes"));
    }

    #[test]
    fn nothing_clears_the_bar_so_there_is_no_quick_answer() {
        let sources =
            [source(1, "The lighthouse keeper lives on the island all year round with his family.")];
        assert_eq!(choose(&candidates("what is the capital of Mongolia", &sources), None), Quick::default());
        // Meaning too low as well: still nothing.
        assert_eq!(
            choose(&candidates("what is the capital of Mongolia", &sources), Some(&[0.1])),
            Quick::default()
        );
    }

    #[test]
    fn meaning_finds_a_sentence_in_other_words_and_a_weak_second_is_left_out() {
        let sources = [
            source(1, "Copy the whole data folder to another disk before any upgrade begins."),
            source(2, "Folders group documents on the site by their subject and their audience."),
        ];
        let question = "what saves me when an update goes wrong";
        let by_words = choose(&candidates(question, &sources), None);
        assert!(by_words.sentences.is_empty(), "no shared word: {by_words:?}");
        let quick = choose(&candidates(question, &sources), Some(&[0.8, 0.3]));
        assert_eq!(quick.sentences.iter().map(|c| c.n).collect::<Vec<_>>(), [1]);
        // Two close scores: both, best first.
        let both = choose(&candidates(question, &sources), Some(&[0.78, 0.8]));
        assert_eq!(both.sentences.iter().map(|c| c.n).collect::<Vec<_>>(), [2, 1]);
    }

    #[test]
    fn the_sentences_holding_most_of_the_question_are_embedded_in_their_order() {
        let filler = "The weather report for the coast says rain will come later today.";
        let mut text = vec![filler; 6];
        text.insert(2, "The keeper winds the lamp of the lighthouse every evening at dusk.");
        let sources = [source(1, &text.join(" "))];
        let question = "who winds the lighthouse lamp";
        let all = candidates(question, &sources);
        assert_eq!(all.len(), 7);
        let short = shortlist(all);
        assert_eq!(short.len(), EMBEDDED);
        // The one sentence holding the question's words, then fillers in passage order.
        assert!(short[2].text.starts_with("The keeper winds"), "{short:?}");
    }

    #[test]
    fn cosine_of_a_vector_with_itself_is_one_and_with_nothing_is_zero() {
        assert!((cosine(&[0.3, 0.4], &[0.3, 0.4]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[0.0, 0.0], &[0.3, 0.4]).abs() < f32::EPSILON);
    }
}
