//! The one place where SQLite and PostgreSQL differ. Every statement elsewhere in this crate is
//! written once ([`query`]); what differs between the two databases is here:
//!
//! | what | SQLite | PostgreSQL |
//! | --- | --- | --- |
//! | opening a write transaction ([`Db::begin_write`]) | `BEGIN IMMEDIATE` (wait for the write lock up front instead of failing to upgrade a read) | `BEGIN` |
//! | numbering the change cursor `papers.seq` ([`Tx::push_next_seq`]) | one more than the highest stored number, counted in the transaction (one writer at a time) | the sequence `paper_seq` |
//! | papers written by concurrent batches ([`Tx::lock_papers`], [`Tx::for_update`]) | nothing (one writer at a time) | advisory locks in id order, and `FOR UPDATE` |
//! | claiming a job ([`Db::skip_locked`]) | nothing | `FOR UPDATE SKIP LOCKED` |
//! | seeing a change made elsewhere ([`Db::change_watch`]) | the write-ahead log's size and time, looked at every 250 ms | `LISTEN dp_papers` |
//! | backups ([`Db::backup`]) | `VACUUM INTO` | refused: use `pg_dump` |
//! | ids copied from another store ([`Db::after_import`]) | nothing | identity sequences moved past them |

mod copy_in;
mod postgres;
mod query;
mod sqlite;

pub(crate) use copy_in::CopyRows;
pub(crate) use query::{query, Arg, Query};

use crate::transfer::ColumnKind;
use crate::StoreError;

/// Rows per multi-row statement: keeps bound parameters far below both databases' limits.
pub(crate) const CHUNK: usize = 400;

/// An open database: its connection pool and the background work that goes with it.
#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(sqlite::SqliteDb),
    Postgres(postgres::PgDb),
}

/// Gives a SQLite connection that writes batches a 64 MB page cache (see [`Tx::widen_cache`]).
const WIDEN_CACHE: &str = "PRAGMA cache_size = -65536";

/// A write transaction; dropped without [`Tx::commit`], it rolls back.
pub(crate) enum Tx {
    Sqlite {
        tx: sqlx::Transaction<'static, sqlx::Sqlite>,
        /// The last change-cursor number this transaction handed out.
        seq: Option<i64>,
    },
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Db {
    /// Opens the database a URL names (`sqlite://PATH`, created when missing, or
    /// `postgres://...`) and runs its migrations.
    pub async fn open(url: &str) -> Result<Db, StoreError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Ok(Db::Sqlite(sqlite::SqliteDb::open(path).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Db::Postgres(postgres::PgDb::open(url).await?))
        } else {
            Err(StoreError::Unsupported(format!(
                "unknown database URL {:?}: expected sqlite://PATH or postgres://...",
                url.split('@').next_back().unwrap_or(url)
            )))
        }
    }

    /// Opens a write transaction.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(db) => Tx::Sqlite {
                tx: db.pool.begin_with("BEGIN IMMEDIATE").await?,
                seq: None,
            },
            Db::Postgres(db) => Tx::Postgres(db.pool.begin().await?),
        })
    }

    /// The statement that refreshes the planner's statistics.
    pub fn analyze(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "PRAGMA optimize",
            Db::Postgres(_) => "ANALYZE",
        }
    }

    /// Appended to the subquery that picks the job to claim.
    pub fn skip_locked(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// A watch on writes by any process: SQLite's write-ahead log, PostgreSQL's `NOTIFY`.
    pub async fn change_watch(&self) -> crate::ChangeWatch {
        match self {
            Db::Sqlite(db) => db.change_watch(),
            Db::Postgres(db) => db.change_watch().await,
        }
    }

    /// Writes a consistent copy of the live database to `dest`.
    pub async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(db) => db.vacuum_into(dest).await,
            Db::Postgres(_) => Err(StoreError::Unsupported(
                "backup copies SQLite stores; for PostgreSQL use pg_dump (see the README)".into(),
            )),
        }
    }

    /// After rows were copied in with their ids: new rows must still get fresh ids.
    pub async fn after_import(&self, table: &str) -> Result<(), StoreError> {
        match self {
            // SQLite's AUTOINCREMENT keeps up with explicit ids by itself.
            Db::Sqlite(_) => Ok(()),
            Db::Postgres(db) => db.advance_identity(table).await,
        }
    }

    /// Open and idle connections.
    pub fn pool_status(&self) -> crate::PoolStatus {
        let (size, idle) = match self {
            Db::Sqlite(db) => (db.pool.size(), db.pool.num_idle()),
            Db::Postgres(db) => (db.pool.size(), db.pool.num_idle()),
        };
        crate::PoolStatus { size, idle }
    }

    /// Closes every connection, waiting for work in flight.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(db) => db.pool.close().await,
            Db::Postgres(db) => db.pool.close().await,
        }
    }

    /// The SQLite pool, for tests and maintenance of the embedded store.
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        match self {
            Db::Sqlite(db) => Some(&db.pool),
            Db::Postgres(_) => None,
        }
    }

    /// Rows of a `SELECT` of columns of the given kinds, as JSON values (for copying tables).
    pub async fn json_rows(
        &self,
        q: Query<'_>,
        kinds: &[ColumnKind],
    ) -> Result<Vec<Vec<serde_json::Value>>, StoreError> {
        let (sql, args) = q.into_parts(&self.into());
        match self {
            Db::Sqlite(db) => json_rows(
                query::bound::<sqlx::Sqlite>(&sql, args)
                    .fetch_all(&db.pool)
                    .await?,
                kinds,
            ),
            Db::Postgres(db) => json_rows(
                query::bound::<sqlx::Postgres>(&sql, args)
                    .fetch_all(&db.pool)
                    .await?,
                kinds,
            ),
        }
    }
}

