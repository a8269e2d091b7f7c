//! Answers parsed once against their instrument: right count, every value an option.

use super::asq::YES;
use super::{Asked, Instrument};

/// Why a set of answers does not fit its instrument. Items are 1-based, as printed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// Too few or too many answers; `min` and `max` differ when the last items are
    /// conditional.
    #[error("expected {} answers, got {got}", count_text(*.min, *.max))]
    WrongCount { min: usize, max: usize, got: usize },
    /// An answer that is not one of the item's options.
    #[error("item {item} must be between {min} and {max}, got {got}")]
    OutOfRange { item: usize, min: u8, max: u8, got: i64 },
    /// A fractional or non-finite number (from JSON).
    #[error("item {item} must be a whole number")]
    NotWholeNumber { item: usize },
    /// A conditional item left off although its condition holds. Only the ASQ's acuity
    /// question is conditional, hence the wording.
    #[error("item {item} must be answered when any of items 1\u{2013}4 is yes")]
    ConditionalUnanswered { item: usize },
}

fn count_text(min: usize, max: usize) -> String {
    if min == max { min.to_string() } else { format!("{min} or {max}") }
}

/// A complete, in-range set of answers to one instrument. `values[0]` answers item 1;
/// a conditional item that was not asked has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    instrument: &'static Instrument,
    values: Vec<u8>,
}

impl Answers {
    /// Parses one integer per item, in item order. Items asked only on a condition (the
    /// ASQ's item 5) may be left off when their condition does not hold.
    pub fn parse(instrument: &'static Instrument, raw: &[i64]) -> Result<Self, AnswerError> {
        let max_count = instrument.items.len();
        let min_count = instrument.items.iter().filter(|item| item.asked == Asked::Always).count();
        if raw.len() < min_count || raw.len() > max_count {
            return Err(AnswerError::WrongCount { min: min_count, max: max_count, got: raw.len() });
        }
        let (min, max) = instrument.value_range();
        let values = raw
            .iter()
            .enumerate()
            .map(|(i, &answer)| {
                u8::try_from(answer)
                    .ok()
                    .filter(|&v| instrument.option_label(v).is_some())
                    .ok_or(AnswerError::OutOfRange { item: i + 1, min, max, got: answer })
            })
            .collect::<Result<Vec<u8>, _>>()?;
        for item in &instrument.items[values.len()..] {
            if let Asked::IfAnyYes(conditions) = item.asked {
                let triggered = conditions
                    .iter()
                    .any(|&number| values.get(usize::from(number) - 1) == Some(&YES));
                if triggered {
                    return Err(AnswerError::ConditionalUnanswered {
                        item: usize::from(item.number),
                    });
                }
            }
        }
        Ok(Self { instrument, values })
    }

    /// Parses numbers as they arrive from JSON, where `2.0` is a whole number and `2.5`
    /// is not.
    pub fn parse_numbers(
        instrument: &'static Instrument,
        raw: &[f64],
    ) -> Result<Self, AnswerError> {
        let whole = raw
            .iter()
            .enumerate()
            .map(|(i, &number)| {
                if number.is_finite() && number.fract() == 0.0 {
                    // Whole and finite, so the cast is exact (it saturates only for values
                    // far outside any option, which the range check then names).
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(number as i64)
                } else {
                    Err(AnswerError::NotWholeNumber { item: i + 1 })
                }
            })
            .collect::<Result<Vec<i64>, _>>()?;
        Self::parse(instrument, &whole)
    }

