-- A reader's library: papers a reader is not interested in, left out of their own lists. An
-- account's rows go with it.
CREATE TABLE not_interested (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id    TEXT NOT NULL REFERENCES papers (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);
