//! The JSON API.

pub mod daily_papers;
pub mod health;
pub mod search;
pub mod similar;
