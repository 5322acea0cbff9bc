//! The end-to-end suite: one binary, one module per area of the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin;
mod ai;
mod attachments;
mod board_support;
mod boards;
mod chat;
mod comments;
mod platform;
mod posts;
mod rabbitmq;
mod sessions;
mod text_rules;
mod tokens;
mod views;
