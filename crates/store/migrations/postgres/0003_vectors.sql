-- Sentence embeddings of papers (title + abstract), one row per paper and model.
-- vector: the dim components as little-endian IEEE float16 (2 bytes each), unit length.
-- Writing a vector raises papers.seq, so every server's vector index catches up.
CREATE TABLE paper_vectors (
    paper_id   TEXT NOT NULL REFERENCES papers (id),
    model      TEXT NOT NULL,
    dim        BIGINT NOT NULL,
    vector     BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (model, paper_id)
);
