//! The group catalog as a person browses it: each group's next meeting in their own zone,
//! its therapist and topic by name, seats, and whether they may join.

use chrono::{Datelike as _, Timelike as _, Weekday};
use hearth_domain::{GroupId, Role, UserId};
use hearth_store::{Group, GroupFilter};
use std::collections::HashMap;

use crate::{App, AppResult, Authenticated};

/// Morning, afternoon or evening, in the viewer's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeOfDay {
    Morning,
    Afternoon,
    Evening,
}

impl TimeOfDay {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "morning" => Some(Self::Morning),
            "afternoon" => Some(Self::Afternoon),
            "evening" => Some(Self::Evening),
            _ => None,
        }
    }

    fn of_hour(hour: u32) -> Self {
        match hour {
            0..12 => Self::Morning,
            12..17 => Self::Afternoon,
            _ => Self::Evening,
        }
    }
}

/// What to show of the catalog.
#[derive(Clone, Debug, Default)]
pub struct BrowseFilter {
    pub topic: Option<String>,
    /// Weekday in the viewer's zone.
    pub weekday: Option<Weekday>,
    pub time_of_day: Option<TimeOfDay>,
    pub with_seats: bool,
}

/// One group as a card in the catalog.
#[derive(Clone, Debug)]
pub struct GroupCard {
    pub group: Group,
    pub topic_name: String,
    pub therapist_name: String,
    /// The next meeting in the viewer's zone, e.g. "Wed 18:00".
    pub next_local: Option<chrono::DateTime<chrono_tz::Tz>>,
    pub weekday_local: Option<Weekday>,
    pub may_join: bool,
}

impl GroupCard {
    /// "Wednesdays at 18:00" in the viewer's zone (from the next meeting).
    pub fn when(&self) -> String {
        match self.next_local {
            Some(at) => format!("{}s at {}", weekday_name(at.weekday()), at.format("%H:%M")),
            None => "no upcoming meetings".to_owned(),
        }
    }
}

pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

impl App {
    /// The catalog for a viewer, filtered in their own zone.
    pub async fn browse_groups(
        &self,
        viewer: &Authenticated,
        filter: &BrowseFilter,
    ) -> AppResult<Vec<GroupCard>> {
        let groups = self
            .db
            .list_groups(&GroupFilter { topic: filter.topic.clone(), ..GroupFilter::default() })
            .await?;
        let cards = self.cards(viewer, groups).await?;
        Ok(cards
            .into_iter()
            .filter(|c| filter.weekday.is_none_or(|w| c.weekday_local == Some(w)))
            .filter(|c| {
                filter.time_of_day.is_none_or(|t| {
                    c.next_local.is_some_and(|at| TimeOfDay::of_hour(at.hour()) == t)
                })
            })
            .filter(|c| !filter.with_seats || c.group.seats_left() > 0)
            .collect())
    }

    /// Cards for the given groups, in the viewer's zone.
    pub async fn cards(
        &self,
        viewer: &Authenticated,
        groups: Vec<Group>,
    ) -> AppResult<Vec<GroupCard>> {
        let topics: HashMap<String, String> =
            self.db.list_topics().await?.into_iter().map(|t| (t.slug, t.name)).collect();
        let mut therapists: HashMap<UserId, String> = HashMap::new();
        let mut cards = Vec::with_capacity(groups.len());
        for group in groups {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                therapists.entry(group.therapist_id)
            {
                let name = self
                    .db
                    .find_user(group.therapist_id)
                    .await?
                    .map_or_else(|| "a therapist".to_owned(), |u| u.display_name.to_string());
                slot.insert(name);
            }
            let next = self.next_meetings(viewer.user.timezone, &group, 1).await?;
            let next_local = next.first().map(|o| o.local_start);
            let may_join =
                viewer.user.role == Role::Client && self.may_join(&viewer.user, &group).await?;
            cards.push(GroupCard {
                topic_name: topics
                    .get(&group.topic)
                    .cloned()
                    .unwrap_or_else(|| group.topic.clone()),
                therapist_name: therapists.get(&group.therapist_id).cloned().unwrap_or_default(),
                weekday_local: next_local.map(|at| at.weekday()),
                next_local,
                may_join,
                group,
            });
        }
        Ok(cards)
    }

    /// The groups a therapist leads.
    pub async fn therapist_groups(&self, therapist: &Authenticated) -> AppResult<Vec<GroupCard>> {
        let groups = self
            .db
            .list_groups(&GroupFilter {
                therapist: Some(therapist.user.id),
                ..GroupFilter::default()
            })
            .await?;
        self.cards(therapist, groups).await
    }

    /// A single group's card.
    pub async fn group_card(&self, viewer: &Authenticated, id: GroupId) -> AppResult<GroupCard> {
        let group = self.find_group(id).await?;
        let mut cards = self.cards(viewer, vec![group]).await?;
        cards.pop().ok_or(crate::AppError::NotFound)
    }
}
