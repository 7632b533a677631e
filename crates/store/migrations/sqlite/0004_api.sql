-- API tokens for scripts and bots (`Authorization: Bearer TOKEN`). Users create and revoke them
-- on their settings page; only a SHA-256 of the token is kept. scope: 'read' or 'write'.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- The API's `submitter` filter: a submitter's entries, newest day first.
CREATE INDEX feed_entries_submitter ON feed_entries (submitted_by, day);
