//! The shape of the practice at scale, decided before anything is written: who leads which
//! group, who sits where, who waits, who checks in when. Pure and decided by index, so the
//! same size gives the same practice and a test can check the shape without a database.

use chrono::Weekday;
use hearth_domain::TOPICS;
use std::collections::HashMap;

/// States clients live in, with a zone each; a therapist is licensed in their home state and
/// the next one in this list.
pub(super) const PLACES: [(&str, &str); 12] = [
    ("CA", "America/Los_Angeles"),
    ("NY", "America/New_York"),
    ("TX", "America/Chicago"),
    ("IL", "America/Chicago"),
    ("FL", "America/New_York"),
    ("CO", "America/Denver"),
    ("WA", "America/Los_Angeles"),
    ("AZ", "America/Phoenix"),
    ("OR", "America/Los_Angeles"),
    ("PA", "America/New_York"),
    ("NJ", "America/New_York"),
    ("MN", "America/Chicago"),
];

/// The demo therapist's groups are in Colorado, one of the states they are licensed in.
const DEMO_THERAPIST_PLACE: usize = 5;
/// How many groups the demo therapist leads at scale (fewer in a small practice).
const DEMO_THERAPIST_GROUPS: usize = 12;
/// Clients the demo coordinator has taken on (the others share the rest).
pub(super) const DEMO_COORDINATOR_CLIENTS: usize = 2000;
/// Topics teens may have a group in.
const TEEN_TOPICS: [&str; 4] =
    ["anxiety-depression", "dbt-skills", "self-compassion", "grief-loss"];
const WEEKDAYS: [Weekday; 11] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Sat,
    Weekday::Sun,
    Weekday::Fri,
];
const TIMES: [&str; 8] = ["09:00", "12:00", "17:30", "18:00", "19:00", "19:30", "10:30", "20:00"];

/// How big a practice to seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub clients: usize,
    pub groups: usize,
}

impl Scale {
    /// Therapists besides the demo's: about one for every eight groups (600 for 5,000).
    pub(super) fn therapists(self) -> usize {
        (self.groups * 3 / 25).max(1)
    }

    /// Coordinators, the demo coordinator among them: one for every 2,000 clients.
    pub(super) fn coordinators(self) -> usize {
        (self.clients / DEMO_COORDINATOR_CLIENTS).max(1)
    }

    /// Groups the demo therapist leads: 12, or a quarter of the groups in a small practice.
    pub(super) fn demo_groups(self) -> usize {
        DEMO_THERAPIST_GROUPS.min(self.groups / 4)
    }
}

/// Who leads a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Leader {
    /// The demo therapist.
    Demo,
    /// A therapist seeded at scale, by index.
    Scaled(usize),
}

/// A group to seed.
#[derive(Clone, Debug)]
pub(super) struct GroupPlan {
    pub leader: Leader,
    /// Index into [`PLACES`]: its members live there.
    pub place: usize,
    pub teen: bool,
    pub topic: &'static str,
    pub weekday: Weekday,
    pub time: &'static str,
    pub minutes: i32,
    pub capacity: i32,
    /// Members seated (at most the capacity).
    pub seated: usize,
    /// Weeks since its first meeting.
    pub started_weeks_ago: i64,
}

/// What became of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fate {
    /// Seated in a group, perhaps after finishing an earlier one.
    Seated { group: usize, earlier: Option<usize> },
    /// On a full group's waitlist.
    Waiting { group: usize },
    /// Finished an intake and waits in the care queue for a coordinator.
    Unplaced,
    /// Signed up and has not done an intake yet.
    Browsing,
}

impl Fate {
    /// Whether a coordinator has taken the client on (seated or waiting).
    pub(super) fn taken_on(self) -> bool {
        matches!(self, Self::Seated { .. } | Self::Waiting { .. })
    }

    /// Whether the client has done an intake.
    pub(super) fn has_intake(self) -> bool {
        !matches!(self, Self::Browsing)
    }
}

/// A client's place (index into [`PLACES`]) and whether they are a teen.
pub(super) fn client_place(i: usize) -> (usize, bool) {
    (i % PLACES.len(), (i / PLACES.len()) % 16 == 5)
}

/// The three topics a seated-at-scale therapist specialises in.
pub(super) fn specialties(therapist: usize) -> [&'static str; 3] {
    [0, 1, 2].map(|j| TOPICS[(therapist + 5 * j) % TOPICS.len()].slug)
}

/// Every group, in order.
pub(super) fn groups(scale: Scale) -> Vec<GroupPlan> {
    let (demo, therapists) = (scale.demo_groups(), scale.therapists());
    (0..scale.groups)
        .map(|g| {
            let weekday = WEEKDAYS[g % WEEKDAYS.len()];
            let time = TIMES[(g / WEEKDAYS.len()) % TIMES.len()];
            let started_weeks_ago = 20 + i64::try_from(g % 20).unwrap_or(0);
            if g < demo {
                // Full groups of 8 to 12, every third with a short waitlist.
                let capacity = [8, 10, 12][g % 3];
                let topic = TOPICS[g % TOPICS.len()].slug;
                return GroupPlan {
                    leader: Leader::Demo,
                    place: DEMO_THERAPIST_PLACE,
                    teen: false,
                    topic,
                    weekday,
                    time,
                    minutes: minutes_for(topic),
                    capacity,
                    seated: usize::try_from(capacity).unwrap_or(0),
                    started_weeks_ago,
                };
            }
            let t = (g - demo) % therapists;
            let topic = specialties(t)[((g - demo) / therapists) % 3];
            let capacity = [8, 10, 10, 12][g % 4];
            // Every fifth group is full (with a waitlist); the rest 70% to 100% full.
            let tenths = if g % 5 == 0 { 10 } else { 6 + g % 5 };
            GroupPlan {
                leader: Leader::Scaled(t),
                place: t % PLACES.len(),
                teen: g % 16 == 7 && TEEN_TOPICS.contains(&topic),
                topic,
                weekday,
                time,
                minutes: minutes_for(topic),
                capacity,
                seated: usize::try_from(capacity).unwrap_or(0) * tenths / 10,
                started_weeks_ago,
            }
        })
        .collect()
}

