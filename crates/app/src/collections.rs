//! Collections: a reader's named lists of papers, with a note per paper. Private by default;
//! public ones have a page anyone can read. Only the owner changes one.
//!
//! Not found and not allowed look the same for private collections (404), so a collection's
//! existence is not given away.

use crate::{App, Error};
use dp_core::cite::{self, Cited};
use dp_core::library::{self, slug_id};
use dp_core::{ArxivId, Collection, CollectionItem, CollectionTitle, User};
use dp_store::{Added, CollectionEdit, CollectionQuery, CollectionSort};
use std::collections::{HashMap, HashSet};

/// The most collections an account keeps.
pub const MAX_COLLECTIONS: i64 = 100;
/// The most papers a collection holds.
pub const MAX_ITEMS: i64 = 1000;
/// The largest reference file imported, in bytes.
pub const MAX_IMPORT_BYTES: usize = dp_ingest::citations::MAX_BYTES;
/// The most collections one listing returns.
pub const MAX_LISTED: i64 = 100;

/// What saving a paper did.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Added at the end of the collection.
    New(CollectionItem),
    /// It was there already; nothing changed.
    Already(CollectionItem),
}

impl Saved {
    /// The item either way.
    pub fn item(&self) -> &CollectionItem {
        match self {
            Saved::New(i) | Saved::Already(i) => i,
        }
    }
}

/// What importing a reference manager's file into a collection did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Entries read from the file.
    pub entries: usize,
    /// Matched: by arXiv id, by DOI, by exact title.
    pub by_id: usize,
    /// Matched by DOI.
    pub by_doi: usize,
    /// Matched by title.
    pub by_title: usize,
    /// Papers added to the collection.
    pub added: usize,
    /// Matched papers the collection held already.
    pub already: usize,
    /// Entries that matched no paper here, or could not be read: (label, why). Nothing was
    /// changed for them.
    pub unmatched: Vec<(String, String)>,
}

/// A change a reader asks for; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct EditRequest<'a> {
    /// New title.
    pub title: Option<&'a str>,
    /// New description (empty clears it).
    pub description: Option<&'a str>,
    /// Private or public.
    pub private: Option<bool>,
}

fn invalid(e: library::LibraryInputError) -> Error {
    Error::Invalid(e.to_string())
}

fn no_collection() -> Error {
    Error::NotFound("No such collection.".into())
}

fn owns(user: &User, c: &Collection) -> bool {
    user.id == c.owner_id
}

impl App {
    /// Creates a collection for `user` (private unless asked otherwise).
    pub async fn create_collection(
        &self,
        user: &User,
        title: &str,
        description: &str,
        private: bool,
    ) -> Result<Collection, Error> {
        let title = CollectionTitle::parse(title).map_err(invalid)?;
        let description = library::description(description).map_err(invalid)?;
        if let Some(same) = self.collection_titled(user, title.as_str()).await? {
            return Err(Error::Conflict(format!(
                "You already have a collection named \"{}\" ({}).",
                same.title,
                same.full_slug()
            )));
        }
        self.write_limit(user).await?;
        let c = self
            .store
            .create_collection(user.id, &title, description.as_deref(), private, MAX_COLLECTIONS)
            .await?
            .ok_or_else(|| {
                Error::Refused(format!(
                    "You have {MAX_COLLECTIONS} collections, the most an account keeps: delete one first."
                ))
            })?;
        if !c.private {
            self.changed();
        }
        Ok(c)
    }

    /// `user`'s collection of exactly this title, if any.
    pub async fn collection_titled(
        &self,
        user: &User,
        title: &str,
    ) -> Result<Option<Collection>, Error> {
        let title = title.trim();
        Ok(self
            .my_collections(user)
            .await?
            .into_iter()
            .find(|c| c.title == title))
    }

    /// The collection `owner`/`slug` as `viewer` may see it: private ones only to their owner.
    pub async fn collection_by_slug(
        &self,
        viewer: Option<&User>,
        owner: &str,
        slug: &str,
    ) -> Result<Collection, Error> {
        let id = slug_id(slug).map_err(|_| no_collection())?;
        let c = self.store.collection(id).await?.ok_or_else(no_collection)?;
        let named = c.slug == slug && c.owner.eq_ignore_ascii_case(owner.trim());
        let visible = !c.private || viewer.is_some_and(|u| owns(u, &c));
        if named && visible {
            Ok(c)
        } else {
            Err(no_collection())
        }
    }

