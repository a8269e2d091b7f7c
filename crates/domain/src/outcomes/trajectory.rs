//! One person's paired PHQ-9 and GAD-7 totals over a course of care.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::definitions::{CASENESS_GAD7, CASENESS_PHQ9};
use crate::{InstrumentId, Score};

/// A PHQ-9 total and a GAD-7 total taken on the same day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PairedScores {
    taken_on: NaiveDate,
    phq9: u8,
    gad7: u8,
}

/// Why a pair of totals is refused.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum ScoreError {
    /// A PHQ-9 total outside 0–27.
    #[error("a PHQ-9 total must be between 0 and 27, got {0}")]
    Phq9OutOfRange(i32),
    /// A GAD-7 total outside 0–21.
    #[error("a GAD-7 total must be between 0 and 21, got {0}")]
    Gad7OutOfRange(i32),
    /// A score from another instrument where a PHQ-9 or GAD-7 belongs.
    #[error("expected a {expected} score, got a {got} score")]
    WrongInstrument { expected: InstrumentId, got: InstrumentId },
}

impl PairedScores {
    /// Pairs two totals, each checked against its questionnaire's range.
    pub fn new(taken_on: NaiveDate, phq9: i32, gad7: i32) -> Result<Self, ScoreError> {
        let phq9 =
            u8::try_from(phq9).ok().filter(|t| *t <= 27).ok_or(ScoreError::Phq9OutOfRange(phq9))?;
        let gad7 =
            u8::try_from(gad7).ok().filter(|t| *t <= 21).ok_or(ScoreError::Gad7OutOfRange(gad7))?;
        Ok(Self { taken_on, phq9, gad7 })
    }

    /// Pairs a scored PHQ-9 with a scored GAD-7.
    pub fn from_scores(
        taken_on: NaiveDate,
        phq9: &Score,
        gad7: &Score,
    ) -> Result<Self, ScoreError> {
        for (score, expected) in [(phq9, InstrumentId::Phq9), (gad7, InstrumentId::Gad7)] {
            if score.instrument != expected {
                return Err(ScoreError::WrongInstrument { expected, got: score.instrument });
            }
        }
        // Both instruments always have a total; -1 cannot pass the range check.
        Self::new(taken_on, phq9.total.unwrap_or(-1), gad7.total.unwrap_or(-1))
    }

    /// The day both questionnaires were answered.
    pub fn taken_on(&self) -> NaiveDate {
        self.taken_on
    }

    /// The PHQ-9 total, 0–27.
    pub fn phq9(&self) -> u8 {
        self.phq9
    }

    /// The GAD-7 total, 0–21.
    pub fn gad7(&self) -> u8 {
        self.gad7
    }

    /// At caseness: PHQ-9 of 10 or more, or GAD-7 of 8 or more.
    pub fn is_case(&self) -> bool {
        self.phq9 >= CASENESS_PHQ9 || self.gad7 >= CASENESS_GAD7
    }
}

/// The last day of a window of `weeks` weeks from `first_session`; `None` past the
/// calendar's end, where the window holds everything.
fn window_end(first_session: NaiveDate, weeks: u32) -> Option<NaiveDate> {
    first_session.checked_add_days(Days::new(u64::from(weeks) * 7))
}

/// Why a trajectory is refused.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum TrajectoryError {
    /// The window starts at the first session, so earlier scores have no place in it.
    #[error("scores taken on {taken_on} are dated before the first session on {first_session}")]
    BeforeFirstSession { taken_on: NaiveDate, first_session: NaiveDate },
}

/// One person's paired scores from their first session on, in date order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trajectory {
    first_session: NaiveDate,
    scores: Vec<PairedScores>,
}

/// Whether a trajectory counts in a report, and if so the scores it is judged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Eligibility {
    /// At caseness at the first score in the window, with at least two scores in it.
    Eligible {
        /// The first score in the window (the baseline).
        first: PairedScores,
        /// The last score in the window.
        last: PairedScores,
    },
    /// Fewer than two paired scores in the window (`count` is 0 or 1).
    FewerThanTwoScores {
        /// How many scores the window holds.
        count: usize,
    },
    /// The first score in the window is not at caseness.
    NotAtCaseness,
}

