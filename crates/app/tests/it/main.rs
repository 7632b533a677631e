//! The use cases' integration tests, one binary: the one write path (a write limit first, the
//! change hook once the write succeeded) and the job dispatcher, on a real store.

mod foryou;
mod github;
mod harvest;
mod hub;
mod jobs;
mod thumbnails;
mod writes;
