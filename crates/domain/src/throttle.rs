//! Login throttling as a pure rule: exponential back-off per key, decided before a password
//! is checked.
//!
//! An attempt is counted *when it is admitted*, before the password is known to be wrong, so
//! however many attempts arrive at once, each sees the strikes of all admitted before it (the
//! store serialises admissions per key). A correct password then clears the strike. Refused
//! attempts are not counted: they cost nothing and must not let an attacker lengthen the wait.
//!
//! Three keys guard each login (see [`LoginThrottle`]): the account *from this address*
//! (strict: a guesser from one place is slowed fast and for long), the account from anywhere
//! (lenient, with a short ceiling: a distributed guesser is slowed, while the owner's right
//! password from elsewhere still gets in after at most a short wait), and the address across
//! accounts (one place spraying many accounts). A browser that has signed in to the account
//! before carries a device token and is throttled on that token alone (OWASP's "device
//! cookies"), so the owner's usual browser is never held up by someone else's guessing.

use chrono::{DateTime, Duration, Utc};

/// How one key backs off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts allowed before any wait (the attempt that reaches this count starts one).
    pub free: u32,
    /// The first wait; each further attempt doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// Strikes older than this (since the last one) are forgotten.
    pub forget_after: Duration,
}

/// What a key has on record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Strikes {
    pub count: u32,
    pub last_at: Option<DateTime<Utc>>,
    pub blocked_until: Option<DateTime<Utc>>,
}

/// Whether an attempt may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It may; this is the key's record with the attempt counted.
    Admitted(Strikes),
    /// Not before `retry_after` has passed.
    Refused { retry_after: Duration },
}

impl Backoff {
    /// Decides one attempt at `now` against the key's record.
    pub fn admit(&self, strikes: Strikes, now: DateTime<Utc>) -> Admission {
        if let Some(until) = strikes.blocked_until
            && until > now
        {
            return Admission::Refused { retry_after: until - now };
        }
        let forgotten = strikes.last_at.is_none_or(|last| now - last >= self.forget_after);
        let count = if forgotten { 1 } else { strikes.count.saturating_add(1) };
        let blocked_until = (count >= self.free).then(|| now + self.wait_after(count));
        Admission::Admitted(Strikes { count, last_at: Some(now), blocked_until })
    }

    /// The wait that the `count`-th strike starts: `first_wait`, doubling, at most `max_wait`.
    fn wait_after(&self, count: u32) -> Duration {
        let doublings = count.saturating_sub(self.free).min(30);
        let wait = self.first_wait * 2_i32.saturating_pow(doublings);
        wait.min(self.max_wait)
    }
}

impl Strikes {
    /// The record after the attempt turned out to be the right password: nothing held against
    /// the key.
    pub fn cleared() -> Self {
        Self::default()
    }

    /// The record with the admitted attempt taken back (an address whose login succeeded is
    /// not blamed for it) but any running wait kept.
    #[must_use]
    pub fn forgiven(self) -> Self {
        Self { count: self.count.saturating_sub(1), ..self }
    }
}

/// The three back-offs guarding a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginThrottle {
    /// One account from one address.
    pub account_from_address: Backoff,
    /// One account from every address together.
    pub account: Backoff,
    /// One address across every account.
    pub address: Backoff,
    /// A browser that signed in to the account before: throttled on its own, instead of
    /// the three keys above.
    pub known_device: Backoff,
    /// Codes of one account's second factor, after its password was right (a code has a
    /// million values, so guessing must stay slow).
    pub second_factor: Backoff,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            account_from_address: Backoff {
                free: 5,
                first_wait: Duration::seconds(30),
                max_wait: Duration::minutes(15),
                forget_after: Duration::hours(1),
            },
            account: Backoff {
                free: 20,
                first_wait: Duration::seconds(5),
                max_wait: Duration::seconds(60),
                forget_after: Duration::hours(1),
            },
            address: Backoff {
                free: 50,
                first_wait: Duration::seconds(30),
                max_wait: Duration::minutes(15),
                forget_after: Duration::hours(1),
            },
            known_device: Backoff {
                free: 5,
                first_wait: Duration::seconds(30),
                max_wait: Duration::minutes(15),
                forget_after: Duration::hours(1),
            },
            second_factor: Backoff {
                free: 5,
                first_wait: Duration::seconds(30),
                max_wait: Duration::minutes(15),
                forget_after: Duration::hours(1),
            },
        }
    }
}