impl Trajectory {
    /// A trajectory from the first session. Scores are put in date order (same-day scores
    /// keep the order given); a score before the first session is refused, because the
    /// window is counted from that session.
    pub fn new(
        first_session: NaiveDate,
        scores: impl IntoIterator<Item = PairedScores>,
    ) -> Result<Self, TrajectoryError> {
        let mut scores: Vec<PairedScores> = scores.into_iter().collect();
        if let Some(early) = scores.iter().find(|s| s.taken_on < first_session) {
            return Err(TrajectoryError::BeforeFirstSession {
                taken_on: early.taken_on,
                first_session,
            });
        }
        scores.sort_by_key(|s| s.taken_on);
        Ok(Self { first_session, scores })
    }

    /// The day of the first session.
    pub fn first_session(&self) -> NaiveDate {
        self.first_session
    }

    /// Every score, in date order.
    pub fn scores(&self) -> &[PairedScores] {
        &self.scores
    }

    /// The scores dated within `weeks` weeks of the first session (its day included, and
    /// the day exactly `weeks` weeks later).
    pub fn within_weeks(&self, weeks: u32) -> &[PairedScores] {
        let end = window_end(self.first_session, weeks);
        let inside = self.scores.partition_point(|s| end.is_none_or(|end| s.taken_on <= end));
        &self.scores[..inside]
    }

    /// The two days a report over `weeks` weeks judges a trajectory on, from its paired days
    /// alone (`days`, in order, none before `first_session`): the first and the last within
    /// the window, or `None` when fewer than two fall in it. [`Trajectory::eligibility`]
    /// reads only those two days' scores, so a caller whose totals are sealed at rest opens
    /// just those (a property test below holds the two together).
    pub fn judged_days(
        first_session: NaiveDate,
        days: &[NaiveDate],
        weeks: u32,
    ) -> Option<(NaiveDate, NaiveDate)> {
        let end = window_end(first_session, weeks);
        let inside = days.partition_point(|d| end.is_none_or(|end| *d <= end));
        match &days[..inside] {
            [first, .., last] => Some((*first, *last)),
            _ => None,
        }
    }

