//! PHQ-9: the nine-item depression module of the Patient Health Questionnaire
//! (Kroenke, Spitzer & Williams, 2001), as on the Pfizer form.

use super::{Asked, Band, Instrument, InstrumentId, Item, ResponseOption, ScoringRule, Severity};

/// The four frequency options the PHQ-9 and GAD-7 share.
pub(super) const FREQUENCY: [ResponseOption; 4] = [
    ResponseOption { value: 0, label: "Not at all" },
    ResponseOption { value: 1, label: "Several days" },
    ResponseOption { value: 2, label: "More than half the days" },
    ResponseOption { value: 3, label: "Nearly every day" },
];

/// The footer of the PHQ-9 and GAD-7 forms.
pub(super) const PFIZER_ATTRIBUTION: &str = "Developed by Drs. Robert L. Spitzer, Janet B.W. \
Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc.";

pub(super) const PFIZER_LICENCE: &str =
    "No permission required to reproduce, translate, display or distribute.";

pub(super) const MINIMAL: Severity = Severity { slug: "minimal", label: "Minimal" };
pub(super) const MILD: Severity = Severity { slug: "mild", label: "Mild" };
pub(super) const MODERATE: Severity = Severity { slug: "moderate", label: "Moderate" };
const MODERATELY_SEVERE: Severity =
    Severity { slug: "moderately-severe", label: "Moderately severe" };
pub(super) const SEVERE: Severity = Severity { slug: "severe", label: "Severe" };

const fn item(number: u8, text: &'static str) -> Item {
    Item { number, text, follow_up: None, asked: Asked::Always }
}

/// The item that asks about thoughts of death or self-harm; any answer above 0 is a risk.
pub(super) const SELF_HARM_ITEM: u8 = 9;

const ITEMS: [Item; 9] = [
    item(1, "Little interest or pleasure in doing things"),
    item(2, "Feeling down, depressed, or hopeless"),
    item(3, "Trouble falling or staying asleep, or sleeping too much"),
    item(4, "Feeling tired or having little energy"),
    item(5, "Poor appetite or overeating"),
    item(
        6,
        "Feeling bad about yourself \u{2014} or that you are a failure or have let yourself or \
         your family down",
    ),
    item(
        7,
        "Trouble concentrating on things, such as reading the newspaper or watching television",
    ),
    item(
        8,
        "Moving or speaking so slowly that other people could have noticed? Or the opposite \
         \u{2014} being so fidgety or restless that you have been moving around a lot more than \
         usual",
    ),
    item(
        SELF_HARM_ITEM,
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
];

const BANDS: [Band; 5] = [
    Band { min: 0, max: 4, severity: MINIMAL },
    Band { min: 5, max: 9, severity: MILD },
    Band { min: 10, max: 14, severity: MODERATE },
    Band { min: 15, max: 19, severity: MODERATELY_SEVERE },
    Band { min: 20, max: 27, severity: SEVERE },
];

/// The PHQ-9: nine items scored 0–3, total 0–27.
pub static PHQ9: Instrument = Instrument {
    id: InstrumentId::Phq9,
    name: "Patient Health Questionnaire-9",
    short_name: "PHQ-9",
    instructions: "Over the last 2 weeks, how often have you been bothered by any of the \
                   following problems?",
    items: &ITEMS,
    options: &FREQUENCY,
    scoring: ScoringRule::Sum { bands: &BANDS },
    attribution: PFIZER_ATTRIBUTION,
    licence: PFIZER_LICENCE,
};

#[cfg(test)]
mod tests {
    use crate::measures::{Answers, Risk, Score};

    use super::*;

    /// Answers summing to `total`, filled from item 1 and leaving item 9 at 0.
    fn totalling(total: i64) -> Score {
        let mut answers = [0i64; 9];
        let mut left = total;
        for answer in answers.iter_mut().take(8) {
            *answer = left.min(3);
            left -= *answer;
        }
        answers[8] = left;
        Answers::parse(&PHQ9, &answers).expect("valid answers").score()
    }

    #[test]
    fn the_phq9_has_nine_items_in_published_order_with_four_options() {
        assert_eq!(PHQ9.items.len(), 9);
        assert!(PHQ9.items.iter().enumerate().all(|(i, item)| usize::from(item.number) == i + 1));
        assert_eq!(PHQ9.value_range(), (0, 3));
        assert_eq!(PHQ9.option_label(2), Some("More than half the days"));
        assert_eq!(
            PHQ9.items[8].text,
            "Thoughts that you would be better off dead or of hurting yourself in some way"
        );
    }

    #[test]
    fn every_phq9_band_edge_falls_in_the_published_band() {
        let expected = [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "moderately-severe"),
            (19, "moderately-severe"),
            (20, "severe"),
            (24, "severe"),
        ];
        for (total, band) in expected {
            let score = totalling(total);
            assert_eq!(score.total, Some(i32::try_from(total).expect("small")));
            assert_eq!(score.band.map(|b| b.slug), Some(band), "total {total}");
            assert_eq!(score.risk, Risk::None, "item 9 is 0 up to 24");
        }
    }

    #[test]
    fn the_highest_phq9_total_is_27_and_severe() {
        let score = Answers::parse(&PHQ9, &[3; 9]).expect("valid").score();
        assert_eq!(score.total, Some(27));
        assert_eq!(score.band.map(|b| b.label), Some("Severe"));
    }

    #[test]
    fn any_answer_above_zero_on_item_9_flags_risk_even_at_a_minimal_total() {
        let score = Answers::parse(&PHQ9, &[0, 0, 0, 0, 0, 0, 0, 0, 1]).expect("valid").score();
        assert_eq!(score.total, Some(1));
        assert_eq!(score.band.map(|b| b.slug), Some("minimal"));
        assert_eq!(score.risk, Risk::SelfHarmThoughts { answer: 1 });
        assert!(score.risk.is_flagged());
        assert!(!score.risk.is_acute());
    }

    #[test]
    fn item_9_at_zero_flags_no_risk_even_at_a_severe_total() {
        let score = Answers::parse(&PHQ9, &[3, 3, 3, 3, 3, 3, 3, 3, 0]).expect("valid").score();
        assert_eq!(score.total, Some(24));
        assert_eq!(score.risk, Risk::None);
    }
}
