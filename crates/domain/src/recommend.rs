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

/// How well `group` fits `needs`.
pub fn fit(needs: &ClientNeeds, group: &GroupOffer<'_>) -> Fit {
    let mut score = 0;
    let mut reasons = Vec::new();
    if needs.topics.iter().any(|t| t == group.topic) {
        score += 40;
        reasons.push(format!("{} is a topic you chose", group.topic_name));
    } else if let Some((_, why)) = needs.topics_from_scores.iter().find(|(t, _)| t == group.topic) {
        score += 25;
        reasons.push(format!("{}: {why}", group.topic_name));
    }
    let when = format!(
        "{} at {} your time",
        day_name(group.weekday_local),
        group.time_local.format("%H:%M")
    );
    if needs.availability.is_empty() {
        score += 10;
        reasons.push(format!("meets {when}"));
    } else if needs
        .availability
        .iter()
        .any(|w| w.contains(group.weekday_local, group.time_local, group.minutes))
    {
        score += 30;
        reasons.push(format!("meets {when}, inside the times you gave"));
    } else {
        reasons.push(format!("meets {when}, outside the times you gave"));
    }
    if group.therapist_specialties.iter().any(|s| s == group.topic) {
        score += 10;
        reasons.push(format!("the therapist specialises in {}", group.topic_name));
    }
    if group.seats_left > 0 {
        score += 20;
        reasons.push(if group.seats_left == 1 {
            "1 seat free".to_owned()
        } else {
            format!("{} seats free", group.seats_left)
        });
    } else {
        let wait = i32::try_from(group.waitlist.min(10)).unwrap_or(10);
        score += 10 - wait;
        reasons.push(format!("full; {} waiting", group.waitlist));
    }
    Fit { score: score.clamp(0, 100), reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

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
