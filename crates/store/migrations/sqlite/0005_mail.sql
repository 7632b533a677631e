-- E-mail digests: subscriptions (double opt-in) and the outbox.
CREATE TABLE subscribers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,     -- lower-case address: one subscription per address
    cadence       TEXT NOT NULL,            -- 'daily' (weekdays) | 'weekly'
    state         TEXT NOT NULL,            -- 'pending' | 'confirmed' | 'unsubscribed' | 'failed'
    user_id       INTEGER REFERENCES users (id),
    searches      TEXT NOT NULL,            -- JSON array of saved search queries (at most 5)
    created_at    INTEGER NOT NULL,
    changed_at    INTEGER NOT NULL,
    last_sent_day TEXT,                     -- list day of the last digest sent
    last_error    TEXT                      -- last permanent delivery error
);
CREATE INDEX subscribers_due ON subscribers (state, cadence, id);
CREATE INDEX subscribers_user ON subscribers (user_id);

-- The outbox: one row per subscriber and run ((subscriber_id, run_key) is unique), so planning a
-- run again adds nothing, and a row that reached 'sent' is never sent again.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    run_key       TEXT NOT NULL,            -- e.g. 'daily:2026-08-21'
    state         TEXT NOT NULL,            -- 'queued' | 'sending' | 'sent' | 'skipped' | 'failed'
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  INTEGER NOT NULL,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    UNIQUE (subscriber_id, run_key)
);
CREATE INDEX outbox_ready ON outbox (run_key, state, id);
