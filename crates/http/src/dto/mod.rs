//! Request and response bodies of the API, with their OpenAPI schemas.

pub mod accounts;
pub mod admin;
pub mod ai;
pub mod boards;
pub mod chat;
pub mod posts;
pub mod sessions;

#[cfg(test)]
mod limits_tests;
