-- Papers: arXiv metadata, one row per bare arXiv id.
-- Timestamps are milliseconds since the Unix epoch (UTC); days are 'YYYY-MM-DD' text.
CREATE TABLE papers (
    id            TEXT PRIMARY KEY NOT NULL,
    version       INTEGER,
    title         TEXT NOT NULL,
    abstract      TEXT NOT NULL,
    authors       TEXT NOT NULL,          -- JSON array of names, in order
    categories    TEXT NOT NULL,          -- JSON array, primary first
    published_at  INTEGER,
    updated_at    INTEGER,
    comment       TEXT,
    doi           TEXT,
    journal_ref   TEXT,
    github_repo   TEXT,
    project_page  TEXT,
    local_upvotes INTEGER NOT NULL DEFAULT 0,
    seq           INTEGER NOT NULL        -- change cursor: raised on every insert or update
);
CREATE INDEX papers_seq ON papers (seq);
CREATE INDEX papers_published ON papers (published_at DESC);

-- Daily lists: a paper placed on the list of one day, with the counts its source gave.
CREATE TABLE feed_entries (
    day           TEXT NOT NULL,
    paper_id      TEXT NOT NULL REFERENCES papers (id),
    position      INTEGER NOT NULL,
    published_at  INTEGER NOT NULL,
    submitted_at  INTEGER,
    submitted_by  TEXT,
    upvotes       INTEGER NOT NULL,
    num_comments  INTEGER NOT NULL,
    ai_summary    TEXT,
    ai_keywords   TEXT NOT NULL,          -- JSON array
    github_repo   TEXT,
    github_stars  INTEGER,
    project_page  TEXT,
    organization  TEXT,
    source_json   TEXT,
    PRIMARY KEY (day, paper_id)
);
CREATE INDEX feed_entries_paper ON feed_entries (paper_id);

-- Named positions of incremental harvests (OAI-PMH 'from' dates, last mirrored day, ...).
CREATE TABLE watermarks (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Background work. A job with a given dedup_key exists once, so a job scheduled by several
-- servers (or twice by one) runs once. A running job whose lease ran out is claimed again.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    dedup_key    TEXT NOT NULL UNIQUE,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued',   -- queued | running | done | failed
    run_after    INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    locked_by    TEXT,
    lease_until  INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX jobs_ready ON jobs (state, run_after);
