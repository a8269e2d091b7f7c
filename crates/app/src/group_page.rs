//! A group's page as one read: its card, therapist, topic and plan, the next meetings and
//! clock-change notices, where the viewer stands with it, and the roster for the care team.

use chrono::{DateTime, Utc};
use hearth_domain::{
    GroupId, Role, ShiftNotice, TherapistProfile, Topic, TopicPlanWeek, User, WaitlistPlace,
    WaitlistStatus, upcoming_shifts,
};

use crate::groups::{SHIFT_NOTICE_HORIZON, is_care_team, may_reschedule};
use crate::schedules::upcoming;
use crate::{App, AppError, AppResult, AuditContext, Authenticated, GroupCard, OccurrenceView};

/// Where the viewer stands with a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    Seated,
    /// A seat is held for them until then.
    Offered(DateTime<Utc>),
    /// Their place in the queue (1 is next).
    Waiting(i64),
    /// May join; the groups they sit in now, which a switch would leave: (group, topic name).
    CanJoin(Vec<(GroupId, String)>),
    /// May not join, and why, in plain words.
    Ineligible(String),
    /// Staff do not join groups.
    Staff,
}

/// Everything a group's page shows.
#[derive(Clone, Debug)]
pub struct GroupPage {
    pub card: GroupCard,
    pub profile: TherapistProfile,
    pub topic: Topic,
    pub plan: Vec<TopicPlanWeek>,
    /// The next four meetings, in the viewer's zone.
    pub meetings: Vec<OccurrenceView>,
    pub shift_notices: Vec<ShiftNotice>,
    pub standing: Standing,
    pub care_team: bool,
    pub may_reschedule: bool,
    /// Members, for the care team only.
    pub roster: Vec<User>,
}

/// A client's "My groups" page: the groups they sit in, and those they wait for with their
/// place.
#[derive(Clone, Debug)]
pub struct MyGroupCards {
    pub seated: Vec<GroupCard>,
    pub waiting: Vec<(GroupCard, WaitlistPlace)>,
}

impl App {
    /// `who`'s groups as cards, in one read.
    pub async fn my_group_cards(&self, who: &Authenticated) -> AppResult<MyGroupCards> {
        self.group_cards_of(who, who.user.id).await
    }

    /// `client`'s groups and waitlist places as cards for `viewer` (callers check that the
    /// viewer may see them).
    pub(crate) async fn group_cards_of(
        &self,
        viewer: &Authenticated,
        client: hearth_domain::UserId,
    ) -> AppResult<MyGroupCards> {
        let who = viewer;
        let mine = self.groups_of(client).await?;
        let seated_count = mine.seated.len();
        let (places, waiting_groups): (Vec<_>, Vec<_>) =
            mine.waiting.into_iter().map(|(g, p)| (p, g)).unzip();
        let groups = mine.seated.into_iter().map(|(g, _)| g).chain(waiting_groups).collect();
        let mut cards = self.cards(who, groups).await?;
        let waiting = cards.split_off(seated_count).into_iter().zip(places).collect();
        Ok(MyGroupCards { seated: cards, waiting })
    }

    /// Group `id`'s page for `who`.
    pub async fn group_page(
        &self,
        who: &Authenticated,
        id: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<GroupPage> {
        let card = self.group_card(who, id).await?;
        let group = &card.group;
        let (_, profile) = self.therapist_profile(group.therapist_id).await?;
        let (topic, plan) = self.topic_with_plan(&group.topic).await?;
        // Fresh, not the minute-old copy: the page offers cancel and move on these dates.
        let series = self.series_of(group).await?;
        let (now, zone) = (self.clock.now(), who.user.timezone);
        let meetings = upcoming(&series, now, zone.tz(), 4);
        let shift_notices = upcoming_shifts(&series, zone, now, SHIFT_NOTICE_HORIZON);
        let care_team = is_care_team(who, group);
        let standing = self.standing(who, &card).await?;
        let roster = if care_team {
            self.roster(who, group.id, ctx).await?.into_iter().filter_map(|r| r.client).collect()
        } else {
            Vec::new()
        };
        Ok(GroupPage {
            may_reschedule: may_reschedule(who, group),
            card,
            profile,
            topic,
            plan,
            meetings,
            shift_notices,
            standing,
            care_team,
            roster,
        })
    }

    async fn standing(&self, who: &Authenticated, card: &GroupCard) -> AppResult<Standing> {
        if who.user.role != Role::Client {
            return Ok(Standing::Staff);
        }
        let group = &card.group;
        let mine = self.my_groups(who).await?;
        if mine.seated.iter().any(|(g, _)| g.id == group.id) {
            return Ok(Standing::Seated);
        }
        if let Some((_, place)) = mine.waiting.iter().find(|(g, _)| g.id == group.id) {
            return Ok(match (place.status, place.offer_expires_at) {
                (WaitlistStatus::Offered, Some(until)) => Standing::Offered(until),
                _ => Standing::Waiting(place.position),
            });
        }
        if !card.may_join {
            let facts = self.join_facts(&who.user, &[group.therapist_id]).await?;
            let reason = match self.refusal_given(&who.user, group, &facts) {
                Some(AppError::Refused { reason, .. }) => reason,
                _ => "you cannot join this group".to_owned(),
            };
            return Ok(Standing::Ineligible(reason));
        }
        let topics = self.topics().await?;
        let name = |slug: &str| {
            topics
                .iter()
                .find(|t| t.slug == slug)
                .map_or_else(|| slug.to_owned(), |t| t.name.clone())
        };
        Ok(Standing::CanJoin(mine.seated.iter().map(|(g, _)| (g.id, name(&g.topic))).collect()))
    }
}
