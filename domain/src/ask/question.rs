//! A question as it arrives, checked.

use serde::{Deserialize, Serialize};

use super::{followup, Ticket, MAX_QUESTION_CHARS};
use crate::error::DomainError;
use crate::site::limits::{self, Action};
use crate::site::Site;

/// A question as the API and the page receive it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    #[serde(default, alias = "q")]
    pub question: String,
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    /// The reader's earlier questions in this conversation, oldest first (the page's `prev`).
    #[serde(default, alias = "prev", skip_serializing_if = "Vec::is_empty")]
    pub thread: Vec<String>,
}

/// A checked question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub text: String,
    pub folder: Option<String>,
    pub tag: Option<String>,
    /// The last [`followup::THREAD`] earlier questions, oldest first; empty once the question
    /// has been made to stand alone ([`followup::standalone`]).
    pub thread: Vec<String>,
}

impl Question {
    /// The question, or a 400 saying what is wrong with it.
    pub fn parse(params: Params) -> Result<Self, DomainError> {
        let text = words(&params.question, "question")?;
        if text.is_empty() {
            return Err(DomainError::BadInput("Type a question to ask.".into()));
        }
        // Only the last turns are kept; an empty one (a form's blank field) is no turn.
        let mut thread = Vec::new();
        for earlier in &params.thread {
            let earlier = words(earlier, "earlier question in this conversation")?;
            if !earlier.is_empty() {
                thread.push(earlier);
            }
        }
        let thread = thread.split_off(thread.len().saturating_sub(followup::THREAD));
        let present = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(Self { text, folder: present(params.folder), tag: present(params.tag), thread })
    }

    /// What identical questions share: the words, lower-cased, without punctuation, and the
    /// filters.
    pub fn key(&self) -> String {
        let words: Vec<String> = self
            .text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        format!(
            "{}\u{1f}{}\u{1f}{}",
            words.join(" "),
            self.folder.as_deref().unwrap_or(""),
            self.tag.as_deref().unwrap_or("")
        )
    }
}

/// `text` with its runs of white space made one space; a 400 naming `what` when it is too
/// long or not words. Empty stays empty.
fn words(text: &str, what: &str) -> Result<String, DomainError> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = text.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(DomainError::BadInput(format!(
            "A question can be at most {MAX_QUESTION_CHARS} characters; this {what} has {chars}."
        )));
    }
    if !text.is_empty() && (text.chars().any(char::is_control) || !text.chars().any(char::is_alphanumeric)) {
        return Err(DomainError::BadInput(format!("A {what} must be words, not symbols or binary data.")));
    }
    Ok(text)
}

/// A reader's question, as the page and `/api/ask` both take it: checked (400), counted
/// against the client's limit (429), and given a place at the gate (503 when it is full). The
/// ticket holds that place while the question is answered.
pub async fn admit(
    site: &Site,
    params: Params,
    client: Option<&str>,
) -> Result<(Question, Ticket), DomainError> {
    let question = Question::parse(params)?;
    limits::admit(site, Action::Ask, client).await?;
    Ok((question, site.asking.enter()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(question: &str, thread: &[&str]) -> Params {
        Params {
            question: question.into(),
            thread: thread.iter().map(|t| (*t).to_owned()).collect(),
            ..Params::default()
        }
    }

    #[test]
    fn a_thread_keeps_its_last_turns_and_drops_blank_ones() {
        let question = Question::parse(params("and on  Windows?", &["one?", "", "two  words?", "three?"]))
            .expect("a follow-up with a thread");
        assert_eq!(question.text, "and on Windows?");
        assert_eq!(question.thread, vec!["two words?".to_owned(), "three?".to_owned()]);
    }

    #[test]
    fn an_earlier_question_that_is_not_words_is_refused_by_name() {
        let err = Question::parse(params("and then?", &["\u{0}\u{1}"])).expect_err("binary is no question");
        assert!(err.to_string().contains("earlier question"), "{err}");
        let err = Question::parse(params("and then?", &[&"x".repeat(MAX_QUESTION_CHARS + 1)]))
            .expect_err("too long");
        assert!(err.to_string().contains("at most"), "{err}");
    }
}
