//! Filling the store's `paper_vectors`: embedding papers that lack a vector (the `embed`
//! command and the background job), and importing vectors computed elsewhere.

use crate::embed::{paper_text, Embedder};
use crate::SearchError;
use dp_store::Vectors;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Embeds papers without a vector of the embedder's model, newest first, `batch` at a time;
/// every batch is stored before the next starts, so a killed run loses at most one batch and
/// the next run goes on from there. Stops after `limit` papers when given. Returns how many
/// were embedded; `progress` is told the count after each batch.
pub async fn embed_missing(
    store: &(impl Vectors + ?Sized),
    embedder: &Arc<Embedder>,
    batch: usize,
    limit: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, SearchError> {
    let batch = batch.max(1);
    let mut done = 0u64;
    loop {
        let want = match limit {
            Some(l) if done as usize >= l => break,
            Some(l) => (l - done as usize).min(batch),
            None => batch,
        };
        let todo = store.unembedded(embedder.name(), want as i64).await?;
        if todo.is_empty() {
            break;
        }
        let texts: Vec<String> = todo
            .iter()
            .map(|u| paper_text(&u.title, &u.abstract_text))
            .collect();
        let e = embedder.clone();
        let vectors = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            e.embed_many(&refs, refs.len(), &|_| {})
        })
        .await
        .map_err(|e| SearchError::Task(e.to_string()))??;
        let rows: Vec<(String, Vec<f32>)> = todo
            .iter()
            .map(|u| u.id.base().to_string())
            .zip(vectors)
            .collect();
        store.put_vectors(embedder.name(), &rows).await?;
        done += rows.len() as u64;
        progress(done);
    }
    Ok(done)
}

/// What [`import_vectors`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// The model the vectors are labelled with.
    pub model: String,
    /// Components per vector.
    pub dim: usize,
    /// Vectors stored.
    pub stored: u64,
    /// Ids the store does not have.
    pub skipped: u64,
}

fn bad(message: impl Into<String>) -> SearchError {
    SearchError::Input(message.into())
}

/// Reads `config.json`'s `hidden_size` from a model folder, if there is one.
fn model_dim(model_dir: &Path) -> Option<usize> {
    let bytes = std::fs::read(model_dir.join("config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("hidden_size")?.as_u64().map(|d| d as usize)
}

/// Loads a raw little-endian matrix (`MODEL.f16` or `MODEL.f32`, one row per line of `ids`,
/// default `ids.txt` beside it) into the store. Refuses, before writing anything: a model other
/// than the configured one (the folder name of `model_dir`), a dimension other than that
/// model's (or than vectors of the model already stored), a file whose size is not a whole
/// number of rows for the id list, invalid ids, and rows that are not unit length.
pub async fn import_vectors(
    store: &(impl Vectors + ?Sized),
    file: &Path,
    ids: Option<&Path>,
    model: Option<&str>,
    model_dir: &Path,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ImportReport, SearchError> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let width = match ext {
        "f16" => 2,
        "f32" => 4,
        _ => {
            return Err(bad(format!(
                "{}: the file name must end in .f16 or .f32 (the component type)",
                file.display()
            )))
        }
    };
    let model = match model {
        Some(m) => m.to_string(),
        None => file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string(),
    };
    let configured = model_dir
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    if model != configured {
        return Err(bad(format!(
            "the vectors are from model {model:?} but this server embeds queries with {configured:?} \
             ({}); vectors of different models cannot be compared",
            model_dir.display()
        )));
    }
    let ids_path = match ids {
        Some(p) => p.to_path_buf(),
        None => file.with_file_name("ids.txt"),
    };
    let ids_text = std::fs::read_to_string(&ids_path)
        .map_err(|e| bad(format!("{}: {e}", ids_path.display())))?;
    let ids: Vec<&str> = ids_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if ids.is_empty() {
        return Err(bad(format!("{}: no ids", ids_path.display())));
    }
    let mut parsed = Vec::with_capacity(ids.len());
    for (i, raw) in ids.iter().enumerate() {
        let id = dp_core::ArxivId::parse(raw)
            .map_err(|e| bad(format!("{}: line {}: {e}", ids_path.display(), i + 1)))?;
        parsed.push(id.base().to_string());
    }
    let size = std::fs::metadata(file)
        .map_err(|e| bad(format!("{}: {e}", file.display())))?
        .len() as usize;
    if !size.is_multiple_of(ids.len() * width) {
        return Err(bad(format!(
            "{}: {size} bytes is not {} rows of {width}-byte components",
            file.display(),
            ids.len()
        )));
    }
    let dim = size / (ids.len() * width);
    let expected = match model_dim(model_dir) {
        Some(d) => Some(d),
        None => store.vector_stats(&model).await?.1.map(|d| d as usize),
    };
    if let Some(expected) = expected {
        if expected != dim {
            return Err(bad(format!(
                "{}: rows have {dim} components but model {model} makes {expected}-dimensional vectors",
                file.display()
            )));
        }
    }
    // First pass: check every row before writing anything.
    for (i, v) in read_rows(file, width, dim)?.enumerate() {
        let v = v?;
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || (norm - 1.0).abs() > 0.01 {
            return Err(bad(format!(
                "{}: row {} ({}) has length {norm}, not 1: expected L2-normalised vectors",
                file.display(),
                i + 1,
                parsed[i]
            )));
        }
        if i + 1 == parsed.len() {
            break;
        }
    }
    let total = ids.len() as u64;
    let mut batch = Vec::with_capacity(2_000);
    let (mut stored, mut seen) = (0u64, 0u64);
    for (id, v) in parsed.into_iter().zip(read_rows(file, width, dim)?) {
        batch.push((id, v?));
        if batch.len() == 2_000 {
            seen += batch.len() as u64;
            stored += store.put_vectors(&model, &batch).await? as u64;
            batch.clear();
            progress(seen, total);
        }
    }
    seen += batch.len() as u64;
    stored += store.put_vectors(&model, &batch).await? as u64;
    progress(seen, total);
    Ok(ImportReport {
        model,
        dim,
        stored,
        skipped: total - stored,
    })
}

/// The rows of a raw matrix file as float32 vectors.
fn read_rows(
    file: &Path,
    width: usize,
    dim: usize,
) -> Result<impl Iterator<Item = Result<Vec<f32>, SearchError>>, SearchError> {
    let mut reader = std::io::BufReader::new(
        std::fs::File::open(file).map_err(|e| bad(format!("{}: {e}", file.display())))?,
    );
    let name = file.display().to_string();
    let mut row = vec![0u8; dim * width];
    let mut n = 0usize;
    Ok(std::iter::from_fn(move || {
        n += 1;
        match reader.read_exact(&mut row) {
            Ok(()) => Some(Ok(if width == 2 {
                row.chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect()
            } else {
                row.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            })),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => None,
            Err(e) => Some(Err(bad(format!("{name}: row {n}: {e}")))),
        }
    }))
}
