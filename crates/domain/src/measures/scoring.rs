//! Scoring parsed answers: totals, bands, subscales and item-level risk.

use serde::Serialize;

use super::asq::{ACUITY_ITEM, SCREENING_ITEMS, YES};
use super::phq9::SELF_HARM_ITEM;
use super::{Answers, AsqResult, Band, InstrumentId, ScoringRule, Severity, band_for};

/// A scored set of answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    /// The instrument answered.
    pub instrument: InstrumentId,
    /// The sum of the items; `None` for instruments without a total (ASQ, ProQOL-5).
    pub total: Option<i32>,
    /// The severity band of the total, or the ASQ's screening result; `None` for the
    /// ProQOL-5, whose bands are per subscale.
    pub band: Option<Severity>,
    /// Subscale scores in published order (ProQOL-5 only).
    pub subscales: Vec<Subscale>,
    /// Item-level risk, whatever the total.
    pub risk: Risk,
}

/// One subscale's score and band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Subscale {
    /// Stable, kebab-case ("burnout").
    pub slug: &'static str,
    /// As the author names it ("Burnout").
    pub name: &'static str,
    /// The sum after reverse-scoring, 10–50 on the ProQOL-5.
    pub score: i32,
    /// Low, moderate or high.
    pub band: Severity,
}

/// Item-level risk, flagged whatever the total says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Risk {
    /// Nothing at item level (this is not a statement that the person is safe).
    None,
    /// PHQ-9 item 9 ("Thoughts that you would be better off dead or of hurting yourself in
    /// some way") answered above "Not at all"; `answer` is 1–3.
    SelfHarmThoughts {
        /// The item-9 answer.
        answer: u8,
    },
    /// ASQ non-acute positive screen: potential risk.
    PositiveScreen,
    /// ASQ acute positive screen: imminent risk.
    AcutePositiveScreen,
}

impl Risk {
    /// Whether anything was flagged.
    pub fn is_flagged(self) -> bool {
        self != Risk::None
    }

    /// Whether the flag calls for action now (an acute positive ASQ).
    pub fn is_acute(self) -> bool {
        self == Risk::AcutePositiveScreen
    }

    /// Stable, kebab-case.
    pub fn slug(self) -> &'static str {
        match self {
            Risk::None => "none",
            Risk::SelfHarmThoughts { .. } => "self-harm-thoughts",
            Risk::PositiveScreen => "positive-screen",
            Risk::AcutePositiveScreen => "acute-positive-screen",
        }
    }
}

/// The level of a risk flag: what a flagged [`Risk`] raises, as the risk queue sorts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RiskLevel {
    /// PHQ-9 item 9 answered above "Not at all".
    SelfHarmThoughts,
    /// ASQ non-acute positive screen.
    PositiveScreen,
    /// ASQ acute positive screen.
    Acute,
}

/// A risk level or risk slug that is not one of Hearth's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown risk level {0:?}")]
pub struct RiskLevelError(String);

impl RiskLevel {
    /// The flag `risk` raises; `None` when nothing was flagged.
    pub fn of(risk: Risk) -> Option<Self> {
        match risk {
            Risk::None => None,
            Risk::SelfHarmThoughts { .. } => Some(RiskLevel::SelfHarmThoughts),
            Risk::PositiveScreen => Some(RiskLevel::PositiveScreen),
            Risk::AcutePositiveScreen => Some(RiskLevel::Acute),
        }
    }

    /// As a flag stores it: `self_harm_thoughts`, `positive_screen` or `acute`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::SelfHarmThoughts => "self_harm_thoughts",
            RiskLevel::PositiveScreen => "positive_screen",
            RiskLevel::Acute => "acute",
        }
    }

    /// The level in words, for staff pages and the host's safety panel.
    pub fn label(self) -> &'static str {
        match self {
            RiskLevel::Acute => "Acute suicide risk (ASQ)",
            RiskLevel::PositiveScreen => "Positive suicide screen (ASQ)",
            RiskLevel::SelfHarmThoughts => "Thoughts of self-harm (PHQ-9 item 9)",
        }
    }

    /// A flag's stored level (see [`RiskLevel::as_str`]).
    pub fn parse(raw: &str) -> Result<Self, RiskLevelError> {
        match raw {
            "self_harm_thoughts" => Ok(RiskLevel::SelfHarmThoughts),
            "positive_screen" => Ok(RiskLevel::PositiveScreen),
            "acute" => Ok(RiskLevel::Acute),
            other => Err(RiskLevelError(other.to_owned())),
        }
    }

    /// The level a measure's stored [`Risk::slug`] raises: `None` for `none`.
    pub fn from_risk_slug(slug: &str) -> Result<Option<Self>, RiskLevelError> {
        match slug {
            "none" => Ok(None),
            "self-harm-thoughts" => Ok(Some(RiskLevel::SelfHarmThoughts)),
            "positive-screen" => Ok(Some(RiskLevel::PositiveScreen)),
            "acute-positive-screen" => Ok(Some(RiskLevel::Acute)),
            other => Err(RiskLevelError(other.to_owned())),
        }
    }
}

