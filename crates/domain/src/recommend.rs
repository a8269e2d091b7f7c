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
    pub reasons: Vec<String>,
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
    fn words(self, group: &GroupOffer<'_>, reader: Reader) -> String {
        let (whose, gave, chose) = match reader {
            Reader::Client => ("your", "you gave", "you chose"),
            Reader::Staff => ("the client's", "they gave", "they chose"),
        };
        let when = || {
            format!(
                "{} at {} {whose} time",
                day_name(group.weekday_local),
                group.time_local.format("%H:%M")
            )
        };
        match self {
            Reason::ChosenTopic => format!("{} is a topic {chose}", group.topic_name),
            Reason::ScoresPointTo(why) => format!("{}: {why}", group.topic_name),
            Reason::Meets(Hours::NoneGiven) => format!("meets {}", when()),
            Reason::Meets(Hours::Inside) => format!("meets {}, inside the times {gave}", when()),
            Reason::Meets(Hours::Outside) => {
                format!("meets {}, outside the times {gave}", when())
            }
            Reason::Specialist => format!("the therapist specialises in {}", group.topic_name),
            Reason::SeatsFree(1) => "1 seat free".to_owned(),
            Reason::SeatsFree(n) => format!("{n} seats free"),
            Reason::Full(waiting) => format!("full; {waiting} waiting"),
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
            staff.reasons[..2],
            [
                "Grief & loss is a topic they chose",
                "meets Wednesdays at 18:00 the client's time, inside the times they gave",
            ]
        );
        assert!(staff.reasons.iter().all(|r| !r.contains("you")), "{:?}", staff.reasons);
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
            best.reasons,
            [
                "Grief & loss is a topic you chose",
                "meets Wednesdays at 18:00 your time, inside the times you gave",
                "the therapist specialises in Grief & loss",
                "3 seats free",
            ]
        );
        let other = fit(&needs, &offer("cbt", &[], 0));
        assert!(other.score < best.score);
        assert!(other.reasons.iter().any(|r| r == "full; 4 waiting"));
    }

    #[test]
    fn a_meeting_outside_the_clients_hours_earns_nothing_for_time() {
        let needs = ClientNeeds {
            availability: vec![AvailabilityWindow::parse("mon 09:00-12:00").expect("window")],
            ..ClientNeeds::default()
        };
        let f = fit(&needs, &offer("cbt", &[], 2));
        assert_eq!(f.score, 20);
        assert!(f.reasons[0].ends_with("outside the times you gave"));
    }
}
