//! Per-client-IP token buckets for the routes that attackers hammer: login, signup and
//! password reset. Each action has its own bucket per IP; a bucket holds `per_minute`
//! tokens and refills continuously.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The rate-limited actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    Signup,
    PasswordReset,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// In-memory limiter of one instance. Several instances each allow the configured rate;
/// the limit is a brake on brute force, not an exact quota.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<(Action, IpAddr), Bucket>>,
}

/// Past this many tracked clients, full buckets are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    /// `per_minute = 0` turns limiting off.
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token; on refusal returns how long until one is available.
    pub fn check(&self, action: Action, ip: IpAddr) -> Result<(), Duration> {
        self.check_at(action, ip, Instant::now())
    }

    fn check_at(&self, action: Action, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity);
        }
        let bucket = buckets.entry((action, ip)).or_insert(Bucket { tokens: capacity, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn allows_the_configured_burst_then_refuses_with_a_wait() {
        let limiter = RateLimiter::new(3);
        let now = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(Action::Login, ip(1), now).is_ok());
        }
        let wait = limiter.check_at(Action::Login, ip(1), now).unwrap_err();
        assert!(wait > Duration::from_secs(19) && wait <= Duration::from_secs(20), "{wait:?}");
    }

    #[test]
    fn refills_over_time() {
        let limiter = RateLimiter::new(60);
        let now = Instant::now();
        for _ in 0..60 {
            limiter.check_at(Action::Login, ip(1), now).unwrap();
        }
        assert!(limiter.check_at(Action::Login, ip(1), now).is_err());
        assert!(limiter.check_at(Action::Login, ip(1), now + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn buckets_are_per_ip_and_per_action() {
        let limiter = RateLimiter::new(1);
        let now = Instant::now();
        limiter.check_at(Action::Login, ip(1), now).unwrap();
        assert!(limiter.check_at(Action::Login, ip(1), now).is_err());
        assert!(limiter.check_at(Action::Login, ip(2), now).is_ok());
        assert!(limiter.check_at(Action::Signup, ip(1), now).is_ok());
    }

    #[test]
    fn zero_disables_limiting() {
        let limiter = RateLimiter::new(0);
        for _ in 0..1000 {
            limiter.check(Action::Login, ip(1)).unwrap();
        }
    }
}
