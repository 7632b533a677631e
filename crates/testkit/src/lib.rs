//! What the tests of dailypapers share. Only ever a dev-dependency.
//!
//! * [`env`]: the shared data, the embedding model and the client venv, required in CI and
//!   skipped with a notice elsewhere.
//! * [`db`]: a fresh database per test, SQLite or PostgreSQL (`DAILYPAPERS_TEST_BACKEND`).
//! * [`fixtures`]: papers, list entries and records, built one way.
//! * [`fakes`]: a fixed clock, an arXiv fetcher that replays recorded responses, a mailer that
//!   keeps what it is given.
//! * [`replay`]: local HTTP servers that answer like arXiv or Hugging Face from recorded files.
//! * [`server`]: [`server::TestApp`], the real server on a local port, and
//!   [`server::Browser`], a client that keeps cookies and fills forms.

pub mod db;
pub mod env;
pub mod fakes;
pub mod fixtures;
pub mod replay;
pub mod server;

pub use fixtures::{day, entry, id, paper, rec, EntryExt, PaperExt};
