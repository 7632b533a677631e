-- Pictures this site serves itself (a paper's thumbnail), by the SHA-256 of their bytes: each
-- fetched once, checked (type, bytes, pixels) before it is stored.
CREATE TABLE images (
    hash        TEXT PRIMARY KEY,
    mime        TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Each listed paper's thumbnail: the picture (`hash`), or why there is none yet (`error`,
-- tried again later), and where it came from (`hf`: the mirrored item's thumbnail; `pdf`: the
-- first page of the arXiv PDF).
CREATE TABLE thumbnails (
    paper_id    TEXT PRIMARY KEY,
    hash        TEXT REFERENCES images (hash),
    source      TEXT NOT NULL,
    error       TEXT,
    checked_at  INTEGER NOT NULL
);
