//! The group catalog as a person browses it: when each group meets in their own zone (its
//! own slot, whatever single meeting was moved), its therapist and topic by name, seats, and
//! whether they may join.

use chrono::{Datelike as _, Timelike as _, Weekday};
use hearth_domain::{Group, GroupFilter, Topic};
use hearth_domain::{GroupId, Role, User, UserId};
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

    fn plural(self) -> &'static str {
        match self {
            Self::Morning => "mornings",
            Self::Afternoon => "afternoons",
            Self::Evening => "evenings",
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
    /// The next meeting on the group's own slot (a moved or cancelled meeting is passed
    /// over), in the viewer's zone: what the schedule text and the catalog filters read.
    pub regular_local: Option<chrono::DateTime<chrono_tz::Tz>>,
    pub weekday_local: Option<Weekday>,
    pub may_join: bool,
}

impl GroupCard {
    /// The group's name wherever people read it: its topic, when it meets in the viewer's
    /// zone and who leads it ("Anger management · Tuesday evenings with Dr. Rivera"), so
    /// that two groups on one topic are told apart.
    pub fn title(&self) -> String {
        group_title(
            &self.topic_name,
            self.regular_local.map(|at| (at.weekday(), at.hour())),
            &self.therapist_name,
        )
    }
}

/// A group's title from its topic's name, the weekday and hour it meets (in the reader's
/// zone, when known) and its therapist's name: see [`GroupCard::title`].
pub(crate) fn group_title(topic: &str, meets: Option<(Weekday, u32)>, therapist: &str) -> String {
    match meets {
        Some((day, hour)) => format!(
            "{topic} · {} {} with {therapist}",
            weekday_name(day),
            TimeOfDay::of_hour(hour).plural()
        ),
        None => format!("{topic} with {therapist}"),
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

/// Cards on one page of the catalog.
pub const CATALOG_PAGE_SIZE: usize = 24;

/// One page of the catalog, with where it sits among the rest.
#[derive(Clone, Debug)]
pub struct CatalogPage {
    pub cards: Vec<GroupCard>,
    /// From 1.
    pub page: usize,
    /// At least 1, even when nothing matched.
    pub pages: usize,
    /// Groups matching the filter, on every page.
    pub matching: usize,
    /// Every topic, by slug, for the filter.
    pub topics: Vec<Topic>,
}

impl App {
    /// One page (from 1; out of range is clamped) of the catalog for a viewer, filtered in
    /// their own zone. The number of statements does not grow with the groups: the count and
    /// the page's groups in one each (every group of the topic in one, when a weekday or time
    /// of day is asked), every group's series changes in two (kept a minute), and for the
    /// page's cards the therapists, topics and licences in one each.
    pub async fn browse_groups(
        &self,
        viewer: &Authenticated,
        filter: &BrowseFilter,
        page: usize,
    ) -> AppResult<CatalogPage> {
        // Without a weekday or time of day the database pages the list itself; with one, the
        // group's own weekday and time (its next regular meeting's, in the viewer's zone) are
        // worked out for every group of the topic and the list paged after.
        let (shown, matching, page, pages) = if filter.weekday.is_none()
            && filter.time_of_day.is_none()
        {
            let topic = filter.topic.as_deref();
            let matching =
                crate::paging::total(self.db.count_catalog(topic, filter.with_seats).await?);
            let paging = crate::Paging::clamped(page, matching, CATALOG_PAGE_SIZE);
            let shown = self
                .db
                .catalog_page(topic, filter.with_seats, paging.offset(), CATALOG_PAGE_SIZE)
                .await?;
            (shown, matching, paging.page, paging.pages)
        } else {
            let mut groups = self
                .db
                .list_groups(&GroupFilter { topic: filter.topic.clone(), ..GroupFilter::default() })
                .await?;
            if filter.with_seats {
                groups.retain(|g| g.seats_left() > 0);
            }
            let next = self.regular_meeting_of_each(viewer.user.timezone, &groups).await?;
            groups.retain(|g| {
                next.get(&g.id).is_some_and(|o| {
                    filter.weekday.is_none_or(|w| o.local_start.weekday() == w)
                        && filter
                            .time_of_day
                            .is_none_or(|t| TimeOfDay::of_hour(o.local_start.hour()) == t)
                })
            });
            let paging = crate::Paging::clamped(page, groups.len(), CATALOG_PAGE_SIZE);
            let shown: Vec<Group> =
                groups.into_iter().skip(paging.offset()).take(CATALOG_PAGE_SIZE).collect();
            (shown, paging.total, paging.page, paging.pages)
        };
        let topics = self.topics().await?.to_vec();
        let cards = self.cards_with_topics(&viewer.user, shown, &topics).await?;
        Ok(CatalogPage { cards, page, pages, matching, topics })
    }

    /// The title ([`GroupCard::title`]) of each group named, as `viewer` reads it, in a fixed
    /// number of statements.
    pub async fn group_titles(
        &self,
        viewer: &Authenticated,
        ids: impl IntoIterator<Item = GroupId>,
    ) -> AppResult<HashMap<GroupId, String>> {
        let mut ids: Vec<GroupId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let groups =
            self.db.list_groups(&GroupFilter { ids: Some(ids), ..GroupFilter::default() }).await?;
        Ok(self.cards(viewer, groups).await?.into_iter().map(|c| (c.group.id, c.title())).collect())
    }

    /// Cards for the given groups, in the viewer's zone, in a number of statements that does
    /// not grow with the groups.
    pub async fn cards(
        &self,
        viewer: &Authenticated,
        groups: Vec<Group>,
    ) -> AppResult<Vec<GroupCard>> {
        self.cards_for(&viewer.user, groups).await
    }

    /// [`App::cards`] for a person known without a session (a calendar feed's owner).
    pub(crate) async fn cards_for(
        &self,
        viewer: &User,
        groups: Vec<Group>,
    ) -> AppResult<Vec<GroupCard>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let topics = self.topics().await?;
        self.cards_with_topics(viewer, groups, &topics).await
    }

    async fn cards_with_topics(
        &self,
        viewer: &User,
        groups: Vec<Group>,
        topics: &[Topic],
    ) -> AppResult<Vec<GroupCard>> {
        let topics: HashMap<&str, &str> =
            topics.iter().map(|t| (t.slug.as_str(), t.name.as_str())).collect();
        let mut therapist_ids: Vec<UserId> = groups.iter().map(|g| g.therapist_id).collect();
        therapist_ids.sort_unstable();
        therapist_ids.dedup();
        let therapists = self.display_names(therapist_ids.iter().copied()).await?;
        let facts = if viewer.role == Role::Client {
            Some(self.join_facts(viewer, &therapist_ids).await?)
        } else {
            None
        };
        let mut regular = self.regular_meeting_of_each(viewer.timezone, &groups).await?;
        Ok(groups
            .into_iter()
            .map(|group| {
                let regular_local = regular.remove(&group.id).map(|o| o.local_start);
                let may_join =
                    facts.as_ref().is_some_and(|f| self.refusal_given(viewer, &group, f).is_none());
                GroupCard {
                    topic_name: topics
                        .get(group.topic.as_str())
                        .map_or_else(|| group.topic.clone(), |name| (*name).to_owned()),
                    therapist_name: therapists
                        .get(&group.therapist_id)
                        .cloned()
                        .unwrap_or_else(|| "a therapist".to_owned()),
                    weekday_local: regular_local.map(|at| at.weekday()),
                    regular_local,
                    may_join,
                    group,
                }
            })
            .collect())
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
