//! Collections: named lists of papers a reader keeps, with a note per paper and an order.
//!
//! The limits (collections per account, papers per collection) are checked inside the write
//! transaction, with the owner's row (or the collection's) locked on PostgreSQL, so two servers
//! adding at once cannot pass them together.

use crate::backend::{query, Tx, CHUNK};
use crate::papers::paper_exists;
use crate::rows::{prefixed, PaperRow, PAPER_COLUMNS};
use crate::{now_millis, SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dp_core::library::slug;
use dp_core::{ArxivId, Collection, CollectionItem, CollectionTitle};

/// What adding a paper to a collection did.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    /// Added, at the end.
    New(CollectionItem),
    /// It was there already (unchanged).
    Exists(CollectionItem),
    /// No such paper.
    NoPaper,
    /// No such collection.
    NoCollection,
    /// The collection holds its limit already.
    Full,
}

/// What adding many papers at once did: all of them, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddedMany {
    /// Added (in the order given, at the end), and how many were there already.
    Done {
        /// Newly added.
        added: usize,
        /// Already in the collection (unchanged).
        already: usize,
    },
    /// No such collection.
    NoCollection,
    /// They would not fit: this many more would.
    Full {
        /// Room left.
        room: usize,
    },
}

/// Stored papers found for references: by id, by DOI, by title.
#[derive(Debug, Clone, Default)]
pub struct PaperMatches {
    /// The bare ids that are stored.
    pub ids: Vec<String>,
    /// (DOI in lower case, paper id).
    pub by_doi: Vec<(String, String)>,
    /// (stored title, paper id): titles equal to an asked one in the database's letter case.
    pub by_title: Vec<(String, String)>,
}

/// A change to a collection's own fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CollectionEdit {
    /// A new title (the slug stays).
    pub title: Option<CollectionTitle>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// Private or public.
    pub private: Option<bool>,
}

/// How public collections are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CollectionSort {
    /// Most recently changed first.
    #[default]
    LastModified,
    /// Newest first.
    Created,
}

/// Which public collections to list (each filter optional).
#[derive(Debug, Clone, Default)]
pub struct CollectionQuery {
    /// Only this owner's (a name, any letter case).
    pub owner: Option<String>,
    /// Only those holding this paper (bare id).
    pub paper: Option<String>,
    /// Only those whose title contains this (any letter case).
    pub title: Option<String>,
    /// Order.
    pub sort: CollectionSort,
    /// At most this many.
    pub limit: i64,
    /// Also the private ones of this account (its owner asking).
    pub viewer: Option<i64>,
}

/// A reader's collections.
#[async_trait]
pub trait Collections: Send + Sync {
    /// Creates a collection, unless the owner holds `max` already (`None` then).
    async fn create_collection(
        &self,
        owner_id: i64,
        title: &CollectionTitle,
        description: Option<&str>,
        private: bool,
        max: i64,
    ) -> Result<Option<Collection>, StoreError>;

    /// A collection by id.
    async fn collection(&self, id: i64) -> Result<Option<Collection>, StoreError>;

    /// An account's collections (the private ones too when `with_private`), most recently
    /// changed first.
    async fn collections_of(
        &self,
        owner_id: i64,
        with_private: bool,
    ) -> Result<Vec<Collection>, StoreError>;

    /// Collections matching `q`.
    async fn find_collections(&self, q: &CollectionQuery) -> Result<Vec<Collection>, StoreError>;

    /// Changes a collection's title, description or visibility. `false` when there is none.
    async fn update_collection(&self, id: i64, edit: &CollectionEdit) -> Result<bool, StoreError>;

    /// Deletes a collection and its items. `false` when there is none.
    async fn delete_collection(&self, id: i64) -> Result<bool, StoreError>;

    /// A collection's papers, in order.
    async fn collection_items(&self, id: i64) -> Result<Vec<CollectionItem>, StoreError>;

