//! The staff's home pages: today's work for each role, read in a few statements that do not
//! grow with the practice. A therapist sees their sessions this week (room, roster,
//! attendance); a coordinator the people waiting longest for a place, today's consult calls
//! and the switch requests to decide; an admin the practice's figures and the licences about
//! to lapse. Risk flags and missed check-ins, shared by every staff role, are read by
//! [`App::dashboard`].

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hearth_domain::{GroupId, License, OccurrenceStatus, Role, User, UserId};
use std::collections::HashMap;
use std::sync::Arc;

use crate::{App, AppError, AppResult, AuditContext, Authenticated, ConsultCall};

/// How many days ahead a therapist's home lists sessions.
pub const WEEK_AHEAD_DAYS: i64 = 7;
/// How many people, requests or licences a home lists before "and N more".
pub const HOME_LIST_SHOWN: usize = 5;
/// How far ahead an admin is told about licences that lapse.
pub const LICENCE_WARNING_DAYS: i64 = 60;

/// One meeting on a therapist's home.
#[derive(Clone, Debug)]
pub struct WeekSession {
    pub group: GroupId,
    pub title: String,
    /// When it starts, in the therapist's zone.
    pub starts_local: DateTime<chrono_tz::Tz>,
    /// Its identity in the group's calendar: the room's and the attendance sheet's address.
    pub meeting_date: NaiveDate,
    /// Its room is open now (from ten minutes before until it ends).
    pub open_now: bool,
    /// It has ended: its attendance sheet is what remains to do.
    pub ended: bool,
    /// It is on the therapist's today.
    pub today: bool,
    pub members: usize,
}

/// A therapist's part of the home page.
#[derive(Clone, Debug, Default)]
pub struct TherapistHome {
    /// Today's meetings (ended ones too) and the rest of the coming week, in time order.
    pub sessions: Vec<WeekSession>,
    /// How many groups they lead.
    pub groups: usize,
}

/// A coordinator's part of the home page.
#[derive(Clone, Debug, Default)]
pub struct CoordinatorHome {
    /// The people waiting longest for a place: (client, waiting since).
    pub waiting: Vec<(User, DateTime<Utc>)>,
    /// How many wait in all, when the list was made.
    pub waiting_total: usize,
    pub waiting_as_of: Option<DateTime<Utc>>,
    /// Their consult calls from now until the end of their day.
    pub calls_today: Vec<ConsultCall>,
    /// Their calls after today.
    pub calls_later: usize,
    /// Switch requests waiting for a decision (the first few) and how many in all.
    pub switches: Vec<crate::SwitchRequest>,
    pub switches_total: usize,
    pub group_titles: HashMap<GroupId, String>,
}

/// An admin's part of the home page.
#[derive(Clone, Debug, Default)]
pub struct AdminHome {
    pub clients: i64,
    pub staff: usize,
    pub groups: i64,
    pub open_invitations: i64,
    /// Licences lapsing within [`LICENCE_WARNING_DAYS`] (or already lapsed): (therapist,
    /// name, licence).
    pub licences: Vec<(UserId, String, License)>,
}

