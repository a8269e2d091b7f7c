use chrono::{DateTime, Datelike as _, Duration, NaiveDate, TimeZone as _, Utc};
use hearth_domain::{
    AgeBand, Capacity, FieldErrors, GroupId, OccurrenceStatus, Role, Series, SeriesOccurrence,
    ShiftNotice, TimeZone, UserId, WeeklySlot, parse_local_time, parse_weekday, upcoming_shifts,
};
use hearth_domain::{Group, GroupFilter};
use hearth_store::{ExceptionKind, NewGroup, StoredException};
use serde::Deserialize;

use crate::accounts::required;
use crate::browse::weekday_name;
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// A group as an admin submits it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GroupInput {
    pub topic: Option<String>,
    pub therapist_id: Option<i64>,
    pub weekday: Option<String>,
    pub local_time: Option<String>,
    /// Defaults to the therapist's zone.
    pub timezone: Option<String>,
    pub duration_minutes: Option<i64>,
    pub capacity: Option<i64>,
    pub age_band: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
}

/// One meeting as a viewer sees it.
#[derive(Clone, Debug)]
pub struct OccurrenceView {
    /// When it is held (a moved meeting's new time).
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub local_start: DateTime<chrono_tz::Tz>,
    /// The date the series gave it in the group's zone: its identity (room, attendance,
    /// exception), kept when the meeting is moved.
    pub original_date: NaiveDate,
    pub status: OccurrenceStatus,
    /// For a moved meeting, when the series had put it, in the viewer's zone.
    pub moved_from: Option<DateTime<chrono_tz::Tz>>,
}

/// The longest window one request may expand.
const MAX_WINDOW_DAYS: i64 = 731;
/// How far ahead members are told about a shift of their local meeting time.
pub const SHIFT_NOTICE_HORIZON: Duration = Duration::weeks(4);

fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD")
}

/// The first meeting is on the group's own weekday and not before `today` (in the group's own
/// zone): a Tuesday group that "starts" on a Sunday, or on a day already gone, is a typing
/// mistake, and the nearest right day is suggested. Only a new group is checked; a running
/// group's series changes from a date of its own.
fn check_first_meeting(
    errors: &mut FieldErrors,
    slot: &WeeklySlot,
    first: NaiveDate,
    today: NaiveDate,
) {
    let on_weekday = |from: NaiveDate| {
        let mut nearest = from;
        while nearest.weekday() != slot.weekday() {
            nearest = nearest.succ_opt().unwrap_or(nearest);
        }
        nearest
    };
    if first < today {
        errors.add(
            "starts_on",
            format!(
                "{first} has already passed; the first meeting is today ({today}) or later \
                 (such as {})",
                on_weekday(today),
            ),
        );
        return;
    }
    if first.weekday() == slot.weekday() {
        return;
    }
    let nearest = on_weekday(first);
    let day = weekday_name(slot.weekday());
    errors.add(
        "starts_on",
        format!(
            "{first} is a {}; a {day} group's first meeting is on a {day} (such as {nearest})",
            weekday_name(first.weekday()),
        ),
    );
}

/// The group's therapist and admins change its meetings.
pub fn may_reschedule(who: &Authenticated, group: &Group) -> bool {
    who.user.role == Role::Admin || who.user.id == group.therapist_id
}

/// Admins, coordinators and the group's therapist.
pub fn is_care_team(who: &Authenticated, group: &Group) -> bool {
    matches!(who.user.role, Role::Admin | Role::Coordinator) || who.user.id == group.therapist_id
}

