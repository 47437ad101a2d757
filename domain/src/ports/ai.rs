use async_trait::async_trait;

use crate::error::AiError;

/// Models (candle natively, Workers AI on Workers).
#[async_trait]
pub trait Ai: Send + Sync {
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, AiError>;
    async fn generate(&self, system: String, prompt: String) -> Result<String, AiError>;
}
