-- What the admin's job page and the empty home page show: when a run started and where it is
-- (a JSON progress report, kept as the run's summary when it ends). A paused schedule enqueues
-- nothing until it is resumed.
ALTER TABLE jobs ADD COLUMN started_at INTEGER;
ALTER TABLE jobs ADD COLUMN progress TEXT;
CREATE INDEX jobs_created ON jobs (created_at);
CREATE TABLE job_pauses (
    schedule   TEXT PRIMARY KEY,
    paused_by  TEXT NOT NULL,
    paused_at  INTEGER NOT NULL
);
