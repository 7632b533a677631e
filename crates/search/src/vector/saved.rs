//! Saving an HNSW graph with its slot ids (and an int8 graph's rows) and loading it again, so
//! a restart does not rebuild millions of vectors.

use super::{contexts, ffi, Backend, Inner, Quantization, Rows, Slots, VectorConfig, VectorIndex};
use crate::SearchError;
use std::path::Path;

/// Bump when the saved layout changes: a saved graph of another version is ignored.
const SAVED_VERSION: u32 = 1;

/// The version of an int8 save (graph, ids and `rows.f16`): binaries from before int8 graphs
/// ignore it instead of reading int8 codes as float16.
const SAVED_VERSION_I8: u32 = 2;

fn saved_version(q: Quantization) -> u32 {
    match q {
        Quantization::F16 => SAVED_VERSION,
        Quantization::I8 => SAVED_VERSION_I8,
    }
}

/// What a saved graph was built from; it is loaded only when all of it matches.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
struct SavedMeta {
    version: u32,
    model: String,
    dim: usize,
    connectivity: usize,
    /// The store's change cursor the graph is complete up to.
    cursor: i64,
    /// Slots in the id file (live and freed).
    slots: usize,
    /// How the graph stores vectors (saves from before int8 graphs are float16).
    #[serde(default)]
    quantization: Quantization,
}

