//! The seats of a few groups kept in memory by `hearth_domain::seats` alone: what every
//! database path must agree with.

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{
    MembershipId, MembershipStatus, PlaceRelease, SeatDecision, SeatFacts, WaitlistEntryId,
    WaitlistStatus, decide_reservation, may_offer_directly, offer_is_live, seats_to_offer,
};
use hearth_store::SeatOutcome;

use crate::{Entry, Group, Membership, Place, State};

/// The model refuses as the store does: with "not found".
pub struct NotFound;

pub struct Model {
    pub state: State,
    pub hold: Duration,
}

impl Model {
    fn group(&mut self, id: i64) -> &mut Group {
        self.state.groups.iter_mut().find(|g| g.id == id).expect("a known group")
    }

    fn open_entry(&self, group: i64, client: i64) -> Option<usize> {
        self.state.entries.iter().position(|e| {
            e.group == group
                && e.client == client
                && WaitlistStatus::parse(&e.status).is_some_and(WaitlistStatus::is_open)
        })
    }

    fn seat_of(&self, group: i64, client: i64) -> Option<usize> {
        self.state
            .memberships
            .iter()
            .position(|m| m.group == group && m.client == client && m.status == "seated")
    }

    fn waiting(&self, group: i64) -> impl Iterator<Item = &Entry> {
        self.state.entries.iter().filter(move |e| e.group == group && e.status == "waiting")
    }

    fn facts(&self, group: i64, client: i64) -> SeatFacts {
        let g = self.state.groups.iter().find(|g| g.id == group).expect("a known group");
        let holding = self
            .state
            .entries
            .iter()
            .filter(|e| e.group == group && (e.status == "waiting" || e.status == "offered"))
            .count();
        SeatFacts {
            capacity: g.capacity,
            seats_taken: g.seats_taken,
            open: g.status == "open",
            seated: self.seat_of(group, client).is_some(),
            entry: self
                .open_entry(group, client)
                .map(|i| WaitlistEntryId::new(self.state.entries[i].id)),
            holding: count(holding),
            waiting: count(self.waiting(group).count()),
        }
    }

    /// The position the store reports: those waiting up to and including this entry.
    pub fn position(&self, entry: &Entry) -> i64 {
        count(self.waiting(entry.group).filter(|e| e.id <= entry.id).count())
    }

    fn offer(&mut self, group: i64, offers: i64, now: DateTime<Utc>) {
        let hold = self.hold;
        let mut left = offers;
        for e in self.state.entries.iter_mut().filter(|e| e.group == group && e.status == "waiting")
        {
            if left == 0 {
                break;
            }
            "offered".clone_into(&mut e.status);
            e.offered_at = Some(now);
            e.offer_expires_at = Some(now + hold);
            left -= 1;
        }
        assert_eq!(left, 0, "offers only to people waiting");
        self.group(group).seats_taken += offers;
    }

    fn offer_free_seats(&mut self, group: i64, now: DateTime<Utc>) {
        let waiting = count(self.waiting(group).count());
        let g = self.group(group);
        let offers = seats_to_offer(g.capacity, g.seats_taken, waiting);
        self.offer(group, offers, now);
    }

    fn end(&mut self, membership: i64, status: MembershipStatus, now: DateTime<Utc>) {
        let Some(m) =
            self.state.memberships.iter_mut().find(|m| m.id == membership && m.status == "seated")
        else {
            return;
        };
        status.as_str().clone_into(&mut m.status);
        m.ended_at = Some(now);
        let group = m.group;
        self.group(group).seats_taken -= 1;
        self.offer_free_seats(group, now);
    }

    fn seat(&mut self, group: i64, client: i64, now: DateTime<Utc>, replaces: Option<i64>) -> i64 {
        let id = count(self.state.memberships.len()) + 1;
        self.state.memberships.push(Membership {
            id,
            group,
            client,
            status: "seated".to_owned(),
            joined_at: now,
            ended_at: None,
        });
        if let Some(old) = replaces {
            self.end(old, MembershipStatus::Switched, now);
        }
        id
    }

