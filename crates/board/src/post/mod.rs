//! Posts on boards: writing, reading with counts, listing, likes.

pub mod cached;
pub mod model;
pub mod ports;
pub mod read_cache;
pub mod service;
