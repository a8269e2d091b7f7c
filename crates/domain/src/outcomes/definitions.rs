//! The outcome definitions, as code and as the text shown beside every reported rate.

use serde::Serialize;

use super::PairedScores;

/// A PHQ-9 total at or above this is at caseness.
pub const CASENESS_PHQ9: u8 = 10;
/// A GAD-7 total at or above this is at caseness.
pub const CASENESS_GAD7: u8 = 8;
/// The smallest PHQ-9 change that is reliable (beyond the questionnaire's measurement error).
pub const RELIABLE_CHANGE_PHQ9: i32 = 6;
/// The smallest GAD-7 change that is reliable.
pub const RELIABLE_CHANGE_GAD7: i32 = 4;
/// A last PHQ-9 total below this is remission.
pub const REMISSION_BELOW_PHQ9: u8 = 5;

/// What caseness means, for people.
pub const CASENESS_DEFINITION: &str = "A measurement is at caseness when the PHQ-9 total is 10 \
or more or the GAD-7 total is 8 or more (above the clinical cut-off on either measure).";

/// An outcome of a course of care, judged on the first and last paired scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The PHQ-9 fell by 6 or more or the GAD-7 fell by 4 or more, and neither measure
    /// reliably deteriorated (a PHQ-9 rise of 6 or more, or a GAD-7 rise of 4 or more).
    ReliableImprovement,
    /// The PHQ-9 rose by 6 or more or the GAD-7 rose by 4 or more, and neither measure
    /// reliably improved (a PHQ-9 fall of 6 or more, or a GAD-7 fall of 4 or more).
    ReliableDeterioration,
    /// At caseness at the first measurement and not at caseness at the last.
    Recovery,
    /// Both recovery and reliable improvement.
    ReliableRecovery,
    /// The PHQ-9 fell by at least 50% from the first measurement.
    Response,
    /// The last PHQ-9 total is below 5.
    Remission,
}

impl Outcome {
    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 6] = [
        Outcome::ReliableImprovement,
        Outcome::ReliableDeterioration,
        Outcome::Recovery,
        Outcome::ReliableRecovery,
        Outcome::Response,
        Outcome::Remission,
    ];

    /// Stable, kebab-case.
    pub fn slug(self) -> &'static str {
        match self {
            Outcome::ReliableImprovement => "reliable-improvement",
            Outcome::ReliableDeterioration => "reliable-deterioration",
            Outcome::Recovery => "recovery",
            Outcome::ReliableRecovery => "reliable-recovery",
            Outcome::Response => "response",
            Outcome::Remission => "remission",
        }
    }

    /// For people.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::ReliableImprovement => "Reliable improvement",
            Outcome::ReliableDeterioration => "Reliable deterioration",
            Outcome::Recovery => "Recovery",
            Outcome::ReliableRecovery => "Reliable recovery",
            Outcome::Response => "Response",
            Outcome::Remission => "Remission",
        }
    }

    /// The definition, in full, to print beside the rate.
    pub fn definition(self) -> &'static str {
        match self {
            Outcome::ReliableImprovement => {
                "From the first measurement to the last, the PHQ-9 total fell by 6 or more or \
                 the GAD-7 total fell by 4 or more, and neither measure reliably deteriorated \
                 (a PHQ-9 rise of 6 or more, or a GAD-7 rise of 4 or more)."
            }
            Outcome::ReliableDeterioration => {
                "From the first measurement to the last, the PHQ-9 total rose by 6 or more or \
                 the GAD-7 total rose by 4 or more, and neither measure reliably improved (a \
                 PHQ-9 fall of 6 or more, or a GAD-7 fall of 4 or more)."
            }
            Outcome::Recovery => {
                "At caseness at the first measurement (PHQ-9 of 10 or more, or GAD-7 of 8 or \
                 more) and not at caseness at the last (PHQ-9 below 10 and GAD-7 below 8)."
            }
            Outcome::ReliableRecovery => "Both recovery and reliable improvement.",
            Outcome::Response => {
                "The PHQ-9 total fell by at least 50% from the first measurement to the last."
            }
            Outcome::Remission => "The PHQ-9 total at the last measurement is below 5.",
        }
    }

    /// Whether the outcome holds between the `first` and `last` measurements.
    pub fn holds(self, first: PairedScores, last: PairedScores) -> bool {
        let change = Change::between(first, last);
        match self {
            Outcome::ReliableImprovement => change.improved() && !change.deteriorated(),
            Outcome::ReliableDeterioration => change.deteriorated() && !change.improved(),
            Outcome::Recovery => first.is_case() && !last.is_case(),
            Outcome::ReliableRecovery => {
                Outcome::Recovery.holds(first, last)
                    && Outcome::ReliableImprovement.holds(first, last)
            }
            // Halved or better, and an actual fall: 0 → 0 is not a response.
            Outcome::Response => last.phq9() < first.phq9() && 2 * last.phq9() <= first.phq9(),
            Outcome::Remission => last.phq9() < REMISSION_BELOW_PHQ9,
        }
    }
}

/// Signed change, last minus first, on each measure.
struct Change {
    phq9: i32,
    gad7: i32,
}

impl Change {
    fn between(first: PairedScores, last: PairedScores) -> Self {
        Self {
            phq9: i32::from(last.phq9()) - i32::from(first.phq9()),
            gad7: i32::from(last.gad7()) - i32::from(first.gad7()),
        }
    }

