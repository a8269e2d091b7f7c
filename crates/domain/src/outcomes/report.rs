//! Outcome rates over many people, each shown with its denominator.

use serde::Serialize;

use super::{Eligibility, Outcome, Rate, Trajectory};

/// How many eligible people met one outcome.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OutcomeCount {
    /// Which outcome.
    pub outcome: Outcome,
    /// How many eligible people met it.
    pub numerator: u32,
    /// Everyone eligible: the same for every outcome in a report.
    pub denominator: u32,
    /// `None` when nobody was eligible.
    pub rate: Option<Rate>,
}

/// Outcomes over a set of trajectories within a window from each first session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeReport {
    /// Scores count when dated within this many weeks of each first session.
    pub window_weeks: u32,
    /// Every trajectory given, eligible or not.
    pub considered: u32,
    /// The denominator of every outcome.
    pub eligible: u32,
    /// Left out: fewer than two paired scores in the window.
    pub fewer_than_two_scores: u32,
    /// Left out: the first score in the window was not at caseness.
    pub not_at_caseness: u32,
    /// One line per outcome, in [`Outcome::ALL`] order.
    pub outcomes: [OutcomeCount; 6],
}

impl OutcomeReport {
    /// The line for one outcome.
    pub fn count(&self, outcome: Outcome) -> &OutcomeCount {
        // Built in `Outcome::ALL` order, so the positions match.
        let at = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or_default();
        &self.outcomes[at]
    }
}

