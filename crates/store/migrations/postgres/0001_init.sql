-- PostgreSQL schema; kept in step with migrations/sqlite (same tables, columns and meaning).
-- Papers: arXiv metadata, one row per bare arXiv id.
-- Timestamps are milliseconds since the Unix epoch (UTC); days are 'YYYY-MM-DD' text.
CREATE TABLE papers (
    id            TEXT PRIMARY KEY NOT NULL,
    version       BIGINT,
    title         TEXT NOT NULL,
    abstract      TEXT NOT NULL,
    authors       TEXT NOT NULL,          -- JSON array of names, in order
    categories    TEXT NOT NULL,          -- JSON array, primary first
    published_at  BIGINT,
    updated_at    BIGINT,
    comment       TEXT,
    doi           TEXT,
    journal_ref   TEXT,
    github_repo   TEXT,
    project_page  TEXT,
    local_upvotes BIGINT NOT NULL DEFAULT 0,
    seq           BIGINT NOT NULL        -- change cursor: raised on every insert or update
);
CREATE INDEX papers_seq ON papers (seq);
CREATE INDEX papers_published ON papers (published_at DESC);

-- Daily lists: a paper placed on the list of one day, with the counts its source gave.
CREATE TABLE feed_entries (
    day           TEXT NOT NULL,
    paper_id      TEXT NOT NULL REFERENCES papers (id),
    position      BIGINT NOT NULL,
    published_at  BIGINT NOT NULL,
    submitted_at  BIGINT,
    submitted_by  TEXT,
    upvotes       BIGINT NOT NULL,
    num_comments  BIGINT NOT NULL,
    ai_summary    TEXT,
    ai_keywords   TEXT NOT NULL,          -- JSON array
    github_repo   TEXT,
    github_stars  BIGINT,
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
    updated_at BIGINT NOT NULL
);

-- Background work. A job with a given dedup_key exists once, so a job scheduled by several
-- servers (or twice by one) runs once. A running job whose lease ran out is claimed again.
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    dedup_key    TEXT NOT NULL UNIQUE,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued',   -- queued | running | done | failed
    run_after    BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 5,
    locked_by    TEXT,
    lease_until  BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX jobs_ready ON jobs (state, run_after);

-- The change cursor: every insert or update of a paper takes the next value.
CREATE SEQUENCE paper_seq;
