//! Why a group fits a client: topic, schedule in the client's own zone, the therapist's
//! specialties, seats. Each part adds to a 0–100 score and says so in plain words. Hard
//! rules (licensure, age band) are not scored: a group that breaks one is never offered.

use chrono::{NaiveTime, Weekday};

use crate::{AvailabilityWindow, weekday_slug};

/// What is known of the client for ranking.
#[derive(Clone, Debug, Default)]
pub struct ClientNeeds {
    /// Topics chosen at intake.
    pub topics: Vec<String>,
    /// Topics their latest scores point to (e.g. PHQ-9 at caseness → anxiety & depression).
    pub topics_from_scores: Vec<(String, &'static str)>,
    pub availability: Vec<AvailabilityWindow>,
}

/// A group as the ranking sees it, its hour already in the client's zone.
#[derive(Clone, Debug)]
pub struct GroupOffer<'a> {
    pub topic: &'a str,
    pub topic_name: &'a str,
    pub weekday_local: Weekday,
    pub time_local: NaiveTime,
    pub minutes: i64,
    pub therapist_specialties: &'a [String],
    pub seats_left: i32,
    pub waitlist: i64,
}

/// A score and its reasons, best first when sorted by score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fit {
    pub score: i32,
    pub reasons: Vec<FitReason>,
}

/// One reason in words, with a meeting's hour kept as data: a page writes the hour on its
/// reader's clock ("6:00 pm" or "18:00"), the API on a 24-hour clock so its wording stays put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitReason {
    before: String,
    at: Option<NaiveTime>,
    after: String,
}

impl FitReason {
    /// A reason with no hour in it.
    pub fn plain(words: impl Into<String>) -> Self {
        Self { before: words.into(), at: None, after: String::new() }
    }

    /// A reason whose words hold an hour between `before` and `after`.
    pub fn with_time(before: impl Into<String>, at: NaiveTime, after: impl Into<String>) -> Self {
        Self { before: before.into(), at: Some(at), after: after.into() }
    }

    /// The hour the reason names, if any.
    pub fn time(&self) -> Option<NaiveTime> {
        self.at
    }

    /// The words, the hour written by `time`.
    pub fn words_with(&self, time: impl Fn(NaiveTime) -> String) -> String {
        match self.at {
            Some(at) => format!("{}{}{}", self.before, time(at), self.after),
            None => self.before.clone(),
        }
    }

    /// The words with the hour on a 24-hour clock ("18:00"): the API's wording.
    pub fn words(&self) -> String {
        self.words_with(|at| at.format("%H:%M").to_string())
    }
}

impl std::fmt::Display for FitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words())
    }
}

fn day_name(day: Weekday) -> &'static str {
    match weekday_slug(day) {
        "mon" => "Mondays",
        "tue" => "Tuesdays",
        "wed" => "Wednesdays",
        "thu" => "Thursdays",
        "fri" => "Fridays",
        "sat" => "Saturdays",
        _ => "Sundays",
    }
}

/// One part of a fit, before it is put into words (so ranking thousands of groups makes no
/// text; only the groups shown are explained).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    ChosenTopic,
    ScoresPointTo(&'static str),
    Meets(Hours),
    Specialist,
    SeatsFree(i32),
    Full(i64),
}

/// How a group's hour sits against the times the client gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hours {
    NoneGiven,
    Inside,
    Outside,
}

