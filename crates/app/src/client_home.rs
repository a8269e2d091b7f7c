//! A client's home page: what their week holds, in one read. The next session of each group
//! they sit in (with its room, open from ten minutes before), seats held for them to accept,
//! their waitlist places, their switch requests and how each was decided, their consult
//! call, and whether a check-in is due. Suggestions of groups to join appear only for a
//! client who has no group, no held seat and no waitlist place yet.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hearth_domain::{GroupId, OccurrenceStatus, ROOM_OPENS_BEFORE_MINUTES, WaitlistStatus};

use crate::schedules::upcoming;
use crate::{App, AppResult, AuditContext, Authenticated, ConsultCall, GroupCard};

/// How long a decided switch request stays on the client's home.
const DECIDED_SHOWN_FOR: Duration = Duration::days(14);

/// The next meeting of one of the client's groups.
#[derive(Clone, Debug)]
pub struct NextSession {
    pub card: GroupCard,
    /// When it starts, in the client's zone.
    pub starts_local: DateTime<chrono_tz::Tz>,
    /// When its room opens, in the client's zone.
    pub opens_local: DateTime<chrono_tz::Tz>,
    /// The room is open now.
    pub open_now: bool,
    /// The meeting's own date in the group's calendar: its room's address.
    pub meeting_date: NaiveDate,
}

/// A switch request as its client sees it, with each group's title.
#[derive(Clone, Debug)]
pub struct SwitchView {
    pub from: (GroupId, String),
    pub to: (GroupId, String),
    /// `pending`, `approved` or `declined`.
    pub status: String,
    pub asked_at: DateTime<Utc>,
}

/// Everything on a client's home page.
#[derive(Clone, Debug, Default)]
pub struct ClientHome {
    pub sessions: Vec<NextSession>,
    /// Seats held for the client, and until when.
    pub offers: Vec<(GroupCard, DateTime<Utc>)>,
    /// Waitlist places: the group and the place in line (1 is next).
    pub waiting: Vec<(GroupCard, i64)>,
    pub switches: Vec<SwitchView>,
    pub consult: Option<ConsultCall>,
    /// The client has no group, held seat or waitlist place yet.
    pub unplaced: bool,
}

impl App {
    /// `who`'s home (a client's): their groups, offers, places, requests and call.
    pub(crate) async fn client_home(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<ClientHome> {
        let mine = self.my_group_cards(who).await?;
        let now = self.clock.now();
        let sessions = self.next_sessions(&mine.seated, who.user.timezone.tz()).await?;
        let (mut offers, mut waiting) = (Vec::new(), Vec::new());
        for (card, place) in mine.waiting {
            match (place.status, place.offer_expires_at) {
                (WaitlistStatus::Offered, Some(until)) if until > now => offers.push((card, until)),
                _ => waiting.push((card, place.position)),
            }
        }
        let switches = self.my_switches(who, ctx, now).await?;
        let consult = self.upcoming_consults(who).await?.into_iter().next();
        Ok(ClientHome {
            unplaced: mine.seated.is_empty() && offers.is_empty() && waiting.is_empty(),
            sessions,
            offers,
            waiting,
            switches,
            consult,
        })
    }

    /// The next meeting of each of `groups` not yet ended (a cancelled one skipped), in
    /// `zone`, soonest first.
    pub(crate) async fn next_sessions(
        &self,
        groups: &[GroupCard],
        zone: chrono_tz::Tz,
    ) -> AppResult<Vec<NextSession>> {
        let now = self.clock.now();
        let changes = self.series_changes().await?;
        let mut sessions = Vec::new();
        for card in groups {
            let series = Self::series_from(&card.group, &changes)?;
            let next = upcoming(&series, now, zone, 8)
                .into_iter()
                .find(|o| o.status != OccurrenceStatus::Cancelled);
            if let Some(next) = next {
                let opens = next.starts_at - Duration::minutes(ROOM_OPENS_BEFORE_MINUTES);
                sessions.push(NextSession {
                    card: card.clone(),
                    starts_local: next.local_start,
                    opens_local: opens.with_timezone(&zone),
                    open_now: now >= opens && now < next.ends_at,
                    meeting_date: next.original_date,
                });
            }
        }
        sessions.sort_by_key(|s| s.starts_local);
        Ok(sessions)
    }

    /// The client's switch requests still pending or asked in the last two weeks, with the
    /// titles of both groups.
    async fn my_switches(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<SwitchView>> {
        let requests: Vec<_> = self
            .switch_requests(who, ctx)
            .await?
            .into_iter()
            .filter(|r| r.status == "pending" || now - r.created_at < DECIDED_SHOWN_FOR)
            .collect();
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let titles = self.group_titles(who, requests.iter().flat_map(|r| [r.from, r.to])).await?;
        let named = |id: GroupId| (id, titles.get(&id).cloned().unwrap_or_default());
        Ok(requests
            .into_iter()
            .map(|r| SwitchView {
                from: named(r.from),
                to: named(r.to),
                status: r.status,
                asked_at: r.created_at,
            })
            .collect())
    }
}