fn json_rows<R>(
    rows: Vec<R>,
    kinds: &[ColumnKind],
) -> Result<Vec<Vec<serde_json::Value>>, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use serde_json::json;
    rows.iter()
        .map(|r| {
            kinds
                .iter()
                .enumerate()
                .map(|(i, kind)| {
                    Ok(match kind {
                        ColumnKind::Int => json!(r.try_get::<i64, _>(i)?),
                        ColumnKind::OptInt => json!(r.try_get::<Option<i64>, _>(i)?),
                        ColumnKind::Text => json!(r.try_get::<String, _>(i)?),
                        ColumnKind::OptText => json!(r.try_get::<Option<String>, _>(i)?),
                        ColumnKind::Bool => json!(r.try_get::<bool, _>(i)?),
                    })
                })
                .collect()
        })
        .collect()
}

impl Tx {
    /// Appends the change-cursor value of the next row this transaction writes to `q`.
    pub async fn push_next_seq(&mut self, q: &mut Query<'_>) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite { tx, seq } => {
                let next = match *seq {
                    Some(last) => last + 1,
                    None => {
                        let (max,): (i64,) =
                            sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM papers")
                                .fetch_one(&mut **tx)
                                .await?;
                        max + 1
                    }
                };
                *seq = Some(next);
                q.push_bind(next);
            }
            Tx::Postgres(_) => {
                q.push("nextval('paper_seq')");
            }
        }
        Ok(())
    }

    /// Makes writers of the same papers take turns (PostgreSQL: transaction-scoped advisory
    /// locks, taken in id order so there are no deadlocks; `ids` must be sorted). SQLite has one
    /// writer at a time already.
    pub async fn lock_papers(&mut self, ids: &[String]) -> Result<(), StoreError> {
        if let Tx::Postgres(_) = self {
            for chunk in ids.chunks(CHUNK) {
                let mut q = query("SELECT pg_advisory_xact_lock(hashtext(x)) FROM (VALUES ");
                for (i, id) in chunk.iter().enumerate() {
                    q.push(if i == 0 { "(" } else { ", (" });
                    q.push_bind(id.as_str()).push(")");
                }
                q.push(") AS v(x) ORDER BY x");
                q.execute(&mut *self).await?;
            }
        }
        Ok(())
    }

    /// SQLite: lets this connection keep 64 MB of pages ([`WIDEN_CACHE`]) instead of the
    /// pool's default 8 MB, for the batch writes of an import or harvest. A bulk import into a
    /// fresh store otherwise reads most pages back from the operating system's cache (`pread`)
    /// at every batch. The setting stays with the connection; only the connections that write
    /// batches take it, and a connection's cache grows only with the pages it touches.
    /// PostgreSQL: nothing (its buffers are the server's).
    pub async fn widen_cache(&mut self) -> Result<(), StoreError> {
        if let Tx::Sqlite { tx, .. } = self {
            sqlx::query(WIDEN_CACHE).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Whether the transaction is on PostgreSQL (which takes new rows by [`Tx::copy_in`]).
    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    /// PostgreSQL: streams `rows` with `copy`, a binary `COPY … FROM STDIN`: one round trip
    /// and no statement to parse for a whole batch. SQLite has no COPY (its writes are
    /// in-process, so multi-row `INSERT`s cost no round trips) and refuses.
    pub async fn copy_in(&mut self, copy: &str, rows: CopyRows) -> Result<u64, StoreError> {
        match self {
            Tx::Postgres(tx) => {
                let mut stream = tx.copy_in_raw(copy).await?;
                stream.send(rows.finish()).await?;
                Ok(stream.finish().await?)
            }
            Tx::Sqlite { .. } => Err(StoreError::Unsupported(
                "COPY is PostgreSQL's; SQLite writes batches by INSERT".into(),
            )),
        }
    }

    /// Appended to a SELECT of papers a batch is about to rewrite.
    pub fn for_update(&self) -> &'static str {
        match self {
            Tx::Sqlite { .. } => "",
            Tx::Postgres(_) => " FOR UPDATE",
        }
    }

    /// Makes the transaction's writes permanent.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite { tx, .. } => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
