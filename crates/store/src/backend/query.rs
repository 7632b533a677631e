//! Statements written once for both databases: a SQL text with `$1 … $n` placeholders (sqlx
//! accepts them on SQLite and PostgreSQL alike), its bound values, and where it runs.
//!
//! ```text
//! let n: i64 = query("SELECT COUNT(*) FROM papers WHERE id = $1")
//!     .bind(id)
//!     .scalar(&self.db)
//!     .await?;
//! ```
//!
//! The few places where the databases differ are in [`super`], not here.

use super::{Db, Tx};
use crate::StoreError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Encode, FromRow, Postgres, Sqlite, Type};
use std::fmt::Write;

/// A value bound to a placeholder. Borrowed text stays borrowed, as sqlx's own binds do.
#[derive(Clone)]
pub(crate) enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Str(&'a str),
    OptStr(Option<&'a str>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Str(v)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Str(v)
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::OptStr(v)
    }
}
impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::OptText(v)
    }
}
impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<Vec<u8>> for Arg<'_> {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

/// A row type both backends can decode (`#[derive(sqlx::FromRow)]` gives both).
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// Where a statement runs: on the pool (a transaction of its own), or inside a transaction.
pub(crate) enum On<'a> {
    Pool(&'a Db),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Db> for On<'a> {
    fn from(db: &'a Db) -> Self {
        On::Pool(db)
    }
}

impl<'a> From<&'a mut Tx> for On<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        On::Tx(tx)
    }
}

/// A statement and its bound values.
pub(crate) struct Query<'a> {
    sql: String,
    args: Vec<Arg<'a>>,
}

