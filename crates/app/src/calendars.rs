//! Calendars: a secret per-person iCal feed and an `.ics` file per group. Events carry UTC
//! times, so every calendar shows them in its own zone; cancelled meetings are marked
//! `STATUS:CANCELLED`. Titles name no topic: feeds often sync to work calendars.

use chrono::Duration;
use hearth_domain::{Group, GroupId, MembershipStatus, OccurrenceStatus, Role, UserId};
use icalendar::{Calendar, Component as _, Event, EventLike as _, EventStatus};

use crate::tokens::{hash_token, new_token};
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// How far back and ahead a calendar reaches.
const PAST: Duration = Duration::days(30);
const AHEAD: Duration = Duration::days(183);

impl App {
    /// Makes (or remakes) the caller's secret feed; returns the token for its URL.
    pub async fn rotate_calendar_feed(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<String> {
        let token = new_token();
        let record =
            self.audited(ctx, "calendar.feed.created", format!("user:{}", who.user.id), "");
        let now = self.clock.now();
        self.db.replace_calendar_feed(who.user.id, &hash_token(&token), now, record).await?;
        Ok(token)
    }

    pub async fn revoke_calendar_feed(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let record =
            self.audited_if(ctx, "calendar.feed.revoked", format!("user:{}", who.user.id), "");
        if !self.db.revoke_calendar_feed(who.user.id, self.clock.now(), record).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// The feed behind a secret token: every group the owner is seated in or leads.
    pub async fn calendar_feed(&self, token: &str) -> AppResult<String> {
        if token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let owner = self
            .db
            .find_calendar_feed_owner(&hash_token(token))
            .await?
            .ok_or(AppError::NotFound)?;
        let user = self.db.find_user(owner).await?.ok_or(AppError::NotFound)?;
        let groups = self.groups_in_calendar(owner, user.role).await?;
        let mut calendar = Calendar::new();
        calendar.name("Hearth");
        for group in &groups {
            self.push_events(&mut calendar, group).await?;
        }
        Ok(calendar.done().to_string())
    }

    async fn groups_in_calendar(&self, owner: UserId, role: Role) -> AppResult<Vec<Group>> {
        if role == Role::Therapist {
            let filter =
                hearth_domain::GroupFilter { therapist: Some(owner), ..Default::default() };
            return Ok(self.db.list_groups(&filter).await?);
        }
        let ids: Vec<GroupId> = self
            .db
            .list_client_memberships(owner)
            .await?
            .into_iter()
            .filter(|m| m.status == MembershipStatus::Seated)
            .map(|m| m.group_id)
            .collect();
        let filter = hearth_domain::GroupFilter { ids: Some(ids), ..Default::default() };
        Ok(self.db.list_groups(&filter).await?)
    }

    /// One group's meetings as an `.ics` file.
    pub async fn group_calendar(&self, group: GroupId) -> AppResult<String> {
        let group = self.find_group(group).await?;
        let mut calendar = Calendar::new();
        calendar.name("Hearth group");
        self.push_events(&mut calendar, &group).await?;
        Ok(calendar.done().to_string())
    }

    async fn push_events(&self, calendar: &mut Calendar, group: &Group) -> AppResult<()> {
        let series = self.series_of(group).await?;
        let now = self.clock.now();
        for o in series.occurrences(now - PAST, now + AHEAD) {
            let mut event = Event::new();
            event
                .uid(&format!("group-{}-{}@hearth", group.id, o.original_local_date))
                .summary("Hearth group session")
                .description("Join from your Hearth dashboard.")
                .starts(o.occurrence.starts_at)
                .ends(o.occurrence.ends_at);
            if o.status == OccurrenceStatus::Cancelled {
                event.status(EventStatus::Cancelled);
            } else {
                event.status(EventStatus::Confirmed);
            }
            calendar.push(event.done());
        }
        Ok(())
    }
}
