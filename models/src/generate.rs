//! Text generation with a quantized (GGUF) llama-architecture model: SmolLM2-135M-Instruct Q4
//! by default. The tokenizer is a `tokenizer.json` beside the model file when there is one,
//! else it is rebuilt from the GGUF's own metadata (a byte-level BPE, as llama.cpp reads it),
//! so the model file alone is enough. The chat template is a setting (`auto` reads the GGUF's).
//!
//! Each call clones the weights (shared, cheap) for its own key-value cache, so calls never see
//! each other's state. Calls are synchronous and CPU-bound: the host runs them on a blocking
//! thread.
//!
//! candle has SIMD kernels for Q4_0, Q8_0 and the k-quants but none for Q4_1 or Q5_x, so such
//! weights are converted once at load to Q8_0 (a little more memory, several times faster).

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_llama::{ModelWeights, MAX_SEQ_LEN};
use std::fs::File;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

use crate::{ModelError, ModelSource};

/// How a conversation becomes the model's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatTemplate {
    /// `<|im_start|>role\n…<|im_end|>` (SmolLM2, Qwen).
    ChatMl,
    /// `<|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>` (Llama 3).
    Llama3,
}

impl ChatTemplate {
    /// `chatml`, `llama3`, or `auto` (`None`: read from the model file).
    pub fn parse(value: &str) -> Result<Option<Self>, ModelError> {
        match value {
            "auto" | "" => Ok(None),
            "chatml" => Ok(Some(Self::ChatMl)),
            "llama3" => Ok(Some(Self::Llama3)),
            other => {
                Err(ModelError::Files(format!("chat template {other:?}: expected auto, chatml or llama3")))
            }
        }
    }

    fn render(self, system: &str, user: &str) -> String {
        match self {
            Self::ChatMl => format!(
                "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
            ),
            Self::Llama3 => format!(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>\
                 <|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\n"
            ),
        }
    }

    /// Tokens that end the assistant's turn.
    fn stops(self) -> &'static [&'static str] {
        match self {
            Self::ChatMl => &["<|im_end|>", "<|endoftext|>"],
            Self::Llama3 => &["<|eot_id|>", "<|end_of_text|>"],
        }
    }
}

/// How much to generate and how.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    pub max_tokens: usize,
    /// 0 picks the likeliest token every time (the same answer for the same input).
    pub temperature: f64,
    /// Above 1 makes repeating the last 64 tokens less likely (small models loop without it).
    pub repeat_penalty: f32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self { max_tokens: 120, temperature: 0.0, repeat_penalty: 1.2 }
    }
}

/// A text model loaded in memory.
pub struct TextGenerator {
    weights: ModelWeights,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    stops: Vec<u32>,
    name: String,
}

impl TextGenerator {
    /// Loads `file` from `source` (a folder holding it, or a hub repo when the machine is
    /// online). An empty `file` takes the folder's only `.gguf`.
    pub fn load(
        source: &ModelSource,
        file: &str,
        template: Option<ChatTemplate>,
    ) -> Result<Self, ModelError> {
        let dir = source.resolve(&[file])?;
        let path = if file.is_empty() { only_gguf(&dir)? } else { dir.join(file) };
        Self::from_file(&path, template, &format!("{source}/{file}"))
    }

