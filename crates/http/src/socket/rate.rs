//! The message rate of one socket: a token bucket that holds up to `burst` messages and
//! refills at `per_second`.

use std::time::{Duration, Instant};

/// Allows bursts of `burst` messages and `per_second` messages on average.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `per_second == 0` means no limit.
    pub fn new(per_second: u32, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket { per_second: f64::from(per_second), burst, tokens: burst, last: now }
    }

    /// Takes one token if there is one; otherwise says how long until there will be.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2, 3, start);
        for _ in 0..3 {
            assert!(bucket.take(start).is_ok());
        }
        let wait = bucket.take(start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(bucket.take(start + Duration::from_millis(499)).is_err());
        assert!(bucket.take(start + Duration::from_millis(1000)).is_ok());
        assert!(bucket.take(start + Duration::from_secs(60)).is_ok(), "refills up to the burst");
        assert!(bucket.take(start + Duration::from_secs(60)).is_ok());
        assert!(bucket.take(start + Duration::from_secs(60)).is_ok());
        assert!(bucket.take(start + Duration::from_secs(60)).is_err(), "never beyond the burst");
    }

    #[test]
    fn zero_means_no_limit() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(0, 1, start);
        for _ in 0..1000 {
            assert!(bucket.take(start).is_ok());
        }
    }
}
