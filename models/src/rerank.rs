//! Cross-encoders: a query and a passage read together, one relevance score per pair (a
//! sentence embedder reads each alone). Two families load: BERT's
//! (`cross-encoder/ms-marco-MiniLM-L-6-v2` and kin: the pooler over `[CLS]`, then one linear
//! score) and XLM-RoBERTa's (`BAAI/bge-reranker-base`, the model the Worker's reranker runs).
//! Which one is read from `config.json`'s `model_type`.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, Module, VarBuilder};
use candle_transformers::models::bert::{self, BertModel};
use candle_transformers::models::xlm_roberta::{self, XLMRobertaForSequenceClassification};
use serde::Deserialize;
use tokenizers::{Encoding, Tokenizer, TruncationParams, TruncationStrategy};

use crate::{read_file, ModelError, ModelSource};

/// Longest pair in tokens: both families were trained on 512 (query, passage and markers).
const MAX_TOKENS: usize = 512;
/// Pairs run through the model at a time, the shortest together: padding a short pair to a
/// long one's length is work for nothing.
const BATCH: usize = 8;

/// A cross-encoder loaded in memory.
pub struct CrossEncoder {
    scorer: Scorer,
    tokenizer: Tokenizer,
    pad_id: u32,
    name: String,
}

enum Scorer {
    /// `BertForSequenceClassification`.
    Bert { model: BertModel, pooler: Linear, classifier: Linear },
    /// `XLMRobertaForSequenceClassification`.
    XlmRoberta(XLMRobertaForSequenceClassification),
}

/// What `config.json` says of the head, whichever the family.
#[derive(Deserialize)]
struct Head {
    model_type: Option<String>,
    /// One label: one score per pair. Absent means transformers' default of two.
    id2label: Option<HashMap<String, String>>,
    #[serde(default)]
    pad_token_id: u32,
    hidden_size: usize,
}

/// The architectures this build runs.
#[derive(Clone, Copy)]
enum Family {
    Bert,
    XlmRoberta,
}

impl Head {
    /// Which family runs the model, or why none can: it must give one score per pair and be
    /// an architecture this build knows.
    fn family(&self, name: &str) -> Result<Family, ModelError> {
        let labels = self.id2label.as_ref().map_or(2, HashMap::len);
        if labels != 1 {
            return Err(ModelError::Files(format!(
                "{name} gives {labels} scores per pair: a reranker gives one (is it a cross-encoder?)"
            )));
        }
        match self.model_type.as_deref() {
            Some("bert") => Ok(Family::Bert),
            Some("xlm-roberta") => Ok(Family::XlmRoberta),
            other => {
                let named = other.map_or_else(|| "(none)".to_owned(), |t| format!("{t:?}"));
                Err(ModelError::Files(format!(
                    "{name}: model_type {named} is not a cross-encoder this build reads (bert, xlm-roberta)"
                )))
            }
        }
    }
}

fn bad_config(e: serde_json::Error) -> ModelError {
    ModelError::Files(format!("config.json: {e}"))
}

