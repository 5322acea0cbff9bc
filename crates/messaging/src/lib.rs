//! Messaging adapters: the AI job queue and the chat bus on RabbitMQ (lapin), and their
//! in-process twins for the embedded default.

pub mod amqp;
pub mod chat;
pub mod jobs;
