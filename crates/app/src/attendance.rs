//! Attendance at group meetings: recorded from the video room, corrected by the therapist.

use chrono::{DateTime, Utc};
use hearth_domain::{AttendanceStatus, FieldErrors, Role, UserId};

use crate::groups::is_care_team;
use crate::rooms::Meeting;
use crate::{App, AppError, AppResult, AuditContext, Authenticated, may_reschedule};

/// Who a person on the sheet is to the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetPart {
    /// The group's therapist, who runs the session.
    Host,
    /// A current member.
    Member,
    /// Care staff (a coordinator or an admin) who came into the room.
    Staff,
    /// Someone the room recorded who has left the group since.
    FormerMember,
}

/// One person's line on a meeting's attendance sheet.
#[derive(Clone, Debug)]
pub struct AttendanceLine {
    pub user: UserId,
    pub name: String,
    pub part: SheetPart,
    pub status: AttendanceStatus,
    /// Seconds with media connected, as the room recorded them, counting a stretch still
    /// going on.
    pub seconds: i64,
    pub first_joined_at: Option<DateTime<Utc>>,
    /// Set by the therapist rather than recorded by the room.
    pub corrected: bool,
}

/// A status the sheet could not take, in words naming the person.
fn status_error(name: &str) -> String {
    format!("Choose {name}'s status: present, late, left early, absent or excused")
}

impl App {
    /// A meeting's attendance sheet: the group's therapist (as the host), every current
    /// member (absent unless recorded), and anyone else the room recorded. For the group's
    /// care team (audited).
    pub async fn meeting_attendance(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        ctx: &AuditContext,
    ) -> AppResult<Vec<AttendanceLine>> {
        if !is_care_team(who, &meeting.group) {
            return Err(AppError::Forbidden);
        }
        let sheet = self.attendance_sheet(meeting).await?;
        self.audit(ctx, "attendance.read", format!("meeting:{}", meeting.key()), "").await?;
        Ok(sheet)
    }

    async fn attendance_sheet(&self, meeting: &Meeting) -> AppResult<Vec<AttendanceLine>> {
        let group = meeting.group.id;
        let host = meeting.group.therapist_id;
        let rows = self.db.list_attendance(group, meeting.date()).await?;
        let members = self.db.list_group_members(group).await?;
        let now = self.clock.now();
        let mut people: Vec<UserId> = vec![host];
        people.extend(members.iter().map(|m| m.client_id).filter(|id| *id != host));
        for row in &rows {
            let id = UserId::new(row.user_id);
            if !people.contains(&id) {
                people.push(id);
            }
        }
        let mut sheet = Vec::with_capacity(people.len());
        for user in people {
            let found = self.db.find_user(user).await?;
            let name = found.as_ref().map(|u| u.display_name.to_string()).unwrap_or_default();
            let part = if user == host {
                SheetPart::Host
            } else if members.iter().any(|m| m.client_id == user) {
                SheetPart::Member
            } else if found.is_some_and(|u| matches!(u.role, Role::Coordinator | Role::Admin)) {
                SheetPart::Staff
            } else {
                SheetPart::FormerMember
            };
            let row = rows.iter().find(|r| r.user_id == user.get());
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
                part,
                status,
                seconds,
                first_joined_at: row.and_then(|r| r.first_joined_at),
                corrected: row.is_some_and(|r| r.corrected_by.is_some()),
            });
        }
        Ok(sheet)
    }

    /// The group's therapist (or an admin) saves the whole sheet: a status for each person on
    /// it, by id. Every line is checked first; a line that is not right refuses the lot, with
    /// a message naming the person under `status-{id}`, and nothing is saved. Lines whose
    /// status is unchanged stay as the room recorded them. Returns how many lines changed.
    pub async fn save_attendance(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        lines: &[(UserId, String)],
        ctx: &AuditContext,
    ) -> AppResult<usize> {
        if !may_reschedule(who, &meeting.group) {
            return Err(AppError::Forbidden);
        }
        let sheet = self.attendance_sheet(meeting).await?;
        let mut errors = FieldErrors::new();
        let mut changed: Vec<(UserId, AttendanceStatus)> = Vec::new();
        for (person, status) in lines {
            let field = format!("status-{person}");
            let Some(line) = sheet.iter().find(|l| l.user == *person) else {
                errors.add(&field, "This person is not on this meeting's sheet");
                continue;
            };
            match AttendanceStatus::parse(status.trim()) {
                // An unchanged line keeps what the room (or an earlier correction) recorded.
                Some(status) if status == line.status => {}
                Some(status) => changed.push((*person, status)),
                None => errors.add(&field, status_error(&line.name)),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if changed.is_empty() {
            return Ok(0);
        }
        let detail = changed
            .iter()
            .map(|(user, status)| format!("user={user} status={}", status.as_str()))
            .collect::<Vec<_>>()
            .join("; ");
        let record =
            self.audited(ctx, "attendance.corrected", format!("meeting:{}", meeting.key()), detail);
        let rows: Vec<(UserId, &str)> = changed.iter().map(|(u, s)| (*u, s.as_str())).collect();
        let now = self.clock.now();
        self.db
            .correct_attendance(meeting.group.id, meeting.date(), &rows, who.user.id, now, record)
            .await?;
        Ok(changed.len())
    }
}
