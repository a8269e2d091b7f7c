//! ProQOL-5: the Professional Quality of Life Scale, version 5 (B. Hudnall Stamm, 2009–2012).
//! Hearth offers it to its own clinicians (the compassion-fatigue program), not to clients.
//!
//! The published text carries bracketed words (`[help]`, `[helper]`, `[helping]`,
//! `[helped]`, `[work]`): the author's placeholders, to be filled with the word that fits the
//! people answering. The program serves several helping professions, so Hearth fills each
//! with the generic word itself ("help", "helper"), which is the one substitution the
//! placeholders allow; nothing else in the text is reworded, as the licence requires. People
//! never see the brackets.

use super::{
    Asked, Band, Instrument, InstrumentId, Item, ResponseOption, ScoringRule, Severity,
    SubscaleRule,
};

const fn item(number: u8, text: &'static str) -> Item {
    Item { number, text, follow_up: None, asked: Asked::Always }
}

const OPTIONS: [ResponseOption; 5] = [
    ResponseOption { value: 1, label: "Never" },
    ResponseOption { value: 2, label: "Rarely" },
    ResponseOption { value: 3, label: "Sometimes" },
    ResponseOption { value: 4, label: "Often" },
    ResponseOption { value: 5, label: "Very Often" },
];

const ITEMS: [Item; 30] = [
    item(1, "I am happy."),
    item(2, "I am preoccupied with more than one person I help."),
    item(3, "I get satisfaction from being able to help people."),
    item(4, "I feel connected to others."),
    item(5, "I jump or am startled by unexpected sounds."),
    item(6, "I feel invigorated after working with those I help."),
    item(7, "I find it difficult to separate my personal life from my life as a helper."),
    item(
        8,
        "I am not as productive at work because I am losing sleep over traumatic experiences of \
         a person I help.",
    ),
    item(9, "I think that I might have been affected by the traumatic stress of those I help."),
    item(10, "I feel trapped by my job as a helper."),
    item(11, "Because of my helping, I have felt \"on edge\" about various things."),
    item(12, "I like my work as a helper."),
    item(13, "I feel depressed because of the traumatic experiences of the people I help."),
    item(14, "I feel as though I am experiencing the trauma of someone I have helped."),
    item(15, "I have beliefs that sustain me."),
    item(16, "I am pleased with how I am able to keep up with helping techniques and protocols."),
    item(17, "I am the person I always wanted to be."),
    item(18, "My work makes me feel satisfied."),
    item(19, "I feel worn out because of my work as a helper."),
    item(20, "I have happy thoughts and feelings about those I help and how I could help them."),
    item(21, "I feel overwhelmed because my case work load seems endless."),
    item(22, "I believe I can make a difference through my work."),
    item(
        23,
        "I avoid certain activities or situations because they remind me of frightening \
         experiences of the people I help.",
    ),
    item(24, "I am proud of what I can do to help."),
    item(25, "As a result of my helping, I have intrusive, frightening thoughts."),
    item(26, "I feel \"bogged down\" by the system."),
    item(27, "I have thoughts that I am a \"success\" as a helper."),
    item(28, "I can't recall important parts of my work with trauma victims."),
    item(29, "I am a very caring person."),
    item(30, "I am happy that I chose to do this work."),
];

const SUBSCALES: [SubscaleRule; 3] = [
    SubscaleRule {
        slug: "compassion-satisfaction",
        name: "Compassion Satisfaction",
        items: &[3, 6, 12, 16, 18, 20, 22, 24, 27, 30],
    },
    SubscaleRule {
        slug: "burnout",
        name: "Burnout",
        items: &[1, 4, 8, 10, 15, 17, 19, 21, 26, 29],
    },
    SubscaleRule {
        slug: "secondary-traumatic-stress",
        name: "Secondary Traumatic Stress",
        items: &[2, 5, 7, 9, 11, 13, 14, 23, 25, 28],
    },
];

/// Positively worded Burnout items: a high answer means less burnout.
const REVERSED: [u8; 5] = [1, 4, 15, 17, 29];

// The manual's cut scores on the raw sums: 22 or less low, 23–41 moderate, 42 or more high.
const BANDS: [Band; 3] = [
    Band { min: 10, max: 22, severity: Severity { slug: "low", label: "Low" } },
    Band { min: 23, max: 41, severity: Severity { slug: "moderate", label: "Moderate" } },
    Band { min: 42, max: 50, severity: Severity { slug: "high", label: "High" } },
];

/// The ProQOL-5: 30 items rated 1–5, scored as three subscales of 10–50.
pub static PROQOL5: Instrument = Instrument {
    id: InstrumentId::Proqol5,
    name: "Professional Quality of Life Scale (ProQOL), Version 5",
    short_name: "ProQOL-5",
    instructions: "When you help people you have direct contact with their lives. As you may \
                   have found, your compassion for those you help can affect you in positive \
                   and negative ways. Below are some questions about your experiences, both \
                   positive and negative, as a helper. Consider each of the following \
                   questions about you and your current work situation. Select the number that \
                   honestly reflects how frequently you experienced these things in the last 30 \
                   days.",
    items: &ITEMS,
    options: &OPTIONS,
    scoring: ScoringRule::Subscales { subscales: &SUBSCALES, reversed: &REVERSED, bands: &BANDS },
    attribution: "\u{a9} B. Hudnall Stamm, 2009-2012. Professional Quality of Life: Compassion \
                  Satisfaction and Fatigue Version 5 (ProQOL). www.ProQOL.org. This test may be \
                  freely copied as long as (a) author is credited, (b) no changes are made, and \
                  (c) it is not sold.",
    licence: "May be copied with credit to the author; not changed; not sold.",
};

