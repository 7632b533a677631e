//! An int8 graph's float16 rows, kept beside it for exact re-scoring, and the int8 codes the
//! graph itself holds.

use super::saved::write_renamed;
use crate::SearchError;
use std::path::Path;

/// Every graph slot's vector as little-endian float16, row `slot` at `slot * dim * 2`: in
/// memory, or in a scratch file (created already unlinked, so nothing is left behind) read and
/// written at positions. The file's pages live in the kernel's page cache, not in this
/// process: the kernel keeps the rows searches read and can drop the others under pressure
/// (a search then reads its candidates' rows from disk).
pub(super) struct Rows {
    dim: usize,
    storage: RowStorage,
}

/// Scratch space for reading rows: the bytes read and the row as float32.
#[derive(Default)]
pub(super) struct RowBuf {
    bytes: Vec<u8>,
    floats: Vec<f32>,
}

enum RowStorage {
    Memory(Vec<u8>),
    File(std::fs::File),
}

fn rows_io(e: std::io::Error) -> SearchError {
    SearchError::Io(format!("vector rows: {e}"))
}

impl Rows {
    /// Empty rows, in a scratch file in `dir` when given.
    pub(super) fn new(dim: usize, dir: Option<&Path>) -> Result<Rows, SearchError> {
        let storage = match dir {
            None => RowStorage::Memory(Vec::new()),
            Some(dir) => {
                let io = |e: std::io::Error| SearchError::Io(format!("{}: {e}", dir.display()));
                std::fs::create_dir_all(dir).map_err(io)?;
                let file = tempfile::Builder::new()
                    .suffix(".rows")
                    .tempfile_in(dir)
                    .map_err(io)?
                    .into_file();
                RowStorage::File(file)
            }
        };
        Ok(Rows { dim, storage })
    }

    fn row_bytes(&self) -> usize {
        self.dim * 2
    }

    /// Sets the rows of `(slot, vector)` pairs (one write per run of consecutive slots).
    pub(super) fn set_many(&mut self, items: &[(usize, &[f32])]) -> Result<(), SearchError> {
        let width = self.row_bytes();
        let mut sorted: Vec<&(usize, &[f32])> = items.iter().collect();
        sorted.sort_by_key(|(slot, _)| *slot);
        let mut at = 0;
        while at < sorted.len() {
            let first = sorted[at].0;
            let mut run = 1;
            while at + run < sorted.len() && sorted[at + run].0 == first + run {
                run += 1;
            }
            let mut bytes = Vec::with_capacity(run * width);
            for (_, v) in &sorted[at..at + run] {
                for x in v.iter() {
                    bytes.extend_from_slice(&half::f16::from_f32(*x).to_le_bytes());
                }
            }
            let offset = first * width;
            match &mut self.storage {
                RowStorage::Memory(m) => {
                    if m.len() < offset + bytes.len() {
                        m.resize(offset + bytes.len(), 0);
                    }
                    m[offset..offset + bytes.len()].copy_from_slice(&bytes);
                }
                RowStorage::File(f) => {
                    std::os::unix::fs::FileExt::write_all_at(f, &bytes, offset as u64)
                        .map_err(rows_io)?;
                }
            }
            at += run;
        }
        Ok(())
    }

    /// Reads `slot`'s row into `buf`.
    fn read<'a>(&'a self, slot: usize, buf: &'a mut Vec<u8>) -> Result<&'a [u8], SearchError> {
        let (width, offset) = (self.row_bytes(), slot * self.row_bytes());
        match &self.storage {
            RowStorage::Memory(m) => m
                .get(offset..offset + width)
                .ok_or_else(|| SearchError::Vector(format!("no row for slot {slot}"))),
            RowStorage::File(f) => {
                buf.resize(width, 0);
                std::os::unix::fs::FileExt::read_exact_at(f, buf, offset as u64)
                    .map_err(rows_io)?;
                Ok(buf)
            }
        }
    }

    /// `slot`'s row as float32.
    pub(super) fn get(&self, slot: usize) -> Result<Vec<f32>, SearchError> {
        let mut buf = RowBuf::default();
        self.decode(slot, &mut buf)?;
        Ok(buf.floats)
    }

