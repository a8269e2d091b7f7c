//! The free consult call: coordinators publish weekly availability in their own zone; a
//! client books a 20-minute call shown in theirs; calls are spread across coordinators by
//! load (the least booked coordinator free at that time, ties by id); reschedule and cancel.
//! The call is by phone until the video room exists.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use hearth_domain::{AvailabilityWindow, FieldErrors, Role, UserId, weekday_slug};
use hearth_store::{BookingOutcome, NewConsult};
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// How long a consult call lasts.
pub const CALL_MINUTES: i64 = 20;
/// How far ahead calls can be booked, and how soon the earliest is.
const BOOKING_DAYS: i64 = 14;
const LEAD_TIME: Duration = Duration::hours(2);

/// A booked call as the client or coordinator sees it.
#[derive(Clone, Debug)]
pub struct ConsultCall {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub coordinator: String,
    pub client: String,
    /// The client's id, for a link to their summary.
    pub client_id: UserId,
    pub phone: String,
}

/// Each coordinator's weekly call windows, with the zone they are in.
pub(crate) type ConsultHours = Vec<(UserId, chrono_tz::Tz, AvailabilityWindow)>;

impl App {
    /// A coordinator sets their weekly windows (e.g. `mon 09:00-12:00`, in their zone).
    pub async fn set_consult_availability(
        &self,
        who: &Authenticated,
        windows: &[String],
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if who.user.role != Role::Coordinator {
            return Err(AppError::Forbidden);
        }
        let mut errors = FieldErrors::new();
        let parsed: Vec<AvailabilityWindow> = windows
            .iter()
            .filter(|w| !w.trim().is_empty())
            .enumerate()
            .filter_map(|(i, w)| {
                errors.check(&format!("windows[{i}]"), AvailabilityWindow::parse(w))
            })
            .collect();
        errors.into_result()?;
        let rows: Vec<(String, String, String)> = parsed
            .iter()
            .map(|w| {
                (
                    weekday_slug(w.weekday).to_owned(),
                    w.from.format("%H:%M").to_string(),
                    w.to.format("%H:%M").to_string(),
                )
            })
            .collect();
        let record = self.audited(
            ctx,
            "consult.availability.set",
            format!("user:{}", who.user.id),
            format!("windows={}", rows.len()),
        );
        self.db.replace_availability(who.user.id, &rows, record).await?;
        self.consult_hours.clear();
        Ok(())
    }

    /// The coordinator's own windows, as they wrote them.
    pub async fn consult_availability(&self, who: &Authenticated) -> AppResult<Vec<String>> {
        if who.user.role != Role::Coordinator {
            return Err(AppError::Forbidden);
        }
        Ok(self
            .db
            .list_availability()
            .await?
            .into_iter()
            .filter(|(c, ..)| *c == who.user.id.get())
            .map(|(_, day, from, to)| format!("{day} {from}-{to}"))
            .collect())
    }

    /// Every coordinator's weekly windows with their zone, in two statements.
    async fn read_consult_hours(&self) -> AppResult<ConsultHours> {
        let windows = self.db.list_availability().await?;
        let mut ids: Vec<UserId> = windows.iter().map(|(c, ..)| UserId::new(*c)).collect();
        ids.sort_unstable();
        ids.dedup();
        let zones: HashMap<i64, chrono_tz::Tz> = self
            .db
            .find_users(&ids)
            .await?
            .into_iter()
            .filter(|u| u.role == Role::Coordinator)
            .map(|u| (u.id.get(), u.timezone.tz()))
            .collect();
        Ok(windows
            .into_iter()
            .filter_map(|(coordinator, weekday, from, to)| {
                let window = AvailabilityWindow::parse(&format!("{weekday} {from}-{to}")).ok()?;
                Some((UserId::new(coordinator), *zones.get(&coordinator)?, window))
            })
            .collect())
    }

    /// Free call starts in the next two weeks, each with the coordinators free then. The
    /// calls booked are read fresh; the hours come from the kept copy ([`crate::KEPT_TTL`]),
    /// or, for a booking (`fresh_hours`), from the database.
    async fn free_slots(
        &self,
        fresh_hours: bool,
    ) -> AppResult<BTreeMap<DateTime<Utc>, Vec<UserId>>> {
        let now = self.clock.now();
        let booked: HashSet<(i64, DateTime<Utc>)> = self
            .db
            .list_booked_consults(now)
            .await?
            .into_iter()
            .map(|c| (c.coordinator_id, c.starts_at))
            .collect();
        let hours = if fresh_hours {
            let hours = std::sync::Arc::new(self.read_consult_hours().await?);
            self.consult_hours.keep(std::sync::Arc::clone(&hours));
            hours
        } else {
            self.consult_hours.get_or_read(|| self.read_consult_hours()).await?
        };
        let mut slots: BTreeMap<DateTime<Utc>, Vec<UserId>> = BTreeMap::new();
        for &(coordinator, zone, window) in hours.iter() {
            let coordinator = coordinator.get();
            let today = now.with_timezone(&zone).date_naive();
            for offset in 0..=BOOKING_DAYS {
                let day = today + Duration::days(offset);
                if chrono::Datelike::weekday(&day) != window.weekday {
                    continue;
                }
                let mut start = window.from;
                while start + Duration::minutes(CALL_MINUTES) <= window.to {
                    if let Some(at) = zone.from_local_datetime(&day.and_time(start)).earliest() {
                        let at = at.with_timezone(&Utc);
                        if at >= now + LEAD_TIME && !booked.contains(&(coordinator, at)) {
                            slots.entry(at).or_default().push(UserId::new(coordinator));
                        }
                    }
                    start += Duration::minutes(CALL_MINUTES);
                }
            }
        }
        Ok(slots)
    }