impl VectorIndex {
    /// Saves the HNSW graph and its slot ids in `dir` (`graph.usearch`, `ids.txt`, and
    /// `meta.json` last, each written under a temporary name and renamed, so a crash midway
    /// leaves the previous save or none). `cursor` is the store's change cursor that every
    /// vector up to is in the graph. A flat index is not saved (it rebuilds in moments):
    /// returns whether anything was written.
    pub fn save(&self, dir: &Path, model: &str, cursor: i64) -> Result<bool, SearchError> {
        let io = |e: std::io::Error| SearchError::Io(format!("{}: {e}", dir.display()));
        let inner = self.read();
        let Backend::Graph(index) = &inner.backend else {
            return Ok(false);
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        // An older meta.json must not vouch for the new files while they are half written.
        match std::fs::remove_file(dir.join("meta.json")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        let graph_tmp = dir.join("graph.usearch.tmp");
        index.save(&graph_tmp.to_string_lossy()).map_err(ffi)?;
        std::fs::rename(&graph_tmp, dir.join("graph.usearch")).map_err(io)?;
        let mut ids = String::with_capacity(inner.slots.slot_count() * 12);
        for id in inner.slots.all() {
            ids.push_str(id);
            ids.push('\n');
        }
        write_renamed(&dir.join("ids.txt"), ids.as_bytes()).map_err(io)?;
        match &inner.rows {
            Some(rows) => rows
                .save(&dir.join("rows.f16"), inner.slots.slot_count())
                .map_err(io)?,
            // A float16 graph has no rows: drop those of an earlier int8 save.
            None => match std::fs::remove_file(dir.join("rows.f16")) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            },
        }
        let meta = SavedMeta {
            version: saved_version(self.config.quantization),
            model: model.to_string(),
            dim: self.dim,
            connectivity: self.config.connectivity,
            cursor,
            slots: inner.slots.slot_count(),
            quantization: self.config.quantization,
        };
        let json = serde_json::to_vec(&meta).map_err(|e| SearchError::Io(e.to_string()))?;
        write_renamed(&dir.join("meta.json"), &json).map_err(io)?;
        Ok(true)
    }

    /// The graph saved in `dir` by [`VectorIndex::save`] for `model`, with the cursor it is
    /// complete up to, or `None` when there is none, it is of another model, dimension, link
    /// count or version, or it cannot be read (derived data: the caller rebuilds it).
    pub fn load(
        dir: &Path,
        model: &str,
        dim: usize,
        config: VectorConfig,
    ) -> Result<Option<(VectorIndex, i64)>, SearchError> {
        Self::load_into(VectorIndex::new(dim, config), dir, model)
    }

    /// [`VectorIndex::load`] for an index built like this one (its dimension, configuration and
    /// scratch folder).
    pub fn load_like(
        &self,
        dir: &Path,
        model: &str,
    ) -> Result<Option<(VectorIndex, i64)>, SearchError> {
        Self::load_into(self.empty_like(), dir, model)
    }

    fn load_into(
        idx: VectorIndex,
        dir: &Path,
        model: &str,
    ) -> Result<Option<(VectorIndex, i64)>, SearchError> {
        let (dim, config) = (idx.dim, idx.config);
        let Ok(bytes) = std::fs::read(dir.join("meta.json")) else {
            return Ok(None);
        };
        let Ok(meta) = serde_json::from_slice::<SavedMeta>(&bytes) else {
            return Ok(None);
        };
        if meta.version != saved_version(config.quantization)
            || meta.model != model
            || meta.dim != dim
            || meta.connectivity != config.connectivity
            || meta.quantization != config.quantization
        {
            return Ok(None);
        }
        let Ok(text) = std::fs::read_to_string(dir.join("ids.txt")) else {
            return Ok(None);
        };
        let ids: Vec<String> = text.lines().map(str::to_string).collect();
        if ids.len() != meta.slots {
            return Ok(None);
        }
        let rows = match config.quantization {
            Quantization::F16 => None,
            Quantization::I8 => {
                let path = dir.join("rows.f16");
                match Rows::load(dim, &path, ids.len(), idx.scratch.as_deref())? {
                    Some(rows) => Some(rows),
                    None => return Ok(None),
                }
            }
        };
        let graph = idx.graph(ids.len())?;
        if graph
            .load(&dir.join("graph.usearch").to_string_lossy())
            .is_err()
            || graph.dimensions() != dim
        {
            return Ok(None);
        }
        graph.change_expansion_add(config.expansion_add);
        graph.change_expansion_search(super::GRAPH_WIDTH);
        graph
            .reserve_capacity_and_threads((ids.len() * 5 / 4).max(1_000), contexts())
            .map_err(ffi)?;
        let mut slots = Slots::default();
        let mut free = Vec::new();
        for (slot, id) in ids.iter().enumerate() {
            if id.is_empty() {
                free.push(slot);
                slots.push_free();
            } else {
                slots.put(slot, id);
            }
        }
        if graph.size() != slots.len() {
            return Ok(None);
        }
        *idx.write() = Inner {
            backend: Backend::Graph(graph),
            slots,
            free,
            rows,
        };
        Ok(Some((idx, meta.cursor)))
    }

    /// Takes over the contents of `other` (a loaded graph) in place, for every holder of this
    /// index.
    pub fn replace_with(&self, other: VectorIndex) {
        let taken = other.inner.into_inner().unwrap_or_else(|e| e.into_inner());
        // The old contents are dropped after the lock is released.
        let old = std::mem::replace(&mut *self.write(), taken);
        drop(old);
    }
}

pub(super) fn write_renamed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::tests::{int8_config, rows, unit};