    /// The collection `id` if `user` owns it (404 for anyone else's private one, 403 for
    /// anyone else's public one).
    pub async fn owned_collection(&self, user: &User, id: i64) -> Result<Collection, Error> {
        let c = self.store.collection(id).await?.ok_or_else(no_collection)?;
        if owns(user, &c) {
            Ok(c)
        } else if c.private {
            Err(no_collection())
        } else {
            Err(Error::Forbidden(
                "Only its owner changes a collection.".into(),
            ))
        }
    }

    /// The same by slug.
    pub async fn owned_collection_by_slug(
        &self,
        user: &User,
        owner: &str,
        slug: &str,
    ) -> Result<Collection, Error> {
        let c = self.collection_by_slug(Some(user), owner, slug).await?;
        self.owned_collection(user, c.id).await
    }

    /// A collection's papers, in order (check that the reader may see it first).
    pub async fn collection_items(&self, c: &Collection) -> Result<Vec<CollectionItem>, Error> {
        Ok(self.store.collection_items(c.id).await?)
    }

    /// The first `n` papers of a collection (listings show a few).
    pub async fn collection_items_head(
        &self,
        c: &Collection,
        n: i64,
    ) -> Result<Vec<CollectionItem>, Error> {
        Ok(self.store.collection_items_head(c.id, n).await?)
    }

    /// `user`'s own collections, private ones too.
    pub async fn my_collections(&self, user: &User) -> Result<Vec<Collection>, Error> {
        Ok(self.store.collections_of(user.id, true).await?)
    }

    /// The public collections of the account `name` (and its private ones, when it is the
    /// viewer's own).
    pub async fn collections_of(
        &self,
        viewer: Option<&User>,
        owner: &User,
    ) -> Result<Vec<Collection>, Error> {
        let own = viewer.is_some_and(|v| v.id == owner.id);
        Ok(self.store.collections_of(owner.id, own).await?)
    }

    /// Collections anyone may see (and the viewer's own), by owner names, a paper, a title.
    pub async fn find_collections(
        &self,
        viewer: Option<&User>,
        owner: Option<&str>,
        paper: Option<&ArxivId>,
        title: Option<&str>,
        sort: CollectionSort,
        limit: i64,
    ) -> Result<Vec<Collection>, Error> {
        Ok(self
            .store
            .find_collections(&CollectionQuery {
                owner: owner.map(str::to_string),
                paper: paper.map(|p| p.base().to_string()),
                title: title.map(str::to_string),
                sort,
                limit: limit.clamp(1, MAX_LISTED),
                viewer: viewer.map(|u| u.id),
            })
            .await?)
    }

    /// Changes a collection's title, description or visibility (its owner only).
    pub async fn edit_collection(
        &self,
        user: &User,
        c: &Collection,
        edit: EditRequest<'_>,
    ) -> Result<(), Error> {
        self.owned_collection(user, c.id).await?;
        let change = CollectionEdit {
            title: edit
                .title
                .map(CollectionTitle::parse)
                .transpose()
                .map_err(invalid)?,
            description: edit
                .description
                .map(library::description)
                .transpose()
                .map_err(invalid)?,
            private: edit.private,
        };
        self.write_limit(user).await?;
        if !self.store.update_collection(c.id, &change).await? {
            return Err(no_collection());
        }
        self.changed();
        Ok(())
    }

    /// Deletes a collection (its owner only).
    pub async fn delete_collection(&self, user: &User, c: &Collection) -> Result<(), Error> {
        self.owned_collection(user, c.id).await?;
        self.write_limit(user).await?;
        if !self.store.delete_collection(c.id).await? {
            return Err(no_collection());
        }
        self.changed();
        Ok(())
    }

