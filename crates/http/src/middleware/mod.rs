//! Middleware every request passes: observation (request id, log, metrics), problem
//! documents for every error, security headers and CORS.

pub mod cors;
pub mod observe;
pub mod problems;
pub mod security;
