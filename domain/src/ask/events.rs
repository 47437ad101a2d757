//! What an asker receives: sources, the answer's pieces, and how it ended.

use serde::{Deserialize, Serialize};

/// A passage the answer may cite as `[n]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub n: usize,
    pub chunk_id: i64,
    pub document_id: i64,
    pub title: String,
    pub heading: String,
    /// The document page at the passage's section.
    pub url: String,
    /// The passage as the model read it (plain text).
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub sources_ms: u64,
    /// When the quick answer was sent (none when there was none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_ms: Option<u64>,
    #[serde(default)]
    pub first_text_ms: Option<u64>,
    pub total_ms: u64,
}

/// How an answer ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// The sources the answer cites, in order of first citation.
    pub citations: Vec<usize>,
    /// The answer says the documents do not hold it.
    pub not_found: bool,
    /// From storage (an earlier or a concurrent identical question).
    pub cached: bool,
    /// Why there is no answer (the model is down, slow, busy or over budget): said to the
    /// reader beside the sources.
    #[serde(default)]
    pub unavailable: Option<String>,
    /// Semantic search did not answer; the sources match the words only.
    pub degraded: bool,
    /// The answer as kept, when it differs from the pieces sent: citations the model left out
    /// attached, or "not found" in place of an answer drawn from none of the passages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The answer is the quick answer's sentences, quoted: the model's own said nothing a
    /// passage supports (or said "not found") while the passages hold sentences that answer.
    /// The page then shows the quick answer as the answer, rather than "not found" under it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quoted: bool,
    pub timings: Timings,
}

/// What a follow-up was made into before it was searched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Searched {
    /// The standalone question searched for and answered.
    pub text: String,
    /// The model rewrote it (else the rule did: the question before, joined on).
    pub by_model: bool,
    /// How long the rewrite took.
    pub ms: u64,
}

/// What an asker receives, in order: `Searched` for a follow-up, `Sources`, at most one
/// `Quick`, any number of `Text`, `Done`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Searched(Searched),
    Sources(Vec<Source>),
    Quick(super::Quick),
    Text(String),
    Done(Done),
}

// `#[inline]` on these: a wasm build splits code by use (lazy islands) and keeps in the main
// module what nothing reaches, so a non-generic function that only the server calls would cost
// every page its JSON code (8 KB gzip here). Inline functions are built only where they are used.
impl Event {
    /// The server-sent event's name.
    #[inline]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Searched(_) => "searched",
            Self::Sources(_) => "sources",
            Self::Quick(_) => "quick",
            Self::Text(_) => "text",
            Self::Done(_) => "done",
        }
    }

    /// The server-sent event's data (one line of JSON).
    #[inline]
    pub fn data(&self) -> String {
        match self {
            Self::Searched(searched) => serde_json::to_string(searched).unwrap_or_default(),
            Self::Sources(sources) => serde_json::json!({ "sources": sources }).to_string(),
            Self::Quick(quick) => serde_json::to_string(quick).unwrap_or_default(),
            Self::Text(text) => serde_json::json!({ "text": text }).to_string(),
            Self::Done(done) => serde_json::to_string(done).unwrap_or_default(),
        }
    }

    /// The event `name` with `data`, as [`Event::name`] and [`Event::data`] wrote them.
    #[inline]
    pub fn parse(name: &str, data: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Sources {
            sources: Vec<Source>,
        }
        #[derive(Deserialize)]
        struct Text {
            text: String,
        }
        match name {
            "searched" => serde_json::from_str(data).ok().map(Self::Searched),
            "sources" => serde_json::from_str::<Sources>(data).ok().map(|s| Self::Sources(s.sources)),
            "quick" => serde_json::from_str(data).ok().map(Self::Quick),
            "text" => serde_json::from_str::<Text>(data).ok().map(|t| Self::Text(t.text)),
            "done" => serde_json::from_str(data).ok().map(Self::Done),
            _ => None,
        }
    }
}

/// A whole answer, as the page without JavaScript shows it (and as a streaming page builds it
/// up, one event at a time).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    /// For a follow-up, the standalone question searched for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub searched: Option<Searched>,
    pub sources: Vec<Source>,
    /// The passages' own sentences that best answer the question, if any.
    #[serde(default)]
    pub quick: super::Quick,
    pub answer: String,
    pub done: Option<Done>,
}

impl Answered {
    #[inline]
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Searched(searched) => self.searched = Some(searched),
            Event::Sources(sources) => self.sources = sources,
            Event::Quick(quick) => self.quick = quick,
            Event::Text(text) => self.answer.push_str(&text),
            Event::Done(done) => {
                if let Some(answer) = &done.answer {
                    self.answer.clone_from(answer);
                }
                self.done = Some(done);
            }
        }
    }
}
