-- Subscribing asks, confirming decides. The subscribe form only records a request (what was
-- asked for, for which address); the link in the confirmation mail names the request, and
-- following it is what creates or changes the subscription, once. So a form never changes an
-- existing subscription or attaches an address to an account: only the address's owner does, by
-- confirming (signed in, to manage it from their settings).
CREATE TABLE subscription_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL,
    cadence     TEXT NOT NULL,
    searches    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX subscription_requests_created ON subscription_requests (created_at);

-- Replies of a comment, for reading threads a page at a time.
CREATE INDEX comments_parent ON comments (parent_id, id);
