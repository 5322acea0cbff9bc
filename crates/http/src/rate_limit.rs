//! Per-client-IP rate limits for the routes that attackers hammer: login, signup and
//! password reset. Each action has its own limit per IP: a burst of `per_minute` requests,
//! then one more every `60 / per_minute` seconds (`governor`'s keyed GCRA limiter, the same
//! shape as a token bucket holding `per_minute` tokens that refills continuously).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};

/// The rate-limited actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    Signup,
    PasswordReset,
}

type Key = (Action, IpAddr);
type KeyedGcra<C> = Gcra<Key, DefaultKeyedStateStore<Key>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Every this many checks, clients whose limit has fully recovered are dropped from the key
/// store (`retain_recent`): it holds only clients seen within about a minute.
const PRUNE_EVERY: u64 = 1024;

/// In-memory limiter of one instance. Several instances each allow the configured rate;
/// the limit is a brake on brute force, not an exact quota.
pub struct RateLimiter<C: Clock = DefaultClock> {
    /// `None` when limiting is off.
    limiter: Option<KeyedGcra<C>>,
    clock: C,
    checks: AtomicU64,
}

impl RateLimiter {
    /// `per_minute = 0` turns limiting off.
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> Self {
        let limiter =
            NonZeroU32::new(per_minute).map(|rate| Gcra::dashmap_with_clock(Quota::per_minute(rate), clock.clone()));
        RateLimiter { limiter, clock, checks: AtomicU64::new(0) }
    }

    /// Counts one request; on refusal returns how long until one is allowed.
    pub fn check(&self, action: Action, ip: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&(action, ip)).map_err(|refused| refused.wait_time_from(self.clock.now()))
    }

    /// Clients tracked now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.limiter.as_ref().map_or(0, |limiter| limiter.len())
    }
}

impl<C: Clock> std::fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("enabled", &self.limiter.is_some()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    fn limiter(per_minute: u32) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (RateLimiter::with_clock(per_minute, clock.clone()), clock)
    }

    #[test]
    fn allows_the_configured_burst_then_refuses_with_a_wait() {
        let (limiter, _) = limiter(3);
        for _ in 0..3 {
            assert!(limiter.check(Action::Login, ip(1)).is_ok());
        }
        let wait = limiter.check(Action::Login, ip(1)).unwrap_err();
        assert!(wait > Duration::from_secs(19) && wait <= Duration::from_secs(20), "{wait:?}");
    }

    #[test]
    fn refills_over_time() {
        let (limiter, clock) = limiter(60);
        for _ in 0..60 {
            limiter.check(Action::Login, ip(1)).unwrap();
        }
        assert!(limiter.check(Action::Login, ip(1)).is_err());
        clock.advance(Duration::from_secs(1));
        assert!(limiter.check(Action::Login, ip(1)).is_ok());
        assert!(limiter.check(Action::Login, ip(1)).is_err(), "one second gives back one request");
    }

    #[test]
    fn limits_are_per_ip_and_per_action() {
        let (limiter, _) = limiter(1);
        limiter.check(Action::Login, ip(1)).unwrap();
        assert!(limiter.check(Action::Login, ip(1)).is_err());
        assert!(limiter.check(Action::Login, ip(2)).is_ok());
        assert!(limiter.check(Action::Signup, ip(1)).is_ok());
    }

    #[test]
    fn zero_disables_limiting() {
        let (limiter, _) = limiter(0);
        for _ in 0..1000 {
            limiter.check(Action::Login, ip(1)).unwrap();
        }
    }

    #[test]
    fn clients_whose_limit_recovered_leave_the_key_store() {
        let (limiter, clock) = limiter(60);
        for last in 0..=255 {
            limiter.check(Action::Login, ip(last)).unwrap();
        }
        assert_eq!(limiter.tracked(), 256);
        // A minute on, every one of them could burst again: they are indistinguishable from
        // clients never seen, and the next prune drops them.
        clock.advance(Duration::from_secs(60));
        for _ in 256..PRUNE_EVERY {
            // Refused past the burst, which does not matter here: every check counts.
            let _ = limiter.check(Action::Signup, ip(1));
        }
        assert_eq!(limiter.tracked(), 1, "only the client limited now is kept");
    }
}