impl CrossEncoder {
    /// Loads the model from `source` (a folder, or a hub repo when the machine is online).
    /// The config is read and judged first: a model this build cannot run is refused before
    /// its weights (hundreds of megabytes) are downloaded or read.
    pub fn load(source: &ModelSource) -> Result<Self, ModelError> {
        let name = source.to_string();
        let dir = source.resolve(&["config.json"])?;
        let config = read_file(&dir, "config.json")?;
        let head: Head = serde_json::from_slice(&config).map_err(bad_config)?;
        let family = head.family(&name)?;
        let dir = source.resolve(&["tokenizer.json", "model.safetensors"])?;
        let mut tokenizer = Tokenizer::from_bytes(read_file(&dir, "tokenizer.json")?)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        // Batches are padded here (see `score`), so the file's own padding is not wanted.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                // Never fails, whichever of query and passage is long; the passage usually is.
                strategy: TruncationStrategy::LongestFirst,
                ..Default::default()
            }))
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        // Read into memory rather than mmap: the workspace forbids `unsafe`.
        let weights = read_file(&dir, "model.safetensors")?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)?;
        let scorer = match family {
            Family::Bert => {
                let config: bert::Config = serde_json::from_slice(&config).map_err(bad_config)?;
                let hidden = head.hidden_size;
                Scorer::Bert {
                    model: BertModel::load(vb.clone(), &config)?,
                    pooler: candle_nn::linear(hidden, hidden, vb.pp("bert.pooler.dense"))?,
                    classifier: candle_nn::linear(hidden, 1, vb.pp("classifier"))?,
                }
            }
            Family::XlmRoberta => {
                let config: xlm_roberta::Config = serde_json::from_slice(&config).map_err(bad_config)?;
                Scorer::XlmRoberta(XLMRobertaForSequenceClassification::new(1, &config, vb)?)
            }
        };
        Ok(Self { scorer, tokenizer, pad_id: head.pad_token_id, name })
    }

    /// Where the model came from (a folder or a repo id), for health and logs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One score per passage, in order: the probability (0–1) that the passage answers `query`.
    /// `go_on` is asked before each batch (a search's 30 passages are seconds of work on a few
    /// cores): once it says no, [`ModelError::Stopped`].
    pub fn score(
        &self,
        query: &str,
        passages: &[String],
        go_on: impl Fn() -> bool,
    ) -> Result<Vec<f32>, ModelError> {
        let pairs: Vec<(&str, &str)> = passages.iter().map(|p| (query, p.as_str())).collect();
        let encodings =
            self.tokenizer.encode_batch(pairs, true).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());
        let mut scores = vec![0.0; encodings.len()];
        for batch in order.chunks(BATCH) {
            if !go_on() {
                return Err(ModelError::Stopped);
            }
            let batch_encodings: Vec<&Encoding> = batch.iter().map(|&i| &encodings[i]).collect();
            for (&i, score) in batch.iter().zip(self.run(&batch_encodings)?) {
                scores[i] = score;
            }
        }
        Ok(scores)
    }

    /// Scores pairs already encoded, padded to the longest of them.
    fn run(&self, encodings: &[&Encoding]) -> Result<Vec<f32>, ModelError> {
        let longest = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let padded = |values: &[u32], pad: u32| {
            let mut row = values.to_vec();
            row.resize(longest, pad);
            Tensor::new(row, &Device::Cpu)
        };
        let stack = |rows: Vec<Tensor>| Tensor::stack(&rows, 0);
        let ids =
            stack(encodings.iter().map(|e| padded(e.get_ids(), self.pad_id)).collect::<Result<_, _>>()?)?;
        let types = stack(encodings.iter().map(|e| padded(e.get_type_ids(), 0)).collect::<Result<_, _>>()?)?;
        let mask =
            stack(encodings.iter().map(|e| padded(e.get_attention_mask(), 0)).collect::<Result<_, _>>()?)?;
        let logits = match &self.scorer {
            Scorer::Bert { model, pooler, classifier } => {
                let hidden = model.forward(&ids, &types, Some(&mask))?;
                let first = hidden.get_on_dim(1, 0)?.contiguous()?;
                classifier.forward(&pooler.forward(&first)?.tanh()?)?
            }
            Scorer::XlmRoberta(model) => model.forward(&ids, &mask, &types)?,
        };
        Ok(candle_nn::ops::sigmoid(&logits.squeeze(1)?)?.to_vec1::<f32>()?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::fixtures;

    fn fixture(build: fn(&Path, &Path) -> Result<(), ModelError>) -> (tempfile::TempDir, CrossEncoder) {
        let minilm = fixtures::minilm();
        assert!(
            minilm.join("model.safetensors").exists(),
            "run scripts/setup.sh: {} is empty",
            minilm.display()
        );
        let dir = tempfile::tempdir().expect("dir");
        build(&minilm, dir.path()).expect("fixture");
        let model = CrossEncoder::load(&ModelSource::Dir(dir.path().to_owned())).expect("loads");
        (dir, model)
    }

    fn passages() -> Vec<String> {
        let sentence = "A storm lantern keeps its flame in wind, and its glass is thick. ";
        (0..11).map(|i| format!("Passage {i}. {}", sentence.repeat(i * 4 + 1))).collect()
    }

    /// Batching sorts pairs by length and pads each batch: a pair must score the same alone as
    /// beside longer ones, or the padding leaks into the score.
    fn assert_scores_alike_alone_and_batched(model: &CrossEncoder) {
        let query = "how does a lantern stay lit in wind";
        let passages = passages();
        let batched = model.score(query, &passages, || true).expect("scored");
        assert_eq!(batched.len(), passages.len());
        for (passage, score) in passages.iter().zip(&batched) {
            assert!((0.0..=1.0).contains(score), "{score}");
            let alone = model.score(query, std::slice::from_ref(passage), || true).expect("scored alone");
            assert!((alone[0] - score).abs() < 1e-4, "alone {} vs batched {score}", alone[0]);
        }
        assert!(
            batched.iter().any(|s| (s - batched[0]).abs() > 1e-6),
            "every pair scored alike: {batched:?}"
        );
        // A passage far past the model's 512 positions is cut, not an error.
        let endless = vec!["lantern ".repeat(40_000)];
        assert_eq!(model.score(query, &endless, || true).expect("a long passage").len(), 1);
        assert!(model.score(query, &[], || true).expect("none").is_empty());
        // Told to stop after the first batch: no scores, and no more batches run.
        let asked = std::cell::Cell::new(0);
        let stopped = model.score(query, &passages, || {
            asked.set(asked.get() + 1);
            asked.get() == 1
        });
        assert!(matches!(stopped, Err(ModelError::Stopped)), "{stopped:?}");
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn a_bert_cross_encoder_scores_each_pair_alike_alone_or_batched() {
        let (_dir, model) = fixture(fixtures::bert_cross_encoder);
        assert_scores_alike_alone_and_batched(&model);
    }

    #[test]
    fn an_xlm_roberta_cross_encoder_scores_each_pair_alike_alone_or_batched() {
        let (_dir, model) =
            fixture(|minilm, dir| fixtures::xlm_roberta_cross_encoder(minilm, dir, fixtures::XlmShape::TINY));
        assert_scores_alike_alone_and_batched(&model);
    }

    #[test]
    fn a_model_that_is_no_cross_encoder_is_refused_saying_why() {
        let load = |dir: &Path| {
            CrossEncoder::load(&ModelSource::Dir(dir.to_owned())).err().expect("refused").to_string()
        };
        // A sentence embedder: no one-score head.
        let error = load(&fixtures::minilm());
        assert!(error.contains("2 scores per pair"), "{error}");
        let (dir, _) = fixture(fixtures::bert_cross_encoder);
        let config = std::fs::read_to_string(dir.path().join("config.json")).expect("config");
        std::fs::write(dir.path().join("config.json"), config.replace("\"bert\"", "\"gpt2\""))
            .expect("written");
        let error = load(dir.path());
        assert!(error.contains("\"gpt2\" is not a cross-encoder"), "{error}");
        // Judged on its config alone: without weights the reason is still the architecture.
        std::fs::remove_file(dir.path().join("model.safetensors")).expect("removed");
        let error = load(dir.path());
        assert!(error.contains("\"gpt2\" is not a cross-encoder"), "{error}");
        std::fs::write(dir.path().join("config.json"), config).expect("restored");
        let error = load(dir.path());
        assert!(error.contains("model.safetensors"), "{error}");
    }
}
