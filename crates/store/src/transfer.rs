//! Whole community tables as rows of JSON values, for copying a store into another
//! (`dailypapers migrate-store`; papers and entries go through their own traits).

use crate::backend::{query, Arg};
use crate::{SqlStore, StoreError};
use async_trait::async_trait;

/// A column of a community table, as `export_rows`/`import_rows` carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// 64-bit integer.
    Int,
    /// Integer or NULL.
    OptInt,
    /// Text.
    Text,
    /// Text or NULL.
    OptText,
    /// Boolean.
    Bool,
}

/// A community table: its name, its columns, and the key it is ordered by.
pub type TableSpec = (
    &'static str,
    &'static [(&'static str, ColumnKind)],
    &'static str,
);

/// The community tables a store copy carries, in the order they must be written (rows refer to
/// rows of earlier tables), with their columns and the key they are ordered and deduplicated by.
/// `paper_flags` is not a table: it is `papers.hidden`, `local_upvotes` and `local_comments`,
/// which the paper copy does not carry.
pub const COMMUNITY_TABLES: &[TableSpec] = {
    use ColumnKind::*;
    &[
        (
            "users",
            &[
                ("id", Int),
                ("name", Text),
                ("name_key", Text),
                ("password_hash", Text),
                ("is_admin", Bool),
                ("banned", Bool),
                ("created_at", Int),
            ],
            "id",
        ),
        (
            "sessions",
            &[
                ("token_hash", Text),
                ("user_id", Int),
                ("created_at", Int),
                ("expires_at", Int),
            ],
            "token_hash",
        ),
        (
            "paper_flags",
            &[
                ("id", Text),
                ("hidden", Bool),
                ("local_upvotes", Int),
                ("local_comments", Int),
            ],
            "id",
        ),
        (
            "votes",
            &[("user_id", Int), ("paper_id", Text), ("created_at", Int)],
            "user_id, paper_id",
        ),
        (
            "not_interested",
            &[("user_id", Int), ("paper_id", Text), ("created_at", Int)],
            "user_id, paper_id",
        ),
        (
            "submissions",
            &[
                ("paper_id", Text),
                ("user_id", Int),
                ("day", Text),
                ("created_at", Int),
            ],
            "paper_id",
        ),
        (
            "comments",
            &[
                ("id", Int),
                ("paper_id", Text),
                ("user_id", Int),
                ("parent_id", OptInt),
                ("body", Text),
                ("created_at", Int),
                ("edited_at", OptInt),
                ("deleted", Bool),
            ],
            "id",
        ),
        (
            "claims",
            &[
                ("id", Int),
                ("paper_id", Text),
                ("user_id", Int),
                ("author_name", Text),
                ("state", Text),
                ("created_at", Int),
                ("decided_at", OptInt),
                ("decided_by", OptInt),
            ],
            "id",
        ),
        (
            "api_tokens",
            &[
                ("id", Int),
                ("user_id", Int),
                ("name", Text),
                ("token_hash", Text),
                ("scope", Text),
                ("created_at", Int),
                ("last_used_at", OptInt),
                ("revoked_at", OptInt),
            ],
            "id",
        ),
        (
            "subscribers",
            &[
                ("id", Int),
                ("email", Text),
                ("email_key", Text),
                ("cadence", Text),
                ("state", Text),
                ("user_id", OptInt),
                ("searches", Text),
                ("created_at", Int),
                ("changed_at", Int),
                ("last_sent_day", OptText),
                ("last_error", OptText),
            ],
            "id",
        ),
    ]
};

/// Copying tables.
#[async_trait]
pub trait Transfer: Send + Sync {
    /// Rows of one of [`COMMUNITY_TABLES`] in key order, skipping `offset`, at most `limit`;
    /// each row is its columns as JSON values.
    async fn export_rows(
        &self,
        table: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Vec<serde_json::Value>>, StoreError>;

    /// Writes rows exported by [`Transfer::export_rows`] (rows already present are kept), in
    /// one transaction.
    async fn import_rows(
        &self,
        table: &str,
        rows: &[Vec<serde_json::Value>],
    ) -> Result<(), StoreError>;
}

/// A table's columns.
type Columns = &'static [(&'static str, ColumnKind)];

fn table_spec(table: &str) -> Result<(Columns, &'static str), StoreError> {
    COMMUNITY_TABLES
        .iter()
        .find(|t| t.0 == table)
        .map(|t| (t.1, t.2))
        .ok_or_else(|| StoreError::Unsupported(format!("no community table {table:?}")))
}

/// One exported value as a bound value of its column's kind.
fn arg<'a>(
    kind: ColumnKind,
    v: &'a serde_json::Value,
    bad: impl Fn() -> StoreError,
) -> Result<Arg<'a>, StoreError> {
    Ok(match kind {
        ColumnKind::Int => v.as_i64().ok_or_else(bad)?.into(),
        ColumnKind::OptInt => v.as_i64().into(),
        ColumnKind::Text => v.as_str().ok_or_else(bad)?.into(),
        ColumnKind::OptText => v.as_str().into(),
        ColumnKind::Bool => v.as_bool().ok_or_else(bad)?.into(),
    })
}

#[async_trait]
impl Transfer for SqlStore {
    async fn export_rows(
        &self,
        table: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Vec<serde_json::Value>>, StoreError> {
        let (cols, key) = table_spec(table)?;
        // `paper_flags` are columns of `papers` the paper copy does not carry.
        let from = if table == "paper_flags" {
            "papers"
        } else {
            table
        };
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let kinds: Vec<ColumnKind> = cols.iter().map(|c| c.1).collect();
        let q = query(format!(
            "SELECT {} FROM {from} ORDER BY {key} LIMIT $1 OFFSET $2",
            names.join(", ")
        ))
        .bind(limit)
        .bind(offset);
        self.db.json_rows(q, &kinds).await
    }

    async fn import_rows(
        &self,
        table: &str,
        rows: &[Vec<serde_json::Value>],
    ) -> Result<(), StoreError> {
        let (cols, key) = table_spec(table)?;
        let bad = |what: &str| StoreError::Corrupt(format!("{table}: {what}"));
        let mut tx = self.db.begin_write().await?;
        for row in rows {
            if row.len() != cols.len() {
                return Err(bad("wrong number of columns"));
            }
            let mut args = Vec::with_capacity(row.len());
            for ((name, kind), v) in cols.iter().zip(row) {
                args.push(arg(*kind, v, || bad(name))?);
            }
            let q = if table == "paper_flags" {
                let mut args = args.into_iter();
                let (id, hidden, up, comments) =
                    (args.next(), args.next(), args.next(), args.next());
                let mut q = query(
                    "UPDATE papers SET hidden = $1, local_upvotes = $2, local_comments = $3 WHERE id = $4",
                );
                for a in [hidden, up, comments, id] {
                    q = q.bind(a.ok_or_else(|| bad("columns"))?);
                }
                q
            } else {
                let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
                let mut q = query(format!(
                    "INSERT INTO {table} ({}) VALUES (",
                    names.join(", ")
                ));
                q.push_binds(args)
                    .push(&format!(") ON CONFLICT ({key}) DO NOTHING"));
                q
            };
            q.execute(&mut tx).await?;
        }
        tx.commit().await?;
        self.db.after_import(table).await
    }
}
