//! Sentence embeddings computed in-process: a BERT-family model with mean pooling and L2
//! normalisation, read from a folder in Hugging Face layout (`config.json`, `tokenizer.json`,
//! `model.safetensors`, optionally `sentence_bert_config.json`).
//!
//! Two forward passes compute the same thing: [`crate::bert`] (the default, on plain buffers,
//! several times faster) and candle's `BertModel` (the reference, and the fallback for models
//! the first does not cover). [`Backend`] picks one; the tests compare them.
//!
//! The text of a paper is [`paper_text`]: the recipe the reference vectors in
//! `../shared/data/vectors/` were computed with, so vectors made here and imported ones agree.

use crate::bert::{BertConfig, FastBert};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationParams};

/// What can go wrong loading or running the model.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A file of the model folder is missing or unreadable.
    #[error("model folder {dir}: {message}")]
    Model {
        /// The folder.
        dir: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The tokenizer failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The tensor library failed.
    #[error("model: {0}")]
    Tensor(#[from] candle_core::Error),
    /// The fast forward pass refused its input.
    #[error("model: {0}")]
    Input(String),
}

/// Which forward pass computes the embeddings (`search.embedding` in the configuration:
/// `"auto"`, `"fp32"`, `"fp16"`, `"bf16"` or `"candle"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// [`crate::bert`] when the model's configuration is one it covers (exact GELU, absolute
    /// positions), else candle; the linear layers in bf16 on AMX tiles where the CPU has
    /// AMX-BF16, else in fp16 where it has AVX512-FP16, else fp32 (every vector of the shared
    /// corpus within cosine 0.998 of the reference either way).
    Auto,
    /// [`crate::bert`] in fp32 arithmetic throughout (the fallback on every CPU), else candle.
    Fp32,
    /// [`crate::bert`] with the linear layers in fp16 where the CPU has AVX512-FP16, else fp32.
    Fp16,
    /// [`crate::bert`] with the linear layers in bf16 on AMX tiles where the CPU has AMX-BF16,
    /// else as [`Backend::Fp16`].
    Bf16,
    /// candle's `BertModel`: the reference.
    Candle,
}

/// The arithmetic of the linear layers for long inputs (a batch of abstracts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `f32` throughout.
    Fp32,
    /// Products in fp16 with `f32` partial sums (`fp16.rs`), on CPUs with AVX512-FP16.
    Fp16,
    /// Products of bf16 values summed in `f32` on AMX tiles (`amx.rs`), on CPUs with
    /// AMX-BF16.
    Bf16,
}

enum Model {
    Fast(Box<FastBert>),
    Candle(Box<BertModel>),
}

/// The default token limit when the folder does not say (`max_seq_length` of sentence-transformers).
const DEFAULT_MAX_TOKENS: usize = 256;

/// A loaded sentence-embedding model.
pub struct Embedder {
    model: Model,
    tokenizer: Tokenizer,
    pad_id: u32,
    dim: usize,
    name: String,
    max_tokens: usize,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("name", &self.name)
            .field("dim", &self.dim)
            .field("max_tokens", &self.max_tokens)
            .field("arithmetic", &self.arithmetic())
            .finish()
    }
}

fn read(dir: &Path, file: &str) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(dir.join(file)).map_err(|e| EmbedError::Model {
        dir: dir.to_owned(),
        message: format!("{file}: {e}"),
    })
}

#[derive(serde::Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

