//! A question as it arrives, checked.

use serde::{Deserialize, Serialize};

use super::{Ticket, MAX_QUESTION_CHARS};
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
}

/// A checked question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub text: String,
    pub folder: Option<String>,
    pub tag: Option<String>,
}

impl Question {
    /// The question, or a 400 saying what is wrong with it.
    pub fn parse(params: Params) -> Result<Self, DomainError> {
        let text = params.question.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(DomainError::BadInput("Type a question to ask.".into()));
        }
        let chars = text.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(DomainError::BadInput(format!(
                "A question can be at most {MAX_QUESTION_CHARS} characters; this one has {chars}."
            )));
        }
        if text.chars().any(|c| c.is_control()) || !text.chars().any(char::is_alphanumeric) {
            return Err(DomainError::BadInput(
                "A question must be words, not symbols or binary data.".into(),
            ));
        }
        let present = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(Self { text, folder: present(params.folder), tag: present(params.tag) })
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
