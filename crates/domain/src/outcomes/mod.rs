//! Outcomes of a course of care from paired PHQ-9 and GAD-7 totals, defined as NHS Talking
//! Therapies (formerly IAPT) publishes them, plus the PHQ-9 conventions of response and
//! remission; and rates with Wilson score intervals over many people.
//!
//! # Definitions
//!
//! - **Caseness**: a measurement is at caseness when the PHQ-9 total is 10 or more or the
//!   GAD-7 total is 8 or more (above the clinical cut-off on either measure).
//! - **Reliable improvement**: from the first measurement to the last, the PHQ-9 fell by 6
//!   or more or the GAD-7 fell by 4 or more, and neither measure reliably deteriorated.
//! - **Reliable deterioration**: from the first measurement to the last, the PHQ-9 rose by
//!   6 or more or the GAD-7 rose by 4 or more, and neither measure reliably improved.
//! - **Recovery**: at caseness at the first measurement and not at caseness at the last.
//! - **Reliable recovery**: both recovery and reliable improvement.
//! - **Response** (a PHQ-9 convention, not an NHS Talking Therapies measure): the PHQ-9 fell
//!   by at least half from the first measurement.
//! - **Remission** (likewise): the last PHQ-9 total is below 5.
//!
//! The reliable-change thresholds (6 and 4) are the measurement error of each questionnaire:
//! a smaller change could be noise. NHS Talking Therapies uses a disorder-specific anxiety
//! measure in place of the GAD-7 for some diagnoses; Hearth uses the GAD-7 throughout.
//!
//! # Who counts
//!
//! A [`Trajectory`] is one person's paired scores from their first session on. For a report
//! over a window of N weeks it is **eligible** when it has at least two paired scores dated
//! within N weeks of the first session and the first of them is at caseness; outcomes
//! compare the first and last scores in the window. Everyone else is counted, by reason, but
//! is not in any denominator (see [`outcome_report`]).

mod definitions;
mod rate;
mod report;
mod trajectory;

pub use definitions::{
    CASENESS_DEFINITION, CASENESS_GAD7, CASENESS_PHQ9, Outcome, RELIABLE_CHANGE_GAD7,
    RELIABLE_CHANGE_PHQ9, REMISSION_BELOW_PHQ9,
};
pub use rate::Rate;
pub use report::{OutcomeCount, OutcomeReport, outcome_report};
pub use trajectory::{Eligibility, PairedScores, ScoreError, Trajectory, TrajectoryError};