#[cfg(test)]
mod tests {
    use crate::measures::{Answers, Risk, Score};

    use super::*;

    /// Answers of `default` everywhere except the listed (item, answer) pairs.
    fn answered(default: i64, overrides: &[(u8, i64)]) -> Score {
        let mut answers = [default; 30];
        for &(number, answer) in overrides {
            answers[usize::from(number) - 1] = answer;
        }
        Answers::parse(&PROQOL5, &answers).expect("valid").score()
    }

    fn subscale(score: &Score, slug: &str) -> (i32, &'static str) {
        let s = score.subscales.iter().find(|s| s.slug == slug).expect("subscale");
        (s.score, s.band.slug)
    }

    /// Raw answers giving each item in `items` a *scored* value so the subscale sums to
    /// `sum`: as even as possible, mirrored back for the reversed items.
    fn spread(items: &[u8], sum: i64) -> Vec<(u8, i64)> {
        let n = i64::try_from(items.len()).expect("ten");
        items
            .iter()
            .zip(0..)
            .map(|(&number, i)| {
                let scored = sum / n + i64::from(i < sum % n);
                let raw = if REVERSED.contains(&number) { 6 - scored } else { scored };
                (number, raw)
            })
            .collect()
    }

    #[test]
    fn the_proqol5_subscales_partition_the_thirty_items() {
        let mut all: Vec<u8> = SUBSCALES.iter().flat_map(|s| s.items.iter().copied()).collect();
        all.sort_unstable();
        assert_eq!(all, (1..=30).collect::<Vec<u8>>());
        assert!(REVERSED.iter().all(|n| SUBSCALES[1].items.contains(n)), "all in Burnout");
    }

    #[test]
    fn sometimes_on_every_item_scores_thirty_on_each_subscale_with_no_total() {
        let score = answered(3, &[]);
        assert_eq!(score.total, None);
        assert_eq!(score.band, None);
        assert_eq!(score.risk, Risk::None);
        let names: Vec<_> = score.subscales.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["Compassion Satisfaction", "Burnout", "Secondary Traumatic Stress"],
            "published order"
        );
        for s in &score.subscales {
            assert_eq!((s.score, s.band.slug), (30, "moderate"), "{}", s.slug);
        }
    }

    #[test]
    fn reverse_scored_items_turn_very_often_happy_into_low_burnout() {
        // Items 1, 4, 15, 17, 29 at "Very Often" (5) and the other Burnout items
        // (8, 10, 19, 21, 26) at "Never" (1). Unreversed the sum would be 5×5 + 5×1 = 30
        // (moderate); reversed each 5 counts as 1, so 5×1 + 5×1 = 10 (low).
        let score = answered(
            3,
            &[
                (1, 5),
                (4, 5),
                (15, 5),
                (17, 5),
                (29, 5),
                (8, 1),
                (10, 1),
                (19, 1),
                (21, 1),
                (26, 1),
            ],
        );
        assert_eq!(subscale(&score, "burnout"), (10, "low"));
        // The other subscales are untouched by the reversal.
        assert_eq!(subscale(&score, "compassion-satisfaction"), (30, "moderate"));
    }

    #[test]
    fn reversing_maps_two_to_four_and_leaves_three_alone() {
        // Reversed items at "Rarely" (2 → 4), other Burnout items at "Sometimes" (3):
        // 5×4 + 5×3 = 35, where the raw sum would have been 5×2 + 5×3 = 25.
        let score = answered(3, &[(1, 2), (4, 2), (15, 2), (17, 2), (29, 2)]);
        assert_eq!(subscale(&score, "burnout"), (35, "moderate"));
    }

    #[test]
    fn every_proqol5_subscale_band_edge_falls_in_the_published_band() {
        let edges = [(10, "low"), (22, "low"), (23, "moderate"), (41, "moderate")];
        let edges = edges.into_iter().chain([(42, "high"), (50, "high")]);
        for (sum, band) in edges {
            for rule in &SUBSCALES {
                let score = answered(3, &spread(rule.items, sum));
                assert_eq!(
                    subscale(&score, rule.slug),
                    (i32::try_from(sum).expect("small"), band),
                    "{} at {sum}",
                    rule.slug
                );
            }
        }
    }

    #[test]
    fn the_proqol5_rejects_zero_because_its_scale_starts_at_one() {
        let mut answers = [3i64; 30];
        answers[11] = 0;
        let err = Answers::parse(&PROQOL5, &answers).expect_err("0 is not an option");
        assert_eq!(err.to_string(), "item 12 must be between 1 and 5, got 0");
    }

    #[test]
    fn the_attribution_is_the_authors_wording() {
        assert!(PROQOL5.attribution.starts_with("\u{a9} B. Hudnall Stamm, 2009-2012."));
        assert!(PROQOL5.attribution.ends_with("and (c) it is not sold."));
    }
}