impl Embedder {
    /// Loads the model in `dir`. Its name (what stored vectors are labelled with, and what
    /// `import-vectors` checks) is the folder's name.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        Self::load_with(dir, Backend::Auto)
    }

    /// Loads the model in `dir` with the forward pass `backend`.
    pub fn load_with(dir: &Path, backend: Backend) -> Result<Embedder, EmbedError> {
        let bad = |message: String| EmbedError::Model {
            dir: dir.to_owned(),
            message,
        };
        let config_bytes = read(dir, "config.json")?;
        let config: Config =
            serde_json::from_slice(&config_bytes).map_err(|e| bad(format!("config.json: {e}")))?;
        let fast_config: BertConfig =
            serde_json::from_slice(&config_bytes).map_err(|e| bad(format!("config.json: {e}")))?;
        let max_tokens = match std::fs::read(dir.join("sentence_bert_config.json")) {
            Ok(bytes) => serde_json::from_slice::<SentenceBertConfig>(&bytes)
                .ok()
                .and_then(|c| c.max_seq_length)
                .unwrap_or(DEFAULT_MAX_TOKENS),
            Err(_) => DEFAULT_MAX_TOKENS,
        }
        .min(config.max_position_embeddings);
        let mut tokenizer = Tokenizer::from_bytes(read(dir, "tokenizer.json")?)
            .map_err(|e| bad(format!("tokenizer.json: {e}")))?;
        // tokenizer.json of all-MiniLM-L6-v2 truncates at 128 and pads to a fixed 128; the model
        // reads up to max_seq_length (256) tokens, as sentence-transformers does.
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| bad(format!("tokenizer.json: {e}")))?;
        // Sequences are not padded: the fast pass lays them end to end, and the candle pass pads
        // them itself.
        tokenizer.with_padding(None);
        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(bad("model.safetensors is missing".into()));
        }
        let precision = match backend {
            // bf16 where the CPU has AMX, else fp16 where it has AVX512-FP16, else fp32
            // (`Linear::new` in `bert.rs` falls back layer by layer).
            Backend::Auto => Some(Precision::Bf16),
            Backend::Fp32 => Some(Precision::Fp32),
            Backend::Fp16 => Some(Precision::Fp16),
            Backend::Bf16 => Some(Precision::Bf16),
            Backend::Candle => None,
        };
        let model = if let Some(precision) = precision.filter(|_| fast_config.supported()) {
            Model::Fast(Box::new(FastBert::load(&weights, &fast_config, precision)?))
        } else {
            // SAFETY: the weights file is memory-mapped read-only; candle copies what it keeps.
            let vb = unsafe {
                VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &Device::Cpu)?
            };
            Model::Candle(Box::new(BertModel::load(vb, &config)?))
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        Ok(Embedder {
            model,
            tokenizer,
            pad_id: config.pad_token_id as u32,
            dim: config.hidden_size,
            name,
            max_tokens,
        })
    }

    /// The model's name: the label on every vector it makes.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What computes the vectors: `"bf16"`, `"fp16"` or `"fp32"` (our pass, by the arithmetic
    /// of its linear layers) or `"candle"`.
    pub fn arithmetic(&self) -> &'static str {
        match &self.model {
            Model::Fast(b) => match b.precision() {
                Precision::Bf16 => "bf16",
                Precision::Fp16 => "fp16",
                Precision::Fp32 => "fp32",
            },
            Model::Candle(_) => "candle",
        }
    }

    /// The vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The token limit per text.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// How many tokens the model reads of `text` (after truncation).
    pub fn token_count(&self, text: &str) -> usize {
        self.tokenizer
            .encode_fast(text, true)
            .map(|e| e.get_attention_mask().iter().filter(|m| **m == 1).count())
            .unwrap_or(0)
    }

    /// Embeds `texts` as one batch: unit-length vectors in the order given. Texts of similar
    /// length batch best; [`Embedder::embed_many`] sorts for you. A single text runs on the
    /// calling thread; several are shared across rayon's threads.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let sequences: Vec<Vec<u32>> = if texts.len() == 1 {
            vec![self
                .tokenizer
                .encode_fast(texts[0], true)
                .map_err(|e| EmbedError::Tokenizer(e.to_string()))?
                .get_ids()
                .to_vec()]
        } else {
            self.tokenizer
                .encode_batch_fast(texts.to_vec(), true)
                .map_err(|e| EmbedError::Tokenizer(e.to_string()))?
                .iter()
                .map(|e| e.get_ids().to_vec())
                .collect()
        };
        match &self.model {
            Model::Fast(bert) => bert.embed(&sequences).map_err(EmbedError::Input),
            Model::Candle(model) => self.embed_candle(model, &sequences),
        }
    }

    fn embed_candle(
        &self,
        model: &BertModel,
        sequences: &[Vec<u32>],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let len = sequences.iter().map(Vec::len).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(sequences.len() * len);
        let mut mask = Vec::with_capacity(sequences.len() * len);
        for s in sequences {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(self.pad_id, len - s.len()));
            mask.extend(std::iter::repeat_n(1u32, s.len()));
            mask.extend(std::iter::repeat_n(0u32, len - s.len()));
        }
        let shape = (sequences.len(), len);
        let ids = Tensor::from_vec(ids, shape, &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, shape, &Device::Cpu)?;
        let types = ids.zeros_like()?;
        let hidden = model.forward(&ids, &types, Some(&mask))?;
        // Mean pooling over real tokens, then L2 normalisation.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norm)?.to_vec2::<f32>()?)
    }

    /// Embeds any number of texts in batches of up to `batch` texts of similar token length,
    /// calling `progress` with the number done after each batch. Returns vectors in input order.
    pub fn embed_many(
        &self,
        texts: &[&str],
        batch: usize,
        progress: &dyn Fn(usize),
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let lengths: Vec<usize> = texts
            .iter()
            .map(|t| {
                self.tokenizer
                    .encode_fast(*t, false)
                    .map(|e| e.len())
                    .unwrap_or(t.len() / 4)
            })
            .collect();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| lengths[i]);
        let mut out = vec![Vec::new(); texts.len()];
        let mut done = 0;
        for chunk in order.chunks(batch.max(1)) {
            let batch_texts: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (&i, v) in chunk.iter().zip(self.embed(&batch_texts)?) {
                out[i] = v;
            }
            done += chunk.len();
            progress(done);
        }
        Ok(out)
    }
}

