//! Attendance at group meetings: recorded from the video room, corrected by the therapist.

use chrono::{DateTime, Utc};
use hearth_domain::{AttendanceStatus, UserId};

use crate::groups::is_care_team;
use crate::rooms::Meeting;
use crate::{App, AppError, AppResult, AuditContext, Authenticated, may_reschedule};

/// One person's line on a meeting's attendance sheet.
#[derive(Clone, Debug)]
pub struct AttendanceLine {
    pub user: UserId,
    pub name: String,
    /// A current member of the group (others on the sheet came as the therapist or staff, or
    /// have left the group since).
    pub member: bool,
    pub status: AttendanceStatus,
    /// Minutes with media connected, counting a stretch still going on.
    pub minutes: i64,
    pub first_joined_at: Option<DateTime<Utc>>,
    /// Set by the therapist rather than recorded by the room.
    pub corrected: bool,
}

impl App {
    /// A meeting's attendance sheet: every current member (absent unless recorded) and
    /// anyone else the room recorded. For the group's care team (audited).
    pub async fn meeting_attendance(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        ctx: &AuditContext,
    ) -> AppResult<Vec<AttendanceLine>> {
        if !is_care_team(who, &meeting.group) {
            return Err(AppError::Forbidden);
        }
        let group = meeting.group.id;
        let rows = self.db.list_attendance(group, meeting.date()).await?;
        let members = self.db.list_group_members(group).await?;
        let now = self.clock.now();
        let mut people: Vec<i64> = members.iter().map(|m| m.client_id.get()).collect();
        for row in &rows {
            if !people.contains(&row.user_id) {
                people.push(row.user_id);
            }
        }
        let mut sheet = Vec::with_capacity(people.len());
        for id in people {
            let user = UserId::new(id);
            let name = self
                .db
                .find_user(user)
                .await?
                .map(|u| u.display_name.to_string())
                .unwrap_or_default();
            let row = rows.iter().find(|r| r.user_id == id);
            let status = row
                .and_then(|r| AttendanceStatus::parse(&r.status))
                .unwrap_or(AttendanceStatus::Absent);
            let seconds = row.map_or(0, |r| {
                r.connected_seconds
                    + r.connected_since.map_or(0, |since| (now - since).num_seconds().max(0))
            });
            sheet.push(AttendanceLine {
                user,
                name,
                member: members.iter().any(|m| m.client_id.get() == id),
                status,
                minutes: seconds / 60,
                first_joined_at: row.and_then(|r| r.first_joined_at),
                corrected: row.is_some_and(|r| r.corrected_by.is_some()),
            });
        }
        self.audit(ctx, "attendance.read", format!("meeting:{}", meeting.key()), "").await?;
        Ok(sheet)
    }

    /// The group's therapist (or an admin) sets a person's attendance for a meeting.
    pub async fn correct_attendance(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        person: UserId,
        status: &str,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if !may_reschedule(who, &meeting.group) {
            return Err(AppError::Forbidden);
        }
        let status = AttendanceStatus::parse(status).ok_or_else(|| {
            AppError::invalid("status", "choose present, late, left early, absent or excused")
        })?;
        let group = meeting.group.id;
        let date = meeting.date();
        let is_member =
            self.db.list_group_members(group).await?.iter().any(|m| m.client_id == person);
        if !is_member && self.db.find_attendance(group, date, person).await?.is_none() {
            return Err(AppError::invalid("person", "this person is not on the sheet"));
        }
        let record = self.audited(
            ctx,
            "attendance.corrected",
            format!("meeting:{}", meeting.key()),
            format!("user={person} status={}", status.as_str()),
        );
        let now = self.clock.now();
        Ok(self
            .db
            .correct_attendance(group, date, person, status.as_str(), who.user.id, now, record)
            .await?)
    }
}
