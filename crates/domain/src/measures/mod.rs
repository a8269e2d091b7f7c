//! Standardised measures as data: each instrument's published wording, response options,
//! scoring rule, severity bands and licence, and the scoring and risk rules that read them.
//!
//! An [`Instrument`] is a `static`: the items are the exact published text, so a page, a
//! PDF and the scorer all read the same words. Answers arrive as plain integers (from a
//! form or JSON) and are parsed once into [`Answers`], which can only hold a complete,
//! in-range set for its instrument; [`Answers::score`] then cannot fail.
//!
//! | slug | instrument | items | score |
//! |---|---|---|---|
//! | `phq9` | [`PHQ9`], Patient Health Questionnaire-9 | 9 × 0–3 | total 0–27, five bands |
//! | `gad7` | [`GAD7`], Generalized Anxiety Disorder-7 | 7 × 0–3 | total 0–21, four bands |
//! | `proqol5` | [`PROQOL5`], Professional Quality of Life Scale 5 | 30 × 1–5 | three subscales 10–50 |
//! | `asq` | [`ASQ`], Ask Suicide-Screening Questions | 4 (+1) yes/no | negative / non-acute / acute |
//!
//! # Risk
//!
//! Item-level risk is flagged whatever the total: PHQ-9 item 9 above "Not at all", and any
//! positive ASQ screen (an acute positive is flagged distinctly). See [`Risk`]. GAD-7 and
//! ProQOL-5 carry no item-level risk.

mod answers;
mod asq;
mod gad7;
mod phq9;
mod proqol5;
mod scoring;

#[cfg(test)]
mod properties;

pub use answers::{AnswerError, Answers};
pub use asq::{ASQ, AsqResult};
pub use gad7::GAD7;
pub use phq9::PHQ9;
pub use proqol5::PROQOL5;
pub use scoring::{Risk, RiskLevel, RiskLevelError, Score, Subscale};

use serde::Serialize;
use std::fmt;

/// Which instrument: the closed set Hearth scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstrumentId {
    /// Patient Health Questionnaire-9 (depression).
    Phq9,
    /// Generalized Anxiety Disorder-7.
    Gad7,
    /// Professional Quality of Life Scale, version 5 (for clinicians).
    Proqol5,
    /// Ask Suicide-Screening Questions.
    Asq,
}

impl InstrumentId {
    /// Every instrument, in the order forms list them.
    pub const ALL: [InstrumentId; 4] =
        [InstrumentId::Phq9, InstrumentId::Gad7, InstrumentId::Proqol5, InstrumentId::Asq];

    /// The stable slug used in URLs, JSON and the database.
    pub fn slug(self) -> &'static str {
        match self {
            InstrumentId::Phq9 => "phq9",
            InstrumentId::Gad7 => "gad7",
            InstrumentId::Proqol5 => "proqol5",
            InstrumentId::Asq => "asq",
        }
    }

    /// The instrument with this slug (exact, lowercase).
    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|id| id.slug() == slug)
    }

    /// The instrument's published definition.
    pub fn instrument(self) -> &'static Instrument {
        match self {
            InstrumentId::Phq9 => &PHQ9,
            InstrumentId::Gad7 => &GAD7,
            InstrumentId::Proqol5 => &PROQOL5,
            InstrumentId::Asq => &ASQ,
        }
    }
}

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A published questionnaire: wording, options, scoring and terms of use.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Instrument {
    /// Which instrument this is.
    pub id: InstrumentId,
    /// The full name, as on the published form.
    pub name: &'static str,
    /// The usual abbreviation ("PHQ-9").
    pub short_name: &'static str,
    /// The stem or instructions shown above the items: verbatim, except the ASQ's, whose
    /// published stem ("Ask the patient:") speaks to a clinician reading the questions aloud;
    /// Hearth's clients read them themselves.
    pub instructions: &'static str,
    /// The items in published order; `items[0]` is item 1.
    pub items: &'static [Item],
    /// The response options every item shares, lowest value first.
    pub options: &'static [ResponseOption],
    /// How the answers are turned into a score.
    pub scoring: ScoringRule,
    /// The credit to show wherever the instrument is shown, verbatim.
    pub attribution: &'static str,
    /// The terms of use in brief.
    pub licence: &'static str,
}

impl Instrument {
    /// The instrument with this slug.
    pub fn by_slug(slug: &str) -> Option<&'static Instrument> {
        InstrumentId::parse(slug).map(InstrumentId::instrument)
    }

    /// The stable slug (`phq9`, `gad7`, `proqol5`, `asq`).
    pub fn slug(&self) -> &'static str {
        self.id.slug()
    }

    /// The smallest and largest value an item accepts.
    pub fn value_range(&self) -> (u8, u8) {
        let values = self.options.iter().map(|o| o.value);
        (values.clone().min().unwrap_or(0), values.max().unwrap_or(0))
    }

    /// The label of the option with `value`, e.g. "Several days" for 1 on the PHQ-9.
    pub fn option_label(&self, value: u8) -> Option<&'static str> {
        self.options.iter().find(|o| o.value == value).map(|o| o.label)
    }
}