/// A statement from its text; bind its `$n` placeholders in order with [`Query::bind`].
pub(crate) fn query<'a>(sql: impl Into<String>) -> Query<'a> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl<'a> Query<'a> {
    /// Binds the next placeholder of the text.
    pub fn bind(mut self, v: impl Into<Arg<'a>>) -> Self {
        self.args.push(v.into());
        self
    }

    /// Appends SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder and binds it.
    pub fn push_bind(&mut self, v: impl Into<Arg<'a>>) -> &mut Self {
        self.args.push(v.into());
        // Writing to a String cannot fail.
        let _ = write!(self.sql, "${}", self.args.len());
        self
    }

    /// Appends placeholders for `values`, separated by commas (`$3, $4, $5`).
    pub fn push_binds<V: Into<Arg<'a>>>(
        &mut self,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.push_bind(v);
        }
        self
    }

    /// The text and the bound values, as the backend behind `on` takes them.
    pub(super) fn into_parts(self, on: &On<'_>) -> (String, Vec<Arg<'a>>) {
        let q = self.for_backend(on);
        (q.sql, q.args)
    }

    /// The statement as the backend behind `on` takes it: PostgreSQL takes `$n` as written;
    /// SQLite gets anonymous `?` placeholders with the values in the order they appear.
    ///
    /// SQLite keeps the names of `$n` parameters in a list that every bind searches from the
    /// start, so binding a statement with thousands of them (a 400-row insert) costs time
    /// quadratic in their number; anonymous ones have no names to search.
    fn for_backend(self, on: &On<'_>) -> Query<'a> {
        match on {
            On::Pool(Db::Postgres(_)) | On::Tx(Tx::Postgres(_)) => self,
            On::Pool(Db::Sqlite(_)) | On::Tx(Tx::Sqlite { .. }) => self.anonymous(),
        }
    }

    /// `$n` placeholders (outside quoted text) replaced by `?`, the values reordered (and
    /// repeated where a placeholder repeats) to match.
    fn anonymous(self) -> Query<'a> {
        let Query { sql, args } = self;
        let mut out = String::with_capacity(sql.len());
        let mut order = Vec::with_capacity(args.len());
        let mut quoted = false;
        let mut chars = sql.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            if c == '\'' {
                quoted = !quoted;
            }
            let digits =
                !quoted && c == '$' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit());
            if !digits {
                out.push(c);
                continue;
            }
            let mut n = 0usize;
            while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                n = n * 10 + (d as usize - '0' as usize);
                chars.next();
            }
            out.push('?');
            order.push(n);
        }
        // Each value moves to its first place; a placeholder that repeats gets a copy.
        let mut slots: Vec<Option<Arg<'a>>> = args.into_iter().map(Some).collect();
        let mut first = vec![None; slots.len()];
        let mut args: Vec<Arg<'a>> = Vec::with_capacity(order.len());
        for n in order {
            let Some(i) = n.checked_sub(1).filter(|i| *i < slots.len()) else {
                continue;
            };
            match slots[i].take() {
                Some(a) => {
                    first[i] = Some(args.len());
                    args.push(a);
                }
                None => {
                    if let Some(a) = first[i].map(|j: usize| args[j].clone()) {
                        args.push(a);
                    }
                }
            }
        }
        Query { sql: out, args }
    }

    /// Runs the statement; the number of rows it changed.
    pub async fn execute(self, on: impl Into<On<'_>>) -> Result<u64, StoreError> {
        let on = on.into();
        let Query { sql, args } = self.for_backend(&on);
        Ok(match on {
            On::Pool(Db::Sqlite(db)) => bound::<Sqlite>(&sql, args)
                .execute(&db.pool)
                .await?
                .rows_affected(),
            On::Pool(Db::Postgres(db)) => bound::<Postgres>(&sql, args)
                .execute(&db.pool)
                .await?
                .rows_affected(),
            On::Tx(Tx::Sqlite { tx, .. }) => bound::<Sqlite>(&sql, args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            On::Tx(Tx::Postgres(tx)) => bound::<Postgres>(&sql, args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    /// Every row the statement returns.
    pub async fn fetch_all<T: Row>(self, on: impl Into<On<'_>>) -> Result<Vec<T>, StoreError> {
        let on = on.into();
        let Query { sql, args } = self.for_backend(&on);
        match on {
            On::Pool(Db::Sqlite(db)) => {
                decode(bound::<Sqlite>(&sql, args).fetch_all(&db.pool).await?)
            }
            On::Pool(Db::Postgres(db)) => {
                decode(bound::<Postgres>(&sql, args).fetch_all(&db.pool).await?)
            }
            On::Tx(Tx::Sqlite { tx, .. }) => {
                decode(bound::<Sqlite>(&sql, args).fetch_all(&mut **tx).await?)
            }
            On::Tx(Tx::Postgres(tx)) => {
                decode(bound::<Postgres>(&sql, args).fetch_all(&mut **tx).await?)
            }
        }
    }

    /// The first row, if any.
    pub async fn fetch_optional<T: Row>(
        self,
        on: impl Into<On<'_>>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.fetch_all(on).await?.into_iter().next())
    }

    /// The first row; an error when there is none.
    pub async fn fetch_one<T: Row>(self, on: impl Into<On<'_>>) -> Result<T, StoreError> {
        self.fetch_optional(on)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// The first column of the first row; an error when there is no row.
    pub async fn scalar<T>(self, on: impl Into<On<'_>>) -> Result<T, StoreError>
    where
        (T,): Row,
    {
        Ok(self.fetch_one::<(T,)>(on).await?.0)
    }

    /// The first column of the first row, if there is a row.
    pub async fn scalar_optional<T>(self, on: impl Into<On<'_>>) -> Result<Option<T>, StoreError>
    where
        (T,): Row,
    {
        Ok(self.fetch_optional::<(T,)>(on).await?.map(|r| r.0))
    }

    /// The first column of every row.
    pub async fn scalars<T>(self, on: impl Into<On<'_>>) -> Result<Vec<T>, StoreError>
    where
        (T,): Row,
    {
        Ok(self
            .fetch_all::<(T,)>(on)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }
}

fn decode<R: sqlx::Row, T: for<'r> FromRow<'r, R>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(|r| T::from_row(r).map_err(StoreError::from))
        .collect()
}

/// The sqlx statement of one backend with every value bound.
pub(super) fn bound<'q, D>(
    sql: &'q str,
    args: Vec<Arg<'q>>,
) -> sqlx::query::Query<'q, D, D::Arguments<'q>>
where
    D: Database,
    i64: Encode<'q, D> + Type<D>,
    Option<i64>: Encode<'q, D> + Type<D>,
    &'q str: Encode<'q, D> + Type<D>,
    Option<&'q str>: Encode<'q, D> + Type<D>,
    String: Encode<'q, D> + Type<D>,
    Option<String>: Encode<'q, D> + Type<D>,
    bool: Encode<'q, D> + Type<D>,
    Vec<u8>: Encode<'q, D> + Type<D>,
{
    args.into_iter()
        .fold(sqlx::query::<D>(sql), |q, a| match a {
            Arg::Int(v) => q.bind(v),
            Arg::OptInt(v) => q.bind(v),
            Arg::Str(v) => q.bind(v),
            Arg::OptStr(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_gets_anonymous_placeholders_in_the_order_they_appear() {
        let q = query("SELECT '$1', a FROM t WHERE b = $2 AND c IN ($1, $2) AND d = $10")
            .bind(1i64)
            .bind("two");
        let mut q = q;
        for i in 3..=10i64 {
            q = q.bind(i);
        }
        let q = q.anonymous();
        assert_eq!(
            q.sql,
            "SELECT '$1', a FROM t WHERE b = ? AND c IN (?, ?) AND d = ?"
        );
        let got: Vec<String> = q
            .args
            .iter()
            .map(|a| match a {
                Arg::Int(v) => v.to_string(),
                Arg::Str(v) => v.to_string(),
                _ => "?".into(),
            })
            .collect();
        assert_eq!(got, ["two", "1", "two", "10"]);
    }

    #[test]
    fn pushed_binds_are_numbered_after_the_bound_ones() {
        let mut q = query("SELECT 1 FROM t WHERE a = $1 AND b IN (").bind(1i64);
        q.push_binds(["x", "y"]).push(")");
        assert_eq!(q.sql, "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(q.args.len(), 3);
    }
}
