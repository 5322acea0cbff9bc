//! Cryptography adapters of the identity domain: bcrypt password hashing, HS256 JWT
//! encoding and decoding, and random secrets with their digests.

pub mod jwt;
pub mod jwt_crypto;
pub mod password;
pub mod secrets;

pub use jwt::JwtCodec;
pub use password::BcryptHasher;
pub use secrets::RandomSecrets;