/// Scores `group` against `needs`, telling `say` each part that counted.
fn assess(needs: &ClientNeeds, group: &GroupOffer<'_>, mut say: impl FnMut(Reason)) -> i32 {
    let mut score = 0;
    if needs.topics.iter().any(|t| t == group.topic) {
        score += 40;
        say(Reason::ChosenTopic);
    } else if let Some((_, why)) = needs.topics_from_scores.iter().find(|(t, _)| t == group.topic) {
        score += 25;
        say(Reason::ScoresPointTo(why));
    }
    if needs.availability.is_empty() {
        score += 10;
        say(Reason::Meets(Hours::NoneGiven));
    } else if needs
        .availability
        .iter()
        .any(|w| w.contains(group.weekday_local, group.time_local, group.minutes))
    {
        score += 30;
        say(Reason::Meets(Hours::Inside));
    } else {
        say(Reason::Meets(Hours::Outside));
    }
    if group.therapist_specialties.iter().any(|s| s == group.topic) {
        score += 10;
        say(Reason::Specialist);
    }
    if group.seats_left > 0 {
        score += 20;
        say(Reason::SeatsFree(group.seats_left));
    } else {
        let wait = i32::try_from(group.waitlist.min(10)).unwrap_or(10);
        score += 10 - wait;
        say(Reason::Full(group.waitlist));
    }
    score.clamp(0, 100)
}

/// Who reads the reasons: the client ("a topic you chose") or their care team ("a topic
/// they chose"); the facts are the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    Client,
    Staff,
}

impl Reason {
    fn words(self, group: &GroupOffer<'_>, reader: Reader) -> FitReason {
        let (whose, gave, chose) = match reader {
            Reader::Client => ("your", "you gave", "you chose"),
            Reader::Staff => ("the client's", "they gave", "they chose"),
        };
        let meets = |tail: String| {
            FitReason::with_time(
                format!("meets {} at ", day_name(group.weekday_local)),
                group.time_local,
                format!(" {whose} time{tail}"),
            )
        };
        match self {
            Reason::ChosenTopic => {
                FitReason::plain(format!("{} is a topic {chose}", group.topic_name))
            }
            Reason::ScoresPointTo(why) => FitReason::plain(format!("{}: {why}", group.topic_name)),
            Reason::Meets(Hours::NoneGiven) => meets(String::new()),
            Reason::Meets(Hours::Inside) => meets(format!(", inside the times {gave}")),
            Reason::Meets(Hours::Outside) => meets(format!(", outside the times {gave}")),
            Reason::Specialist => {
                FitReason::plain(format!("the therapist specialises in {}", group.topic_name))
            }
            Reason::SeatsFree(1) => FitReason::plain("1 seat free"),
            Reason::SeatsFree(n) => FitReason::plain(format!("{n} seats free")),
            Reason::Full(waiting) => FitReason::plain(format!("full; {waiting} waiting")),
        }
    }
}

fn explained(needs: &ClientNeeds, group: &GroupOffer<'_>, reader: Reader) -> Fit {
    let mut parts = Vec::new();
    let score = assess(needs, group, |reason| parts.push(reason));
    Fit { score, reasons: parts.into_iter().map(|r| r.words(group, reader)).collect() }
}

/// How well `group` fits `needs`: the score of [`score`] and its reasons, in words for the
/// client.
pub fn fit(needs: &ClientNeeds, group: &GroupOffer<'_>) -> Fit {
    explained(needs, group, Reader::Client)
}

/// [`fit`] in words for the client's care team ("a topic they chose", "the client's time").
pub fn fit_for_staff(needs: &ClientNeeds, group: &GroupOffer<'_>) -> Fit {
    explained(needs, group, Reader::Staff)
}