    /// The first `n` papers of a collection, in order.
    async fn collection_items_head(
        &self,
        id: i64,
        n: i64,
    ) -> Result<Vec<CollectionItem>, StoreError>;

    /// Adds a paper at the end of a collection holding fewer than `max`.
    async fn add_collection_item(
        &self,
        id: i64,
        paper: &ArxivId,
        note: Option<&str>,
        max: i64,
    ) -> Result<Added, StoreError>;

    /// Changes an item's note (`Some(None)` clears it) or moves it to `position` (clamped to
    /// the collection; the others shift). `false` when the collection holds no such item.
    async fn update_collection_item(
        &self,
        id: i64,
        item_id: i64,
        note: Option<Option<&str>>,
        position: Option<i64>,
    ) -> Result<bool, StoreError>;

    /// Removes an item. `false` when the collection holds no such item.
    async fn remove_collection_item(&self, id: i64, item_id: i64) -> Result<bool, StoreError>;

    /// Adds papers (bare ids, each with an optional note) at the end of a collection in one
    /// transaction: all that are not there yet, or none when they would take it past `max`.
    async fn add_collection_items(
        &self,
        id: i64,
        papers: &[(String, Option<String>)],
        max: i64,
    ) -> Result<AddedMany, StoreError>;

    /// Stored papers for these ids (bare), DOIs (lower case) and titles (any case).
    async fn match_papers(
        &self,
        ids: &[String],
        dois: &[String],
        titles: &[String],
    ) -> Result<PaperMatches, StoreError>;

