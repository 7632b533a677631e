//! The JSON API: Hugging Face's papers API (reads), our additions (comments, similar papers,
//! the write side with tokens), collections in the shape of Hugging Face's collections API,
//! and its OpenAPI description.

pub mod collections;
pub mod comments;
pub mod daily_papers;
pub mod health;
pub mod hub;
pub mod library;
pub mod limit;
pub mod model;
pub mod openapi;
pub mod papers;
pub mod params;
pub mod respond;
pub mod search;
pub mod similar;
pub mod submit;
pub mod token;
pub mod votes;
