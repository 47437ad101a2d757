//! Follow-up questions. Ask keeps the reader's last questions (the thread, in the page and its
//! URL); a question that leans on them ("and on Windows?", "how do I undo it?") is rewritten
//! into one that stands alone before anything is searched, so retrieval, the cache and the
//! model all see a whole question. Where `ASK_REWRITE` is `model` (Workers AI's 8B model on
//! the Worker) the model rewrites it, kept when it answers in time with a question in words the
//! conversation holds; otherwise, and by default, the rule here does: the previous question
//! with the follow-up joined on, which keeps every word both said. (SmolLM2-135M's rewrites
//! answered the question instead, or dropped its words: none of three passed.)

use std::collections::HashSet;
use std::time::Duration;

use super::prompt::content_words;
use super::{Question, MAX_QUESTION_CHARS};
use crate::ports::or_fallback;
use crate::site::Site;

/// Earlier questions a follow-up is read with (with it, the last three turns).
pub const THREAD: usize = 2;

/// How long the asker waits for the model's rewrite before the rule's is used.
const MODEL_WAIT: Duration = Duration::from_secs(4);

/// Words that open a question continuing the one before.
const OPENERS: &[&str] = &["and", "or", "but", "also", "plus", "then", "so", "what about", "how about"];

/// Words that point back at something said before.
const POINTERS: &[&str] = &[
    "it", "its", "this", "that", "these", "those", "they", "them", "their", "there", "one", "ones", "same",
    "else", "instead", "either", "both", "former", "latter",
];

/// A question with this few content words says too little to stand alone in a thread.
const FEWEST_OWN_WORDS: usize = 2;

pub const SYSTEM: &str = "Rewrite the last question of a conversation so that it can be understood \
without the conversation. Keep its meaning and words, add what it refers to, and reply with the \
rewritten question only.\n\nExample\nEarlier: How do I create a branch?\nLast: and delete one?\n\
Rewritten: How do I delete a branch?";

/// How a follow-up was made to stand alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Model,
    Rule,
}

/// The question to search and answer for `question`: itself when it has no thread or stands
/// alone, else its standalone rewrite (and who made it).
pub async fn standalone(site: &Site, question: &Question) -> (Question, Option<By>) {
    let Some(previous) = previous(&question.thread) else {
        return (question.clone(), None);
    };
    if !depends(&question.text) {
        return (Question { thread: Vec::new(), ..question.clone() }, None);
    }
    let by_rule = combine(&previous, &question.text);
    let (text, by) = match by_model(site, &question.thread, &question.text, &previous).await {
        Some(text) => (text, By::Model),
        None => (by_rule, By::Rule),
    };
    (Question { text, thread: Vec::new(), ..question.clone() }, Some(by))
}

/// The thread's last question made to stand alone by the rule (each earlier one read with
/// the one before it).
pub fn previous(thread: &[String]) -> Option<String> {
    let mut standing: Option<String> = None;
    for asked in thread {
        standing = Some(match standing {
            Some(before) if depends(asked) => combine(&before, asked),
            _ => asked.clone(),
        });
    }
    standing
}

/// Whether `question` leans on the one before: it opens with a continuing word, points back
/// ("it", "that one"), or has too few words of its own.
pub fn depends(question: &str) -> bool {
    let lower = question.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let opens = OPENERS.iter().any(|opener| {
        let opener: Vec<&str> = opener.split(' ').collect();
        words.starts_with(&opener)
    });
    opens || words.iter().any(|w| POINTERS.contains(w)) || content_words(question).len() < FEWEST_OWN_WORDS
}

/// The rule's rewrite: the previous question, without its closing mark, then the follow-up
/// without its opening word ("How do I install git" + "and on Windows?" → "How do I install
/// git, on Windows?"). Both keep all their words, so both are searched for; the previous part
/// is shortened from its start when the whole would be too long.
pub fn combine(previous: &str, follow_up: &str) -> String {
    let before = previous.trim().trim_end_matches(['?', '.', '!', ' ']);
    let mut after = follow_up.trim();
    let lower = after.to_lowercase();
    if let Some(opener) = OPENERS
        .iter()
        .filter(|o| lower.starts_with(*o) && lower[o.len()..].starts_with(|c: char| !c.is_alphanumeric()))
        .max_by_key(|o| o.len())
    {
        after = after.get(opener.len()..).unwrap_or(after).trim_start_matches([' ', ',']);
    }
    let room = MAX_QUESTION_CHARS.saturating_sub(after.chars().count() + 2);
    let skip = before.chars().count().saturating_sub(room);
    let before: String = before.chars().skip(skip).collect();
    if after.is_empty() {
        return before;
    }
    format!("{}, {after}", before.trim())
}

/// The user's turn asking for the rewrite of `follow_up` after `thread` (under [`SYSTEM`]).
pub fn prompt(thread: &[String], follow_up: &str) -> String {
    let mut user = String::new();
    for asked in thread {
        user.push_str(&format!("Earlier: {asked}\n"));
    }
    user.push_str(&format!("Last: {follow_up}\nRewritten:"));
    user
}