    /// Saves a paper into a collection (its owner only), with an optional note.
    pub async fn save_paper(
        &self,
        user: &User,
        c: &Collection,
        paper: &ArxivId,
        note: &str,
    ) -> Result<Saved, Error> {
        self.owned_collection(user, c.id).await?;
        let note = library::note(note).map_err(invalid)?;
        self.write_limit(user).await?;
        let saved = match self
            .store
            .add_collection_item(c.id, paper, note.as_deref(), MAX_ITEMS)
            .await?
        {
            Added::New(i) => Saved::New(i),
            Added::Exists(i) => Saved::Already(i),
            Added::NoPaper => return Err(Error::NotFound("No such paper.".into())),
            Added::NoCollection => return Err(no_collection()),
            Added::Full => {
                return Err(Error::Refused(format!(
                    "This collection holds {MAX_ITEMS} papers, the most a collection holds: start another one."
                )))
            }
        };
        if !c.private {
            self.changed();
        }
        Ok(saved)
    }

    /// Saves a paper into the reader's collection named `title`, made (private) when they
    /// have none of that name: the one-click "Save" of a reader with no collection yet.
    pub async fn save_paper_to_new(
        &self,
        user: &User,
        title: &str,
        paper: &ArxivId,
    ) -> Result<(Collection, Saved), Error> {
        let wanted = CollectionTitle::parse(title).map_err(invalid)?;
        let c = match self.collection_titled(user, wanted.as_str()).await? {
            Some(c) => c,
            None => {
                self.create_collection(user, wanted.as_str(), "", true)
                    .await?
            }
        };
        let saved = self.save_paper(user, &c, paper, "").await?;
        Ok((c, saved))
    }

    /// Changes an item's note (`Some("")` clears it) or moves it to `position` (its owner only).
    pub async fn edit_item(
        &self,
        user: &User,
        c: &Collection,
        item_id: i64,
        note: Option<&str>,
        position: Option<i64>,
    ) -> Result<(), Error> {
        self.owned_collection(user, c.id).await?;
        let note = note.map(library::note).transpose().map_err(invalid)?;
        self.write_limit(user).await?;
        let found = self
            .store
            .update_collection_item(c.id, item_id, note.as_ref().map(|n| n.as_deref()), position)
            .await?;
        if !found {
            return Err(Error::NotFound("No such item in this collection.".into()));
        }
        if !c.private {
            self.changed();
        }
        Ok(())
    }

    /// Removes an item (its owner only).
    pub async fn remove_item(
        &self,
        user: &User,
        c: &Collection,
        item_id: i64,
    ) -> Result<(), Error> {
        self.owned_collection(user, c.id).await?;
        self.write_limit(user).await?;
        if !self.store.remove_collection_item(c.id, item_id).await? {
            return Err(Error::NotFound("No such item in this collection.".into()));
        }
        if !c.private {
            self.changed();
        }
        Ok(())
    }

    /// A collection as a citation file (check that the reader may see it first).
    pub async fn export_collection(
        &self,
        c: &Collection,
        format: cite::Format,
    ) -> Result<String, Error> {
        let items = self.collection_items(c).await?;
        let cited: Vec<Cited<'_>> = items
            .iter()
            .map(|i| Cited {
                paper: &i.paper,
                note: i.note.as_deref(),
            })
            .collect();
        Ok(format.render(&cited))
    }

    /// `user`'s whole library as a citation file: every paper of every collection once (the
    /// first note it has), collection by collection, then the papers they upvoted.
    pub async fn export_library(&self, user: &User, format: cite::Format) -> Result<String, Error> {
        let mut items: Vec<CollectionItem> = Vec::new();
        for c in self.my_collections(user).await? {
            items.extend(self.store.collection_items(c.id).await?);
        }
        let upvoted = self
            .store
            .upvoted_by(user.id, MAX_ITEMS * MAX_COLLECTIONS)
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut cited: Vec<Cited<'_>> = Vec::new();
        for i in &items {
            if seen.insert(i.paper.id.base().to_string()) {
                cited.push(Cited {
                    paper: &i.paper,
                    note: i.note.as_deref(),
                });
            } else if let Some(n) = i.note.as_deref() {
                if let Some(c) = cited
                    .iter_mut()
                    .find(|c| c.paper.id.base() == i.paper.id.base() && c.note.is_none())
                {
                    c.note = Some(n);
                }
            }
        }
        for p in &upvoted {
            if seen.insert(p.id.base().to_string()) {
                cited.push(Cited {
                    paper: p,
                    note: None,
                });
            }
        }
        Ok(format.render(&cited))
    }