    /// The instrument these answers belong to.
    pub fn instrument(&self) -> &'static Instrument {
        self.instrument
    }

    /// The answer to item `number` (1-based), or `None` if it was not asked.
    pub fn get(&self, number: u8) -> Option<u8> {
        usize::from(number).checked_sub(1).and_then(|i| self.values.get(i)).copied()
    }

    /// The answers in item order.
    pub fn values(&self) -> &[u8] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::{ASQ, GAD7, PHQ9};

    #[test]
    fn too_few_or_too_many_answers_name_the_expected_count() {
        let err = Answers::parse(&PHQ9, &[0; 8]).expect_err("eight of nine");
        assert_eq!(err, AnswerError::WrongCount { min: 9, max: 9, got: 8 });
        assert_eq!(err.to_string(), "expected 9 answers, got 8");
        let err = Answers::parse(&GAD7, &[0; 9]).expect_err("nine of seven");
        assert_eq!(err.to_string(), "expected 7 answers, got 9");
        let err = Answers::parse(&ASQ, &[0; 6]).expect_err("six of five");
        assert_eq!(err.to_string(), "expected 4 or 5 answers, got 6");
    }

    #[test]
    fn an_out_of_range_answer_names_its_item_and_the_allowed_range() {
        let err = Answers::parse(&PHQ9, &[0, 1, 2, 3, 4, 0, 0, 0, 0]).expect_err("4 on item 5");
        assert_eq!(err, AnswerError::OutOfRange { item: 5, min: 0, max: 3, got: 4 });
        assert_eq!(err.to_string(), "item 5 must be between 0 and 3, got 4");
        let err = Answers::parse(&GAD7, &[-1, 0, 0, 0, 0, 0, 0]).expect_err("negative");
        assert_eq!(err.to_string(), "item 1 must be between 0 and 3, got -1");
        let err = Answers::parse(&GAD7, &[0, 0, 0, 0, 0, 0, i64::MAX]).expect_err("huge");
        assert_eq!(err.to_string(), format!("item 7 must be between 0 and 3, got {}", i64::MAX));
    }

    #[test]
    fn the_first_bad_item_is_the_one_named() {
        let err = Answers::parse(&PHQ9, &[0, 9, 9, 0, 0, 0, 0, 0, 0]).expect_err("two bad");
        assert_eq!(err, AnswerError::OutOfRange { item: 2, min: 0, max: 3, got: 9 });
    }

    #[test]
    fn json_numbers_must_be_whole_and_name_the_item_that_is_not() {
        let answers =
            Answers::parse_numbers(&GAD7, &[0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0]).expect("whole");
        assert_eq!(answers.values(), [0, 1, 2, 3, 0, 0, 0]);
        let err =
            Answers::parse_numbers(&GAD7, &[0.0, 1.0, 2.5, 3.0, 0.0, 0.0, 0.0]).expect_err("2.5");
        assert_eq!(err.to_string(), "item 3 must be a whole number");
        let err = Answers::parse_numbers(&GAD7, &[0.0, f64::NAN, 0.0, 0.0, 0.0, 0.0, 0.0])
            .expect_err("NaN");
        assert_eq!(err, AnswerError::NotWholeNumber { item: 2 });
    }

    #[test]
    fn answers_are_read_back_by_their_printed_item_number() {
        let answers = Answers::parse(&ASQ, &[0, 1, 0, 0]).err();
        assert!(answers.is_some(), "item 5 is needed after a yes");
        let answers = Answers::parse(&ASQ, &[0, 0, 0, 0]).expect("negative");
        assert_eq!(answers.get(1), Some(0));
        assert_eq!(answers.get(5), None, "not asked");
        assert_eq!(answers.get(0), None);
        assert_eq!(answers.instrument().slug(), "asq");
    }

    #[test]
    fn conditional_items_come_last_so_leaving_them_off_keeps_the_numbering() {
        for instrument in
            crate::measures::InstrumentId::ALL.map(crate::measures::InstrumentId::instrument)
        {
            let first_conditional =
                instrument.items.iter().position(|item| item.asked != Asked::Always);
            if let Some(at) = first_conditional {
                assert!(
                    instrument.items[at..].iter().all(|item| item.asked != Asked::Always),
                    "{}",
                    instrument.slug()
                );
            }
        }
    }
}
