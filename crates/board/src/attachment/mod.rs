//! Files attached to posts and comments: streamed uploads with limits, downloads for readers
//! of the board, deletion.

pub mod content_type;
pub mod model;
pub mod ports;
pub mod service;