    /// The times a client can book, earliest first.
    pub async fn consult_slots(&self, who: &Authenticated) -> AppResult<Vec<DateTime<Utc>>> {
        if who.user.role != Role::Client {
            return Err(AppError::Forbidden);
        }
        Ok(self.free_slots(false).await?.into_keys().collect())
    }

    /// Books a call at `starts_at` with the least-booked coordinator free then; with
    /// `replaces` (one of the client's own upcoming calls), that call is cancelled in the
    /// same step. Nothing is written when the booking is refused.
    pub async fn book_consult(
        &self,
        who: &Authenticated,
        starts_at: DateTime<Utc>,
        phone: &str,
        replaces: Option<i64>,
        ctx: &AuditContext,
    ) -> AppResult<i64> {
        if who.user.role != Role::Client {
            return Err(AppError::refused("not_a_client", "consult calls are for clients"));
        }
        let phone = phone.trim();
        if phone.len() < 7
            || phone.len() > 40
            || !phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err(AppError::invalid("phone", "enter a phone number we can call"));
        }
        let now = self.clock.now();
        let slots = self.free_slots(true).await?;
        let free = slots.get(&starts_at).cloned().unwrap_or_default();
        if free.is_empty() {
            return Err(AppError::refused(
                "slot_taken",
                "that time is no longer free; choose another",
            ));
        }
        // Fair round-robin by load: the coordinator with the fewest calls ahead goes first.
        let mut load: HashMap<i64, usize> = HashMap::new();
        for call in self.db.list_booked_consults(now).await? {
            *load.entry(call.coordinator_id).or_default() += 1;
        }
        let mut candidates = free;
        candidates.sort_by_key(|c| (load.get(&c.get()).copied().unwrap_or(0), c.get()));
        // The one-call rule and `replaces` are checked inside the booking's transaction, so
        // neither a made-up call id nor two bookings at once can get around them.
        let phone = self.seal_phone(who.user.id, phone)?;
        let booking =
            NewConsult { client: who.user.id, starts_at, phone: &phone, at: now, replaces };
        let record = self.audited_with(|outcome: &BookingOutcome| {
            let BookingOutcome::Booked { id, coordinator } = outcome else { return Vec::new() };
            let moved = replaces.map(|old| format!(" replaces={old}")).unwrap_or_default();
            let detail = format!("call={id} coordinator={coordinator}{moved}");
            vec![self.audit_entry(ctx, "consult.booked", format!("client:{}", who.user.id), detail)]
        });
        let id = match self.db.book_consult(&booking, &candidates, record).await? {
            BookingOutcome::Booked { id, .. } => id,
            BookingOutcome::AlreadyBooked => {
                return Err(AppError::refused(
                    "already_booked",
                    "you already have a call booked; reschedule it instead",
                ));
            }
            BookingOutcome::NotReplaceable => {
                return Err(AppError::invalid(
                    "replaces",
                    "that is not one of your upcoming calls",
                ));
            }
            BookingOutcome::SlotTaken => {
                return Err(AppError::refused(
                    "slot_taken",
                    "that time was just taken; choose another",
                ));
            }
        };
        Ok(id)
    }

    /// Cancels one of the client's calls.
    pub async fn cancel_consult(
        &self,
        who: &Authenticated,
        id: i64,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let record = self.audited(
            ctx,
            "consult.cancelled",
            format!("client:{}", who.user.id),
            format!("call={id}"),
        );
        Ok(self.db.cancel_consult(id, who.user.id, record).await?)
    }

    /// Upcoming calls: the client's own, or a coordinator's (admins see all).
    pub async fn upcoming_consults(&self, who: &Authenticated) -> AppResult<Vec<ConsultCall>> {
        let now = self.clock.now();
        let rows = match who.user.role {
            Role::Client => self
                .db
                .list_client_consults(who.user.id)
                .await?
                .into_iter()
                .filter(|c| c.status == "booked" && c.starts_at >= now)
                .collect(),
            Role::Coordinator => self
                .db
                .list_booked_consults(now)
                .await?
                .into_iter()
                .filter(|c| c.coordinator_id == who.user.id.get())
                .collect(),
            Role::Admin => self.db.list_booked_consults(now).await?,
            Role::Therapist => return Err(AppError::Forbidden),
        };
        // Everyone named on the calls, in one statement.
        let names = self
            .display_names(
                rows.iter()
                    .flat_map(|r: &hearth_store::ConsultRow| [r.coordinator_id, r.client_id])
                    .map(UserId::new),
            )
            .await?;
        let name = |id: i64| names.get(&UserId::new(id)).cloned().unwrap_or_default();
        let mut calls = Vec::with_capacity(rows.len());
        for row in rows {
            calls.push(ConsultCall {
                id: row.id,
                starts_at: row.starts_at,
                coordinator: name(row.coordinator_id),
                client: name(row.client_id),
                client_id: UserId::new(row.client_id),
                phone: self.open_phone(row.client_id, &row.phone)?,
            });
        }
        calls.sort_by_key(|c| c.starts_at);
        Ok(calls)
    }
}
