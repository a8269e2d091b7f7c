//! Who may come through the door of a meeting's video room, and when.
//!
//! The rule is pure so that the signalling server, the room page and the tests read one
//! answer. The room opens [`ROOM_OPENS_BEFORE_MINUTES`] before the meeting starts and lets
//! no one new in once [`ROOM_CLOSES_AFTER_MINUTES`] have passed since its scheduled end (a
//! session that runs over keeps the people already in it). The group's therapist goes
//! straight in; members and care staff wait until the therapist admits them. Care staff
//! (coordinators and admins who are not in the group) must give a reason, which is logged.

use chrono::{DateTime, Duration, Utc};

use crate::Role;

/// How long before the start the room opens.
pub const ROOM_OPENS_BEFORE_MINUTES: i64 = 10;
/// How long after the scheduled end the room still lets people in.
pub const ROOM_CLOSES_AFTER_MINUTES: i64 = 30;
/// The shortest reason care staff may give for joining a group they are not part of.
pub const STAFF_REASON_MIN_CHARS: usize = 10;
/// The longest such reason.
pub const STAFF_REASON_MAX_CHARS: usize = 500;

/// The person asking to join, as the server knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Knock<'a> {
    pub role: Role,
    /// They are the therapist who leads this group.
    pub leads_group: bool,
    /// They hold an active membership in this group.
    pub is_member: bool,
    /// The reason care staff gave, if any.
    pub reason: Option<&'a str>,
}

/// The meeting as the door sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomState {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub cancelled: bool,
    /// The therapist ended the session.
    pub ended: bool,
    /// The therapist locked the room: nobody new but the therapist comes in.
    pub locked: bool,
}

impl RoomState {
    /// The first instant anyone may join.
    pub fn opens_at(&self) -> DateTime<Utc> {
        self.starts_at - Duration::minutes(ROOM_OPENS_BEFORE_MINUTES)
    }

    /// The instant after which nobody new may join.
    pub fn closes_at(&self) -> DateTime<Utc> {
        self.ends_at + Duration::minutes(ROOM_CLOSES_AFTER_MINUTES)
    }

    /// Whether the room lets people in at `now` as far as time goes: not for a cancelled
    /// meeting, nor an ended session, nor before it opens. (Who may come in is [`knock`]'s.)
    pub fn open_at(&self, now: DateTime<Utc>) -> Result<(), RoomRefusal> {
        if self.cancelled {
            return Err(RoomRefusal::Cancelled);
        }
        if self.ended || now > self.closes_at() {
            return Err(RoomRefusal::Ended);
        }
        if now < self.opens_at() {
            return Err(RoomRefusal::NotOpenYet { opens_at: self.opens_at() });
        }
        Ok(())
    }
}

/// Where a knock that is let through goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomEntry {
    /// The group's therapist: straight into the room.
    Host,
    /// A member of the group: the waiting room, until the therapist admits them.
    WaitingRoom,
    /// Care staff with a reason (trimmed), to be logged: the waiting room as well.
    Staff { reason: String },
}

/// Why a knock is refused. Each reads as a sentence for the person at the door.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoomRefusal {
    #[error("you are not part of this group")]
    NotInGroup,
    #[error(
        "care staff must give a reason of {STAFF_REASON_MIN_CHARS} to {STAFF_REASON_MAX_CHARS} characters, on one line, to join"
    )]
    ReasonRequired,
    #[error("this meeting was cancelled")]
    Cancelled,
    #[error("the room opens at {opens_at}")]
    NotOpenYet { opens_at: DateTime<Utc> },
    #[error("this session has ended")]
    Ended,
    #[error("the therapist has locked the room")]
    Locked,
}

/// Decide a knock at `now`.
///
/// Membership is checked before time, so someone outside the group learns nothing about
/// when it meets.
pub fn knock(
    who: &Knock<'_>,
    room: &RoomState,
    now: DateTime<Utc>,
) -> Result<RoomEntry, RoomRefusal> {
    let entry = if who.leads_group {
        RoomEntry::Host
    } else if who.is_member && who.role == Role::Client {
        RoomEntry::WaitingRoom
    } else if matches!(who.role, Role::Coordinator | Role::Admin) {
        let reason = who.reason.map(str::trim).unwrap_or_default();
        let chars = reason.chars().count();
        // One line of text: it is written to the audit log, where NUL cannot be stored.
        if !(STAFF_REASON_MIN_CHARS..=STAFF_REASON_MAX_CHARS).contains(&chars)
            || reason.contains(char::is_control)
        {
            return Err(RoomRefusal::ReasonRequired);
        }
        RoomEntry::Staff { reason: reason.to_owned() }
    } else {
        return Err(RoomRefusal::NotInGroup);
    };
    room.open_at(now)?;
    if room.locked && entry != RoomEntry::Host {
        return Err(RoomRefusal::Locked);
    }
    Ok(entry)
}