    pub fn from_file(path: &Path, template: Option<ChatTemplate>, name: &str) -> Result<Self, ModelError> {
        let files = |e: &dyn std::fmt::Display| ModelError::Files(format!("{}: {e}", path.display()));
        let mut reader = File::open(path).map_err(|e| files(&e))?;
        let content = gguf_file::Content::read(&mut reader).map_err(|e| files(&e))?;
        let chat_template =
            content.metadata.get("tokenizer.chat_template").and_then(|v| v.to_string().ok()).cloned();
        let beside = path.with_file_name("tokenizer.json");
        let tokenizer = if beside.is_file() {
            Tokenizer::from_file(&beside).map_err(|e| ModelError::Tokenizer(e.to_string()))?
        } else {
            tokenizer_from_gguf(&content)?
        };
        let template = match template {
            Some(t) => t,
            None => match chat_template.as_deref() {
                Some(t) if t.contains("<|start_header_id|>") => ChatTemplate::Llama3,
                Some(t) if t.contains("<|im_start|>") => ChatTemplate::ChatMl,
                _ => {
                    return Err(ModelError::Files(format!(
                        "{}: no known chat template in the file; set one (chatml or llama3)",
                        path.display()
                    )))
                }
            },
        };
        let stops: Vec<u32> = template.stops().iter().filter_map(|s| tokenizer.token_to_id(s)).collect();
        if stops.is_empty() {
            return Err(ModelError::Tokenizer(format!("the tokenizer has none of {:?}", template.stops())));
        }
        let weights = if content.tensor_infos.values().any(|t| slow_kernel(t.ggml_dtype)) {
            let mut converted = Cursor::new(with_fast_kernels(&content, &mut reader)?);
            let content = gguf_file::Content::read(&mut converted).map_err(|e| files(&e))?;
            ModelWeights::from_gguf(content, &mut converted, &Device::Cpu)?
        } else {
            ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)?
        };
        Ok(Self { weights, tokenizer, template, stops, name: name.to_owned() })
    }

    /// Where the model came from, for health and logs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The assistant's answer to `user` under `system`. `on_text` gets each new piece as it is
    /// decoded and may stop the generation by returning `false`; `go_on` is asked before each
    /// token and before each [`PROMPT_CHUNK`] tokens of the prompt are read, so a long prompt
    /// (seconds of work) can be stopped too: then the answer is empty.
    pub fn generate(
        &self,
        system: &str,
        user: &str,
        options: &GenerateOptions,
        mut on_text: impl FnMut(&str) -> bool,
        go_on: impl Fn() -> bool,
    ) -> Result<String, ModelError> {
        let prompt = self.template.render(system, user);
        let encoding =
            self.tokenizer.encode(prompt, false).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let prompt_ids = encoding.get_ids();
        let room = MAX_SEQ_LEN.saturating_sub(prompt_ids.len());
        if room < 16 {
            return Err(ModelError::Tokenizer(format!(
                "the prompt is {} tokens; the model reads at most {MAX_SEQ_LEN}",
                prompt_ids.len()
            )));
        }
        let max_tokens = options.max_tokens.min(room);
        let mut model = self.weights.clone();
        let sampling = if options.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            Sampling::TopP { p: 0.9, temperature: options.temperature }
        };
        let mut sampler = LogitsProcessor::from_sampling(299_792_458, sampling);
        let device = Device::Cpu;
        // The prompt in chunks (each step returns the last position's logits): the same result as
        // one pass, with a chance to stop between them.
        let mut logits = None;
        for (i, chunk) in prompt_ids.chunks(PROMPT_CHUNK).enumerate() {
            if !go_on() {
                return Ok(String::new());
            }
            let input = Tensor::new(chunk, &device)?.unsqueeze(0)?;
            logits = Some(model.forward(&input, i * PROMPT_CHUNK)?.squeeze(0)?);
        }
        let Some(mut logits) = logits else {
            return Err(ModelError::Tokenizer("the prompt has no tokens".into()));
        };
        let mut generated: Vec<u32> = Vec::with_capacity(max_tokens);
        let mut stream = self.tokenizer.decode_stream(true);
        let mut text = String::new();
        for i in 0..max_tokens {
            // Asked at every token, not only when one decodes to text: a run of tokens that
            // decode to nothing (special or partial ones) must not keep a reader waiting.
            if !go_on() {
                break;
            }
            if options.repeat_penalty > 1.0 {
                let recent = &generated[generated.len().saturating_sub(64)..];
                logits = candle_transformers::utils::apply_repeat_penalty(
                    &logits,
                    options.repeat_penalty,
                    recent,
                )?;
            }
            let next = sampler.sample(&logits)?;
            if self.stops.contains(&next) {
                break;
            }
            generated.push(next);
            if let Some(piece) = stream.step(next).map_err(|e| ModelError::Tokenizer(e.to_string()))? {
                text.push_str(&piece);
                if !on_text(&piece) {
                    break;
                }
            }
            if i + 1 < max_tokens {
                let input = Tensor::new(&[next], &device)?.unsqueeze(0)?;
                logits = model.forward(&input, prompt_ids.len() + i)?.squeeze(0)?;
            }
        }
        Ok(text)
    }
}

