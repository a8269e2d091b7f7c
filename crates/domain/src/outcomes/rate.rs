//! A proportion with its 95% Wilson score interval.

use serde::Serialize;

/// `numerator` of `denominator`, as a proportion with a 95% confidence interval.
///
/// The interval is Wilson's score interval, which stays inside [0, 1] and behaves at 0 and
/// at 100%, unlike the normal approximation that small practices' counts would break.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rate {
    /// How many met the outcome.
    pub numerator: u32,
    /// How many could have; never 0.
    pub denominator: u32,
    /// `numerator / denominator`, 0–1.
    pub rate: f64,
    /// The 95% Wilson score interval, `(low, high)`, each 0–1.
    pub ci95: (f64, f64),
}

impl Rate {
    /// The two-sided 95% normal quantile.
    pub const Z95: f64 = 1.959_964;

    /// The rate of `numerator` in `denominator`, or `None` when there is no denominator or
    /// the numerator exceeds it.
    pub fn wilson(numerator: u32, denominator: u32) -> Option<Self> {
        if denominator == 0 || numerator > denominator {
            return None;
        }
        let (k, n) = (f64::from(numerator), f64::from(denominator));
        let p = k / n;
        let z2 = Self::Z95 * Self::Z95;
        let scale = 1.0 + z2 / n;
        let centre = (p + z2 / (2.0 * n)) / scale;
        let half = Self::Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / scale;
        // At 0 and 100% the exact bounds are 0 and 1; rounding must not move them past p.
        let low = if numerator == 0 { 0.0 } else { (centre - half).clamp(0.0, p) };
        let high = if numerator == denominator { 1.0 } else { (centre + half).clamp(p, 1.0) };
        Some(Self { numerator, denominator, rate: p, ci95: (low, high) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rounded(rate: &Rate) -> (f64, f64) {
        let four = |x: f64| (x * 10_000.0).round() / 10_000.0;
        (four(rate.ci95.0), four(rate.ci95.1))
    }

    #[test]
    fn seven_of_ten_has_the_hand_computed_wilson_interval() {
        // p = 0.7, n = 10, z² = 3.841459:
        //   centre = (0.7 + 3.841459/20) / (1 + 3.841459/10) = 0.892073 / 1.384146 = 0.644493
        //   half   = 1.959964 × √(0.7×0.3/10 + 3.841459/400) / 1.384146
        //          = 1.959964 × √0.030604 / 1.384146 = 0.247716
        //   → [0.3968, 0.8922]
        let rate = Rate::wilson(7, 10).expect("a rate");
        assert_eq!(rate.numerator, 7);
        assert_eq!(rate.denominator, 10);
        assert!((rate.rate - 0.7).abs() < 1e-12);
        assert_eq!(rounded(&rate), (0.3968, 0.8922));
    }

    #[test]
    fn none_and_all_reach_exactly_zero_and_one() {
        // 0/10: centre = half = 0.192073/1.384146 = 0.138767, so [0, 0.2775].
        let none = Rate::wilson(0, 10).expect("a rate");
        assert_eq!(rounded(&none), (0.0, 0.2775));
        let all = Rate::wilson(10, 10).expect("a rate");
        assert_eq!(rounded(&all), (0.7225, 1.0));
    }

    #[test]
    fn there_is_no_rate_without_a_denominator_or_with_too_big_a_numerator() {
        assert_eq!(Rate::wilson(0, 0), None);
        assert_eq!(Rate::wilson(3, 2), None);
    }

    proptest! {
        #[test]
        fn the_wilson_interval_contains_the_rate_and_stays_within_zero_and_one(
            (numerator, denominator) in (1u32..100_000).prop_flat_map(|n| (0..=n, Just(n)))
        ) {
            let rate = Rate::wilson(numerator, denominator).expect("a rate");
            let (low, high) = rate.ci95;
            prop_assert!((0.0..=1.0).contains(&low), "{low}");
            prop_assert!((0.0..=1.0).contains(&high), "{high}");
            prop_assert!(low <= rate.rate && rate.rate <= high, "{low} {} {high}", rate.rate);
            prop_assert!(low < high);
        }

        #[test]
        fn more_people_at_the_same_rate_narrow_the_interval(k in 0u32..50, n in 50u32..500) {
            let small = Rate::wilson(k.min(n), n).expect("a rate");
            let large = Rate::wilson(k.min(n) * 10, n * 10).expect("a rate");
            prop_assert!(large.ci95.1 - large.ci95.0 < small.ci95.1 - small.ci95.0);
        }
    }
}
