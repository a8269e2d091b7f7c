use chrono::{DateTime, Duration, Utc};
use hearth_domain::{
    Group, GroupId, License, MembershipId, MembershipRow, MembershipStatus, Role, User, UserId,
    WaitlistPlace, age_on, may_treat,
};
use hearth_store::SeatOutcome;
use std::collections::HashMap;

use crate::groups::is_care_team;
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// How long a freed seat is held for the person it is offered to.
pub const DEFAULT_OFFER_HOLD: Duration = Duration::hours(48);

/// What a request for a seat came to, for the person who asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    Seated,
    /// A seat is held for the client to accept (a coordinator's placement).
    Offered,
    Waitlisted {
        position: i64,
    },
}

/// Someone in a group's roster, as the viewer may see them.
#[derive(Clone, Debug)]
pub struct RosterEntry {
    pub display_name: String,
    /// Only for the care team.
    pub client: Option<User>,
    pub joined_at: DateTime<Utc>,
}

/// A client's current groups and waitlist places.
#[derive(Clone, Debug)]
pub struct MyGroups {
    pub seated: Vec<(Group, MembershipRow)>,
    pub waiting: Vec<(Group, WaitlistPlace)>,
}

/// A client's birth date and the licenses of the therapists whose groups they look at.
#[derive(Debug, Default)]
pub(crate) struct JoinFacts {
    birth: Option<chrono::NaiveDate>,
    licenses: HashMap<UserId, Vec<License>>,
}

impl App {
    /// Why `client` may not join `group` on its first date for them, if anything stops it.
    async fn refusal(&self, client: &User, group: &Group) -> AppResult<Option<AppError>> {
        let facts = self.join_facts(client, &[group.therapist_id]).await?;
        Ok(self.refusal_given(client, group, &facts))
    }

    /// What deciding whether `client` may join groups led by `therapists` needs: their birth
    /// date and those therapists' licenses, in one statement.
    pub(crate) async fn join_facts(
        &self,
        client: &User,
        therapists: &[UserId],
    ) -> AppResult<JoinFacts> {
        let mut licenses: HashMap<UserId, Vec<License>> = HashMap::new();
        for (holder, license) in self.db.list_licenses(therapists).await? {
            licenses.entry(holder).or_default().push(license);
        }
        Ok(JoinFacts { birth: self.birth_date(client)?, licenses })
    }

    /// [`App::refusal`] from facts already gathered.
    pub(crate) fn refusal_given(
        &self,
        client: &User,
        group: &Group,
        facts: &JoinFacts,
    ) -> Option<AppError> {
        let today = self.clock.now().with_timezone(&client.timezone.tz()).date_naive();
        let first_day = group.starts_on.max(today);
        if group.ends_on.is_some_and(|end| end < today) || !group.is_open() {
            return Some(AppError::refused("closed", "this group is no longer taking members"));
        }
        let Some(region) = &client.region else {
            return Some(AppError::refused(
                "region_unknown",
                "add the state or region where you live first",
            ));
        };
        let licenses = facts.licenses.get(&group.therapist_id).map_or(&[][..], Vec::as_slice);
        if !may_treat(licenses, region, first_day) {
            return Some(AppError::refused(
                "not_licensed",
                format!(
                    "this group's therapist is not licensed in {region}, where you live, on {first_day}"
                ),
            ));
        }
        let Some(birth) = facts.birth else {
            return Some(AppError::refused("age_unknown", "add your birth date first"));
        };
        let age = age_on(birth, first_day);
        if !group.age_band.admits(age) {
            let reason = match group.age_band {
                hearth_domain::AgeBand::Teen => "this group is for teens aged 13 to 17",
                hearth_domain::AgeBand::Adult => "this group is for adults aged 18 and over",
            };
            return Some(AppError::refused("age_band", reason));
        }
        None
    }

    pub async fn may_join(&self, client: &User, group: &Group) -> AppResult<bool> {
        Ok(self.refusal(client, group).await?.is_none())
    }