    fn improved(&self) -> bool {
        self.phq9 <= -RELIABLE_CHANGE_PHQ9 || self.gad7 <= -RELIABLE_CHANGE_GAD7
    }

    fn deteriorated(&self) -> bool {
        self.phq9 >= RELIABLE_CHANGE_PHQ9 || self.gad7 >= RELIABLE_CHANGE_GAD7
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn pair(phq9: i32, gad7: i32) -> PairedScores {
        let day = NaiveDate::from_ymd_opt(2025, 3, 3).expect("date");
        PairedScores::new(day, phq9, gad7).expect("in range")
    }

    fn outcomes(first: (i32, i32), last: (i32, i32)) -> Vec<Outcome> {
        let (first, last) = (pair(first.0, first.1), pair(last.0, last.1));
        Outcome::ALL.into_iter().filter(|o| o.holds(first, last)).collect()
    }

    use Outcome::{
        Recovery, ReliableDeterioration, ReliableImprovement, ReliableRecovery, Remission, Response,
    };

    #[test]
    fn caseness_is_a_phq9_of_10_or_a_gad7_of_8_and_not_one_point_below() {
        assert!(pair(10, 0).is_case());
        assert!(pair(0, 8).is_case());
        assert!(!pair(9, 7).is_case());
        assert!(pair(27, 21).is_case());
    }

    #[test]
    fn a_fall_of_6_on_the_phq9_is_reliable_improvement_and_a_fall_of_5_is_not() {
        assert!(outcomes((16, 10), (10, 10)).contains(&ReliableImprovement));
        assert!(!outcomes((16, 10), (11, 10)).contains(&ReliableImprovement));
    }

    #[test]
    fn a_fall_of_4_on_the_gad7_alone_is_reliable_improvement_and_a_fall_of_3_is_not() {
        assert!(outcomes((12, 12), (12, 8)).contains(&ReliableImprovement));
        assert!(!outcomes((12, 12), (12, 9)).contains(&ReliableImprovement));
    }

    #[test]
    fn improving_on_the_phq9_while_reliably_worse_on_the_gad7_is_neither_improvement_nor_deterioration()
     {
        // PHQ-9 falls by 8 (reliable), GAD-7 rises by 4 (reliable): the two cancel out.
        let got = outcomes((18, 9), (10, 13));
        assert!(!got.contains(&ReliableImprovement));
        assert!(!got.contains(&ReliableDeterioration));
        assert!(!got.contains(&ReliableRecovery));
    }

    #[test]
    fn a_rise_of_6_on_the_phq9_or_4_on_the_gad7_is_reliable_deterioration() {
        assert_eq!(outcomes((10, 5), (16, 5)), [ReliableDeterioration]);
        assert_eq!(outcomes((10, 5), (10, 9)), [ReliableDeterioration]);
        assert!(!outcomes((10, 5), (15, 8)).contains(&ReliableDeterioration), "5 and 3");
    }

    #[test]
    fn recovery_needs_caseness_at_the_start_and_none_at_the_end() {
        assert!(outcomes((10, 3), (9, 3)).contains(&Recovery));
        assert!(!outcomes((10, 3), (9, 8)).contains(&Recovery), "the GAD-7 is still a case");
        assert!(!outcomes((9, 7), (2, 1)).contains(&Recovery), "never a case");
    }

    #[test]
    fn leaving_caseness_by_a_small_change_is_recovery_but_not_reliable_recovery() {
        let got = outcomes((10, 8), (9, 7));
        assert!(got.contains(&Recovery));
        assert!(!got.contains(&ReliableImprovement));
        assert!(!got.contains(&ReliableRecovery));
    }

    #[test]
    fn reliable_recovery_needs_both_recovery_and_reliable_improvement() {
        assert_eq!(
            outcomes((15, 12), (5, 4)),
            [ReliableImprovement, Recovery, ReliableRecovery, Response]
        );
        // Reliably improved but still at caseness: no recovery of either kind.
        let got = outcomes((22, 15), (14, 9));
        assert!(got.contains(&ReliableImprovement));
        assert!(!got.contains(&ReliableRecovery));
    }

    #[test]
    fn response_is_a_phq9_fall_of_at_least_half_and_never_from_zero() {
        assert!(outcomes((20, 9), (10, 9)).contains(&Response));
        assert!(!outcomes((20, 9), (11, 9)).contains(&Response));
        assert!(outcomes((15, 9), (7, 9)).contains(&Response), "7 is below 7.5");
        assert!(!outcomes((0, 9), (0, 9)).contains(&Response));
    }

    #[test]
    fn remission_is_a_last_phq9_below_5() {
        assert!(outcomes((12, 9), (4, 9)).contains(&Remission));
        assert!(!outcomes((12, 9), (5, 9)).contains(&Remission));
    }

    #[test]
    fn every_outcome_has_a_slug_a_name_and_a_definition() {
        for outcome in Outcome::ALL {
            assert!(!outcome.slug().is_empty() && !outcome.name().is_empty());
            assert!(outcome.definition().ends_with('.'), "{}", outcome.slug());
        }
        assert!(Outcome::ReliableImprovement.definition().contains("neither measure"));
    }
}
