//! The identity domain: accounts, credentials, login sessions with rotating refresh
//! tokens, revocation, password reset and bans. Framework-free: adapters implement the
//! ports in [`ports`], and [`AccountService`] holds every rule.

pub mod access_cache;
pub mod error;
pub mod ports;
pub mod service;
pub mod token;
pub mod user;

pub use error::IdentityError;
pub use service::{AccountPorts, AccountService, Authenticated, IdentityConfig, LoginOutcome, SignupInput, TokenPair};
pub use token::{AccessClaims, RefreshClaims, TokenError};
pub use user::{Email, NewUser, Password, PasswordHash, User, UserName, UserUpdate};
