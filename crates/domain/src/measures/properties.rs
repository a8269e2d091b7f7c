//! Property tests: any valid answers score inside the published range and bands, and
//! anything outside the options is refused.

use super::*;
use proptest::prelude::*;

/// Valid answers to `instrument`: one option value per always-asked item, plus any
/// conditional item whenever it may be given.
fn valid_answers(instrument: &'static Instrument) -> impl Strategy<Value = Vec<i64>> {
    let (lo, hi) = instrument.value_range();
    let n = instrument.items.len();
    (prop::collection::vec(i64::from(lo)..=i64::from(hi), n), any::<bool>()).prop_map(
        move |(mut answers, drop_conditional)| {
            let always = instrument.items.iter().filter(|i| i.asked == Asked::Always).count();
            // Conditional items may be left off only when their condition is unmet.
            if drop_conditional && answers[..always].iter().all(|&a| a == 0) {
                answers.truncate(always);
            }
            answers
        },
    )
}

fn any_instrument() -> impl Strategy<Value = &'static Instrument> {
    prop::sample::select(InstrumentId::ALL.to_vec()).prop_map(InstrumentId::instrument)
}

proptest! {
    #[test]
    fn valid_answers_always_score_within_the_published_range_and_bands(
        (instrument, answers) in any_instrument().prop_flat_map(|i| (Just(i), valid_answers(i)))
    ) {
        let score = Answers::parse(instrument, &answers).expect("valid").score();
        prop_assert_eq!(score.instrument, instrument.id);
        match instrument.id {
            InstrumentId::Phq9 => {
                let total = score.total.expect("a total");
                prop_assert!((0..=27).contains(&total));
                prop_assert!(score.band.is_some());
                prop_assert_eq!(score.risk.is_flagged(), answers[8] > 0);
            }
            InstrumentId::Gad7 => {
                let total = score.total.expect("a total");
                prop_assert!((0..=21).contains(&total));
                prop_assert!(score.band.is_some());
                prop_assert_eq!(score.risk, Risk::None);
            }
            InstrumentId::Proqol5 => {
                prop_assert_eq!(score.total, None);
                prop_assert_eq!(score.subscales.len(), 3);
                for s in &score.subscales {
                    prop_assert!((10..=50).contains(&s.score), "{} = {}", s.slug, s.score);
                }
            }
            InstrumentId::Asq => {
                prop_assert_eq!(score.total, None);
                let positive = answers[..4].contains(&1);
                let acute = answers.get(4) == Some(&1);
                prop_assert_eq!(score.risk.is_flagged(), positive || acute);
                prop_assert_eq!(score.risk.is_acute(), acute);
            }
        }
    }

    #[test]
    fn any_answer_outside_the_options_is_refused_naming_its_item(
        (instrument, mut answers, at, bad) in any_instrument()
            .prop_flat_map(|i| (Just(i), valid_answers(i)))
            .prop_flat_map(|(i, a)| {
                let len = a.len();
                (Just(i), Just(a), 0..len, prop_oneof![i64::MIN..0, 6..i64::MAX])
            })
    ) {
        answers[at] = bad;
        let err = Answers::parse(instrument, &answers).expect_err("out of range");
        let (min, max) = instrument.value_range();
        prop_assert_eq!(err, AnswerError::OutOfRange { item: at + 1, min, max, got: bad });
    }
}
