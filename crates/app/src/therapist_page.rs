//! A therapist's "My groups" page as one read: every group they lead with its roster, the
//! members' score trends, and the next and last meetings, in a number of statements that does
//! not grow with the groups or the members, and one audit row naming every roster read.

use hearth_domain::{GroupFilter, User};
use hearth_domain::{GroupId, Role, UserId};
use std::collections::HashMap;

use crate::groups::OccurrenceView;
use crate::measures::ScoreTrend;
use crate::schedules::upcoming;
use crate::{App, AppError, AppResult, AuditContext, Authenticated, GroupCard, Paged, Paging};

/// Groups a page of "My groups" shows, each with its whole roster and trends.
pub const LED_GROUPS_PAGE_SIZE: usize = 6;

/// One of the therapist's groups.
#[derive(Clone, Debug)]
pub struct LedGroup {
    pub card: GroupCard,
    /// Members in joining order, with their score trends.
    pub roster: Vec<(User, ScoreTrend)>,
    /// The next meeting not yet ended, for its room.
    pub next: Option<OccurrenceView>,
    /// The latest meeting that has started, for its attendance sheet.
    pub last: Option<OccurrenceView>,
}

impl App {
    /// Every group `therapist` leads.
    pub(crate) async fn groups_led_by(
        &self,
        therapist: UserId,
    ) -> AppResult<Vec<hearth_domain::Group>> {
        let filter = GroupFilter { therapist: Some(therapist), ..GroupFilter::default() };
        Ok(self.db.list_groups(&filter).await?)
    }

    /// Page `page` (from 1; out of range is the nearest) of the groups `who` leads, for their
    /// "My groups" page: [`LED_GROUPS_PAGE_SIZE`] groups at a time, so that a therapist with
    /// many groups does not wait for every member's scores at once. Therapists only.
    pub async fn therapist_groups_page(
        &self,
        who: &Authenticated,
        page: usize,
        ctx: &AuditContext,
    ) -> AppResult<Paged<LedGroup>> {
        if who.user.role != Role::Therapist {
            return Err(AppError::Forbidden);
        }
        let all = self.groups_led_by(who.user.id).await?;
        let paging = Paging::clamped(page, all.len(), LED_GROUPS_PAGE_SIZE);
        let groups: Vec<_> = all.into_iter().skip(paging.offset()).take(paging.size).collect();
        let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
        let members = self.db.list_members_of_groups(&ids).await?;
        let client_ids: Vec<UserId> = members.iter().map(|m| m.client_id).collect();
        let mut people: HashMap<UserId, User> =
            self.db.find_users(&client_ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let trends = self.member_score_trends(who, &client_ids).await?;
        // One audit row for the view: the rosters read, and whose scores.
        if !ids.is_empty() {
            let subject = ids.iter().map(|g| format!("group:{g}")).collect::<Vec<_>>().join(",");
            let mut scored: Vec<i64> = trends.keys().map(|c| c.get()).collect();
            scored.sort_unstable();
            let scored = scored.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            self.audit(ctx, "group.roster.read", subject, format!("scores of clients={scored}"))
                .await?;
        }
        let mut rosters: HashMap<GroupId, Vec<(User, ScoreTrend)>> = HashMap::new();
        for m in &members {
            let id = m.client_id;
            let Some(user) = people.remove(&id) else { continue };
            let trend = trends.get(&id).copied().unwrap_or_default();
            rosters.entry(m.group_id).or_default().push((user, trend));
        }
        let changes = self.series_changes().await?;
        let (now, zone) = (self.clock.now(), who.user.timezone.tz());
        let mut led = Vec::with_capacity(groups.len());
        for card in self.cards(who, groups).await? {
            let series = Self::series_from(&card.group, &changes)?;
            led.push(LedGroup {
                roster: rosters.remove(&card.group.id).unwrap_or_default(),
                next: upcoming(&series, now, zone, 1).pop(),
                last: series.last_meeting_before(now).map(|o| crate::groups::view(&o, zone)),
                card,
            });
        }
        Ok(Paged { items: led, paging })
    }
}