/// Counts every outcome over `trajectories`, each judged on its scores within
/// `window_weeks` weeks of its first session. Only eligible trajectories (at caseness at the
/// first score, with at least two scores in the window) enter the denominators.
pub fn outcome_report(trajectories: &[Trajectory], window_weeks: u32) -> OutcomeReport {
    let mut met = [0u32; 6];
    let (mut considered, mut eligible, mut fewer, mut not_case) = (0u32, 0u32, 0u32, 0u32);
    for trajectory in trajectories {
        considered += 1;
        match trajectory.eligibility(window_weeks) {
            Eligibility::Eligible { first, last } => {
                eligible += 1;
                for (count, outcome) in met.iter_mut().zip(Outcome::ALL) {
                    *count += u32::from(outcome.holds(first, last));
                }
            }
            Eligibility::FewerThanTwoScores { .. } => fewer += 1,
            Eligibility::NotAtCaseness => not_case += 1,
        }
    }
    let outcomes = std::array::from_fn(|at| OutcomeCount {
        outcome: Outcome::ALL[at],
        numerator: met[at],
        denominator: eligible,
        rate: Rate::wilson(met[at], eligible),
    });
    OutcomeReport {
        window_weeks,
        considered,
        eligible,
        fewer_than_two_scores: fewer,
        not_at_caseness: not_case,
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PairedScores;
    use chrono::{Days, NaiveDate};

    fn day(week: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 6).expect("date") + Days::new(week * 7)
    }

    /// A trajectory starting at week 0 with (week, PHQ-9, GAD-7) scores.
    fn trajectory(scores: &[(u64, i32, i32)]) -> Trajectory {
        let scores = scores
            .iter()
            .map(|&(week, phq9, gad7)| PairedScores::new(day(week), phq9, gad7).expect("range"));
        Trajectory::new(day(0), scores).expect("valid")
    }

    /// Twelve people; the comment on each gives its outcomes by hand over 12 weeks
    /// (RI reliable improvement, RD deterioration, Rec recovery, RR reliable recovery,
    /// Resp response, Rem remission).
    fn dataset() -> Vec<Trajectory> {
        vec![
            // 1: PHQ −10, GAD −8; ends 5/4: RI Rec RR Resp (5 ≤ 7.5), not Rem (5 is not < 5).
            trajectory(&[(0, 15, 12), (8, 5, 4)]),
            // 2: PHQ −16, GAD −12; ends 4/3: RI Rec RR Resp Rem.
            trajectory(&[(0, 20, 15), (10, 4, 3)]),
            // 3: PHQ −1, GAD 0; still a case: nothing.
            trajectory(&[(0, 12, 9), (6, 11, 9)]),
            // 4: PHQ −1; leaves caseness (9 < 10, 5 < 8): Rec only.
            trajectory(&[(0, 10, 5), (6, 9, 5)]),
            // 5: PHQ −6 but GAD +5: reliable both ways, so neither RI nor RD; GAD still a case.
            trajectory(&[(0, 14, 10), (12, 8, 15)]),
            // 6: PHQ +7, GAD +5: RD.
            trajectory(&[(0, 11, 8), (5, 18, 13)]),
            // 7: a case by the GAD-7 alone (9, 10); PHQ −6, GAD −8, ends 3/2: RI Rec RR Resp Rem.
            trajectory(&[(0, 9, 10), (12, 3, 2)]),
            // 8: not at caseness at baseline (7, 6): left out.
            trajectory(&[(0, 7, 6), (6, 2, 1)]),
            // 9: the second score is at week 20, outside the window: one score, left out.
            trajectory(&[(0, 16, 12), (20, 6, 5)]),
            // 10: three scores; the last in the window (week 10) counts, not week 4:
            //     PHQ −12, GAD −7, ends 6/7: RI Rec RR Resp; week 14 is outside the window.
            trajectory(&[(0, 18, 14), (4, 12, 10), (10, 6, 7), (14, 22, 18)]),
            // 11: PHQ −6, GAD −4, ends 7/5: RI Rec RR; not Resp (7 > 6.5).
            trajectory(&[(0, 13, 9), (9, 7, 5)]),
            // 12: PHQ −1, GAD −1, ends 9/7: Rec only.
            trajectory(&[(0, 10, 8), (3, 9, 7)]),
        ]
    }

    #[test]
    fn a_report_over_twelve_people_matches_the_hand_counts() {
        let report = outcome_report(&dataset(), 12);
        assert_eq!(report.window_weeks, 12);
        assert_eq!(report.considered, 12);
        assert_eq!(
            (report.eligible, report.not_at_caseness, report.fewer_than_two_scores),
            (10, 1, 1)
        );
        // Tallied from the comments: eligible people 1–7 and 10–12.
        let expected = [
            (Outcome::ReliableImprovement, 5),   // 1, 2, 7, 10, 11
            (Outcome::ReliableDeterioration, 1), // 6
            (Outcome::Recovery, 7),              // 1, 2, 4, 7, 10, 11, 12
            (Outcome::ReliableRecovery, 5),      // 1, 2, 7, 10, 11
            (Outcome::Response, 4),              // 1, 2, 7, 10
            (Outcome::Remission, 2),             // 2, 7
        ];
        for (outcome, numerator) in expected {
            let line = report.count(outcome);
            assert_eq!((line.outcome, line.numerator, line.denominator), (outcome, numerator, 10));
        }
        let order: Vec<Outcome> = report.outcomes.iter().map(|line| line.outcome).collect();
        assert_eq!(order, Outcome::ALL);
    }

    #[test]
    fn the_reports_recovery_rate_carries_the_hand_computed_wilson_interval() {
        // Recovery 7/10: centre 0.644493, half-width 0.247716 (see rate.rs) → [0.3968, 0.8922].
        // Reliable improvement 5/10: centre 0.5, half-width 1.959964 × √(0.025 + 0.009604)
        // / 1.384146 = 0.263407 → [0.2366, 0.7634].
        let report = outcome_report(&dataset(), 12);
        let four = |x: f64| (x * 10_000.0).round() / 10_000.0;
        let interval = |outcome| {
            let rate = report.count(outcome).rate.expect("ten eligible");
            (four(rate.rate), four(rate.ci95.0), four(rate.ci95.1))
        };
        assert_eq!(interval(Outcome::Recovery), (0.7, 0.3968, 0.8922));
        assert_eq!(interval(Outcome::ReliableImprovement), (0.5, 0.2366, 0.7634));
    }

    #[test]
    fn a_wider_window_lets_later_scores_count() {
        // Over 20 weeks person 9 becomes eligible (16/12 → 6/5: RI Rec RR Resp), and
        // person 10 is judged at week 14 (18/14 → 22/18: PHQ +4, GAD +4 → RD, still a case).
        let report = outcome_report(&dataset(), 20);
        assert_eq!(report.eligible, 11);
        assert_eq!(report.count(Outcome::Recovery).numerator, 7, "9 in, 10 out");
        assert_eq!(report.count(Outcome::ReliableDeterioration).numerator, 2, "6 and 10");
    }

    #[test]
    fn with_nobody_eligible_every_line_shows_a_zero_denominator_and_no_rate() {
        let report = outcome_report(&[trajectory(&[(0, 20, 15)])], 12);
        assert_eq!((report.considered, report.eligible, report.fewer_than_two_scores), (1, 0, 1));
        assert!(report.outcomes.iter().all(|l| l.denominator == 0 && l.rate.is_none()));
        assert_eq!(outcome_report(&[], 12).considered, 0);
    }
}
