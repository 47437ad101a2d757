use async_trait::async_trait;

use crate::error::AiError;

/// Where a streamed answer's pieces go, as they come.
pub type OnText<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// Models (candle natively, Workers AI on Workers). Adapters own the time-outs: a call that
/// takes too long ends with [`AiError::Unavailable`].
#[async_trait]
pub trait Ai: Send + Sync {
    /// One normalised vector per text, in order: background work (ingest, related documents).
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError>;
    /// [`Ai::embed`] for a reader who is waiting (a search query, a quick answer's sentences): an
    /// adapter that shares its model with background work runs this first.
    async fn embed_now(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError> {
        self.embed(texts).await
    }
    /// Names the model [`Ai::embed`] uses: kept query embeddings are keyed by it.
    fn embedding_model(&self) -> &str {
        ""
    }
    /// How well each passage answers `query` (a cross-encoder's relevance; higher is better),
    /// one score per passage, in order, for a reader who is waiting. An adapter without a
    /// reranker says so ([`AiError::Unavailable`]); search then keeps its fused order.
    async fn rerank(&self, query: String, passages: Vec<String>) -> Result<Vec<f32>, AiError> {
        let _ = (query, passages);
        Err(AiError::Unavailable("this model has no reranker".into()))
    }
    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError>;
    /// [`Ai::generate`], handing each piece of the answer to `on_text` as the model writes it,
    /// and the whole answer at the end. Dropping the future stops the generation. An adapter
    /// that cannot stream hands over the whole answer as one piece. This is a reader's answer;
    /// [`Ai::generate`] is background writing (summaries, topics): an adapter whose model does
    /// one thing at a time runs readers first.
    async fn generate_streamed(
        &self,
        system: String,
        prompt: String,
        on_text: OnText<'_>,
    ) -> Result<String, AiError> {
        let answer = self.generate(system, prompt).await?;
        on_text(&answer);
        Ok(answer)
    }
}
