//! Fault drills: real processes on private PostgreSQL and RabbitMQ instances that the drill
//! starts, breaks and restarts itself. Run serially (`make drills`), never against the
//! machine's shared services.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod database;
mod rabbitmq;
mod scale_out;
mod shutdown;
mod views;
mod worker_kill;