    /// Imports a BibTeX or RIS file (a Zotero export, say) into a collection (its owner only):
    /// each entry is matched to a paper here by arXiv id, then DOI, then exact title (any letter
    /// case). The matched papers are added in one transaction: all of them, or nothing when
    /// they would not fit. Entries that match nothing are reported and change nothing.
    pub async fn import_references(
        &self,
        user: &User,
        c: &Collection,
        bytes: &[u8],
    ) -> Result<ImportReport, Error> {
        use dp_ingest::citations;
        self.owned_collection(user, c.id).await?;
        // Parsing up to 16 MB takes a while: off the async workers.
        let owned = bytes.to_vec();
        let parsed = tokio::task::spawn_blocking(move || citations::parse(&owned))
            .await
            .map_err(Error::internal)?
            .map_err(|e| Error::Invalid(e.to_string()))?;
        self.write_limit(user).await?;
        let refs = &parsed.references;
        let ids: Vec<String> = refs
            .iter()
            .filter_map(|r| r.arxiv.as_ref().map(|a| a.base().to_string()))
            .collect();
        let dois: Vec<String> = refs.iter().filter_map(|r| r.doi.clone()).collect();
        let titles: Vec<String> = refs.iter().filter_map(|r| r.title.clone()).collect();
        let found = self.store.match_papers(&ids, &dois, &titles).await?;
        let known: HashSet<&str> = found.ids.iter().map(String::as_str).collect();
        let by_doi: HashMap<&str, &str> = found
            .by_doi
            .iter()
            .map(|(d, id)| (d.as_str(), id.as_str()))
            .collect();
        let by_title: HashMap<String, &str> = found
            .by_title
            .iter()
            .map(|(t, id)| (t.to_lowercase(), id.as_str()))
            .collect();
        let mut report = ImportReport {
            entries: refs.len() + parsed.unreadable.len(),
            ..ImportReport::default()
        };
        let mut papers: Vec<(String, Option<String>)> = Vec::new();
        for r in refs {
            let id = r.arxiv.as_ref().map(|a| a.base().to_string());
            let hit = if let Some(id) = id.filter(|i| known.contains(i.as_str())) {
                report.by_id += 1;
                Some(id)
            } else if let Some(p) = r.doi.as_deref().and_then(|d| by_doi.get(d)) {
                report.by_doi += 1;
                Some((*p).to_string())
            } else if let Some(p) = r
                .title
                .as_deref()
                .and_then(|t| by_title.get(&t.to_lowercase()))
            {
                report.by_title += 1;
                Some((*p).to_string())
            } else {
                None
            };
            match hit {
                Some(id) => papers.push((id, None)),
                None => report.unmatched.push((
                    r.label.clone(),
                    "no paper here with its arXiv id, DOI or title".into(),
                )),
            }
        }
        for u in &parsed.unreadable {
            report.unmatched.push((u.label.clone(), u.reason.clone()));
        }
        match self
            .store
            .add_collection_items(c.id, &papers, MAX_ITEMS)
            .await?
        {
            dp_store::AddedMany::Done { added, already } => {
                report.added = added;
                report.already = already;
            }
            dp_store::AddedMany::NoCollection => return Err(no_collection()),
            dp_store::AddedMany::Full { room } => {
                return Err(Error::Refused(format!(
                    "The file matches {} papers but this collection has room for {room} more \
                     (a collection holds at most {MAX_ITEMS}); nothing was imported.",
                    papers.len()
                )))
            }
        }
        if !c.private && report.added > 0 {
            self.changed();
        }
        Ok(report)
    }

    /// For each of these papers (bare ids), the ids of `user`'s collections holding it.
    pub async fn saved_among(
        &self,
        user: Option<&User>,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<i64>>, Error> {
        let mut out: HashMap<String, Vec<i64>> = HashMap::new();
        if let Some(u) = user {
            if !ids.is_empty() {
                for (paper, c) in self.store.saved_among(u.id, ids).await? {
                    out.entry(paper).or_default().push(c);
                }
            }
        }
        Ok(out)
    }
}