fn banded(bands: &[Band], score: i32) -> Severity {
    // Parsed answers keep every sum inside the published range, which the bands cover
    // (checked for every instrument by the property tests).
    band_for(bands, score).expect("valid answers keep every sum within its bands")
}

impl Answers {
    /// Scores the answers by their instrument's rule.
    pub fn score(&self) -> Score {
        let instrument = self.instrument();
        let mut score = Score {
            instrument: instrument.id,
            total: None,
            band: None,
            subscales: Vec::new(),
            risk: Risk::None,
        };
        match instrument.scoring {
            ScoringRule::Sum { bands } => {
                let total = self.values().iter().map(|&v| i32::from(v)).sum();
                score.total = Some(total);
                score.band = Some(banded(bands, total));
            }
            ScoringRule::Subscales { subscales, reversed, bands } => {
                let (lowest, highest) = instrument.value_range();
                score.subscales = subscales
                    .iter()
                    .map(|rule| {
                        let sum = rule
                            .items
                            .iter()
                            .filter_map(|&n| self.get(n).map(|v| (n, v)))
                            .map(|(n, v)| {
                                // Mirrored on the option scale: 1↔5, 2↔4, 3 stays.
                                let v =
                                    if reversed.contains(&n) { lowest + highest - v } else { v };
                                i32::from(v)
                            })
                            .sum();
                        Subscale {
                            slug: rule.slug,
                            name: rule.name,
                            score: sum,
                            band: banded(bands, sum),
                        }
                    })
                    .collect();
            }
            ScoringRule::SuicideScreen => {
                let result = self.asq_result();
                score.band = Some(result.severity());
                score.risk = match result {
                    AsqResult::Negative => Risk::None,
                    AsqResult::NonAcutePositive => Risk::PositiveScreen,
                    AsqResult::AcutePositive => Risk::AcutePositiveScreen,
                };
            }
        }
        if instrument.id == InstrumentId::Phq9 {
            score.risk = match self.get(SELF_HARM_ITEM) {
                Some(answer) if answer > 0 => Risk::SelfHarmThoughts { answer },
                _ => Risk::None,
            };
        }
        score
    }

    fn asq_result(&self) -> AsqResult {
        let screening = SCREENING_ITEMS.map(|n| self.get(n) == Some(YES));
        AsqResult::from_answers(screening, self.get(ACUITY_ITEM).map(|v| v == YES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::{GAD7, PHQ9};

    #[test]
    fn every_flagged_risk_has_a_level_that_reads_back_from_both_stored_forms() {
        let risks =
            [Risk::SelfHarmThoughts { answer: 1 }, Risk::PositiveScreen, Risk::AcutePositiveScreen];
        for risk in risks {
            let level = RiskLevel::of(risk).expect("a flagged risk has a level");
            assert_eq!(RiskLevel::parse(level.as_str()), Ok(level));
            assert_eq!(RiskLevel::from_risk_slug(risk.slug()), Ok(Some(level)));
        }
        assert_eq!(RiskLevel::of(Risk::None), None);
        assert_eq!(RiskLevel::from_risk_slug(Risk::None.slug()), Ok(None));
        assert!(RiskLevel::parse("severe").is_err());
        assert!(RiskLevel::from_risk_slug("acute").is_err());
    }

    #[test]
    fn a_phq9_score_carries_its_instrument_total_band_and_item_9_answer() {
        let score = Answers::parse(&PHQ9, &[1, 1, 1, 1, 1, 1, 1, 1, 2]).expect("valid").score();
        assert_eq!(score.instrument, InstrumentId::Phq9);
        assert_eq!(score.total, Some(10));
        assert_eq!(score.band.map(|b| b.slug), Some("moderate"));
        assert!(score.subscales.is_empty());
        assert_eq!(score.risk, Risk::SelfHarmThoughts { answer: 2 });
        assert_eq!(score.risk.slug(), "self-harm-thoughts");
    }

    #[test]
    fn the_gad7_never_flags_item_level_risk() {
        let score = Answers::parse(&GAD7, &[3; 7]).expect("valid").score();
        assert_eq!(score.risk, Risk::None);
        assert_eq!(score.risk.slug(), "none");
    }
}
