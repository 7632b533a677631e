//! The search crate's integration tests, one binary: the embedding model against reference
//! vectors, the keyword index (ranking, filters, hostile queries, following a store), and the
//! vector index following a store and saving its graph.

mod embed;
mod keyword;
mod late;
mod vectors;
