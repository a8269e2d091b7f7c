//! A client's home page in the words and times they read: each session with its Join button,
//! held seats, waitlist places, switch requests and their outcome, and the consult call.

use hearth_app::ClientHome;

use crate::when::When;

/// One upcoming session.
pub struct SessionLine {
    pub group: i64,
    pub title: String,
    pub when: String,
    /// The room's address.
    pub room: String,
    pub open_now: bool,
    /// "5:50 pm" or "17:50", when the room opens.
    pub opens: String,
}

/// A switch request: (from title, to group, to title, what happened in words, its chip:
/// word and class).
pub type SwitchLine = (String, i64, String, &'static str, (&'static str, &'static str));

/// A client's home, ready for the template.
#[derive(Default)]
pub struct HomeView {
    pub sessions: Vec<SessionLine>,
    /// (group, title, held until).
    pub offers: Vec<(i64, String, String)>,
    /// (group, title, place in line).
    pub waiting: Vec<(i64, String, i64)>,
    pub switches: Vec<SwitchLine>,
    /// (when, coordinator, phone).
    pub consult: Option<(String, String, String)>,
}

impl HomeView {
    pub fn of(home: ClientHome, zone: chrono_tz::Tz, when: &When) -> Self {
        Self {
            sessions: home
                .sessions
                .into_iter()
                .map(|s| SessionLine {
                    group: s.card.group.id.get(),
                    title: s.card.title(),
                    when: when.date_time(&s.starts_local),
                    room: format!("/groups/{}/meetings/{}/room", s.card.group.id, s.meeting_date),
                    open_now: s.open_now,
                    opens: when.time(&s.opens_local),
                })
                .collect(),
            offers: home
                .offers
                .into_iter()
                .map(|(card, until)| {
                    let until = when.at(until, zone);
                    (card.group.id.get(), card.title(), until)
                })
                .collect(),
            waiting: home
                .waiting
                .into_iter()
                .map(|(card, position)| (card.group.id.get(), card.title(), position))
                .collect(),
            switches: home
                .switches
                .into_iter()
                .map(|s| {
                    let (outcome, chip) = match s.status.as_str() {
                        "approved" => ("Approved: you have moved.", ("Approved", "approved")),
                        "declined" => (
                            "Not approved this time; your coordinator will talk it through with you.",
                            ("Not approved", "declined"),
                        ),
                        _ => (
                            "Waiting for your care coordinator; you keep your current group meanwhile.",
                            ("Waiting", "pending"),
                        ),
                    };
                    (s.from.1, s.to.0.get(), s.to.1, outcome, chip)
                })
                .collect(),
            consult: home.consult.map(|c| {
                (when.at(c.starts_at, zone), c.coordinator, c.phone)
            }),
        }
    }
}
