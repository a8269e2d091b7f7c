//! GAD-7: the Generalized Anxiety Disorder seven-item scale (Spitzer, Kroenke, Williams &
//! Löwe, 2006), from the same Pfizer family as the PHQ-9.

use super::phq9::{FREQUENCY, MILD, MINIMAL, MODERATE, PFIZER_ATTRIBUTION, PFIZER_LICENCE, SEVERE};
use super::{Asked, Band, Instrument, InstrumentId, Item, ScoringRule};

const fn item(number: u8, text: &'static str) -> Item {
    Item { number, text, follow_up: None, asked: Asked::Always }
}

const ITEMS: [Item; 7] = [
    item(1, "Feeling nervous, anxious, or on edge"),
    item(2, "Not being able to stop or control worrying"),
    item(3, "Worrying too much about different things"),
    item(4, "Trouble relaxing"),
    item(5, "Being so restless that it is hard to sit still"),
    item(6, "Becoming easily annoyed or irritable"),
    item(7, "Feeling afraid, as if something awful might happen"),
];

const BANDS: [Band; 4] = [
    Band { min: 0, max: 4, severity: MINIMAL },
    Band { min: 5, max: 9, severity: MILD },
    Band { min: 10, max: 14, severity: MODERATE },
    Band { min: 15, max: 21, severity: SEVERE },
];

/// The GAD-7: seven items scored 0–3, total 0–21.
pub static GAD7: Instrument = Instrument {
    id: InstrumentId::Gad7,
    name: "Generalized Anxiety Disorder 7-item scale",
    short_name: "GAD-7",
    instructions: "Over the last 2 weeks, how often have you been bothered by the following \
                   problems?",
    items: &ITEMS,
    options: &FREQUENCY,
    scoring: ScoringRule::Sum { bands: &BANDS },
    attribution: PFIZER_ATTRIBUTION,
    licence: PFIZER_LICENCE,
};

#[cfg(test)]
mod tests {
    use crate::measures::{Answers, Risk};

    use super::*;

    fn band_of(answers: &[i64]) -> (Option<i32>, Option<&'static str>) {
        let score = Answers::parse(&GAD7, answers).expect("valid").score();
        assert_eq!(score.risk, Risk::None, "the GAD-7 has no item-level risk");
        (score.total, score.band.map(|b| b.slug))
    }

    #[test]
    fn the_gad7_has_seven_items_and_the_phq_options() {
        assert_eq!(GAD7.items.len(), 7);
        assert_eq!(GAD7.options[3].label, "Nearly every day");
        assert_eq!(GAD7.attribution, crate::measures::PHQ9.attribution);
    }

    #[test]
    fn every_gad7_band_edge_falls_in_the_published_band() {
        assert_eq!(band_of(&[0, 0, 0, 0, 0, 0, 0]), (Some(0), Some("minimal")));
        assert_eq!(band_of(&[3, 1, 0, 0, 0, 0, 0]), (Some(4), Some("minimal")));
        assert_eq!(band_of(&[3, 2, 0, 0, 0, 0, 0]), (Some(5), Some("mild")));
        assert_eq!(band_of(&[3, 3, 3, 0, 0, 0, 0]), (Some(9), Some("mild")));
        assert_eq!(band_of(&[3, 3, 3, 1, 0, 0, 0]), (Some(10), Some("moderate")));
        assert_eq!(band_of(&[3, 3, 3, 3, 2, 0, 0]), (Some(14), Some("moderate")));
        assert_eq!(band_of(&[3, 3, 3, 3, 3, 0, 0]), (Some(15), Some("severe")));
        assert_eq!(band_of(&[3, 3, 3, 3, 3, 3, 3]), (Some(21), Some("severe")));
    }
}
