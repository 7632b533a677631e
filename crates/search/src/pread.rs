//! A tantivy directory that reads document stores by position instead of mapping them.
//!
//! tantivy's `MmapDirectory` maps every segment file into the process, and every page a
//! search touches then counts towards the server's resident memory, in windows of 64 KB or
//! more (the kernel maps the cached pages around each fault). The document store, where the
//! titles and abstracts for results and snippets are kept, is more than half of the index and
//! is read a block at a time, scattered over the whole file: at 1,000,000 papers, a few
//! hundred queries left most of it resident. Searches therefore read `.store` files through
//! positioned reads (the equivalent of Lucene's `NIOFSDirectory`): each block read copies
//! about 16 KB out of the kernel's page cache, which still keeps hot files in memory but as
//! the kernel's cache, shared and reclaimable, not as the server's memory.
//!
//! Every other file stays mapped: posting lists are read whole per query term, and copying
//! the lists of very common words measurably slowed their queries (keyword p99 for common
//! words went from 2.1 to 5.8 ms over the 80,317 shared papers with every file read by
//! position). The index writer keeps the plain mapped directory: merging reads whole document
//! stores at once.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle,
    WritePtr,
};
use tantivy::{Directory, HasLen};

/// The kinds of segment file read by position: document stores, posting lists, positions.
const READ_BY_POSITION: [&str; 3] = ["store", "idx", "pos"];

/// An open index file, read by position.
#[derive(Debug)]
struct PreadFile {
    file: File,
    len: usize,
}

impl HasLen for PreadFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for PreadFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read of {range:?} past the end of a {}-byte file", self.len),
            ));
        }
        let mut buffer = vec![0u8; range.end - range.start];
        self.file.read_exact_at(&mut buffer, range.start as u64)?;
        Ok(OwnedBytes::new(buffer))
    }
}

/// The index folder as `MmapDirectory` keeps it, with document stores read by position.
#[derive(Debug, Clone)]
pub struct PreadDirectory {
    root: PathBuf,
    inner: MmapDirectory,
}

impl PreadDirectory {
    /// Opens the index folder `root` (which must exist).
    pub fn open(root: &Path) -> Result<PreadDirectory, tantivy::TantivyError> {
        Ok(PreadDirectory {
            root: root.to_path_buf(),
            inner: MmapDirectory::open(root)?,
        })
    }
}

impl Directory for PreadDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        if !path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| READ_BY_POSITION.contains(&e))
        {
            return self.inner.get_file_handle(path);
        }
        let full = self.root.join(path);
        let io_error = |e: io::Error| {
            if e.kind() == io::ErrorKind::NotFound {
                OpenReadError::FileDoesNotExist(path.to_path_buf())
            } else {
                OpenReadError::wrap_io_error(e, path.to_path_buf())
            }
        };
        let file = File::open(&full).map_err(io_error)?;
        let len = file.metadata().map_err(io_error)?.len() as usize;
        Ok(Arc::new(PreadFile { file, len }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        // The mapped directory's file locks, which the writer's side takes too.
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ranges_and_refuses_reads_past_the_end() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.store"), b"0123456789").unwrap();
        let d = PreadDirectory::open(dir.path()).unwrap();
        let h = d.get_file_handle(Path::new("f.store")).unwrap();
        assert_eq!(h.len(), 10);
        assert_eq!(h.read_bytes(2..5).unwrap().as_slice(), b"234");
        assert_eq!(h.read_bytes(10..10).unwrap().as_slice(), b"");
        assert!(h.read_bytes(8..11).is_err());
        assert!(matches!(
            d.get_file_handle(Path::new("missing.store")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }
}