/// The model's rewrite, if it gives one in time that [`accept`] keeps.
async fn by_model(site: &Site, thread: &[String], follow_up: &str, previous: &str) -> Option<String> {
    if !site.search.ask_rewrite_by_model {
        return None;
    }
    let ai = site.ports.ai.clone().filter(|_| !site.enrich.text_model.is_empty())?;
    let user = prompt(thread, follow_up);
    // The first line is the rewrite: generation stops there (or at the time-out). The pieces
    // reach the reader below through a channel, since the model's callback cannot await.
    let (pieces, mut received) = futures::channel::mpsc::unbounded::<String>();
    let writing = async {
        let send = |piece: &str| {
            let _ = pieces.unbounded_send(piece.to_owned());
        };
        ai.generate_streamed(SYSTEM.to_owned(), user, &send).await
    };
    let first_line = async {
        use futures::StreamExt;
        let mut text = String::new();
        while let Some(piece) = received.next().await {
            text.push_str(&piece);
            if text.trim_start().contains('\n') {
                break;
            }
        }
        text
    };
    // The whole reply, or its first line as soon as it is written.
    let model = async {
        match futures::future::select(std::pin::pin!(writing), std::pin::pin!(first_line)).await {
            futures::future::Either::Left((whole, _)) => whole,
            futures::future::Either::Right((line, _)) => Ok(line),
        }
    };
    let tasks = site.ports.tasks.as_ref();
    let said =
        or_fallback(tasks, MODEL_WAIT, "the model's rewrite of a follow-up", "the rule's is used", model)
            .await?;
    accept(&said, thread, follow_up, previous)
}

/// The model's reply as a standalone question, or `None` when it is not one: the first line,
/// a question's length and its closing mark, every content word of the follow-up kept, at least half of the
/// previous question's, and no more than one word the conversation never used (a rewrite adds
/// what is referred to; it does not answer).
pub fn accept(said: &str, thread: &[String], follow_up: &str, previous: &str) -> Option<String> {
    let line = said.trim().lines().next()?.trim();
    let line = line.strip_prefix("Rewritten:").unwrap_or(line).trim().trim_matches(['"', '\'', '`']).trim();
    let chars = line.chars().count();
    if !(3..=MAX_QUESTION_CHARS).contains(&chars)
        || line.chars().any(char::is_control)
        || !line.ends_with('?')
    {
        return None;
    }
    let words = content_words(line);
    let own = content_words(follow_up);
    let before = content_words(previous);
    let heard: HashSet<String> =
        thread.iter().chain([&follow_up.to_owned()]).flat_map(|t| content_words(t)).collect();
    let kept_before = before.iter().filter(|w| words.contains(*w)).count();
    let new = words.iter().filter(|w| !heard.contains(*w)).count();
    (own.is_subset(&words) && kept_before * 2 >= before.len() && new <= 1).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_that_leans_on_the_one_before_is_told_apart_from_one_that_stands_alone() {
        for leans in
            ["and on Windows?", "What about tags?", "how do I undo it?", "Is that one faster?", "why?"]
        {
            assert!(depends(leans), "{leans}");
        }
        for alone in [
            "How do I delete a remote branch?",
            "What does PRAGMA journal_mode do?",
            "Andromeda galaxy distance",
        ] {
            assert!(!depends(alone), "{alone}");
        }
    }

    #[test]
    fn the_rule_keeps_the_words_of_both_questions() {
        assert_eq!(combine("How do I install git?", "and on Windows?"), "How do I install git, on Windows?");
        assert_eq!(
            combine("What is WAL mode?", "What about its checkpoints?"),
            "What is WAL mode, its checkpoints?"
        );
        assert_eq!(
            combine("How do I stash changes?", "how do I undo it?"),
            "How do I stash changes, how do I undo it?"
        );
        // "Andy" does not open with "and".
        assert_eq!(combine("Who wrote it?", "Andy?"), "Who wrote it, Andy?");
    }

    #[test]
    fn a_long_thread_still_makes_a_question_of_the_longest_length_allowed() {
        let long = "word ".repeat(200);
        let joined = combine(&long, "and on Windows?");
        assert!(joined.chars().count() <= MAX_QUESTION_CHARS, "{}", joined.len());
        assert!(joined.ends_with("on Windows?"));
    }

    #[test]
    fn the_thread_is_read_turn_by_turn() {
        let thread = vec!["How do I install git?".to_owned(), "and on Windows?".to_owned()];
        assert_eq!(previous(&thread).as_deref(), Some("How do I install git, on Windows?"));
        // A question that stands alone starts the chain again.
        let thread = vec!["How do I install git?".to_owned(), "How do I delete a remote branch?".to_owned()];
        assert_eq!(previous(&thread).as_deref(), Some("How do I delete a remote branch?"));
        assert_eq!(previous(&[]), None);
    }

    #[test]
    fn the_models_rewrite_is_kept_only_when_it_says_what_the_conversation_said() {
        let thread = vec!["How do I install git?".to_owned()];
        let follow_up = "and on Windows?";
        let accept = |said: &str| accept(said, &thread, follow_up, "How do I install git?");
        assert_eq!(
            accept(" How do I install git on Windows?\nMore").as_deref(),
            Some("How do I install git on Windows?")
        );
        assert_eq!(
            accept("Rewritten: \"How to install git on Windows?\"").as_deref(),
            Some("How to install git on Windows?")
        );
        // Dropping the follow-up's own words, or the earlier question's.
        assert_eq!(accept("How do I install git?"), None);
        assert_eq!(accept("How do I set up Windows?"), None);
        // Answering instead of rewriting: words nobody said.
        assert_eq!(accept("Download the installer from gitforwindows.org and run setup."), None);
        assert_eq!(accept(""), None);
        assert_eq!(accept("\u{7}\u{7}"), None);
    }
}