    /// Which of `paper_ids` are in which of the owner's collections: (paper, collection id).
    async fn saved_among(
        &self,
        owner_id: i64,
        paper_ids: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError>;
}

const COLLECTION_SELECT: &str = "SELECT c.id, c.owner_id, u.name AS owner, c.slug, c.title, \
     c.description, c.private, c.created_at, c.updated_at, \
     (SELECT COUNT(*) FROM collection_items i WHERE i.collection_id = c.id) AS items \
     FROM collections c JOIN users u ON u.id = c.owner_id";

#[derive(sqlx::FromRow)]
struct CollectionRow {
    id: i64,
    owner_id: i64,
    owner: String,
    slug: String,
    title: String,
    description: Option<String>,
    private: bool,
    created_at: i64,
    updated_at: i64,
    items: i64,
}

impl From<CollectionRow> for Collection {
    fn from(r: CollectionRow) -> Self {
        Collection {
            id: r.id,
            owner_id: r.owner_id,
            owner: r.owner,
            slug: r.slug,
            title: r.title,
            description: r.description,
            private: r.private,
            items: r.items,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    item_id: i64,
    note: Option<String>,
    position: i64,
    added_at: i64,
    #[sqlx(flatten)]
    paper: PaperRow,
}

impl ItemRow {
    fn into_item(self) -> Result<CollectionItem, StoreError> {
        Ok(CollectionItem {
            id: self.item_id,
            note: self.note,
            position: self.position,
            added_at: time(self.added_at),
            paper: self.paper.into_paper()?,
        })
    }
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn item_select() -> String {
    format!(
        "SELECT i.id AS item_id, i.note, i.position, i.added_at, {} \
         FROM collection_items i JOIN papers p ON p.id = i.paper_id",
        prefixed(PAPER_COLUMNS, "p")
    )
}

async fn touch(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    query("UPDATE collections SET updated_at = $1 WHERE id = $2")
        .bind(now_millis())
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The item ids of a collection in order, the collection's row locked on PostgreSQL.
async fn ordered_items(tx: &mut Tx, id: i64) -> Result<Option<Vec<i64>>, StoreError> {
    let lock = format!(
        "SELECT id FROM collections WHERE id = $1{}",
        tx.for_update()
    );
    if query(lock)
        .bind(id)
        .scalar_optional::<i64>(&mut *tx)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let ids =
        query("SELECT id FROM collection_items WHERE collection_id = $1 ORDER BY position, id")
            .bind(id)
            .scalars::<i64>(tx)
            .await?;
    Ok(Some(ids))
}

#[async_trait]
impl Collections for SqlStore {
    async fn create_collection(
        &self,
        owner_id: i64,
        title: &CollectionTitle,
        description: Option<&str>,
        private: bool,
        max: i64,
    ) -> Result<Option<Collection>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let lock = format!("SELECT id FROM users WHERE id = $1{}", tx.for_update());
        if query(lock)
            .bind(owner_id)
            .scalar_optional::<i64>(&mut tx)
            .await?
            .is_none()
        {
            return Err(StoreError::Conflict("No such account.".into()));
        }
        let held: i64 = query("SELECT COUNT(*) FROM collections WHERE owner_id = $1")
            .bind(owner_id)
            .scalar(&mut tx)
            .await?;
        if held >= max {
            return Ok(None);
        }
        let now = now_millis();
        let id: i64 = query(
            "INSERT INTO collections (owner_id, slug, title, description, private, created_at, updated_at) \
             VALUES ($1, '', $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(owner_id)
        .bind(title.as_str())
        .bind(description)
        .bind(private)
        .bind(now)
        .scalar(&mut tx)
        .await?;
        query("UPDATE collections SET slug = $1 WHERE id = $2")
            .bind(slug(title.as_str(), id))
            .bind(id)
            .execute(&mut tx)
            .await?;
        let row = query(format!("{COLLECTION_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_one::<CollectionRow>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(row.into()))
    }

    async fn collection(&self, id: i64) -> Result<Option<Collection>, StoreError> {
        Ok(query(format!("{COLLECTION_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional::<CollectionRow>(&self.db)
            .await?
            .map(Collection::from))
    }

    async fn collections_of(
        &self,
        owner_id: i64,
        with_private: bool,
    ) -> Result<Vec<Collection>, StoreError> {
        let visible = if with_private {
            ""
        } else {
            " AND NOT c.private"
        };
        Ok(query(format!(
            "{COLLECTION_SELECT} WHERE c.owner_id = $1{visible} ORDER BY c.updated_at DESC, c.id DESC"
        ))
        .bind(owner_id)
        .fetch_all::<CollectionRow>(&self.db)
        .await?
        .into_iter()
        .map(Collection::from)
        .collect())
    }

    async fn find_collections(&self, q: &CollectionQuery) -> Result<Vec<Collection>, StoreError> {
        let mut sql = query(format!("{COLLECTION_SELECT} WHERE (NOT c.private"));
        if let Some(v) = q.viewer {
            sql.push(" OR c.owner_id = ").push_bind(v);
        }
        sql.push(")");
        if let Some(owner) = &q.owner {
            sql.push(" AND u.name_key = ")
                .push_bind(owner.trim().to_lowercase());
        }
        if let Some(paper) = &q.paper {
            sql.push(
                " AND EXISTS (SELECT 1 FROM collection_items x WHERE x.collection_id = c.id AND x.paper_id = ",
            )
            .push_bind(paper.clone())
            .push(")");
        }
        if let Some(title) = &q.title {
            let pattern = format!(
                "%{}%",
                title
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            // Both sides lowered by the database, so each backend agrees with itself.
            sql.push(" AND LOWER(c.title) LIKE LOWER(")
                .push_bind(pattern)
                .push(") ESCAPE '\\'");
        }
        sql.push(match q.sort {
            CollectionSort::LastModified => " ORDER BY c.updated_at DESC, c.id DESC",
            CollectionSort::Created => " ORDER BY c.created_at DESC, c.id DESC",
        });
        sql.push(" LIMIT ").push_bind(q.limit.max(0));
        Ok(sql
            .fetch_all::<CollectionRow>(&self.db)
            .await?
            .into_iter()
            .map(Collection::from)
            .collect())
    }

    async fn update_collection(&self, id: i64, edit: &CollectionEdit) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let mut sql = query("UPDATE collections SET updated_at = ");
        sql.push_bind(now_millis());
        if let Some(t) = &edit.title {
            sql.push(", title = ").push_bind(t.as_str().to_string());
        }
        if let Some(d) = &edit.description {
            sql.push(", description = ").push_bind(d.clone());
        }
        if let Some(p) = edit.private {
            sql.push(", private = ").push_bind(p);
        }
        sql.push(" WHERE id = ").push_bind(id);
        let n = sql.execute(&mut tx).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn delete_collection(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        query("DELETE FROM collection_items WHERE collection_id = $1")
            .bind(id)
            .execute(&mut tx)
            .await?;
        let n = query("DELETE FROM collections WHERE id = $1")
            .bind(id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn collection_items(&self, id: i64) -> Result<Vec<CollectionItem>, StoreError> {
        query(format!(
            "{} WHERE i.collection_id = $1 ORDER BY i.position, i.id",
            item_select()
        ))
        .bind(id)
        .fetch_all::<ItemRow>(&self.db)
        .await?
        .into_iter()
        .map(ItemRow::into_item)
        .collect()
    }

    async fn collection_items_head(
        &self,
        id: i64,
        n: i64,
    ) -> Result<Vec<CollectionItem>, StoreError> {
        query(format!(
            "{} WHERE i.collection_id = $1 ORDER BY i.position, i.id LIMIT $2",
            item_select()
        ))
        .bind(id)
        .bind(n)
        .fetch_all::<ItemRow>(&self.db)
        .await?
        .into_iter()
        .map(ItemRow::into_item)
        .collect()
    }

    async fn add_collection_item(
        &self,
        id: i64,
        paper: &ArxivId,
        note: Option<&str>,
        max: i64,
    ) -> Result<Added, StoreError> {
        let pid = paper.base().to_string();
        let mut tx = self.db.begin_write().await?;
        let Some(items) = ordered_items(&mut tx, id).await? else {
            return Ok(Added::NoCollection);
        };
        if !paper_exists(&mut tx, &pid).await? {
            return Ok(Added::NoPaper);
        }
        let one = format!(
            "{} WHERE i.collection_id = $1 AND i.paper_id = $2",
            item_select()
        );
        if let Some(row) = query(one.clone())
            .bind(id)
            .bind(pid.as_str())
            .fetch_optional::<ItemRow>(&mut tx)
            .await?
        {
            return Ok(Added::Exists(row.into_item()?));
        }
        if items.len() as i64 >= max {
            return Ok(Added::Full);
        }
        let position: i64 = query(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM collection_items WHERE collection_id = $1",
        )
        .bind(id)
        .scalar(&mut tx)
        .await?;
        query(
            "INSERT INTO collection_items (collection_id, paper_id, note, position, added_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(pid.as_str())
        .bind(note)
        .bind(position)
        .bind(now_millis())
        .execute(&mut tx)
        .await?;
        touch(&mut tx, id).await?;
        let row = query(one)
            .bind(id)
            .bind(pid.as_str())
            .fetch_one::<ItemRow>(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Added::New(row.into_item()?))
    }

    async fn update_collection_item(
        &self,
        id: i64,
        item_id: i64,
        note: Option<Option<&str>>,
        position: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let Some(mut items) = ordered_items(&mut tx, id).await? else {
            return Ok(false);
        };
        let Some(at) = items.iter().position(|&i| i == item_id) else {
            return Ok(false);
        };
        if let Some(note) = note {
            query("UPDATE collection_items SET note = $1 WHERE id = $2")
                .bind(note)
                .bind(item_id)
                .execute(&mut tx)
                .await?;
        }
        if let Some(to) = position {
            let to = usize::try_from(to.max(0))
                .unwrap_or(0)
                .min(items.len().saturating_sub(1));
            let moved = items.remove(at);
            items.insert(to, moved);
            for (pos, item) in items.iter().enumerate() {
                query("UPDATE collection_items SET position = $1 WHERE id = $2 AND position <> $1")
                    .bind(pos as i64)
                    .bind(*item)
                    .execute(&mut tx)
                    .await?;
            }
        }
        touch(&mut tx, id).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn remove_collection_item(&self, id: i64, item_id: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let n = query("DELETE FROM collection_items WHERE id = $1 AND collection_id = $2")
            .bind(item_id)
            .bind(id)
            .execute(&mut tx)
            .await?;
        if n > 0 {
            touch(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn add_collection_items(
        &self,
        id: i64,
        papers: &[(String, Option<String>)],
        max: i64,
    ) -> Result<AddedMany, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let Some(items) = ordered_items(&mut tx, id).await? else {
            return Ok(AddedMany::NoCollection);
        };
        let held: std::collections::HashSet<String> =
            query("SELECT paper_id FROM collection_items WHERE collection_id = $1")
                .bind(id)
                .scalars::<String>(&mut tx)
                .await?
                .into_iter()
                .collect();
        let mut seen = std::collections::HashSet::new();
        let new: Vec<&(String, Option<String>)> = papers
            .iter()
            .filter(|(p, _)| !held.contains(p) && seen.insert(p.as_str()))
            .collect();
        let already = papers.len() - new.len();
        let room = usize::try_from(max)
            .unwrap_or(0)
            .saturating_sub(items.len());
        if new.len() > room {
            return Ok(AddedMany::Full { room });
        }
        let mut position: i64 = query(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM collection_items WHERE collection_id = $1",
        )
        .bind(id)
        .scalar(&mut tx)
        .await?;
        let now = now_millis();
        for chunk in new.chunks(CHUNK / 5) {
            let mut q = query(
                "INSERT INTO collection_items (collection_id, paper_id, note, position, added_at) VALUES ",
            );
            for (i, (paper, note)) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .push_bind(id)
                    .push(", ")
                    .push_bind(paper.as_str())
                    .push(", ")
                    .push_bind(note.as_deref())
                    .push(", ")
                    .push_bind(position)
                    .push(", ")
                    .push_bind(now)
                    .push(")");
                position += 1;
            }
            q.execute(&mut tx).await?;
        }
        if !new.is_empty() {
            touch(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(AddedMany::Done {
            added: new.len(),
            already,
        })
    }

    async fn match_papers(
        &self,
        ids: &[String],
        dois: &[String],
        titles: &[String],
    ) -> Result<PaperMatches, StoreError> {
        let mut out = PaperMatches::default();
        for chunk in ids.chunks(CHUNK) {
            let mut q = query("SELECT id FROM papers WHERE id IN (");
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            out.ids.extend(q.scalars::<String>(&self.db).await?);
        }
        for chunk in dois.chunks(CHUNK) {
            let mut q = query("SELECT LOWER(doi), id FROM papers WHERE LOWER(doi) IN (");
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            out.by_doi
                .extend(q.fetch_all::<(String, String)>(&self.db).await?);
        }
        for chunk in titles.chunks(CHUNK) {
            let mut q = query("SELECT title, id FROM papers WHERE LOWER(title) IN (");
            for (i, t) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push("LOWER(").push_bind(t.as_str()).push(")");
            }
            q.push(")");
            out.by_title
                .extend(q.fetch_all::<(String, String)>(&self.db).await?);
        }
        Ok(out)
    }

    async fn saved_among(
        &self,
        owner_id: i64,
        paper_ids: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut out = Vec::new();
        for chunk in paper_ids.chunks(CHUNK) {
            let mut q = query(
                "SELECT i.paper_id, i.collection_id FROM collection_items i \
                 JOIN collections c ON c.id = i.collection_id \
                 WHERE c.owner_id = $1 AND i.paper_id IN (",
            )
            .bind(owner_id);
            q.push_binds(chunk.iter().map(String::as_str)).push(")");
            out.extend(q.fetch_all::<(String, i64)>(&self.db).await?);
        }
        Ok(out)
    }
}
