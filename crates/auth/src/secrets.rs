//! Token ids, URL-safe secrets and their SHA-256 digests, for identity's tokens and chat's
//! WebSocket tickets.

use base64::Engine;
use identity::ports::SecretGenerator;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Secrets from the operating system's cryptographic generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomSecrets;

impl SecretGenerator for RandomSecrets {
    fn token_id(&self) -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// 32 random bytes, base64url without padding: 43 characters.
    fn url_safe_secret(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn digest(&self, secret: &str) -> String {
        let digest = Sha256::digest(secret.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Chat WebSocket tickets are URL-safe secrets stored by digest, like reset tokens.
impl chat::ports::TicketSecrets for RandomSecrets {
    fn new_ticket(&self) -> String {
        self.url_safe_secret()
    }

    fn digest(&self, ticket: &str) -> String {
        SecretGenerator::digest(self, ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_url_safe_long_and_distinct() {
        let a = RandomSecrets.url_safe_secret();
        let b = RandomSecrets.url_safe_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(RandomSecrets.digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn chat_tickets_are_url_safe_secrets_stored_by_the_same_digest() {
        use chat::ports::TicketSecrets;
        let ticket = RandomSecrets.new_ticket();
        assert_eq!(ticket.len(), 43);
        assert_ne!(ticket, RandomSecrets.new_ticket());
        assert_eq!(TicketSecrets::digest(&RandomSecrets, "abc"), SecretGenerator::digest(&RandomSecrets, "abc"));
    }

    #[test]
    fn token_ids_are_unique() {
        assert_ne!(RandomSecrets.token_id(), RandomSecrets.token_id());
    }
}
