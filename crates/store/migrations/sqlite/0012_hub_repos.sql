-- Models, datasets and Spaces on the Hugging Face Hub that cite a paper (tagged `arxiv:ID`),
-- as the Hub answered when last asked: derived data, fetched again on a schedule, so a store
-- copy leaves it out. `data` is the Hub's JSON object for the repository.
CREATE TABLE hub_repos (
    paper_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    repo_id     TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (paper_id, kind, position)
);

-- When the Hub was last asked about a paper, and how many repositories of each kind it named
-- (more than `hub_repos` keeps of each).
CREATE TABLE hub_checks (
    paper_id      TEXT PRIMARY KEY,
    checked_at    INTEGER NOT NULL,
    num_models    INTEGER NOT NULL,
    num_datasets  INTEGER NOT NULL,
    num_spaces    INTEGER NOT NULL
);
CREATE INDEX hub_checks_checked_at ON hub_checks (checked_at);

-- GitHub repositories linked from listed papers, as GitHub's API last described them: the
-- stars (copied onto the list entries that link the repository, which trending reads), the
-- ETag for conditional requests, and when it was asked. `repo` is `owner/name` in lower case.
CREATE TABLE github_repos (
    repo        TEXT PRIMARY KEY,
    stars       INTEGER,
    etag        TEXT,
    checked_at  INTEGER NOT NULL
);
