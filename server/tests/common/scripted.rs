//! The scripted text model of the Ask and enrichment tests: it answers as told, once its gate
//! opens, and counts what it was asked. Embeddings are fixed directions, so similarities are
//! the test's choice, not a model's.
#![allow(dead_code)] // each test binary uses its part

use async_trait::async_trait;
use domain::ask;
use domain::enrich::text;
use domain::error::AiError;
use domain::ports::{Ai, OnText};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
pub enum Answer {
    Text(&'static str),
    /// The answer for the first `(word, answer)` whose word the prompt holds: which document a
    /// call was for shows in what it wrote.
    ByPrompt(&'static [(&'static str, &'static str)]),
    Fail,
    Hang,
    Busy,
}

/// What `generate` (enrichment's calls) does in a test about Ask.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Enrichment {
    /// Answers like Ask does (topics get a fixed list).
    Answered,
    /// Never answers, and is not counted: only Ask's calls matter to the test.
    Ignored,
}

pub struct Scripted {
    answer: Mutex<Answer>,
    enrichment: Enrichment,
    gate: tokio::sync::Semaphore,
    pub summaries: AtomicUsize,
    pub topics: AtomicUsize,
    /// Every summary prompt, in order: which documents were summarised, and how often.
    pub summary_prompts: Mutex<Vec<String>>,
    /// Calls let through the gate.
    pub answered: AtomicUsize,
    /// Ask's calls.
    pub asked: AtomicUsize,
    /// Ask's generations whose future was dropped before they ended.
    pub dropped: Arc<AtomicUsize>,
}

impl Scripted {
    /// A model whose gate is `open`, or shut until [`Scripted::open`].
    pub fn new(answer: Answer, open: bool) -> Arc<Self> {
        Self::with(answer, open, Enrichment::Answered)
    }

    pub fn with(answer: Answer, open: bool, enrichment: Enrichment) -> Arc<Self> {
        let permits = if open { tokio::sync::Semaphore::MAX_PERMITS } else { 0 };
        Arc::new(Self {
            answer: Mutex::new(answer),
            enrichment,
            gate: tokio::sync::Semaphore::new(permits),
            summaries: AtomicUsize::new(0),
            topics: AtomicUsize::new(0),
            summary_prompts: Mutex::new(Vec::new()),
            answered: AtomicUsize::new(0),
            asked: AtomicUsize::new(0),
            dropped: Arc::default(),
        })
    }

    pub fn open(&self) {
        self.gate.add_permits(tokio::sync::Semaphore::MAX_PERMITS - self.gate.available_permits());
    }

    /// Releases a single waiting call, the first to come.
    pub fn let_one_through(&self) {
        self.gate.add_permits(1);
    }

    pub fn answer(&self, answer: Answer) {
        *self.answer.lock().expect("lock") = answer;
    }

    pub fn summaries(&self) -> usize {
        self.summaries.load(Ordering::SeqCst)
    }

    pub fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }

    /// Waits for the gate (one permit per call), then says the scripted answer to `prompt`.
    async fn say(&self, prompt: &str) -> Result<String, AiError> {
        self.gate.acquire().await.map_err(|e| AiError::Unavailable(e.to_string()))?.forget();
        self.answered.fetch_add(1, Ordering::SeqCst);
        let answer = self.answer.lock().expect("lock").clone();
        match answer {
            Answer::Text(text) => Ok(text.to_owned()),
            Answer::ByPrompt(answers) => answers
                .iter()
                .find(|(word, _)| prompt.contains(word))
                .map(|(_, answer)| (*answer).to_owned())
                .ok_or_else(|| AiError::Request("no scripted answer for this prompt".into())),
            Answer::Fail => Err(AiError::Request("the scripted model fails".into())),
            Answer::Hang => std::future::pending().await,
            Answer::Busy => Err(AiError::Busy("the scripted model is writing something else".into())),
        }
    }
}

/// Counts a generation dropped before it ended.
struct CountDrop(Arc<AtomicUsize>, bool);

impl Drop for CountDrop {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[async_trait]
impl Ai for Scripted {
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        // The same direction for every text (every document is as near as any other), except
        // texts about lighthouses: at right angles to the rest (similarity 0), the same as each
        // other (1).
        Ok(texts
            .iter()
            .map(|t| {
                if t.to_lowercase().contains("lighthouse") {
                    vec![-0.5, -0.5, 0.5, 0.5]
                } else {
                    vec![0.5; 4]
                }
            })
            .collect())
    }

    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError> {
        if self.enrichment == Enrichment::Ignored {
            return std::future::pending().await;
        }
        let counter = if system == text::SUMMARY_SYSTEM { &self.summaries } else { &self.topics };
        counter.fetch_add(1, Ordering::SeqCst);
        if system == text::SUMMARY_SYSTEM {
            self.summary_prompts.lock().expect("lock").push(prompt.clone());
        }
        match self.say(&prompt).await {
            Ok(_) if system == text::TOPICS_SYSTEM => Ok("Rust, edge computing, pages".into()),
            other => other,
        }
    }

    /// Ask's call: the answer in word-sized pieces.
    async fn generate_streamed(
        &self,
        system: String,
        prompt: String,
        on_text: OnText<'_>,
    ) -> Result<String, AiError> {
        assert!(system == ask::prompt::SYSTEM || system == ask::followup::SYSTEM, "{system}");
        self.asked.fetch_add(1, Ordering::SeqCst);
        let mut guard = CountDrop(self.dropped.clone(), false);
        let text = self.say(&prompt).await?;
        for piece in text.split_inclusive(' ') {
            on_text(piece);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        guard.1 = true;
        Ok(text)
    }
}