/// The throttle key of an address: IPv6 addresses by their /64, since one host usually holds
/// a whole /64 and could otherwise rotate through it.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return format!("ip:{v4}");
            }
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V4(v4)) => format!("ip:{v4}"),
        Err(_) => format!("ip:{ip}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z").expect("time").to_utc()
    }

    fn backoff() -> Backoff {
        LoginThrottle::default().account_from_address
    }

    /// Runs `n` attempts at `now`, returning how many were admitted and the record.
    fn burst(rule: Backoff, mut record: Strikes, n: usize, now: DateTime<Utc>) -> (usize, Strikes) {
        let mut admitted = 0;
        for _ in 0..n {
            if let Admission::Admitted(next) = rule.admit(record, now) {
                record = next;
                admitted += 1;
            }
        }
        (admitted, record)
    }

    #[test]
    fn a_burst_at_one_instant_is_admitted_exactly_up_to_the_free_count() {
        let (admitted, record) = burst(backoff(), Strikes::default(), 200, t0());
        assert_eq!(admitted, 5);
        assert_eq!(record.blocked_until, Some(t0() + Duration::seconds(30)));
    }

    #[test]
    fn each_strike_after_the_free_ones_doubles_the_wait_up_to_the_ceiling() {
        let rule = backoff();
        let (_, mut record) = burst(rule, Strikes::default(), 5, t0());
        let mut now = t0();
        let mut waits = vec![];
        for _ in 0..8 {
            let until = record.blocked_until.expect("blocked");
            waits.push((until - now).num_seconds());
            now = until;
            let Admission::Admitted(next) = rule.admit(record, now) else { panic!("admitted") };
            record = next;
        }
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900, 900]);
    }

    #[test]
    fn a_refused_attempt_says_how_long_to_wait_and_changes_nothing() {
        let rule = backoff();
        let (_, record) = burst(rule, Strikes::default(), 5, t0());
        let later = t0() + Duration::seconds(10);
        assert_eq!(
            rule.admit(record, later),
            Admission::Refused { retry_after: Duration::seconds(20) }
        );
    }

    #[test]
    fn old_strikes_are_forgotten() {
        let rule = backoff();
        let (_, record) = burst(rule, Strikes::default(), 3, t0());
        let Admission::Admitted(next) = rule.admit(record, t0() + Duration::hours(2)) else {
            panic!("admitted")
        };
        assert_eq!(next.count, 1);
    }

    #[test]
    fn a_success_clears_the_account_and_forgives_the_address_but_keeps_its_wait() {
        let (_, record) = burst(backoff(), Strikes::default(), 5, t0());
        assert_eq!(Strikes::cleared(), Strikes::default());
        let forgiven = record.forgiven();
        assert_eq!(forgiven.count, 4);
        assert_eq!(forgiven.blocked_until, record.blocked_until);
    }

    #[test]
    fn the_account_from_anywhere_never_waits_more_than_a_minute() {
        let rule = LoginThrottle::default().account;
        let mut record = Strikes::default();
        let mut now = t0();
        for _ in 0..100 {
            match rule.admit(record, now) {
                Admission::Admitted(next) => record = next,
                Admission::Refused { retry_after } => {
                    assert!(retry_after <= Duration::seconds(60));
                    now += retry_after;
                }
            }
        }
    }

    #[test]
    fn addresses_are_keyed_by_host_and_ipv6_by_its_64() {
        assert_eq!(address_key("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:bbbb::9"), "ip:2001:db8:1:2::/64");
        assert_eq!(address_key("::ffff:203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(address_key("unknown"), "ip:unknown");
    }

    proptest! {
        #[test]
        fn however_attempts_are_timed_no_more_than_free_pass_within_the_first_wait(
            gaps in proptest::collection::vec(0_i64..5_000, 1..300),
        ) {
            // Attempts spread over less than the first wait: at most `free` are admitted.
            let rule = backoff();
            let mut record = Strikes::default();
            let mut now = t0();
            let mut admitted = 0;
            for gap in gaps {
                now += Duration::milliseconds(gap % 100);
                if now - t0() >= rule.first_wait { break; }
                if let Admission::Admitted(next) = rule.admit(record, now) {
                    record = next;
                    admitted += 1;
                }
            }
            prop_assert!(admitted <= 5);
        }
    }
}
