//! Calendars: a secret per-person iCal feed and an `.ics` file per group. Events carry UTC
//! times, so every calendar shows them in its own zone; cancelled meetings are marked
//! `STATUS:CANCELLED`. Each event is titled with the group's title as its reader sees it on
//! their pages and carries the session room's address. Feeds often sync to calendars other
//! people see, so a person may choose a discreet calendar: then the title is only
//! [`DISCREET_TITLE`] and nothing in the event names the topic or the group.

use chrono::Duration;
use hearth_domain::{
    Group, GroupId, MembershipStatus, OccurrenceStatus, ROOM_OPENS_BEFORE_MINUTES, Role, User,
    UserId,
};
use icalendar::{Calendar, Component as _, Event, EventLike as _, EventStatus};

use crate::tokens::{hash_token, new_token};
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// How far back and ahead a calendar reaches.
const PAST: Duration = Duration::days(30);
const AHEAD: Duration = Duration::days(183);

/// The title of every event in a discreet calendar.
pub const DISCREET_TITLE: &str = "Hearth session";

/// How one group's events read: its title (or the discreet one) and where its room is.
struct EventWords<'a> {
    title: String,
    discreet: bool,
    /// The site's address, without a trailing slash, for the room links.
    base_url: &'a str,
}

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

    /// Whether the person's calendar events are discreet (see [`DISCREET_TITLE`]).
    pub async fn calendar_discreet(&self, who: &Authenticated) -> AppResult<bool> {
        Ok(self.db.find_calendar_discreet(who.user.id).await?)
    }

    /// Turns the person's discreet calendar on or off; their feed and group files follow at
    /// once.
    pub async fn set_calendar_discreet(
        &self,
        who: &Authenticated,
        discreet: bool,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let record = self.audited(
            ctx,
            "calendar.discreet.set",
            format!("user:{}", who.user.id),
            format!("discreet={discreet}"),
        );
        let now = self.clock.now();
        Ok(self.db.set_calendar_discreet(who.user.id, discreet, now, record).await?)
    }

    /// The feed behind a secret token: every group the owner is seated in or leads.
    /// `base_url` is the site's public address, for the room links.
    pub async fn calendar_feed(&self, token: &str, base_url: &str) -> AppResult<String> {
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
        self.push_groups(&mut calendar, &user, groups, base_url).await?;
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

    /// One group's meetings as an `.ics` file, worded for the person downloading it.
    pub async fn group_calendar(
        &self,
        viewer: &Authenticated,
        group: GroupId,
        base_url: &str,
    ) -> AppResult<String> {
        let group = self.find_group(group).await?;
        let mut calendar = Calendar::new();
        calendar.name("Hearth group");
        self.push_groups(&mut calendar, &viewer.user, vec![group], base_url).await?;
        Ok(calendar.done().to_string())
    }

    async fn push_groups(
        &self,
        calendar: &mut Calendar,
        reader: &User,
        groups: Vec<Group>,
        base_url: &str,
    ) -> AppResult<()> {
        let discreet = self.db.find_calendar_discreet(reader.id).await?;
        let base_url = base_url.trim_end_matches('/');
        for card in self.cards_for(reader, groups).await? {
            let title = if discreet { DISCREET_TITLE.to_owned() } else { card.title() };
            let words = EventWords { title, discreet, base_url };
            self.push_events(calendar, &card.group, &words).await?;
        }
        Ok(())
    }

    async fn push_events(
        &self,
        calendar: &mut Calendar,
        group: &Group,
        words: &EventWords<'_>,
    ) -> AppResult<()> {
        let series = self.series_of(group).await?;
        let now = self.clock.now();
        for o in series.occurrences(now - PAST, now + AHEAD) {
            // The room is addressed by the meeting's own date, even when it was moved.
            let room = format!(
                "{}/groups/{}/meetings/{}/room",
                words.base_url, group.id, o.original_local_date
            );
            let join = format!(
                "The room opens {ROOM_OPENS_BEFORE_MINUTES} minutes before the start; join here: {room}"
            );
            let description =
                if words.discreet { join } else { format!("{}. {join}", words.title) };
            let mut event = Event::new();
            event
                .uid(&format!("group-{}-{}@hearth", group.id, o.original_local_date))
                .summary(&words.title)
                .description(&description)
                .url(&room)
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
