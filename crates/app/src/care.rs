//! The coordinator's workspace: a queue with risk flags first, then people who finished
//! their intake and wait for a place, longest first; a client summary; placing a client in
//! a group; and care-team notes (sealed, audited).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hearth_domain::User;
use hearth_domain::access::{Action, Record};
use hearth_domain::{GroupId, Role, UserId};
use hearth_store::SeatOutcome;

use crate::{App, AppError, AppResult, AuditContext, Authenticated, Reservation};

/// The coordinator's queue.
#[derive(Clone, Debug)]
pub struct CareQueue {
    pub open_risk_flags: usize,
    /// One page of the clients waiting for a place since their intake, longest first.
    pub waiting: Vec<(User, DateTime<Utc>)>,
    /// Everyone waiting, on every page, when the list was made.
    pub waiting_total: usize,
    /// When the list of people waiting was made (at most [`crate::WAITING_TTL`] ago).
    pub waiting_as_of: DateTime<Utc>,
    /// From 1.
    pub page: usize,
    /// At least 1.
    pub pages: usize,
    /// Switch requests awaiting a decision.
    pub switches: Vec<crate::SwitchRequest>,
    /// The title of every group the switch requests name.
    pub group_titles: std::collections::HashMap<GroupId, String>,
    /// Consult calls booked from now on.
    pub calls: Vec<crate::ConsultCall>,
}

/// People waiting for a place on one page of the care queue.
pub const CARE_QUEUE_PAGE_SIZE: usize = 50;

