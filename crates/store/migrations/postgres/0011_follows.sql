-- What readers follow (authors, accounts, categories, searches), and each reader's secret key
-- for private feeds (stored hashed; a new key revokes the old). An account's rows go with it.
CREATE TABLE follows (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    value_key   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (user_id, kind, value_key)
);

CREATE TABLE feed_keys (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

-- A signed-in subscriber may add the newest papers of what they follow to their digest.
ALTER TABLE subscribers ADD COLUMN with_follows BOOLEAN NOT NULL DEFAULT FALSE;
