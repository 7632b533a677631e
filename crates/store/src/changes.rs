//! The change cursor: `papers.seq` rises whenever a paper, its lists, votes, comments, claims,
//! vector or visibility change. Page caches and search indexes follow it (on PostgreSQL a later
//! commit can carry a lower `seq`, so followers re-read a margin behind the highest seen).

use crate::backend::{query, Tx};
use crate::rows::{PaperRow, PAPER_COLUMNS};
use crate::{SqlStore, StoreError};
use async_trait::async_trait;
use dp_core::Paper;
use std::time::Duration;

/// A paper as the search index follows it: its change-cursor position and visibility.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedPaper {
    /// The paper's `seq` (the change cursor) when read.
    pub seq: i64,
    /// The metadata.
    pub paper: Paper,
    /// Hidden from the lists (and from search) by an admin.
    pub hidden: bool,
}

/// Following changes.
#[async_trait]
pub trait Changes: Send + Sync {
    /// Papers whose change cursor is above `after`, in cursor order, at most `limit`: what a
    /// search index must (re)index to catch up.
    async fn papers_since(&self, after: i64, limit: i64) -> Result<Vec<ChangedPaper>, StoreError>;

    /// The `seq` values of papers in `(after, upto]`, in order: cheap to read (the index alone),
    /// so a follower can find the few it has not indexed without reading every row again.
    async fn seqs_between(&self, after: i64, upto: i64) -> Result<Vec<i64>, StoreError>;

    /// The papers whose change cursor is one of `seqs` (papers changed again since are not
    /// among them: their new `seq` is read in turn).
    async fn papers_with_seqs(&self, seqs: &[i64]) -> Result<Vec<ChangedPaper>, StoreError>;

    /// The change cursor: the highest `seq` of any paper.
    async fn change_marker(&self) -> Result<i64, StoreError>;

    /// A watch on the store's writes, for a follower to hold across its loop: see
    /// [`ChangeWatch::wait`].
    async fn change_watch(&self) -> ChangeWatch;
}

/// Tells a follower (page cache, search index, job runner) when the store may have changed,
/// by any process. Each follower holds its own watch, so a write made while it was busy still
/// wakes its next [`ChangeWatch::wait`].
pub struct ChangeWatch {
    rx: tokio::sync::watch::Receiver<u64>,
    /// SQLite sees every commit (the write-ahead log changes), so a quiet timeout means nothing
    /// changed. PostgreSQL's notifications can be missed (a reconnect, a late commit), so a
    /// timeout there still says "look".
    timeout_means_quiet: bool,
}

impl ChangeWatch {
    pub(crate) fn new(rx: tokio::sync::watch::Receiver<u64>, timeout_means_quiet: bool) -> Self {
        ChangeWatch {
            rx,
            timeout_means_quiet,
        }
    }

    /// Waits for a sign of a write since the last wait, or `timeout`. Returns `false` only
    /// when the store knows nothing was written, so the follower can skip its queries.
    pub async fn wait(&mut self, timeout: Duration) -> bool {
        match tokio::time::timeout(timeout, self.rx.changed()).await {
            Ok(Ok(())) => true,
            // The signalling task is gone (the store is closing): fall back to polling.
            Ok(Err(_)) => {
                tokio::time::sleep(timeout).await;
                true
            }
            Err(_) => !self.timeout_means_quiet,
        }
    }
}

/// Raises a paper's change cursor, so caches and indexes see that something of it changed.
pub(crate) async fn touch(tx: &mut Tx, paper_id: &str) -> Result<(), StoreError> {
    let mut q = query("UPDATE papers SET seq = ");
    tx.push_next_seq(&mut q).await?;
    q.push(" WHERE id = ").push_bind(paper_id);
    q.execute(tx).await?;
    Ok(())
}

/// A paper row with its cursor and visibility.
#[derive(sqlx::FromRow)]
struct ChangedRow {
    #[sqlx(flatten)]
    paper: PaperRow,
    seq: i64,
    hidden: bool,
}

impl ChangedRow {
    fn into_changed(self) -> Result<ChangedPaper, StoreError> {
        Ok(ChangedPaper {
            seq: self.seq,
            hidden: self.hidden,
            paper: self.paper.into_paper()?,
        })
    }
}

#[async_trait]
impl Changes for SqlStore {
    async fn papers_since(&self, after: i64, limit: i64) -> Result<Vec<ChangedPaper>, StoreError> {
        query(format!(
            "SELECT {PAPER_COLUMNS}, seq, hidden FROM papers WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all::<ChangedRow>(&self.db)
        .await?
        .into_iter()
        .map(ChangedRow::into_changed)
        .collect()
    }

    async fn seqs_between(&self, after: i64, upto: i64) -> Result<Vec<i64>, StoreError> {
        query("SELECT seq FROM papers WHERE seq > $1 AND seq <= $2 ORDER BY seq")
            .bind(after)
            .bind(upto)
            .scalars(&self.db)
            .await
    }

    async fn papers_with_seqs(&self, seqs: &[i64]) -> Result<Vec<ChangedPaper>, StoreError> {
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(500) {
            let mut q = query(format!(
                "SELECT {PAPER_COLUMNS}, seq, hidden FROM papers WHERE seq IN ("
            ));
            q.push_binds(chunk.iter().copied());
            q.push(") ORDER BY seq");
            for r in q.fetch_all::<ChangedRow>(&self.db).await? {
                out.push(r.into_changed()?);
            }
        }
        Ok(out)
    }

    async fn change_marker(&self) -> Result<i64, StoreError> {
        // A bare MAX reads one end of the index; wrapped in COALESCE, SQLite walks all of it.
        Ok(query("SELECT MAX(seq) FROM papers")
            .scalar::<Option<i64>>(&self.db)
            .await?
            .unwrap_or(0))
    }

    async fn change_watch(&self) -> ChangeWatch {
        self.db.change_watch().await
    }
}