/// A note with its author.
#[derive(Clone, Debug)]
pub struct CareNote {
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

const NOTE_MAX: usize = 4000;

fn care_staff(who: &Authenticated) -> AppResult<()> {
    if matches!(who.user.role, Role::Coordinator | Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

impl App {
    /// Risk flags first, then new intakes by waiting time.
    pub async fn care_queue(
        &self,
        who: &Authenticated,
        page: usize,
        ctx: &AuditContext,
    ) -> AppResult<CareQueue> {
        care_staff(who)?;
        let open_risk_flags = self.open_risk_flag_count(who).await?;
        // The kept list (at most a minute old): checking every intake against every seat on
        // each view costs tens of milliseconds at 100,000 clients. The page's people are
        // checked again, so one placed since never shows.
        let (unplaced, waiting_as_of) = self.waiting_list().await?;
        let waiting_total = unplaced.len();
        let pages = waiting_total.div_ceil(CARE_QUEUE_PAGE_SIZE).max(1);
        let page = page.clamp(1, pages);
        let shown: Vec<(UserId, DateTime<Utc>)> = unplaced
            .iter()
            .skip((page - 1) * CARE_QUEUE_PAGE_SIZE)
            .take(CARE_QUEUE_PAGE_SIZE)
            .map(|(client, since)| (UserId::new(*client), *since))
            .collect();
        let ids: Vec<UserId> = shown.iter().map(|(client, _)| *client).collect();
        let placed: std::collections::HashSet<UserId> =
            self.db.placed_among(&ids).await?.into_iter().collect();
        let mut people: std::collections::HashMap<UserId, User> =
            self.db.find_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let waiting = shown
            .into_iter()
            .filter(|(client, _)| !placed.contains(client))
            .filter_map(|(client, since)| Some((people.remove(&client)?, since)))
            .collect::<Vec<_>>();
        self.audit(ctx, "care.queue.read", "care_queue", format!("waiting={waiting_total}"))
            .await?;
        let switches: Vec<crate::SwitchRequest> = self
            .switch_requests(who, ctx)
            .await?
            .into_iter()
            .filter(|r| r.status == "pending")
            .collect();
        let group_titles =
            self.group_titles(who, switches.iter().flat_map(|r| [r.from, r.to])).await?;
        let calls = self.upcoming_consults(who).await?;
        Ok(CareQueue {
            open_risk_flags,
            waiting,
            waiting_total,
            waiting_as_of,
            page,
            pages,
            switches,
            group_titles,
            calls,
        })
    }

    /// A coordinator places a client in a group (any group the client may join, not only
    /// the top three): a free seat is offered and held for them, otherwise they wait.
    pub async fn place_client(
        &self,
        who: &Authenticated,
        client: UserId,
        group: GroupId,
        ctx: &AuditContext,
    ) -> AppResult<Reservation> {
        care_staff(who)?;
        let user = self.client_profile(who, client).await?;
        let found = self.find_group(group).await?;
        if !self.may_join(&user, &found).await? {
            return Err(AppError::refused(
                "not_eligible",
                "this client may not join this group (licensure, age band, or the group is closed)",
            ));
        }
        // A free seat is offered (held for the client to accept), not imposed; with no free
        // seat the client joins the waitlist. The row commits with whichever write places them.
        let (subject, detail) = (format!("client:{client}"), format!("group={group}"));
        let offered = self.audited_if(ctx, "care.client.placed", subject.clone(), detail.clone());
        let reserved = self.audited_with(|outcome: &SeatOutcome| match outcome {
            SeatOutcome::Seated { .. } | SeatOutcome::Waitlisted { .. } => {
                vec![self.audit_entry(ctx, "care.client.placed", subject, detail)]
            }
            _ => Vec::new(),
        });
        let now = self.clock.now();
        // A coordinator who places a client without a coordinator takes them on.
        if who.user.role == Role::Coordinator {
            self.coordinate_if_unassigned(who, client, ctx).await?;
        }
        let reservation = if self
            .db
            .offer_free_seat(group, client, now, self.offer_hold, offered)
            .await?
        {
            Reservation::Offered
        } else {
            match self.db.reserve_seat(group, client, now, None, self.offer_hold, reserved).await? {
                SeatOutcome::Seated { .. } => Reservation::Seated,
                SeatOutcome::Waitlisted { position, .. } => Reservation::Waitlisted { position },
                SeatOutcome::AlreadySeated => {
                    return Err(AppError::refused(
                        "already_member",
                        "the client is already a member",
                    ));
                }
                SeatOutcome::AlreadyWaiting { position } => {
                    return Err(AppError::refused(
                        "already_waiting",
                        format!(
                            "the client is already waiting or holds an offer (position {position})"
                        ),
                    ));
                }
                SeatOutcome::Closed => {
                    return Err(AppError::refused("closed", "this group is not taking members"));
                }
            }
        };
        Ok(reservation)
    }

    /// A client's account, for the pages about them: name, time zone and region.
    pub async fn client_profile(&self, who: &Authenticated, client: UserId) -> AppResult<User> {
        self.authorize(who, client, Record::Identity, Action::Read).await?;
        self.find_client(client).await
    }

    /// A client's account, for use cases that have already authorised the caller.
    pub(crate) async fn find_client(&self, client: UserId) -> AppResult<User> {
        self.db
            .find_user(client)
            .await?
            .filter(|u| u.role == Role::Client)
            .ok_or(AppError::NotFound)
    }

    /// The display names of `ids` (in any order, repeats allowed), from one read; ids with no
    /// account are left out.
    pub(crate) async fn display_names(
        &self,
        ids: impl IntoIterator<Item = UserId>,
    ) -> AppResult<HashMap<UserId, String>> {
        let mut ids: Vec<UserId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(self.db.find_display_names(&ids).await?.into_iter().collect())
    }

    /// Adds a care-team note about a client (sealed at rest).
    pub async fn add_care_note(
        &self,
        who: &Authenticated,
        client: UserId,
        body: &str,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        // Notes are about clients: an unknown id or a staff account is not found.
        self.authorize(who, client, Record::CareNotes, Action::Write).await?;
        let body = body.trim();
        if body.is_empty() || body.chars().count() > NOTE_MAX {
            return Err(AppError::invalid(
                "body",
                format!("write between 1 and {NOTE_MAX} characters"),
            ));
        }
        let sealed = self
            .vault
            .seal(body, &format!("care_note:{client}"))
            .map_err(|e| anyhow::anyhow!("sealing a note: {e}"))?;
        let record = self.audited_with(|id: &i64| {
            let detail = format!("note={id}");
            vec![self.audit_entry(ctx, "care.note.written", format!("client:{client}"), detail)]
        });
        self.db.insert_care_note(client, who.user.id, &sealed, self.clock.now(), record).await?;
        Ok(())
    }

    /// The care team's notes about a client, newest first (audited).
    pub async fn care_notes(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<Vec<CareNote>> {
        self.authorize(who, client, Record::CareNotes, Action::Read).await?;
        let notes = self.read_care_notes(client).await?;
        self.audit(
            ctx,
            "care.note.read",
            format!("client:{client}"),
            format!("count={}", notes.len()),
        )
        .await?;
        Ok(notes)
    }

    /// A client's care notes, opened, their authors named from one read; no check and no
    /// audit row: for callers that decided and audit the read themselves.
    pub(crate) async fn read_care_notes(&self, client: UserId) -> AppResult<Vec<CareNote>> {
        let rows = self.db.list_care_notes(client).await?;
        let authors = self.display_names(rows.iter().map(|r| UserId::new(r.author_id))).await?;
        rows.into_iter()
            .map(|row| {
                let body = self
                    .vault
                    .open(&row.body, &format!("care_note:{client}"))
                    .map_err(|e| anyhow::anyhow!("opening a note: {e}"))?;
                let author = authors.get(&UserId::new(row.author_id)).cloned().unwrap_or_default();
                Ok(CareNote { author, body, created_at: row.created_at })
            })
            .collect()
    }
}