impl App {
    /// An admin creates a weekly group.
    pub async fn create_group(
        &self,
        admin: &Authenticated,
        input: &GroupInput,
        ctx: &AuditContext,
    ) -> AppResult<GroupId> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let mut errors = FieldErrors::new();
        let topic = required(&mut errors, "topic", input.topic.as_deref(), |s| {
            Ok::<_, &str>(s.trim().to_owned())
        });
        if let Some(slug) = &topic
            && self.db.find_topic(slug).await?.is_none()
        {
            errors.add("topic", format!("unknown topic {slug:?}"));
        }
        let therapist = match input.therapist_id {
            None => {
                errors.add("therapist_id", "this field is required");
                None
            }
            Some(id) => {
                let found =
                    self.db.find_user(UserId::new(id)).await?.filter(|u| u.role == Role::Therapist);
                if found.is_none() {
                    errors.add("therapist_id", "no therapist has this id");
                }
                found
            }
        };
        let weekday = required(&mut errors, "weekday", input.weekday.as_deref(), parse_weekday);
        let local_time =
            required(&mut errors, "local_time", input.local_time.as_deref(), parse_local_time);
        let zone = match input.timezone.as_deref() {
            Some(raw) if !raw.trim().is_empty() => errors.check("timezone", TimeZone::parse(raw)),
            _ => therapist.as_ref().map(|t| t.timezone),
        };
        let capacity = errors.check("capacity", Capacity::new(input.capacity.unwrap_or(10)));
        let age_band = match input.age_band.as_deref() {
            Some(raw) => errors.check("age_band", AgeBand::parse(raw)),
            None => Some(AgeBand::Adult),
        };
        let starts_on = required(&mut errors, "starts_on", input.starts_on.as_deref(), parse_date);
        let ends_on = match input.ends_on.as_deref() {
            Some(raw) if !raw.trim().is_empty() => errors.check("ends_on", parse_date(raw)),
            _ => None,
        };
        if let (Some(s), Some(e)) = (starts_on, ends_on)
            && e < s
        {
            errors.add("ends_on", "the last date comes after the first");
        }
        let minutes = u32::try_from(input.duration_minutes.unwrap_or(60)).unwrap_or(0);
        let slot = match (weekday, local_time, zone) {
            (Some(w), Some(t), Some(z)) => {
                errors.check("duration_minutes", WeeklySlot::new(w, t, z, minutes))
            }
            _ => None,
        };
        if let (Some(slot), Some(first)) = (&slot, starts_on) {
            let today = self.clock.now().with_timezone(&slot.zone().tz()).date_naive();
            check_first_meeting(&mut errors, slot, first, today);
        }
        let (
            Some(topic),
            Some(therapist),
            Some(slot),
            Some(capacity),
            Some(age_band),
            Some(starts_on),
        ) = (topic, therapist, slot, capacity, age_band, starts_on)
        else {
            return Err(AppError::Invalid(errors));
        };
        errors.into_result()?;
        let record = self.audited_with(|id: &GroupId| {
            let detail = format!("therapist={}", therapist.id);
            vec![self.audit_entry(ctx, "group.created", format!("group:{id}"), detail)]
        });
        let id = self
            .db
            .insert_group(
                &NewGroup {
                    topic,
                    therapist_id: therapist.id,
                    slot,
                    capacity: i32::from(capacity.get()),
                    age_band,
                    starts_on,
                    ends_on,
                    created_at: self.clock.now(),
                },
                record,
            )
            .await?;
        self.admin_figures.clear();
        Ok(id)
    }

    pub async fn list_groups(&self, filter: &GroupFilter) -> AppResult<Vec<Group>> {
        Ok(self.db.list_groups(filter).await?)
    }

    pub async fn find_group(&self, id: GroupId) -> AppResult<Group> {
        self.db.find_group(id).await?.ok_or(AppError::NotFound)
    }

    /// The group's meetings as a series: its slot, later slot changes and per-date exceptions.
    pub async fn series_of(&self, group: &Group) -> AppResult<Series> {
        let changes = self.db.list_slot_changes(group.id).await?;
        let exceptions = self.db.list_exceptions(group.id).await?;
        crate::schedules::build_series(group, &changes, &exceptions)
    }

    /// Meetings from `from` to `to` (inclusive days in the viewer's zone), in the viewer's zone.
    pub async fn group_occurrences(
        &self,
        viewer: &Authenticated,
        group: GroupId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<Vec<OccurrenceView>> {
        if to < from {
            return Err(AppError::invalid("to", "the end date comes after the start date"));
        }
        if (to - from).num_days() > MAX_WINDOW_DAYS {
            return Err(AppError::invalid("to", "ask for at most two years at a time"));
        }
        let group = self.find_group(group).await?;
        let series = self.series_of(&group).await?;
        let zone = viewer.user.timezone.tz();
        let start = start_of_day(zone, from);
        let end = start_of_day(zone, to + Duration::days(1));
        Ok(series.occurrences(start, end).iter().map(|o| view(o, zone)).collect())
    }

    /// The next `count` meetings that will happen, in the viewer's zone.
    pub async fn next_meetings(
        &self,
        viewer_zone: TimeZone,
        group: &Group,
        count: usize,
    ) -> AppResult<Vec<OccurrenceView>> {
        let series = self.series_of(group).await?;
        Ok(crate::schedules::upcoming(&series, self.clock.now(), viewer_zone.tz(), count))
    }

    /// The latest meeting that has started (not cancelled), in the viewer's zone: the one
    /// whose attendance sheet a therapist is most likely to want.
    pub async fn last_meeting(
        &self,
        viewer_zone: TimeZone,
        group: &Group,
    ) -> AppResult<Option<OccurrenceView>> {
        let series = self.series_of(group).await?;
        Ok(series.last_meeting_before(self.clock.now()).map(|o| view(&o, viewer_zone.tz())))
    }

    /// Notices for a viewer whose local meeting time shifts in the next four weeks.
    pub async fn shift_notices(
        &self,
        viewer_zone: TimeZone,
        group: &Group,
    ) -> AppResult<Vec<ShiftNotice>> {
        let series = self.series_of(group).await?;
        Ok(upcoming_shifts(&series, viewer_zone, self.clock.now(), SHIFT_NOTICE_HORIZON))
    }

    /// Cancels one meeting (the group's therapist or an admin).
    pub async fn cancel_occurrence(
        &self,
        who: &Authenticated,
        group: GroupId,
        date: NaiveDate,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        self.set_exception(who, group, date, ExceptionKind::Cancelled, ctx).await
    }

    /// Moves one meeting to another start, leaving the series as it is.
    pub async fn move_occurrence(
        &self,
        who: &Authenticated,
        group: GroupId,
        date: NaiveDate,
        to: DateTime<Utc>,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        self.set_exception(who, group, date, ExceptionKind::Moved(to), ctx).await
    }

    /// Cancels or moves one meeting, after checking the series meets that day.
    async fn set_exception(
        &self,
        who: &Authenticated,
        group: GroupId,
        date: NaiveDate,
        kind: ExceptionKind,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let group = self.find_group(group).await?;
        if !may_reschedule(who, &group) {
            return Err(AppError::Forbidden);
        }
        let mut series = self.series_of(&group).await?;
        let (checked, action) = match kind {
            ExceptionKind::Cancelled => (series.cancel(date), "group.occurrence.cancelled"),
            ExceptionKind::Moved(to) => {
                (series.move_occurrence(date, to), "group.occurrence.moved")
            }
        };
        checked.map_err(|e| AppError::invalid("date", e))?;
        let record =
            self.audited(ctx, action, format!("group:{}", group.id), format!("date={date}"));
        let exception = StoredException { original_date: date, kind };
        self.db.upsert_exception(group.id, &exception, record).await?;
        self.schedule_cache.clear();
        Ok(())
    }

    /// Undoes a cancellation or a move: the meeting is back at its usual time.
    pub async fn restore_occurrence(
        &self,
        who: &Authenticated,
        group: GroupId,
        date: NaiveDate,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let group = self.find_group(group).await?;
        if !may_reschedule(who, &group) {
            return Err(AppError::Forbidden);
        }
        let record = self.audited(
            ctx,
            "group.occurrence.restored",
            format!("group:{}", group.id),
            format!("date={date}"),
        );
        self.db.delete_exception(group.id, date, record).await?;
        self.schedule_cache.clear();
        Ok(())
    }

    /// Moves one meeting to a wall-clock time in the group's own zone (as a page form sends it).
    pub async fn move_occurrence_local(
        &self,
        who: &Authenticated,
        group: GroupId,
        date: NaiveDate,
        local: &str,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let found = self.find_group(group).await?;
        let zone = found.slot.zone().tz();
        let wall = chrono::NaiveDateTime::parse_from_str(local.trim(), "%Y-%m-%dT%H:%M")
            .map_err(|_| AppError::invalid("starts_at", "enter a date and time"))?;
        let at = zone.from_local_datetime(&wall).earliest().ok_or_else(|| {
            AppError::invalid(
                "starts_at",
                "that time does not exist in the group's zone (clocks change)",
            )
        })?;
        self.move_occurrence(who, group, date, at.with_timezone(&Utc), ctx).await
    }

    /// Changes the weekly slot from `from` on; earlier meetings stay as they were.
    pub async fn change_series(
        &self,
        who: &Authenticated,
        group: GroupId,
        from: NaiveDate,
        weekday: &str,
        local_time: &str,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let group = self.find_group(group).await?;
        if !may_reschedule(who, &group) {
            return Err(AppError::Forbidden);
        }
        let mut errors = FieldErrors::new();
        let weekday = errors.check("weekday", parse_weekday(weekday));
        let time = errors.check("local_time", parse_local_time(local_time));
        let minutes = u32::try_from(group.slot.duration().num_minutes()).unwrap_or(60);
        let (Some(weekday), Some(time)) = (weekday, time) else {
            return Err(AppError::Invalid(errors));
        };
        let slot = WeeklySlot::new(weekday, time, group.slot.zone(), minutes)
            .map_err(|e| AppError::invalid("local_time", e))?;
        let mut series = self.series_of(&group).await?;
        series.change_from(from, slot).map_err(|e| AppError::invalid("from", e))?;
        let record = self.audited(
            ctx,
            "group.series.changed",
            format!("group:{}", group.id),
            format!("from={from}"),
        );
        self.db.insert_slot_change(group.id, from, &slot, record).await?;
        self.schedule_cache.clear();
        Ok(())
    }
}

pub(crate) fn view(o: &SeriesOccurrence, zone: chrono_tz::Tz) -> OccurrenceView {
    OccurrenceView {
        starts_at: o.occurrence.starts_at,
        ends_at: o.occurrence.ends_at,
        local_start: o.occurrence.starts_at.with_timezone(&zone),
        original_date: o.original_local_date,
        status: o.status,
        moved_from: o.moved_from.map(|planned| planned.starts_at.with_timezone(&zone)),
    }
}

/// The first instant of `day` in `zone` (midnight, or the end of a gap that swallows it).
pub(crate) fn start_of_day(zone: chrono_tz::Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists as a wall time");
    let mut probe = midnight;
    for _ in 0..48 {
        if let Some(at) = zone.from_local_datetime(&probe).earliest() {
            return at.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&midnight)
}