/// How well `group` fits `needs`, 0–100, without the words: the same score [`fit`] gives.
pub fn score(needs: &ClientNeeds, group: &GroupOffer<'_>) -> i32 {
    assess(needs, group, |_| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_read_the_same_reasons_about_the_client_not_to_them() {
        let needs = ClientNeeds {
            topics: vec!["grief-loss".to_owned()],
            availability: vec![AvailabilityWindow::parse("wed 17:00-20:00").expect("window")],
            ..ClientNeeds::default()
        };
        let group = offer("grief-loss", &[], 3);
        let staff = fit_for_staff(&needs, &group);
        assert_eq!(staff.score, fit(&needs, &group).score);
        assert_eq!(
            words(&staff)[..2],
            [
                "Grief & loss is a topic they chose",
                "meets Wednesdays at 18:00 the client's time, inside the times they gave",
            ]
        );
        assert!(words(&staff).iter().all(|r| !r.contains("you")), "{:?}", staff.reasons);
    }

    #[test]
    fn the_score_without_words_is_the_score_with_them() {
        let specialist = ["grief-loss".to_owned()];
        for (topics, availability) in [
            (vec!["grief-loss".to_owned()], vec![]),
            (vec!["divorce".to_owned()], vec!["wed 17:00-20:00"]),
            (vec![], vec!["mon 09:00-10:00"]),
        ] {
            let needs = ClientNeeds {
                topics,
                topics_from_scores: vec![("grief-loss".to_owned(), "scores point here")],
                availability: availability
                    .into_iter()
                    .map(|w| AvailabilityWindow::parse(w).expect("window"))
                    .collect(),
            };
            for seats in [0, 1, 5] {
                for specialties in [&specialist[..], &[][..]] {
                    let group = offer("grief-loss", specialties, seats);
                    assert_eq!(score(&needs, &group), fit(&needs, &group).score);
                }
            }
        }
    }

    fn offer<'a>(topic: &'a str, specialties: &'a [String], seats: i32) -> GroupOffer<'a> {
        GroupOffer {
            topic,
            topic_name: "Grief & loss",
            weekday_local: Weekday::Wed,
            time_local: NaiveTime::from_hms_opt(18, 0, 0).expect("time"),
            minutes: 60,
            therapist_specialties: specialties,
            seats_left: seats,
            waitlist: if seats > 0 { 0 } else { 4 },
        }
    }

    #[test]
    fn a_chosen_topic_in_the_clients_hours_with_seats_scores_highest_and_says_why() {
        let needs = ClientNeeds {
            topics: vec!["grief-loss".to_owned()],
            availability: vec![AvailabilityWindow::parse("wed 17:00-20:00").expect("window")],
            ..ClientNeeds::default()
        };
        let specialties = vec!["grief-loss".to_owned()];
        let best = fit(&needs, &offer("grief-loss", &specialties, 3));
        assert_eq!(best.score, 100);
        assert_eq!(
            words(&best),
            [
                "Grief & loss is a topic you chose",
                "meets Wednesdays at 18:00 your time, inside the times you gave",
                "the therapist specialises in Grief & loss",
                "3 seats free",
            ]
        );
        let other = fit(&needs, &offer("cbt", &[], 0));
        assert!(other.score < best.score);
        assert!(words(&other).iter().any(|r| r == "full; 4 waiting"));
    }

    #[test]
    fn a_meeting_outside_the_clients_hours_earns_nothing_for_time() {
        let needs = ClientNeeds {
            availability: vec![AvailabilityWindow::parse("mon 09:00-12:00").expect("window")],
            ..ClientNeeds::default()
        };
        let f = fit(&needs, &offer("cbt", &[], 2));
        assert_eq!(f.score, 20);
        assert!(f.reasons[0].words().ends_with("outside the times you gave"));
    }

    fn words(f: &Fit) -> Vec<String> {
        f.reasons.iter().map(FitReason::words).collect()
    }

    #[test]
    fn the_meeting_hour_is_data_a_page_writes_on_its_readers_clock() {
        let needs = ClientNeeds::default();
        let f = fit(&needs, &offer("cbt", &[], 2));
        let meets = f.reasons.iter().find(|r| r.time().is_some()).expect("a reason with an hour");
        assert_eq!(meets.time(), NaiveTime::from_hms_opt(18, 0, 0));
        assert_eq!(meets.words(), "meets Wednesdays at 18:00 your time");
        assert_eq!(meets.to_string(), meets.words());
        assert_eq!(
            meets.words_with(|_| "6:00 pm".to_owned()),
            "meets Wednesdays at 6:00 pm your time"
        );
        let plain = FitReason::plain("2 seats free");
        assert_eq!(plain.words_with(|_| unreachable!("no hour")), "2 seats free");
    }
}