impl App {
    /// The therapist's sessions from the start of their today to a week ahead.
    pub(crate) async fn therapist_home(&self, who: &Authenticated) -> AppResult<TherapistHome> {
        if who.user.role != Role::Therapist {
            return Err(AppError::Forbidden);
        }
        let groups = self.groups_led_by(who.user.id).await?;
        let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
        let members: HashMap<GroupId, usize> = self
            .db
            .count_members_of_groups(&ids)
            .await?
            .into_iter()
            .map(|(g, n)| (g, crate::paging::total(n)))
            .collect();
        let changes = self.series_changes().await?;
        let (now, zone) = (self.clock.now(), who.user.timezone.tz());
        let today = now.with_timezone(&zone).date_naive();
        let start_of_today = crate::groups::start_of_day(zone, today);
        let mut home = TherapistHome { groups: groups.len(), ..TherapistHome::default() };
        for card in self.cards(who, groups).await? {
            let series = Self::series_from(&card.group, &changes)?;
            let title = card.title();
            for o in series.occurrences(start_of_today, now + Duration::days(WEEK_AHEAD_DAYS)) {
                if o.status == OccurrenceStatus::Cancelled {
                    continue;
                }
                let view = crate::groups::view(&o, zone);
                let opens = o.occurrence.starts_at
                    - Duration::minutes(hearth_domain::ROOM_OPENS_BEFORE_MINUTES);
                home.sessions.push(WeekSession {
                    group: card.group.id,
                    title: title.clone(),
                    today: view.local_start.date_naive() == today,
                    starts_local: view.local_start,
                    meeting_date: view.original_date,
                    open_now: now >= opens && now < o.occurrence.ends_at,
                    ended: now >= o.occurrence.ends_at,
                    members: members.get(&card.group.id).copied().unwrap_or_default(),
                });
            }
        }
        home.sessions.sort_by_key(|s| (s.starts_local, s.group));
        Ok(home)
    }

    /// The coordinator's queue at a glance: who waits longest, today's calls, switches.
    pub(crate) async fn coordinator_home(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<CoordinatorHome> {
        if who.user.role != Role::Coordinator {
            return Err(AppError::Forbidden);
        }
        let (waiting, waiting_total, as_of) = self.longest_waiting(HOME_LIST_SHOWN).await?;
        if !waiting.is_empty() {
            let shown = waiting.iter().map(|(u, _)| u.id.to_string()).collect::<Vec<_>>();
            self.audit(ctx, "care.queue.read", "home", format!("clients={}", shown.join(",")))
                .await?;
        }
        let zone = who.user.timezone.tz();
        let today = self.clock.now().with_timezone(&zone).date_naive();
        let (calls_today, later): (Vec<_>, Vec<_>) = self
            .upcoming_consults(who)
            .await?
            .into_iter()
            .partition(|c| c.starts_at.with_timezone(&zone).date_naive() == today);
        let pending: Vec<crate::SwitchRequest> = self
            .switch_requests(who, ctx)
            .await?
            .into_iter()
            .filter(|r| r.status == "pending")
            .collect();
        let switches_total = pending.len();
        let switches: Vec<_> = pending.into_iter().take(HOME_LIST_SHOWN).collect();
        let group_titles =
            self.group_titles(who, switches.iter().flat_map(|r| [r.from, r.to])).await?;
        Ok(CoordinatorHome {
            waiting,
            waiting_total,
            waiting_as_of: Some(as_of),
            calls_today,
            calls_later: later.len(),
            switches,
            switches_total,
            group_titles,
        })
    }

    /// The practice's figures and the licences about to lapse, kept for [`crate::KEPT_TTL`]
    /// (counting 100,000 clients on every view of the home page cost more than the rest of
    /// it); an account or a group made through this node shows at once.
    pub(crate) async fn admin_home(&self, who: &Authenticated) -> AppResult<Arc<AdminHome>> {
        if who.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        self.admin_figures
            .get_or_read(|| async {
                let until = self.clock.now().date_naive() + Duration::days(LICENCE_WARNING_DAYS);
                Ok::<_, AppError>(AdminHome {
                    clients: self.count_users(Role::Client).await?,
                    staff: crate::paging::total(self.db.count_staff().await?),
                    groups: self.db.count_catalog(None, false).await?,
                    open_invitations: self.db.count_open_invites().await?,
                    licences: self.db.list_licenses_expiring(until, 2 * HOME_LIST_SHOWN).await?,
                })
            })
            .await
    }

    /// Forgets what is kept about accounts (one was made or changed through this node).
    pub(crate) fn accounts_changed(&self) {
        self.admin_figures.clear();
        self.staff_list.clear();
    }
}
