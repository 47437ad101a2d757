//! [`domain::ports::Ai`] on Workers AI. Embeddings: `@cf/baai/bge-small-en-v1.5` by default
//! (384 dimensions, at most 100 texts per call), pooling pinned to `mean` because `cls`
//! vectors are not comparable with mean ones. Text: a chat model (`TEXT_MODEL`,
//! `@cf/meta/llama-3.1-8b-instruct-fast` by default) given a system and a user message.
//! Reranking: a cross-encoder (`RERANK_MODEL`, `@cf/baai/bge-reranker-base` by default: query
//! and passage read together, 512 tokens). Each call races a time-out.

use async_trait::async_trait;
use domain::error::AiError;
use domain::ports::{Ai, OnText};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use worker::send::{SendFuture, SendWrapper};

/// Texts per call: Workers AI's limit for this model.
const MAX_BATCH: usize = 100;
const TIME_OUT: Duration = Duration::from_secs(20);

/// Longest answer asked of the text model, in tokens.
const MAX_ANSWER_TOKENS: u32 = 256;

pub struct WorkersAi {
    ai: worker::Ai,
    embedding_model: String,
    text_model: String,
    /// `None` (`RERANK_MODEL=off`): reranking is unavailable and the fused order stays.
    rerank_model: Option<String>,
}

impl WorkersAi {
    pub fn new(
        ai: worker::Ai,
        embedding_model: String,
        text_model: String,
        rerank_model: Option<String>,
    ) -> Self {
        Self { ai, embedding_model, text_model, rerank_model }
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
    /// `true`: the answer comes as server-sent events, `data: {"response": "…"}` a piece.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    response: Option<String>,
}

#[derive(Serialize)]
struct RerankRequest<'a> {
    query: &'a str,
    contexts: Vec<Context<'a>>,
    top_k: usize,
}

#[derive(Serialize)]
struct Context<'a> {
    text: &'a str,
}

/// The passages best first, each by its index in the request.
#[derive(Deserialize)]
struct RerankResponse {
    response: Vec<Ranked>,
}

#[derive(Deserialize)]
struct Ranked {
    id: usize,
    score: f32,
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
    fn embedding_model(&self) -> &str {
        &self.embedding_model
    }

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

    async fn rerank(&self, query: String, passages: Vec<String>) -> Result<Vec<f32>, AiError> {
        let Some(model) = self.rerank_model.as_deref() else {
            return Err(AiError::Unavailable("no reranker (RERANK_MODEL is off)".into()));
        };
        let request = RerankRequest {
            query: &query,
            contexts: passages.iter().map(|text| Context { text }).collect(),
            top_k: passages.len(),
        };
        let response: RerankResponse =
            bounded(async { SendFuture::new(self.ai.run(model, request)).await.map_err(run_error) }).await?;
        // Back into the passages' order; one the model left out cannot be placed.
        let mut scores = vec![None; passages.len()];
        for ranked in response.response {
            if let Some(slot) = scores.get_mut(ranked.id) {
                *slot = Some(ranked.score);
            }
        }
        scores
            .into_iter()
            .collect::<Option<Vec<f32>>>()
            .ok_or_else(|| AiError::Request(format!("{model} did not score every passage")))
    }

    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError> {
        let request = self.chat(&system, &prompt, false);
        let response: ChatResponse = bounded(async {
            SendFuture::new(self.ai.run(&self.text_model, request)).await.map_err(run_error)
        })
        .await?;
        response
            .response
            .ok_or_else(|| AiError::Request(format!("{} answered without a response", self.text_model)))
    }

    /// The model's server-sent events, read as they arrive. The time-out covers the start of
    /// the answer; the caller bounds the whole of it.
    async fn generate_streamed(
        &self,
        system: String,
        prompt: String,
        on_text: OnText<'_>,
    ) -> Result<String, AiError> {
        let request = self.chat(&system, &prompt, true);
        let stream = bounded(async {
            SendFuture::new(self.ai.run_bytes(&self.text_model, request)).await.map_err(run_error)
        })
        .await?;
        let mut stream = SendWrapper(stream);
        let mut events = SseBuffer::default();
        let mut answer = String::new();
        while let Some(bytes) = SendFuture::new(stream.0.next()).await {
            let bytes = bytes.map_err(|e| AiError::Request(format!("the answer stream broke: {e}")))?;
            for data in events.push(&bytes) {
                if data == "[DONE]" {
                    return Ok(answer);
                }
                if let Ok(ChatResponse { response: Some(piece) }) = serde_json::from_str(&data) {
                    if !piece.is_empty() {
                        on_text(&piece);
                        answer.push_str(&piece);
                    }
                }
            }
        }
        Ok(answer)
    }
}

impl WorkersAi {
    fn chat<'a>(&self, system: &'a str, prompt: &'a str, stream: bool) -> ChatRequest<'a> {
        ChatRequest {
            messages: [
                Message { role: "system", content: system },
                Message { role: "user", content: prompt },
            ],
            max_tokens: MAX_ANSWER_TOKENS,
            stream,
        }
    }
}

/// Over capacity (429, code 3040) is a "later", not a failure of the model.
fn run_error(e: worker::Error) -> AiError {
    let message = e.to_string();
    let lower = message.to_lowercase();
    if lower.contains("429") || lower.contains("capacity") {
        AiError::Busy(message)
    } else {
        AiError::Request(message)
    }
}

/// Splits a server-sent event stream into its `data:` payloads. Bytes are kept until an
/// event ends, so a character split between two chunks arrives whole.
#[derive(Default)]
struct SseBuffer {
    pending: Vec<u8>,
}

impl SseBuffer {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut data = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = self.pending.drain(..end + 2).collect();
            for line in String::from_utf8_lossy(&event).lines() {
                if let Some(payload) = line.strip_prefix("data:") {
                    data.push(payload.trim().to_owned());
                }
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::SseBuffer;

    #[test]
    fn events_split_anywhere_arrive_whole() {
        let stream = "data: {\"response\":\"caf\u{e9}\"}\n\ndata: [DONE]\n\n".as_bytes();
        let mut buffer = SseBuffer::default();
        let mut got = Vec::new();
        for piece in stream.chunks(5) {
            got.extend(buffer.push(piece));
        }
        assert_eq!(got, vec!["{\"response\":\"café\"}".to_owned(), "[DONE]".to_owned()]);
    }
}