    /// Whether the trajectory counts in a report over `weeks` weeks.
    pub fn eligibility(&self, weeks: u32) -> Eligibility {
        match self.within_weeks(weeks) {
            [first, .., last] if first.is_case() => {
                Eligibility::Eligible { first: *first, last: *last }
            }
            [_, _, ..] => Eligibility::NotAtCaseness,
            fewer => Eligibility::FewerThanTwoScores { count: fewer.len() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Answers, GAD7, PHQ9};

    fn day(week: u64, extra_days: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 6).expect("date") + Days::new(week * 7 + extra_days)
    }

    fn at(week: u64, phq9: i32, gad7: i32) -> PairedScores {
        PairedScores::new(day(week, 0), phq9, gad7).expect("in range")
    }

    #[test]
    fn totals_outside_their_questionnaires_range_are_refused() {
        assert_eq!(PairedScores::new(day(0, 0), 28, 0), Err(ScoreError::Phq9OutOfRange(28)));
        assert_eq!(PairedScores::new(day(0, 0), 0, 22), Err(ScoreError::Gad7OutOfRange(22)));
        let err = PairedScores::new(day(0, 0), -1, 0).expect_err("negative");
        assert_eq!(err.to_string(), "a PHQ-9 total must be between 0 and 27, got -1");
        assert!(PairedScores::new(day(0, 0), 27, 21).is_ok());
    }

    #[test]
    fn scored_questionnaires_pair_only_as_phq9_then_gad7() {
        let phq9 = Answers::parse(&PHQ9, &[2; 9]).expect("valid").score();
        let gad7 = Answers::parse(&GAD7, &[1; 7]).expect("valid").score();
        let pair = PairedScores::from_scores(day(0, 0), &phq9, &gad7).expect("pair");
        assert_eq!((pair.phq9(), pair.gad7()), (18, 7));
        assert_eq!(
            PairedScores::from_scores(day(0, 0), &gad7, &phq9),
            Err(ScoreError::WrongInstrument {
                expected: InstrumentId::Phq9,
                got: InstrumentId::Gad7
            })
        );
    }

    #[test]
    fn scores_are_kept_in_date_order_whatever_order_they_arrive_in() {
        let t =
            Trajectory::new(day(0, 0), [at(4, 8, 8), at(0, 15, 12), at(2, 12, 10)]).expect("valid");
        let weeks: Vec<u8> = t.scores().iter().map(PairedScores::phq9).collect();
        assert_eq!(weeks, [15, 12, 8]);
    }

    #[test]
    fn scores_dated_before_the_first_session_are_refused() {
        let err = Trajectory::new(day(1, 0), [at(0, 15, 12), at(3, 8, 6)]).expect_err("early");
        assert_eq!(
            err.to_string(),
            "scores taken on 2025-01-06 are dated before the first session on 2025-01-13"
        );
    }

    #[test]
    fn the_window_includes_the_day_exactly_n_weeks_after_the_first_session() {
        let scores =
            [at(0, 15, 12), at(12, 9, 7), PairedScores::new(day(12, 1), 20, 15).expect("ok")];
        let t = Trajectory::new(day(0, 0), scores).expect("valid");
        assert_eq!(t.within_weeks(12).len(), 2);
        assert_eq!(
            t.eligibility(12),
            Eligibility::Eligible { first: at(0, 15, 12), last: at(12, 9, 7) },
            "the score one day late is not the last"
        );
        assert_eq!(t.within_weeks(u32::MAX).len(), 3);
    }

    #[test]
    fn a_trajectory_not_at_caseness_at_baseline_is_not_eligible() {
        let t = Trajectory::new(day(0, 0), [at(0, 9, 7), at(6, 16, 14)]).expect("valid");
        assert_eq!(t.eligibility(12), Eligibility::NotAtCaseness);
    }

    #[test]
    fn a_trajectory_with_only_one_score_is_not_eligible() {
        let t = Trajectory::new(day(0, 0), [at(0, 20, 15)]).expect("valid");
        assert_eq!(t.eligibility(12), Eligibility::FewerThanTwoScores { count: 1 });
        let empty = Trajectory::new(day(0, 0), []).expect("valid");
        assert_eq!(empty.eligibility(12), Eligibility::FewerThanTwoScores { count: 0 });
    }

    #[test]
    fn a_second_score_outside_the_window_leaves_one_score_and_no_eligibility() {
        let t = Trajectory::new(day(0, 0), [at(0, 20, 15), at(20, 5, 4)]).expect("valid");
        assert_eq!(t.eligibility(12), Eligibility::FewerThanTwoScores { count: 1 });
        assert!(matches!(t.eligibility(20), Eligibility::Eligible { .. }));
    }

    proptest::proptest! {
        #[test]
        fn a_trajectory_is_judged_on_its_judged_days_alone(
            scores in proptest::collection::btree_map(0u64..200, (0i32..=27, 0i32..=21), 0..12),
            weeks in 1u32..=30,
        ) {
            let pairs: Vec<PairedScores> = scores
                .iter()
                .map(|(d, (p, g))| PairedScores::new(day(0, *d), *p, *g).expect("in range"))
                .collect();
            let full = Trajectory::new(day(0, 0), pairs.clone()).expect("valid");
            let days: Vec<NaiveDate> = pairs.iter().map(PairedScores::taken_on).collect();
            let judged = Trajectory::judged_days(day(0, 0), &days, weeks);
            let kept = pairs
                .iter()
                .filter(|p| judged.is_some_and(|(a, b)| p.taken_on() == a || p.taken_on() == b));
            let summary = Trajectory::new(day(0, 0), kept.copied()).expect("valid");
            match (full.eligibility(weeks), summary.eligibility(weeks)) {
                (Eligibility::FewerThanTwoScores { .. }, Eligibility::FewerThanTwoScores { count: 0 }) => {
                    proptest::prop_assert!(judged.is_none());
                }
                (whole, from_two) => proptest::prop_assert_eq!(whole, from_two),
            }
        }
    }
}
