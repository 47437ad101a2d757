use async_trait::async_trait;

use crate::error::AiError;

/// Models (candle natively, Workers AI on Workers). Adapters own the time-outs: a call that
/// takes too long ends with [`AiError::Unavailable`].
#[async_trait]
pub trait Ai: Send + Sync {
    /// One normalised vector per text, in order.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError>;
    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError>;
}
