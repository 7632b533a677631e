-- A reader's library: collections of papers, with a note per paper. A collection's slug is made
-- once from its title and id. An account's collections go with it.
CREATE TABLE collections (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT,
    private      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX collections_owner ON collections (owner_id, updated_at);

CREATE TABLE collection_items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id  INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id       TEXT NOT NULL REFERENCES papers (id),
    note           TEXT,
    position       INTEGER NOT NULL,
    added_at       INTEGER NOT NULL,
    UNIQUE (collection_id, paper_id)
);
CREATE INDEX collection_items_paper ON collection_items (paper_id);

-- Importing a reference manager's file matches papers by DOI, then by title, in any letter case.
CREATE INDEX papers_doi_lower ON papers (LOWER(doi));
CREATE INDEX papers_title_lower ON papers (LOWER(title));