    /// A client asks for a seat: seated when one is free and nobody waits, else waitlisted.
    pub async fn reserve_seat(
        &self,
        who: &Authenticated,
        group: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<Reservation> {
        self.reserve(&who.user, group, None, ctx).await
    }

    /// Asks for a seat for `client`. With `switch` (the membership it replaces and that
    /// membership's group), the request is a switch, and its row commits with the seat's.
    async fn reserve(
        &self,
        client: &User,
        group: GroupId,
        switch: Option<(MembershipId, GroupId)>,
        ctx: &AuditContext,
    ) -> AppResult<Reservation> {
        if client.role != Role::Client {
            return Err(AppError::refused("not_a_client", "only clients hold seats in groups"));
        }
        let group = self.find_group(group).await?;
        if let Some(refusal) = self.refusal(client, &group).await? {
            return Err(refusal);
        }
        let subject = format!("group:{}", group.id);
        let record = self.audited_with(|outcome: &SeatOutcome| {
            let seat = match outcome {
                SeatOutcome::Seated { membership } => self.audit_entry(
                    ctx,
                    "group.seat.taken",
                    subject,
                    format!("membership={membership}"),
                ),
                SeatOutcome::Waitlisted { entry, .. } => self.audit_entry(
                    ctx,
                    "group.waitlist.joined",
                    subject,
                    format!("entry={entry}"),
                ),
                _ => return Vec::new(),
            };
            let switched = switch.map(|(_, from)| {
                let detail = format!("to={} client={}", group.id, client.id);
                self.audit_entry(ctx, "group.switch.requested", format!("group:{from}"), detail)
            });
            std::iter::once(seat).chain(switched).collect()
        });
        let replaces = switch.map(|(membership, _)| membership);
        let outcome = self
            .db
            .reserve_seat(group.id, client.id, self.clock.now(), replaces, self.offer_hold, record)
            .await?;
        match outcome {
            SeatOutcome::Seated { .. } => Ok(Reservation::Seated),
            SeatOutcome::Waitlisted { position, .. } => Ok(Reservation::Waitlisted { position }),
            SeatOutcome::AlreadySeated => {
                Err(AppError::refused("already_member", "you are already a member of this group"))
            }
            SeatOutcome::AlreadyWaiting { position } => Err(AppError::refused(
                "already_waiting",
                format!("you are already on this group's waitlist (position {position})"),
            )),
            SeatOutcome::Closed => {
                Err(AppError::refused("closed", "this group is no longer taking members"))
            }
        }
    }

    /// A member leaves; their seat is offered to the first person waiting.
    pub async fn leave_group(
        &self,
        who: &Authenticated,
        group: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let record = self.audited(ctx, "group.seat.left", format!("group:{group}"), "");
        self.db.leave_group(group, who.user.id, self.clock.now(), self.offer_hold, record).await?;
        // They may be waiting for a place again.
        self.waiting_cache.clear();
        Ok(())
    }

    /// Takes the client off a waitlist.
    pub async fn leave_waitlist(
        &self,
        who: &Authenticated,
        group: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let record = self.audited(ctx, "group.waitlist.left", format!("group:{group}"), "");
        self.db
            .withdraw_from_waitlist(group, who.user.id, self.clock.now(), self.offer_hold, record)
            .await?;
        // They may be waiting for a place again.
        self.waiting_cache.clear();
        Ok(())
    }

    /// Accepts a seat offered from the waitlist (ending a seat it replaces, for a switch).
    pub async fn accept_offer(
        &self,
        who: &Authenticated,
        group: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let record = self.audited_with(|membership: &MembershipId| {
            let detail = format!("membership={membership}");
            vec![self.audit_entry(ctx, "group.offer.accepted", format!("group:{group}"), detail)]
        });
        self.db.accept_offer(group, who.user.id, self.clock.now(), self.offer_hold, record).await?;
        Ok(())
    }

    /// Declines an offer; the seat moves on to the next person waiting.
    pub async fn decline_offer(
        &self,
        who: &Authenticated,
        group: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let record = self.audited(ctx, "group.offer.declined", format!("group:{group}"), "");
        self.db
            .decline_offer(group, who.user.id, self.clock.now(), self.offer_hold, record)
            .await?;
        // They may be waiting for a place again.
        self.waiting_cache.clear();
        Ok(())
    }

    /// Moves a member from one group to another. The old seat is kept until the new one is
    /// confirmed: at once when a seat is free, or when a waitlist offer is accepted.
    pub async fn switch_group(
        &self,
        who: &Authenticated,
        from: GroupId,
        to: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<Reservation> {
        self.switch_for(&who.user, from, to, ctx).await
    }

    /// Moves `client` from one group to another (the client themself, or a coordinator
    /// approving their request).
    pub(crate) async fn switch_for(
        &self,
        client: &User,
        from: GroupId,
        to: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<Reservation> {
        if from == to {
            return Err(AppError::invalid("to", "choose a different group"));
        }
        let memberships = self.db.list_client_memberships(client.id).await?;
        let current = memberships
            .iter()
            .find(|m| m.group_id == from && m.status == MembershipStatus::Seated)
            .ok_or_else(|| {
                AppError::refused("not_member", "not a member of the group being left")
            })?;
        self.reserve(client, to, Some((current.id, from)), ctx).await
    }

    /// Background job: expires offers not taken in time and offers those seats on, each in
    /// its own transaction with its own audit row.
    pub async fn expire_offers_once(&self, now: DateTime<Utc>) -> AppResult<u64> {
        let job = AuditContext::default();
        let mut expired = 0;
        for (entry, group) in self.db.list_due_offers(now).await? {
            let (subject, detail) = (format!("group:{group}"), format!("entry={entry}"));
            let record = self.audited_if(&job, "group.offer.expired", subject, detail);
            if self.db.expire_offer(entry, group, now, self.offer_hold, record).await? {
                expired += 1;
            }
        }
        if expired > 0 {
            self.waiting_cache.clear();
        }
        Ok(expired)
    }

    /// The client's place on a group's waitlist, if any.
    pub async fn waitlist_place(
        &self,
        who: &Authenticated,
        group: GroupId,
    ) -> AppResult<Option<WaitlistPlace>> {
        Ok(self.db.find_waitlist_place(group, who.user.id).await?)
    }

    /// The client's groups and waitlists.
    pub async fn my_groups(&self, who: &Authenticated) -> AppResult<MyGroups> {
        self.groups_of(who.user.id).await
    }

    /// `client`'s groups and waitlist places (callers check who may see them).
    pub(crate) async fn groups_of(&self, client: UserId) -> AppResult<MyGroups> {
        let memberships: Vec<MembershipRow> = self
            .db
            .list_client_memberships(client)
            .await?
            .into_iter()
            .filter(|m| m.status == MembershipStatus::Seated)
            .collect();
        let places = self.db.list_client_waitlists(client).await?;
        // Every group named, in one statement.
        let ids: Vec<GroupId> =
            memberships.iter().map(|m| m.group_id).chain(places.iter().map(|(g, _)| *g)).collect();
        let filter = hearth_domain::GroupFilter { ids: Some(ids), ..Default::default() };
        let groups: HashMap<GroupId, Group> =
            self.db.list_groups(&filter).await?.into_iter().map(|g| (g.id, g)).collect();
        let group = |id: GroupId| groups.get(&id).cloned().ok_or(AppError::NotFound);
        let mut seated = Vec::with_capacity(memberships.len());
        for m in memberships {
            seated.push((group(m.group_id)?, m));
        }
        let mut waiting = Vec::with_capacity(places.len());
        for (id, place) in places {
            waiting.push((group(id)?, place));
        }
        Ok(MyGroups { seated, waiting })
    }

    /// Every membership a client has had (history stays with the client across switches).
    pub async fn membership_history(
        &self,
        who: &Authenticated,
        client: UserId,
    ) -> AppResult<Vec<MembershipRow>> {
        if who.user.id != client
            && !matches!(who.user.role, Role::Admin | Role::Coordinator | Role::Therapist)
        {
            return Err(AppError::Forbidden);
        }
        Ok(self.db.list_client_memberships(client).await?)
    }

    /// A group's members: display names for fellow members, the full roster for the care team.
    pub async fn roster(
        &self,
        who: &Authenticated,
        group: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<Vec<RosterEntry>> {
        let group = self.find_group(group).await?;
        let members = self.db.list_group_members(group.id).await?;
        let care_team = is_care_team(who, &group);
        if !care_team && !members.iter().any(|m| m.client_id == who.user.id) {
            return Err(AppError::Forbidden);
        }
        let ids: Vec<UserId> = members.iter().map(|m| m.client_id).collect();
        let mut people: std::collections::HashMap<UserId, User> =
            self.db.find_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let mut roster = Vec::with_capacity(members.len());
        for m in &members {
            let client = people.remove(&m.client_id).ok_or(AppError::NotFound)?;
            roster.push(RosterEntry {
                display_name: client.display_name.to_string(),
                client: care_team.then_some(client),
                joined_at: m.joined_at,
            });
        }
        if care_team {
            self.audit(ctx, "group.roster.read", format!("group:{}", group.id), "").await?;
        }
        Ok(roster)
    }
}
