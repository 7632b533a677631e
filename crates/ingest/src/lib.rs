//! Getting papers in: importers for saved files and harvesters for live sources.
//!
//! Every source format is parsed into [`ImportRecord`]s (a [`Paper`] plus, for daily-list
//! sources, a [`FeedEntry`]); a bad record becomes a rejected record that names where it was and
//! why it was rejected, and never stops the rest of the import.

pub mod atom;
pub mod citations;
pub mod fetch;
pub mod formats;
pub mod harvest;
pub mod hub;
pub mod image;
pub mod import;
pub mod oai;
pub mod xml;

pub use dp_core::Record as ImportRecord;