/// The text embedded for a paper: title and abstract, each with runs of white space collapsed
/// to one space and trimmed, joined by a newline.
pub fn paper_text(title: &str, summary: &str) -> String {
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{}\n{}", collapse(title), collapse(summary))
}

/// The text the shared reference vectors (`../shared/data/vectors`) were computed from, for the
/// tests and benches that compare with them; the product embeds [`paper_text`].
///
/// It is [`paper_text`], except that the reference's pipeline read every literal backslash-n
/// (`\n`, two characters) as a line break, which the collapse of white space then made a
/// space. LaTeX in abstracts has such pairs (`\neq`, `\name`, `\nobreakdash`): 74 of the
/// 80,317 papers. On the six of them checked, [`paper_text`] (which keeps the backslash, as the
/// pages show it) gave cosines from 0.976 to 0.998 against the reference, and this recipe
/// 0.99998 or more.
pub fn reference_text(title: &str, summary: &str) -> String {
    paper_text(&title.replace("\\n", "\n"), &summary.replace("\\n", "\n"))
}

/// Dot product of two vectors of the same length (cosine similarity for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_text_reads_a_literal_backslash_n_as_a_break() {
        assert_eq!(
            reference_text("A \\neq B", "fraction of \\ngrams\nunseen"),
            "A eq B\nfraction of grams unseen"
        );
        // Other backslashes stay, as in the product's text.
        assert_eq!(
            reference_text("x", "5 \\times 2"),
            paper_text("x", "5 \\times 2")
        );
    }

    #[test]
    fn paper_text_collapses_white_space() {
        assert_eq!(
            paper_text("  A\n  title ", "An\tabstract\n\nwith  gaps "),
            "A title\nAn abstract with gaps"
        );
    }

    #[test]
    fn a_missing_folder_is_a_clear_error() {
        let err = Embedder::load(Path::new("/nonexistent/model")).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
    }
}
