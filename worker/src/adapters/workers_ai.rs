//! [`domain::ports::Ai`] on Workers AI. Embeddings: `@cf/baai/bge-small-en-v1.5` by default
//! (384 dimensions, at most 100 texts per call), pooling pinned to `mean` because `cls`
//! vectors are not comparable with mean ones. Text: a chat model (`TEXT_MODEL`,
//! `@cf/meta/llama-3.1-8b-instruct-fast` by default) given a system and a user message. Each
//! call races a time-out.

use async_trait::async_trait;
use domain::error::AiError;
use domain::ports::Ai;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use worker::send::SendFuture;

/// Texts per call: Workers AI's limit for this model.
const MAX_BATCH: usize = 100;
const TIME_OUT: Duration = Duration::from_secs(20);

/// Longest answer asked of the text model, in tokens.
const MAX_ANSWER_TOKENS: u32 = 256;

pub struct WorkersAi {
    ai: worker::Ai,
    embedding_model: String,
    text_model: String,
}

impl WorkersAi {
    pub fn new(ai: worker::Ai, embedding_model: String, text_model: String) -> Self {
        Self { ai, embedding_model, text_model }
    }
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    messages: [Message<'a>; 2],
    max_tokens: u32,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    response: Option<String>,
}

#[derive(Serialize)]
struct EmbedRequest<'a> {
    text: &'a [String],
    pooling: &'static str,
}

#[derive(Deserialize)]
struct EmbedResponse {
    data: Vec<Vec<f32>>,
}

/// `future`, or [`AiError::Unavailable`] once [`TIME_OUT`] passes.
async fn bounded<T>(future: impl std::future::Future<Output = Result<T, AiError>>) -> Result<T, AiError> {
    let delay = SendFuture::new(worker::Delay::from(TIME_OUT));
    match futures::future::select(std::pin::pin!(future), delay).await {
        futures::future::Either::Left((result, _)) => result,
        futures::future::Either::Right(_) => {
            Err(AiError::Unavailable(format!("Workers AI gave no answer within {TIME_OUT:?}")))
        }
    }
}

#[async_trait]
impl Ai for WorkersAi {
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(MAX_BATCH) {
            let request = EmbedRequest { text: batch, pooling: "mean" };
            let response: EmbedResponse = bounded(async {
                SendFuture::new(self.ai.run(&self.embedding_model, request))
                    .await
                    .map_err(|e| AiError::Request(e.to_string()))
            })
            .await?;
            if response.data.len() != batch.len() {
                return Err(AiError::Request(format!(
                    "{} vectors for {} texts",
                    response.data.len(),
                    batch.len()
                )));
            }
            vectors.extend(response.data);
        }
        Ok(vectors)
    }

    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError> {
        let request = ChatRequest {
            messages: [
                Message { role: "system", content: &system },
                Message { role: "user", content: &prompt },
            ],
            max_tokens: MAX_ANSWER_TOKENS,
        };
        let response: ChatResponse = bounded(async {
            SendFuture::new(self.ai.run(&self.text_model, request)).await.map_err(|e| {
                // Over capacity (429, code 3040) is a "later", not a failure of the model.
                let message = e.to_string();
                let lower = message.to_lowercase();
                if lower.contains("429") || lower.contains("capacity") {
                    AiError::Busy(message)
                } else {
                    AiError::Request(message)
                }
            })
        })
        .await?;
        response
            .response
            .ok_or_else(|| AiError::Request(format!("{} answered without a response", self.text_model)))
    }
}
