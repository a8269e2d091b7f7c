//! A client's home page in the words and times they read: each session with its Join button,
//! held seats, waitlist places, switch requests and their outcome, and the consult call.

use hearth_app::ClientHome;

/// Dates and times on the home page: "Tuesday 1 December at 18:00".
const WHEN: &str = "%A %-d %B at %H:%M";

/// One upcoming session.
pub struct SessionLine {
    pub group: i64,
    pub title: String,
    pub when: String,
    /// The room's address.
    pub room: String,
    pub open_now: bool,
    /// "17:50", when the room opens.
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
    pub fn of(home: ClientHome, zone: chrono_tz::Tz) -> Self {
        Self {
            sessions: home
                .sessions
                .into_iter()
                .map(|s| SessionLine {
                    group: s.card.group.id.get(),
                    title: s.card.title(),
                    when: s.starts_local.format(WHEN).to_string(),
                    room: format!("/groups/{}/meetings/{}/room", s.card.group.id, s.meeting_date),
                    open_now: s.open_now,
                    opens: s.opens_local.format("%H:%M").to_string(),
                })
                .collect(),
            offers: home
                .offers
                .into_iter()
                .map(|(card, until)| {
                    let until = until.with_timezone(&zone).format(WHEN).to_string();
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
                (c.starts_at.with_timezone(&zone).format(WHEN).to_string(), c.coordinator, c.phone)
            }),
        }
    }
}
