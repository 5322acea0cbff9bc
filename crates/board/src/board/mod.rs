//! Boards and the rules of access to them.

pub mod access;
pub mod model;
pub mod ports;
pub mod service;
pub mod values;
