-- Accounts, sessions, votes, comments, submissions, authorship claims and shared rate limits.
ALTER TABLE papers ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;          -- hidden by an admin
ALTER TABLE papers ADD COLUMN local_comments INTEGER NOT NULL DEFAULT 0;  -- live comments here

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,     -- lower-case name: one account per name, any case
    password_hash TEXT NOT NULL,            -- argon2id, PHC string
    is_admin      INTEGER NOT NULL DEFAULT 0,
    banned        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Sessions: only a SHA-256 of the cookie's token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One upvote per user per paper; papers.local_upvotes counts them in the same transaction.
CREATE TABLE votes (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    paper_id   TEXT NOT NULL REFERENCES papers (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);
CREATE INDEX votes_paper ON votes (paper_id);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_id   TEXT NOT NULL REFERENCES papers (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    parent_id  INTEGER REFERENCES comments (id),   -- top-level comment replied to
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    edited_at  INTEGER,
    deleted    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX comments_paper ON comments (paper_id, id);
CREATE INDEX comments_user ON comments (user_id);

-- Papers put on a list by a user of this server (one submission per paper).
CREATE TABLE submissions (
    paper_id   TEXT PRIMARY KEY NOT NULL REFERENCES papers (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    day        TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX submissions_user ON submissions (user_id, created_at);

CREATE TABLE claims (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_id    TEXT NOT NULL REFERENCES papers (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    author_name TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',   -- pending | approved | rejected
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  INTEGER REFERENCES users (id),
    UNIQUE (paper_id, user_id, author_name)
);
CREATE INDEX claims_state ON claims (state);

-- Fixed-window counters shared by every server (login attempts, writes, ...).
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
);