    pub fn reserve(
        &mut self,
        group: i64,
        client: i64,
        replaces: Option<i64>,
        now: DateTime<Utc>,
    ) -> SeatOutcome {
        match decide_reservation(&self.facts(group, client)) {
            SeatDecision::AlreadySeated => SeatOutcome::AlreadySeated,
            SeatDecision::AlreadyWaiting { entry } => {
                let entry = self.state.entries.iter().find(|e| e.id == entry.get()).expect("entry");
                SeatOutcome::AlreadyWaiting { position: self.position(entry) }
            }
            SeatDecision::Closed => SeatOutcome::Closed,
            SeatDecision::Seat => {
                self.group(group).seats_taken += 1;
                SeatOutcome::Seated {
                    membership: MembershipId::new(self.seat(group, client, now, replaces)),
                }
            }
            SeatDecision::Waitlist { offers, position } => {
                let id = count(self.state.entries.len()) + 1;
                self.state.entries.push(Entry {
                    id,
                    group,
                    client,
                    status: "waiting".to_owned(),
                    replaces,
                    created_at: now,
                    offered_at: None,
                    offer_expires_at: None,
                    resolved_at: None,
                });
                self.offer(group, offers, now);
                SeatOutcome::Waitlisted { entry: WaitlistEntryId::new(id), position }
            }
        }
    }

    pub fn leave(&mut self, group: i64, client: i64, now: DateTime<Utc>) -> Result<(), NotFound> {
        let seat = self.seat_of(group, client).ok_or(NotFound)?;
        self.end(self.state.memberships[seat].id, MembershipStatus::Left, now);
        Ok(())
    }

    pub fn release(
        &mut self,
        group: i64,
        client: i64,
        release: PlaceRelease,
        now: DateTime<Utc>,
    ) -> Result<(), NotFound> {
        let i = self.open_entry(group, client).ok_or(NotFound)?;
        let status = WaitlistStatus::parse(&self.state.entries[i].status).expect("valid");
        let ends = release.ends(status).ok_or(NotFound)?;
        let entry = &mut self.state.entries[i];
        ends.as_str().clone_into(&mut entry.status);
        entry.resolved_at = Some(now);
        if status == WaitlistStatus::Offered {
            self.group(group).seats_taken -= 1;
            self.offer_free_seats(group, now);
        }
        Ok(())
    }

    pub fn accept(
        &mut self,
        group: i64,
        client: i64,
        now: DateTime<Utc>,
    ) -> Result<MembershipId, NotFound> {
        let i = self.open_entry(group, client).ok_or(NotFound)?;
        let entry = &mut self.state.entries[i];
        let live = entry.status == "offered"
            && entry.offer_expires_at.is_some_and(|at| offer_is_live(at, now));
        if !live {
            return Err(NotFound);
        }
        "accepted".clone_into(&mut entry.status);
        entry.resolved_at = Some(now);
        let replaces = entry.replaces;
        Ok(MembershipId::new(self.seat(group, client, now, replaces)))
    }

    pub fn offer_directly(&mut self, group: i64, client: i64, now: DateTime<Utc>) -> bool {
        let free = may_offer_directly(&self.facts(group, client));
        if free {
            let id = count(self.state.entries.len()) + 1;
            self.state.entries.push(Entry {
                id,
                group,
                client,
                status: "offered".to_owned(),
                replaces: None,
                created_at: now,
                offered_at: Some(now),
                offer_expires_at: Some(now + self.hold),
                resolved_at: None,
            });
            self.group(group).seats_taken += 1;
        }
        free
    }

    /// Every offer due at `now`, oldest first, as `App::expire_offers_once` runs them.
    pub fn expire_due(&mut self, now: DateTime<Utc>) -> u64 {
        let due: Vec<(i64, i64)> = self
            .state
            .entries
            .iter()
            .filter(|e| e.status == "offered" && e.offer_expires_at.is_some_and(|at| at <= now))
            .map(|e| (e.id, e.group))
            .collect();
        let mut expired = 0;
        for (id, group) in due {
            let entry = self.state.entries.iter_mut().find(|e| e.id == id).expect("entry");
            if entry.status == "offered"
                && entry.offer_expires_at.is_some_and(|at| !offer_is_live(at, now))
            {
                "expired".clone_into(&mut entry.status);
                entry.resolved_at = Some(now);
                self.group(group).seats_taken -= 1;
                self.offer_free_seats(group, now);
                expired += 1;
            }
        }
        expired
    }

    /// The places the store reports for each client, in the order it lists them.
    pub fn places(&self) -> Vec<Place> {
        let mut places: Vec<Place> = self
            .state
            .entries
            .iter()
            .filter(|e| e.status == "waiting" || e.status == "offered")
            .map(|e| Place {
                client: e.client,
                group: e.group,
                entry: e.id,
                status: e.status.clone(),
                position: if e.status == "offered" { 0 } else { self.position(e) },
                offer_expires_at: e.offer_expires_at,
            })
            .collect();
        places.sort_by_key(|p| (p.client, p.entry));
        places
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).expect("a small count")
}
