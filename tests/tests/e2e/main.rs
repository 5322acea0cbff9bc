//! The end-to-end suite: one binary, one module per area of the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin;
mod ai;
mod boards;
mod chat;
mod platform;
mod rabbitmq;
mod tokens;
