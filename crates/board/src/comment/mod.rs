//! Comments on posts.

pub mod model;
pub mod ports;
pub mod service;
