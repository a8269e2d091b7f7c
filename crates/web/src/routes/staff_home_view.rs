//! The staff's home pages in the words and times they read: a therapist's sessions this
//! week, a coordinator's waiting people, calls and switch requests, an admin's figures and
//! lapsing licences. Every person named links to their summary.

use hearth_app::{AdminHome, CoordinatorHome, TherapistHome};

use crate::when::When;

/// One meeting on a therapist's home.
pub struct SessionRow {
    pub group: i64,
    pub title: String,
    /// "6:00 pm" today, or the day and time later in the week.
    pub when: String,
    pub room: String,
    pub attendance: String,
    pub open_now: bool,
    pub ended: bool,
    pub members: usize,
}

/// A switch request on a coordinator's home: (client id, client, from, to).
pub type SwitchRow = (i64, String, String, String);

/// Every staff role's part of the home page; the parts for other roles stay empty.
#[derive(Default)]
pub struct StaffHomeView {
    pub today: Vec<SessionRow>,
    pub later: Vec<SessionRow>,
    pub groups_led: usize,
    /// (client id, name, waiting since).
    pub waiting: Vec<(i64, String, String)>,
    pub waiting_total: usize,
    /// When the list of waiting people was made: "2:05 pm".
    pub waiting_as_of: String,
    /// (when, client id, client, phone).
    pub calls_today: Vec<(String, i64, String, String)>,
    pub calls_later: usize,
    pub switches: Vec<SwitchRow>,
    pub switches_total: usize,
    pub groups: i64,
    pub open_invitations: i64,
    /// (therapist, region, licence number, expires, already lapsed).
    pub licences: Vec<(String, String, String, String, bool)>,
}

impl StaffHomeView {
    pub fn therapist(mut self, home: TherapistHome, when: &When) -> Self {
        self.groups_led = home.groups;
        for s in home.sessions {
            let time = when.time(&s.starts_local);
            let path = format!("/groups/{}/meetings/{}", s.group, s.meeting_date);
            let row = SessionRow {
                group: s.group.get(),
                title: s.title,
                when: if s.today { time } else { when.date_time(&s.starts_local) },
                room: format!("{path}/room"),
                attendance: format!("{path}/attendance"),
                open_now: s.open_now,
                ended: s.ended,
                members: s.members,
            };
            if s.today { self.today.push(row) } else { self.later.push(row) }
        }
        self
    }

    pub fn coordinator(mut self, home: CoordinatorHome, zone: chrono_tz::Tz, when: &When) -> Self {
        self.waiting = home
            .waiting
            .into_iter()
            .map(|(u, since)| (u.id.get(), u.display_name.to_string(), when.day(since, zone)))
            .collect();
        self.waiting_total = home.waiting_total;
        self.waiting_as_of =
            home.waiting_as_of.map(|at| when.time(&at.with_timezone(&zone))).unwrap_or_default();
        self.calls_today = home
            .calls_today
            .into_iter()
            .map(|c| {
                let at = when.time(&c.starts_at.with_timezone(&zone));
                (at, c.client_id.get(), c.client, c.phone)
            })
            .collect();
        self.calls_later = home.calls_later;
        let title = |g| home.group_titles.get(&g).cloned().unwrap_or_default();
        self.switches = home
            .switches
            .iter()
            .map(|r| (r.client.get(), r.client_name.clone(), title(r.from), title(r.to)))
            .collect();
        self.switches_total = home.switches_total;
        self
    }

    pub fn admin(mut self, home: &AdminHome, today: chrono::NaiveDate, when: &When) -> Self {
        self.groups = home.groups;
        self.open_invitations = home.open_invitations;
        self.licences = home
            .licences
            .iter()
            .map(|(_, name, l)| {
                let lapsed = l.expires_on < today;
                let region = l.region.as_str().to_owned();
                (name.clone(), region, l.number.clone(), when.date(l.expires_on), lapsed)
            })
            .collect();
        self
    }
}