fn minutes_for(topic: &str) -> i32 {
    if topic == "dbt-skills" { 90 } else { 60 }
}

/// How many wait for a seat in group `g` (full groups only).
pub(super) fn waitlist_of(g: usize, group: &GroupPlan) -> usize {
    let full = group.seated == usize::try_from(group.capacity).unwrap_or(0);
    match group.leader {
        Leader::Demo if g.is_multiple_of(3) => 2,
        Leader::Scaled(_) if full && g.is_multiple_of(5) => 3 + g % 3,
        _ => 0,
    }
}

/// What becomes of every client: the groups take members from the clients of their place and
/// age band in index order, then their waitlists; of the clients left over, one in fifty has
/// done an intake and waits in the care queue, the rest are still browsing. One seated client
/// in three finished an earlier group of their place first.
pub(super) fn fates(scale: Scale, groups: &[GroupPlan]) -> Vec<Fate> {
    let mut pools: HashMap<(usize, bool), Vec<usize>> = HashMap::new();
    for i in 0..scale.clients {
        pools.entry(client_place(i)).or_default().push(i);
    }
    let mut pool_groups: HashMap<(usize, bool), Vec<usize>> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        pool_groups.entry((group.place, group.teen)).or_default().push(g);
    }
    let mut fates = vec![Fate::Browsing; scale.clients];
    let mut next: HashMap<(usize, bool), usize> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        let key = (group.place, group.teen);
        let Some(pool) = pools.get(&key) else { continue };
        let cursor = next.entry(key).or_default();
        let siblings = pool_groups.get(&key).map_or(&[][..], Vec::as_slice);
        for k in 0..group.seated + waitlist_of(g, group) {
            let Some(&client) = pool.get(*cursor) else { break };
            *cursor += 1;
            fates[client] = if k < group.seated {
                let earlier = siblings
                    .iter()
                    .position(|&s| s == g)
                    .map(|at| siblings[(at + 1) % siblings.len()])
                    .filter(|&e| e != g && client % 3 == 0);
                Fate::Seated { group: g, earlier }
            } else {
                Fate::Waiting { group: g }
            };
        }
    }
    for (key, pool) in &pools {
        let from = next.get(key).copied().unwrap_or(0);
        for (j, &client) in pool.iter().skip(from).enumerate() {
            if j % 50 == 0 {
                fates[client] = Fate::Unplaced;
            }
        }
    }
    fates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_practice_at_scale_has_the_shape_the_demo_logins_need() {
        let scale = Scale { clients: 100_000, groups: 5_000 };
        assert_eq!((scale.therapists(), scale.coordinators(), scale.demo_groups()), (600, 50, 12));
        let groups = groups(scale);
        let fates = fates(scale, &groups);
        let mut seated = vec![0_usize; groups.len()];
        let mut waiting = vec![0_usize; groups.len()];
        for (i, fate) in fates.iter().enumerate() {
            match *fate {
                Fate::Seated { group, earlier } => {
                    seated[group] += 1;
                    assert_eq!(client_place(i), (groups[group].place, groups[group].teen));
                    if let Some(e) = earlier {
                        assert_ne!(e, group);
                        assert_eq!(client_place(i), (groups[e].place, groups[e].teen));
                    }
                }
                Fate::Waiting { group } => waiting[group] += 1,
                Fate::Unplaced | Fate::Browsing => {}
            }
        }
        for (g, group) in groups.iter().enumerate() {
            assert!(seated[g] <= usize::try_from(group.capacity).expect("small"), "group {g}");
            assert!(waiting[g] == 0 || seated[g] == group.seated, "group {g} waits while not full");
        }
        // The demo therapist's twelve groups are full, with 8 to 12 members each.
        let demo: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].leader == Leader::Demo)
            .map(|g| seated[g])
            .collect();
        assert_eq!(demo.len(), 12);
        assert!(demo.iter().all(|n| (8..=12).contains(n)), "{demo:?}");
        // Most seats are filled; thousands wait, hundreds are in the care queue.
        let seats: usize = groups.iter().map(|g| usize::try_from(g.capacity).expect("small")).sum();
        let filled: usize = seated.iter().sum();
        assert!(filled * 10 > seats * 8, "{filled} of {seats} seats");
        let taken_on = fates.iter().filter(|f| f.taken_on()).count();
        assert!(taken_on > DEMO_COORDINATOR_CLIENTS * 20, "{taken_on} taken on");
        let unplaced = fates.iter().filter(|f| **f == Fate::Unplaced).count();
        assert!((500..2000).contains(&unplaced), "{unplaced} in the care queue");
        assert!(groups.iter().any(|g| g.teen) && waiting.iter().sum::<usize>() > 2000);
    }
}
