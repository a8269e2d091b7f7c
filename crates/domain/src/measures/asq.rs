//! ASQ: the NIMH Ask Suicide-Screening Questions. Four yes/no questions, then an acuity
//! question asked only when any of them is yes.
//!
//! The NIMH treats a refusal to answer items 1–4 as a positive screen; a form that allows
//! refusing should record it as yes.

use serde::Serialize;

use super::{Asked, Instrument, InstrumentId, Item, ResponseOption, ScoringRule, Severity};

/// The items whose yes makes the screen positive.
pub(super) const SCREENING_ITEMS: [u8; 4] = [1, 2, 3, 4];
/// The acuity question.
pub(super) const ACUITY_ITEM: u8 = 5;

pub(super) const NO: u8 = 0;
pub(super) const YES: u8 = 1;

const OPTIONS: [ResponseOption; 2] =
    [ResponseOption { value: NO, label: "No" }, ResponseOption { value: YES, label: "Yes" }];

const ITEMS: [Item; 5] = [
    Item {
        number: 1,
        text: "In the past few weeks, have you wished you were dead?",
        follow_up: None,
        asked: Asked::Always,
    },
    Item {
        number: 2,
        text: "In the past few weeks, have you felt that you or your family would be better off \
               if you were dead?",
        follow_up: None,
        asked: Asked::Always,
    },
    Item {
        number: 3,
        text: "In the past week, have you been having thoughts about killing yourself?",
        follow_up: None,
        asked: Asked::Always,
    },
    Item {
        number: 4,
        text: "Have you ever tried to kill yourself?",
        follow_up: Some("If yes, how? When?"),
        asked: Asked::Always,
    },
    Item {
        number: ACUITY_ITEM,
        text: "Are you having thoughts of killing yourself right now?",
        follow_up: Some("If yes, please describe:"),
        asked: Asked::IfAnyYes(&SCREENING_ITEMS),
    },
];

/// The ASQ: four screening questions and one acuity question, answered 0 (no) or 1 (yes).
pub static ASQ: Instrument = Instrument {
    id: InstrumentId::Asq,
    name: "Ask Suicide-Screening Questions",
    short_name: "ASQ",
    instructions: "These questions are about thoughts of suicide. Please answer the first four; \
                   the fifth appears only if you answer yes to any of them. Your care team reads \
                   every answer.",
    items: &ITEMS,
    options: &OPTIONS,
    scoring: ScoringRule::SuicideScreen,
    attribution: "Ask Suicide-Screening Questions (ASQ), National Institute of Mental Health \
                  (NIMH).",
    licence: "Public domain: a free resource of the NIMH ASQ Toolkit.",
};

/// The result of an ASQ screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AsqResult {
    /// No to all of items 1–4.
    Negative,
    /// Yes to any of items 1–4, no to item 5: potential risk, a brief safety assessment is
    /// needed before the person leaves.
    NonAcutePositive,
    /// Yes to item 5: imminent risk; the person needs a full safety evaluation now.
    AcutePositive,
}

impl AsqResult {
    /// Reads the screen from the answers to items 1–4 and, when asked, item 5.
    ///
    /// A yes to item 5 is acute even if items 1–4 were all no: the protocol would not have
    /// asked it, but a person who says so must not be screened out.
    pub fn from_answers(screening: [bool; 4], acuity: Option<bool>) -> Self {
        match (screening.contains(&true), acuity) {
            (_, Some(true)) => AsqResult::AcutePositive,
            (true, _) => AsqResult::NonAcutePositive,
            (false, _) => AsqResult::Negative,
        }
    }

    /// The result as a named level.
    pub fn severity(self) -> Severity {
        match self {
            AsqResult::Negative => Severity { slug: "negative", label: "Negative screen" },
            AsqResult::NonAcutePositive => {
                Severity { slug: "non-acute-positive", label: "Non-acute positive screen" }
            }
            AsqResult::AcutePositive => {
                Severity { slug: "acute-positive", label: "Acute positive screen" }
            }
        }
    }

    /// Whether the screen is positive (acute or not).
    pub fn is_positive(self) -> bool {
        self != AsqResult::Negative
    }
}

#[cfg(test)]
mod tests {
    use crate::measures::{AnswerError, Answers, Risk};

    use super::*;

    #[test]
    fn all_no_to_the_four_questions_is_a_negative_screen_without_the_acuity_question() {
        let score = Answers::parse(&ASQ, &[0, 0, 0, 0]).expect("valid").score();
        assert_eq!(score.total, None);
        assert_eq!(score.band.map(|b| b.slug), Some("negative"));
        assert_eq!(score.risk, Risk::None);
        assert!(!score.risk.is_flagged());
    }

    #[test]
    fn all_no_with_no_to_the_acuity_question_is_still_negative() {
        let score = Answers::parse(&ASQ, &[0, 0, 0, 0, 0]).expect("valid").score();
        assert_eq!(score.band.map(|b| b.slug), Some("negative"));
    }

    #[test]
    fn any_yes_with_no_to_the_acuity_question_is_a_non_acute_positive_risk() {
        for position in 0..4 {
            let mut answers = [0i64; 5];
            answers[position] = 1;
            let score = Answers::parse(&ASQ, &answers).expect("valid").score();
            assert_eq!(score.band.map(|b| b.slug), Some("non-acute-positive"));
            assert_eq!(score.risk, Risk::PositiveScreen);
            assert!(score.risk.is_flagged());
            assert!(!score.risk.is_acute());
        }
    }

    #[test]
    fn yes_to_the_acuity_question_is_an_acute_positive_flagged_distinctly() {
        let score = Answers::parse(&ASQ, &[1, 0, 1, 0, 1]).expect("valid").score();
        assert_eq!(score.band.map(|b| b.label), Some("Acute positive screen"));
        assert_eq!(score.risk, Risk::AcutePositiveScreen);
        assert!(score.risk.is_flagged());
        assert!(score.risk.is_acute());
    }

    #[test]
    fn yes_to_the_acuity_question_is_acute_even_when_it_should_not_have_been_asked() {
        let score = Answers::parse(&ASQ, &[0, 0, 0, 0, 1]).expect("valid").score();
        assert_eq!(score.risk, Risk::AcutePositiveScreen);
    }

    #[test]
    fn a_positive_screen_without_the_acuity_answer_is_refused_naming_item_5() {
        let err = Answers::parse(&ASQ, &[0, 1, 0, 0]).expect_err("item 5 is required");
        assert_eq!(err, AnswerError::ConditionalUnanswered { item: 5 });
        assert_eq!(err.to_string(), "item 5 must be answered when any of items 1\u{2013}4 is yes");
    }

    #[test]
    fn asq_answers_other_than_zero_or_one_are_refused_naming_the_item() {
        let err = Answers::parse(&ASQ, &[0, 0, 2, 0]).expect_err("2 is not yes or no");
        assert_eq!(err.to_string(), "item 3 must be between 0 and 1, got 2");
        let err = Answers::parse(&ASQ, &[0, 0, 0]).expect_err("too few");
        assert_eq!(err.to_string(), "expected 4 or 5 answers, got 3");
    }
}