    #[test]
    fn a_saved_graph_loads_with_the_same_answers_and_only_for_its_model() {
        let config = VectorConfig {
            hnsw_threshold: 100,
            ..VectorConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let flat = VectorIndex::new(16, config);
        flat.upsert(&rows(0..50, 16)).unwrap();
        assert!(
            !flat.save(dir.path(), "m", 7).unwrap(),
            "a flat index is not saved"
        );
        let idx = VectorIndex::new(16, config);
        idx.upsert(&rows(0..500, 16)).unwrap();
        idx.remove(&["p9".into()]).unwrap();
        assert!(idx.save(dir.path(), "m", 42).unwrap());
        let (loaded, cursor) = VectorIndex::load(dir.path(), "m", 16, config)
            .unwrap()
            .expect("the save loads");
        assert_eq!(cursor, 42);
        assert_eq!(loaded.len(), 499);
        assert!(loaded.is_approximate() && !loaded.contains("p9"));
        for q in [3u64, 77, 400, 9_999] {
            let query = unit(q, 16);
            assert_eq!(
                loaded.search(&query, 5, None).unwrap(),
                idx.search(&query, 5, None).unwrap()
            );
        }
        // The loaded graph takes new vectors, and reuses the freed slot.
        loaded.upsert(&[("new".into(), unit(9, 16))]).unwrap();
        assert_eq!(loaded.search(&unit(9, 16), 1, None).unwrap()[0].0, "new");
        assert_eq!(loaded.len(), 500);
        // Another model, dimension or link count, or a damaged save: rebuilt by the caller.
        assert!(VectorIndex::load(dir.path(), "other", 16, config)
            .unwrap()
            .is_none());
        assert!(VectorIndex::load(dir.path(), "m", 8, config)
            .unwrap()
            .is_none());
        let fewer_links = VectorConfig {
            connectivity: 8,
            ..config
        };
        assert!(VectorIndex::load(dir.path(), "m", 16, fewer_links)
            .unwrap()
            .is_none());
        std::fs::write(dir.path().join("ids.txt"), "p1\n").unwrap();
        assert!(VectorIndex::load(dir.path(), "m", 16, config)
            .unwrap()
            .is_none());
        std::fs::write(dir.path().join("meta.json"), "{not json").unwrap();
        assert!(VectorIndex::load(dir.path(), "m", 16, config)
            .unwrap()
            .is_none());
        assert!(
            VectorIndex::load(&dir.path().join("missing"), "m", 16, config)
                .unwrap()
                .is_none()
        );
        // replace_with: every holder sees the loaded contents.
        let (again, _) = {
            assert!(idx.save(dir.path(), "m", 43).unwrap());
            VectorIndex::load(dir.path(), "m", 16, config)
                .unwrap()
                .unwrap()
        };
        let shared = VectorIndex::new(16, config);
        shared.replace_with(again);
        assert_eq!(shared.len(), 499);
    }

    #[test]
    fn a_saved_int8_graph_loads_with_its_rows_and_later_writes_leave_the_save_alone() {
        let dir = tempfile::tempdir().unwrap();
        let config = int8_config();
        let idx = VectorIndex::new(16, config).with_scratch_dir(dir.path());
        idx.upsert(&rows(0..500, 16)).unwrap();
        idx.remove(&["p9".into()]).unwrap();
        assert!(idx.save(dir.path(), "m", 42).unwrap());
        for scratch in [true, false] {
            let template = VectorIndex::new(16, config);
            let template = if scratch {
                template.with_scratch_dir(dir.path())
            } else {
                template
            };
            let (loaded, cursor) = template.load_like(dir.path(), "m").unwrap().unwrap();
            assert_eq!(cursor, 42);
            assert_eq!(loaded.len(), 499);
            assert_eq!(loaded.file_bytes() > 0, scratch);
            for q in [3u64, 77, 400, 9_999] {
                let query = unit(q, 16);
                assert_eq!(
                    loaded.search(&query, 5, None).unwrap(),
                    idx.search(&query, 5, None).unwrap()
                );
            }
            // Writes after loading go to the loaded copy, not to the save.
            loaded.upsert(&[("p3".into(), unit(9_000, 16))]).unwrap();
            assert_eq!(loaded.search(&unit(9_000, 16), 1, None).unwrap()[0].0, "p3");
        }
        let (again, _) = VectorIndex::load(dir.path(), "m", 16, config)
            .unwrap()
            .unwrap();
        assert!(again.holds("p3", &unit(3, 16)), "the save kept p3's vector");
        // A float16 configuration does not take an int8 save, and a save without its rows
        // (or with rows of another length) is rebuilt by the caller.
        let f16 = VectorConfig {
            quantization: Quantization::F16,
            ..config
        };
        assert!(VectorIndex::load(dir.path(), "m", 16, f16)
            .unwrap()
            .is_none());
        std::fs::write(dir.path().join("rows.f16"), [0u8; 64]).unwrap();
        assert!(VectorIndex::load(dir.path(), "m", 16, config)
            .unwrap()
            .is_none());
        std::fs::remove_file(dir.path().join("rows.f16")).unwrap();
        assert!(VectorIndex::load(dir.path(), "m", 16, config)
            .unwrap()
            .is_none());
    }
}
