//! The door of a meeting's room and a participant's arrival: which meeting a room is, who
//! may come in and how, the location a member gives, and the line a member puts on the
//! host's safety panel.

use chrono::{Duration, NaiveDate};
use hearth_domain::{
    GroupId, Knock, OccurrenceStatus, Role, RoomEntry, RoomRefusal, RoomState, knock,
};
use hearth_video::signal::Part;
use tokio::sync::mpsc;

use super::hub::{Arrival, Attendee, Joined};
use super::{Meeting, RoomConnection, SafetyEntry};
use crate::groups::start_of_day;
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// Longest location a participant may give.
pub const LOCATION_MAX_CHARS: usize = 200;

fn part_of(entry: &RoomEntry) -> Part {
    match entry {
        RoomEntry::Host => Part::Host,
        RoomEntry::WaitingRoom => Part::Member,
        RoomEntry::Staff { .. } => Part::Staff,
    }
}

/// The location given at a join, trimmed: members must give one, nobody a long one.
fn checked_location(part: Part, location: Option<&str>) -> AppResult<Option<&str>> {
    let location = location.map(str::trim).filter(|l| !l.is_empty());
    if location.is_some_and(|l| l.chars().count() > LOCATION_MAX_CHARS) {
        return Err(AppError::invalid(
            "location",
            format!("write at most {LOCATION_MAX_CHARS} characters"),
        ));
    }
    if part == Part::Member && location.is_none() {
        return Err(AppError::invalid(
            "location",
            "say where you are right now (city and state), so your therapist can get you help in an emergency",
        ));
    }
    Ok(location)
}

fn refusal(refused: &RoomRefusal) -> AppError {
    match refused {
        RoomRefusal::NotInGroup => AppError::Forbidden,
        RoomRefusal::ReasonRequired => AppError::invalid("reason", refused),
        RoomRefusal::Cancelled => AppError::refused("meeting_cancelled", refused.to_string()),
        RoomRefusal::NotOpenYet { .. } => AppError::refused("room_not_open", refused.to_string()),
        RoomRefusal::Ended => AppError::refused("session_ended", refused.to_string()),
        RoomRefusal::Locked => AppError::refused("room_locked", refused.to_string()),
    }
}

impl App {
    /// The meeting of `group` that the series gave the date `date` (a moved meeting keeps its
    /// series date).
    pub async fn meeting(&self, group: GroupId, date: NaiveDate) -> AppResult<Meeting> {
        let group = self.find_group(group).await?;
        let series = self.series_of(&group).await?;
        // A moved meeting may sit a while away from its series date.
        let from = start_of_day(chrono_tz::UTC, date - Duration::days(31));
        let to = start_of_day(chrono_tz::UTC, date + Duration::days(32));
        let occurrence = series
            .occurrences(from, to)
            .into_iter()
            .find(|o| o.original_local_date == date)
            .ok_or(AppError::NotFound)?;
        Ok(Meeting { group, occurrence })
    }

    /// The meeting's room as the door sees it: its times, and whether it is cancelled, ended
    /// or locked.
    pub async fn room_state(&self, meeting: &Meeting) -> AppResult<RoomState> {
        let locked = self.rooms.as_ref().is_some_and(|hub| hub.lock().locked(&meeting.key()));
        // The end of a session is in the database, so it holds after a restart and on any node.
        let ended = self.db.meeting_ended_at(meeting.group.id, meeting.date()).await?.is_some();
        Ok(RoomState {
            starts_at: meeting.occurrence.occurrence.starts_at,
            ends_at: meeting.occurrence.occurrence.ends_at,
            cancelled: meeting.occurrence.status == OccurrenceStatus::Cancelled,
            ended,
            locked,
        })
    }

    /// Whether `who` may come into the meeting's room now, and how (straight in, to the
    /// waiting room, or as care staff with `reason`).
    pub async fn knock_room(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        reason: Option<&str>,
    ) -> AppResult<RoomEntry> {
        let is_member = who.user.role == Role::Client
            && self
                .db
                .list_group_members(meeting.group.id)
                .await?
                .iter()
                .any(|m| m.client_id == who.user.id);
        let state = self.room_state(meeting).await?;
        let door = Knock {
            role: who.user.role,
            leads_group: who.user.id == meeting.group.therapist_id,
            is_member,
            reason,
        };
        knock(&door, &state, self.clock.now()).map_err(|r| refusal(&r))
    }

    /// Brings a participant into the meeting's room (or its waiting room) after the browser's
    /// hello. Members must say where they are for this session.
    pub async fn enter_room(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        location: Option<&str>,
        reason: Option<&str>,
        ctx: &AuditContext,
    ) -> AppResult<RoomConnection> {
        let hub = self.hub()?;
        let entry = self.knock_room(who, meeting, reason).await?;
        let part = part_of(&entry);
        let location = checked_location(part, location)?;
        let key = meeting.key();
        let safety =
            if part == Part::Member { Some(self.safety_entry(who, location).await?) } else { None };
        let subject = format!("meeting:{key}");
        match &entry {
            RoomEntry::Staff { reason } => {
                self.audit(ctx, "room.staff_joined", subject.clone(), format!("reason={reason}"))
                    .await?;
            }
            _ => self.audit(ctx, "room.joined", subject.clone(), "").await?,
        }

        let (outbox, inbox) = mpsc::unbounded_channel();
        let arrival = Arrival {
            room: key.clone(),
            attendee: Attendee { group: meeting.group.id, date: meeting.date(), user: who.user.id },
            name: who.user.display_name.to_string(),
            part,
            safety,
        };
        let Joined { id, replaced, shown } = hub.lock().join(arrival, outbox)?;
        for old in replaced {
            let _ = hub.sfu.leave(old).await;
        }
        // The safety panel puts each member's emergency contact and risk flag in front of the
        // therapist: that is a read of clinical data, and is audited as the therapist's.
        for (host, client) in shown {
            let by = AuditContext { actor: Some(host), source_ip: None };
            self.audit(
                &by,
                "room.safety_panel.shown",
                format!("client:{client}"),
                format!("meeting={key}"),
            )
            .await?;
        }
        Ok(RoomConnection { id, outbox: inbox })
    }

    /// What the host's safety panel shows about a member: their location for this session,
    /// emergency contact from intake, and any open risk flag.
    async fn safety_entry(
        &self,
        member: &Authenticated,
        location: Option<&str>,
    ) -> AppResult<SafetyEntry> {
        let client = member.user.id;
        let emergency_contact = match self.db.find_intake(client).await? {
            Some(row) => {
                let private = self.open_intake(&row)?;
                Some(format!(
                    "{} · {}",
                    private.emergency_contact_name, private.emergency_contact_phone
                ))
            }
            None => None,
        };
        let open_risk_flag = self
            .db
            .list_risk_flags(false)
            .await?
            .into_iter()
            .filter(|f| f.client_id == client.get())
            .max_by_key(|f| f.raised_at)
            .map(|f| self.open_risk_flag(f).map(|f| f.level.label().to_owned()))
            .transpose()?;
        Ok(SafetyEntry {
            id: String::new(),
            name: member.user.display_name.to_string(),
            location: location.map(str::to_owned),
            emergency_contact,
            open_risk_flag,
            crisis_note_url: Some(format!("/clients/{client}?note=crisis#note-body")),
        })
    }
}