/// One question, as published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// 1-based, as printed on the form.
    pub number: u8,
    /// The published wording, verbatim.
    pub text: &'static str,
    /// Free-text prompts that follow the item (not scored here).
    pub follow_up: Option<&'static str>,
    /// When the item is asked.
    pub asked: Asked,
}

/// When an item is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Asked {
    /// Every time.
    Always,
    /// Only when any of these (1-based) items was answered yes (value 1 on a no/yes
    /// scale).
    IfAnyYes(&'static [u8]),
}

/// A response option and the value it scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ResponseOption {
    /// What the option scores.
    pub value: u8,
    /// What the person reads, verbatim.
    pub label: &'static str,
}

/// A named result: a severity band, a subscale level or a screening result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Severity {
    /// Stable, kebab-case ("moderately-severe").
    pub slug: &'static str,
    /// For people ("Moderately severe").
    pub label: &'static str,
}

impl Severity {
    /// The result in the words the person who answered reads on their own result page. The
    /// ASQ's levels are screening terms for clinicians ("Non-acute positive screen"); a client
    /// is told what they mean instead. Every other level reads the same for both.
    pub fn for_the_person(self) -> &'static str {
        match self.slug {
            "negative" => "Nothing in your answers suggests you are at risk right now",
            "non-acute-positive" => {
                "You told us about some hard thoughts; your care team will talk with you soon"
            }
            "acute-positive" => {
                "You told us you need support right now; please use the numbers above"
            }
            _ => self.label,
        }
    }
}

/// A score range, inclusive at both ends, and what it is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Band {
    /// The lowest score in the band.
    pub min: i32,
    /// The highest score in the band.
    pub max: i32,
    /// What a score in the band is called.
    pub severity: Severity,
}

/// The band that holds `score`, if any.
pub fn band_for(bands: &[Band], score: i32) -> Option<Severity> {
    bands.iter().find(|b| (b.min..=b.max).contains(&score)).map(|b| b.severity)
}

/// A subscale: which items it sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SubscaleRule {
    /// Stable, kebab-case ("secondary-traumatic-stress").
    pub slug: &'static str,
    /// As the author names it ("Secondary Traumatic Stress").
    pub name: &'static str,
    /// 1-based item numbers.
    pub items: &'static [u8],
}

/// How an instrument is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ScoringRule {
    /// The sum of every item, read against `bands`.
    Sum {
        /// Cover every possible total.
        bands: &'static [Band],
    },
    /// Separate subscale sums, after `reversed` items are mirrored on the option scale
    /// (1↔5, 2↔4 on a 1–5 scale); each sum is read against `bands`.
    Subscales {
        /// In published order.
        subscales: &'static [SubscaleRule],
        /// 1-based numbers of the reverse-scored items.
        reversed: &'static [u8],
        /// Shared by every subscale; cover every possible sum.
        bands: &'static [Band],
    },
    /// A yes/no screen with an acuity question; no total (see [`AsqResult`]).
    SuicideScreen,
}

#[cfg(test)]
mod wording {
    use super::*;

    /// Everything a person reads on a questionnaire's page.
    fn shown(instrument: &Instrument) -> Vec<&'static str> {
        let mut texts = vec![instrument.name, instrument.instructions, instrument.attribution];
        texts.extend(instrument.items.iter().flat_map(|i| [Some(i.text), i.follow_up]).flatten());
        texts.extend(instrument.options.iter().map(|o| o.label));
        texts
    }

    #[test]
    fn no_page_shows_a_placeholder_or_speaks_to_a_clinician() {
        for id in InstrumentId::ALL {
            for text in shown(id.instrument()) {
                assert!(!text.contains('[') && !text.contains(']'), "{id}: {text}");
                assert!(!text.contains("the patient"), "{id}: {text}");
            }
        }
    }

    #[test]
    fn the_attribution_does_not_repeat_the_terms_of_use_shown_after_it() {
        for id in [InstrumentId::Phq9, InstrumentId::Gad7, InstrumentId::Asq] {
            let instrument = id.instrument();
            assert!(!instrument.attribution.contains(instrument.licence), "{id}");
        }
    }

    #[test]
    fn the_asq_says_how_many_questions_it_asks_and_speaks_plainly_about_the_result() {
        let asked_always = ASQ.items.iter().filter(|i| matches!(i.asked, Asked::Always)).count();
        assert_eq!(asked_always, 4);
        assert!(ASQ.instructions.contains("first four"));
        assert!(ASQ.instructions.contains("fifth appears only if"));
        for result in [AsqResult::Negative, AsqResult::NonAcutePositive, AsqResult::AcutePositive] {
            let words = result.severity().for_the_person();
            assert!(!words.contains("screen") && !words.contains("acute"), "{words}");
        }
    }
}
