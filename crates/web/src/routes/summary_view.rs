//! The parts of a client's summary that say where they are in their care, in staff words:
//! open risk flags first, then the groups they sit in with the next session of each, their
//! waitlist places and held seats, and the therapists who treat them.

use hearth_app::ClinicalSummary;
use hearth_domain::WaitlistStatus;

use crate::when::When;

/// Where a client stands, ready for the template.
#[derive(Default)]
pub struct StandingView {
    /// (what was flagged, when it was raised).
    pub flags: Vec<(&'static str, String)>,
    /// (group, title, next session, room address, room open now).
    pub sessions: Vec<(i64, String, String, String, bool)>,
    /// (group, title, where they stand).
    pub waiting: Vec<(i64, String, String)>,
    /// The therapists of their groups, each once.
    pub therapists: Vec<String>,
}

impl StandingView {
    pub fn of(c: &ClinicalSummary, zone: chrono_tz::Tz, when: &When) -> Self {
        let mut therapists: Vec<String> = Vec::new();
        for s in &c.sessions {
            if !therapists.contains(&s.card.therapist_name) {
                therapists.push(s.card.therapist_name.clone());
            }
        }
        Self {
            flags: c
                .open_flags
                .iter()
                .map(|f| (f.level.label(), when.at(f.raised_at, zone)))
                .collect(),
            sessions: c
                .sessions
                .iter()
                .map(|s| {
                    let room =
                        format!("/groups/{}/meetings/{}/room", s.card.group.id, s.meeting_date);
                    let next = when.date_time(&s.starts_local);
                    (s.card.group.id.get(), s.card.title(), next, room, s.open_now)
                })
                .collect(),
            waiting: c
                .waiting
                .iter()
                .map(|(card, place)| {
                    let standing = match (place.status, place.offer_expires_at) {
                        (WaitlistStatus::Offered, Some(until)) => {
                            format!("a seat is held for them until {}", when.at(until, zone))
                        }
                        _ => format!("number {} on the waitlist", place.position),
                    };
                    (card.group.id.get(), card.title(), standing)
                })
                .collect(),
            therapists,
        }
    }
}
