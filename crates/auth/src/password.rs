//! bcrypt on the blocking pool, so that hashing never stalls the async executor.

use std::sync::Arc;

use async_trait::async_trait;
use identity::ports::PasswordHasher;
use identity::{Password, PasswordHash};
use kernel::InfraError;
use tokio::sync::Semaphore;

/// The work factors bcrypt accepts.
pub const MIN_COST: u32 = 4;
pub const MAX_COST: u32 = 31;

/// Hashes and verifies passwords with bcrypt at a configured cost.
///
/// At most `concurrency` hashes run at once; the rest wait their turn. bcrypt is pure CPU:
/// without the bound, a burst of logins would start hundreds of blocking threads that crowd
/// the HTTP workers off the cores and slow every other request down.
pub struct BcryptHasher {
    cost: u32,
    /// A hash no password matches, for constant-cost logins of unknown users.
    dummy: String,
    permits: Arc<Semaphore>,
}

impl BcryptHasher {
    /// Builds a hasher running at most `concurrency` hashes at once (0: one per CPU core);
    /// computes the dummy hash once, at the configured cost.
    pub fn new(cost: u32, concurrency: usize) -> Result<Self, InfraError> {
        if !(MIN_COST..=MAX_COST).contains(&cost) {
            return Err(InfraError::internal(format!(
                "bcrypt cost must be between {MIN_COST} and {MAX_COST}, got {cost}"
            )));
        }
        let dummy = bcrypt::hash(uuid::Uuid::new_v4().as_bytes(), cost).map_err(InfraError::internal)?;
        let concurrency = match concurrency {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        Ok(BcryptHasher { cost, dummy, permits: Arc::new(Semaphore::new(concurrency)) })
    }

    /// Runs `f` on the blocking pool once a permit is free.
    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, InfraError> {
        let _permit = self.permits.acquire().await.map_err(InfraError::internal)?;
        tokio::task::spawn_blocking(f).await.map_err(InfraError::internal)
    }
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, InfraError> {
        let password = password.expose().to_owned();
        let cost = self.cost;
        let hash = self.blocking(move || bcrypt::hash(password, cost)).await?.map_err(InfraError::internal)?;
        Ok(PasswordHash::new(hash))
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, InfraError> {
        let password = password.to_owned();
        let hash = hash.as_str().to_owned();
        // A malformed stored hash matches nothing rather than failing the request.
        Ok(self.blocking(move || bcrypt::verify(password, &hash).unwrap_or(false)).await?)
    }

    async fn verify_dummy(&self, password: &str) -> Result<(), InfraError> {
        let password = password.to_owned();
        let dummy = self.dummy.clone();
        self.blocking(move || bcrypt::verify(password, &dummy)).await?.map_err(InfraError::internal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password_and_carry_their_salt() {
        let hasher = BcryptHasher::new(4, 2).unwrap();
        let password = Password::parse("correct horse").unwrap();
        let first = hasher.hash(&password).await.unwrap();
        let second = hasher.hash(&password).await.unwrap();
        assert_ne!(first, second, "each hash has its own salt");
        assert!(first.as_str().starts_with("$2b$04$"));
        assert!(hasher.verify("correct horse", &first).await.unwrap());
        assert!(!hasher.verify("wrong horse", &first).await.unwrap());
        assert!(!hasher.verify("correct horse", &PasswordHash::new("garbage".into())).await.unwrap());
        hasher.verify_dummy("anything").await.unwrap();
    }

    #[tokio::test]
    async fn at_most_the_configured_number_of_hashes_run_at_once() {
        let hasher = Arc::new(BcryptHasher::new(4, 1).unwrap());
        let permit = hasher.permits.clone().acquire_owned().await.unwrap();
        let waiting = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash(&Password::parse("password-1").unwrap()).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the hash waits for the only permit");
        drop(permit);
        assert!(waiting.await.unwrap().is_ok());
    }

    #[test]
    fn refuses_costs_bcrypt_does_not_support() {
        assert!(BcryptHasher::new(3, 0).is_err());
        assert!(BcryptHasher::new(32, 0).is_err());
    }
}