/// How a person attended a meeting. Recorded as `Present` when their media first connects;
/// the group's therapist may set any of these afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttendanceStatus {
    Present,
    Late,
    LeftEarly,
    Absent,
    Excused,
}

impl AttendanceStatus {
    pub const ALL: [AttendanceStatus; 5] =
        [Self::Present, Self::Late, Self::LeftEarly, Self::Absent, Self::Excused];

    /// The stored and submitted form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::Late => "late",
            Self::LeftEarly => "left_early",
            Self::Absent => "absent",
            Self::Excused => "excused",
        }
    }

    /// In words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Present => "Present",
            Self::Late => "Late",
            Self::LeftEarly => "Left early",
            Self::Absent => "Absent",
            Self::Excused => "Excused",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn room() -> RoomState {
        let starts_at = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
        RoomState {
            starts_at,
            ends_at: starts_at + Duration::minutes(90),
            cancelled: false,
            ended: false,
            locked: false,
        }
    }

    fn at(minutes_from_start: i64) -> DateTime<Utc> {
        room().starts_at + Duration::minutes(minutes_from_start)
    }

    const THERAPIST: Knock<'static> =
        Knock { role: Role::Therapist, leads_group: true, is_member: false, reason: None };
    const MEMBER: Knock<'static> =
        Knock { role: Role::Client, leads_group: false, is_member: true, reason: None };

    #[test]
    fn the_room_opens_ten_minutes_before_the_start() {
        let opens_at = at(-10);
        assert_eq!(knock(&MEMBER, &room(), at(-11)), Err(RoomRefusal::NotOpenYet { opens_at }));
        assert_eq!(knock(&MEMBER, &room(), at(-10)), Ok(RoomEntry::WaitingRoom));
        assert_eq!(knock(&THERAPIST, &room(), at(-11)), Err(RoomRefusal::NotOpenYet { opens_at }));
        assert_eq!(knock(&THERAPIST, &room(), at(-10)), Ok(RoomEntry::Host));
    }

    #[test]
    fn the_room_closes_half_an_hour_after_the_scheduled_end() {
        assert_eq!(knock(&MEMBER, &room(), at(120)), Ok(RoomEntry::WaitingRoom));
        assert_eq!(knock(&MEMBER, &room(), at(121)), Err(RoomRefusal::Ended));
        let ended = RoomState { ended: true, ..room() };
        assert_eq!(knock(&THERAPIST, &ended, at(5)), Err(RoomRefusal::Ended));
        let cancelled = RoomState { cancelled: true, ..room() };
        assert_eq!(knock(&MEMBER, &cancelled, at(0)), Err(RoomRefusal::Cancelled));
    }

    #[test]
    fn outsiders_are_refused_before_learning_anything_about_the_time() {
        let stranger =
            Knock { role: Role::Client, leads_group: false, is_member: false, reason: None };
        let other_therapist = Knock { role: Role::Therapist, ..stranger.clone() };
        for who in [stranger, other_therapist] {
            for now in [at(-600), at(0), at(600)] {
                assert_eq!(knock(&who, &room(), now), Err(RoomRefusal::NotInGroup));
            }
        }
    }

    #[test]
    fn care_staff_need_a_reason_and_then_wait_like_members() {
        let staff = |reason| Knock {
            role: Role::Coordinator,
            leads_group: false,
            is_member: false,
            reason,
        };
        assert_eq!(knock(&staff(None), &room(), at(0)), Err(RoomRefusal::ReasonRequired));
        assert_eq!(
            knock(&staff(Some("   short  ")), &room(), at(0)),
            Err(RoomRefusal::ReasonRequired)
        );
        let long = "x".repeat(STAFF_REASON_MAX_CHARS + 1);
        assert_eq!(knock(&staff(Some(&long)), &room(), at(0)), Err(RoomRefusal::ReasonRequired));
        for control in ["covering for a\u{0} sick therapist", "covering for a\nsick therapist"] {
            assert_eq!(
                knock(&staff(Some(control)), &room(), at(0)),
                Err(RoomRefusal::ReasonRequired)
            );
        }
        assert_eq!(
            knock(&staff(Some("  covering for a sick therapist ")), &room(), at(0)),
            Ok(RoomEntry::Staff { reason: "covering for a sick therapist".into() })
        );
        let admin = Knock { role: Role::Admin, ..staff(Some("risk review requested")) };
        assert!(matches!(knock(&admin, &room(), at(0)), Ok(RoomEntry::Staff { .. })));
    }

    #[test]
    fn a_locked_room_admits_only_its_therapist() {
        let locked = RoomState { locked: true, ..room() };
        assert_eq!(knock(&MEMBER, &locked, at(1)), Err(RoomRefusal::Locked));
        assert_eq!(knock(&THERAPIST, &locked, at(1)), Ok(RoomEntry::Host));
    }

    #[test]
    fn attendance_statuses_round_trip_and_unknown_ones_are_refused() {
        for status in AttendanceStatus::ALL {
            assert_eq!(AttendanceStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(AttendanceStatus::parse("here"), None);
    }
}