    /// Dot product of `slot`'s row with `query` (`buf`: scratch space for the row).
    pub(super) fn dot(
        &self,
        slot: usize,
        query: &[f32],
        buf: &mut RowBuf,
    ) -> Result<f32, SearchError> {
        self.decode(slot, buf)?;
        Ok(super::dot(&buf.floats, query))
    }

    /// Reads `slot`'s row as float32 into `buf.floats`.
    fn decode(&self, slot: usize, buf: &mut RowBuf) -> Result<(), SearchError> {
        let RowBuf { bytes, floats } = buf;
        let row = self.read(slot, bytes)?;
        floats.clear();
        floats.extend(
            row.chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()),
        );
        Ok(())
    }

    /// Writes the first `slots` rows to `path` (under a temporary name, then renamed).
    pub(super) fn save(&self, path: &Path, slots: usize) -> std::io::Result<()> {
        let n = slots * self.row_bytes();
        match &self.storage {
            RowStorage::Memory(m) => write_renamed(path, &m[..n.min(m.len())]),
            RowStorage::File(f) => {
                let tmp = path.with_extension("tmp");
                let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
                let mut buf = vec![0u8; 1 << 20];
                let mut at = 0;
                while at < n {
                    let len = buf.len().min(n - at);
                    std::os::unix::fs::FileExt::read_exact_at(f, &mut buf[..len], at as u64)?;
                    std::io::Write::write_all(&mut out, &buf[..len])?;
                    at += len;
                }
                std::io::Write::flush(&mut out)?;
                drop(out);
                std::fs::rename(&tmp, path)
            }
        }
    }

    /// The rows saved in `path` (`slots` of them), copied into memory or into a scratch file
    /// in `scratch` (later writes must not change the save); `None` when the file is missing
    /// or of another size.
    pub(super) fn load(
        dim: usize,
        path: &Path,
        slots: usize,
        scratch: Option<&Path>,
    ) -> Result<Option<Rows>, SearchError> {
        let want = slots * dim * 2;
        let Ok(mut src) = std::fs::File::open(path) else {
            return Ok(None);
        };
        if src.metadata().map(|m| m.len()).ok() != Some(want as u64) {
            return Ok(None);
        }
        let io = |e: std::io::Error| SearchError::Io(format!("{}: {e}", path.display()));
        let mut rows = Rows::new(dim, scratch)?;
        match &mut rows.storage {
            RowStorage::Memory(v) => {
                v.reserve_exact(want);
                std::io::Read::read_to_end(&mut src, v).map_err(io)?;
            }
            RowStorage::File(file) => {
                std::io::copy(&mut src, file).map_err(io)?;
            }
        }
        Ok(Some(rows))
    }

    /// Bytes held in memory (0 for a scratch file, whose pages are the kernel's page cache).
    pub(super) fn heap_bytes(&self) -> usize {
        match &self.storage {
            RowStorage::Memory(v) => v.len(),
            RowStorage::File(_) => 0,
        }
    }

    /// Bytes of the scratch file (0 in memory).
    pub(super) fn file_bytes(&self) -> usize {
        match &self.storage {
            RowStorage::Memory(_) => 0,
            RowStorage::File(f) => f.metadata().map_or(0, |m| m.len() as usize),
        }
    }
}

/// int8 codes of a unit vector for the graph: components times `127 / (5 / sqrt(dim))`,
/// rounded. A unit vector's components rarely pass 5/sqrt(dim) (all-MiniLM-L6-v2 over the
/// 80,317 shared papers: at most 0.247 = 4.8/sqrt(384)); larger ones are clipped, which only
/// moves the graph's estimate (candidates are ranked again on the float16 rows).
pub(super) fn quantize(v: &[f32]) -> Vec<i8> {
    let scale = 127.0 * (v.len() as f32).sqrt() / 5.0;
    v.iter()
        .map(|x| (x * scale).round().clamp(-127.0, 127.0) as i8)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_codes_round_to_nearest_and_clip() {
        // dim 25: scale 127 * 5 / 5 = 127.
        let mut v = vec![0.0f32; 25];
        v[0] = 0.5;
        v[1] = -0.0041; // -0.52: rounds to -1, where truncation would give 0
        v[2] = 2.0; // past 5/sqrt(25) = 1: clipped
        v[3] = -3.0;
        let q = quantize(&v);
        assert_eq!(&q[..5], &[64, -1, 127, -127, 0]);
    }
}