/// Prompt tokens read in one step: about a second of work on 2 cores, the longest a reader
/// waits for background writing to notice them.
pub const PROMPT_CHUNK: usize = 128;

/// Quantizations candle multiplies without SIMD.
fn slow_kernel(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// The same GGUF (in memory) with every slow-kernel tensor as Q8_0.
fn with_fast_kernels(content: &gguf_file::Content, reader: &mut File) -> Result<Vec<u8>, ModelError> {
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(content.tensor_infos.len());
    for (name, info) in &content.tensor_infos {
        let tensor = content.tensor(reader, name, &Device::Cpu)?;
        let tensor = if slow_kernel(info.ggml_dtype) {
            QTensor::quantize(&tensor.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)?
        } else {
            tensor
        };
        tensors.push((name.clone(), tensor));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> =
        content.metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, t)| (k.as_str(), t)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &tensors)?;
    Ok(out.into_inner())
}

/// The folder's only `.gguf` file.
fn only_gguf(dir: &Path) -> Result<PathBuf, ModelError> {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ModelError::Files(format!("{}: {e}", dir.display())))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "gguf"))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(ModelError::Files(format!("{}: no .gguf file", dir.display()))),
        _ => Err(ModelError::Files(format!("{}: several .gguf files; name one", dir.display()))),
    }
}

/// The byte-level BPE tokenizer a GGUF carries (`tokenizer.ggml.*`, model `gpt2`), with digits
/// split one by one before it (llama.cpp's pre-tokenizer for SmolLM and Llama 3 alike) and the
/// control tokens registered as special, so the chat template's markers are single tokens.
fn tokenizer_from_gguf(content: &gguf_file::Content) -> Result<Tokenizer, ModelError> {
    let meta = |key: &str| {
        content.metadata.get(key).ok_or_else(|| ModelError::Tokenizer(format!("the model file has no {key}")))
    };
    let bad = |key: &str, e: &dyn std::fmt::Display| ModelError::Tokenizer(format!("{key}: {e}"));
    let kind = meta("tokenizer.ggml.model")?.to_string().map_err(|e| bad("tokenizer.ggml.model", &e))?;
    if kind != "gpt2" {
        return Err(ModelError::Tokenizer(format!(
            "a {kind:?} tokenizer in the model file; put its tokenizer.json beside it"
        )));
    }
    let strings = |key: &str| -> Result<Vec<String>, ModelError> {
        meta(key)?
            .to_vec()
            .map_err(|e| bad(key, &e))?
            .iter()
            .map(|v| v.to_string().cloned().map_err(|e| bad(key, &e)))
            .collect()
    };
    let tokens = strings("tokenizer.ggml.tokens")?;
    let merges: Vec<(String, String)> = strings("tokenizer.ggml.merges")?
        .into_iter()
        .filter_map(|m| m.split_once(' ').map(|(a, b)| (a.to_owned(), b.to_owned())))
        .collect();
    // Token type 3 is "control" in GGUF (llama.cpp's LLAMA_TOKEN_TYPE_CONTROL).
    let types: Vec<i32> = meta("tokenizer.ggml.token_type")
        .and_then(|v| v.to_vec().map_err(|e| bad("tokenizer.ggml.token_type", &e)))
        .map(|values| values.iter().map(|v| v.to_i32().unwrap_or(1)).collect())
        .unwrap_or_default();
    let vocab: Vocab =
        tokens.iter().enumerate().map(|(i, t)| (t.clone(), u32::try_from(i).unwrap_or(u32::MAX))).collect();
    let bpe = BPE::builder().vocab_and_merges(vocab, merges).build().map_err(|e| bad("bpe", &e))?;
    let mut tokenizer = Tokenizer::new(bpe);
    let byte_level = ByteLevel::default().add_prefix_space(false);
    tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![Digits::new(true).into(), byte_level.into()])));
    tokenizer.with_decoder(Some(byte_level));
    let control =
        tokens.iter().zip(&types).filter(|(_, t)| **t == 3).map(|(s, _)| AddedToken::from(s.clone(), true));
    tokenizer.add_special_tokens(control).map_err(|e| bad("special tokens", &e))?;
    Ok(tokenizer)
}
