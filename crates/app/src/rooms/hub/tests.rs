//! The hub on its own: no runtime, no SFU, no database. Each participant's page is the
//! receiving end of its outbox, read with `try_recv`.

use chrono::NaiveDate;
use hearth_domain::{GroupId, UserId};
use hearth_video::signal::{Device, Part, Presence, RosterEntry, ServerMessage};
use hearth_video::{ParticipantId, RoomKey};
use tokio::sync::mpsc;

use super::{Arrival, Attendee, Control, HubState, Joined};
use crate::AppError;
use crate::rooms::safety::{RoomMessage, SafetyEntry, SafetyPanel};

const HOST: UserId = UserId::new(1);
const ANA: UserId = UserId::new(2);
const BEN: UserId = UserId::new(3);
const STAFF: UserId = UserId::new(4);

fn room(n: i64) -> RoomKey {
    RoomKey::new(format!("group-{n}-2027-01-06"))
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 6).expect("a date")
}

/// A participant's browser: its id in the room and what it has been sent.
struct Page {
    id: ParticipantId,
    inbox: mpsc::UnboundedReceiver<RoomMessage>,
}

impl Page {
    /// Everything sent since the last look.
    fn read(&mut self) -> Vec<RoomMessage> {
        std::iter::from_fn(|| self.inbox.try_recv().ok()).collect()
    }

    /// The last roster sent, as this page sees it.
    fn roster(&mut self) -> Vec<RosterEntry> {
        last_roster(self.read())
    }

    /// Whether the hub let go of this page (its socket closes).
    fn closed(&mut self) -> bool {
        matches!(self.inbox.try_recv(), Err(mpsc::error::TryRecvError::Disconnected))
    }
}

fn last_roster(sent: Vec<RoomMessage>) -> Vec<RosterEntry> {
    sent.into_iter()
        .rev()
        .find_map(|m| match m {
            RoomMessage::Signal(ServerMessage::Roster { participants, .. }) => Some(participants),
            _ => None,
        })
        .expect("a roster was sent")
}

fn safety_line(user: UserId) -> SafetyEntry {
    SafetyEntry {
        id: String::new(),
        name: format!("member {user}"),
        location: Some("Springfield, IL".into()),
        emergency_contact: Some("Rosa · 312 555 0100".into()),
        open_risk_flag: None,
        crisis_note_url: Some(format!("/clients/{user}?note=crisis#note-body")),
    }
}

fn arrive(state: &mut HubState, key: &RoomKey, user: UserId, part: Part) -> (Page, Joined) {
    let arrival = Arrival {
        room: key.clone(),
        attendee: Attendee { group: GroupId::new(12), date: date(), user },
        name: format!("person {user}"),
        part,
        safety: (part == Part::Member).then(|| safety_line(user)),
    };
    let (outbox, inbox) = mpsc::unbounded_channel();
    let joined = state.join(arrival, outbox).expect("joins");
    (Page { id: joined.id.clone(), inbox }, joined)
}

fn join(state: &mut HubState, key: &RoomKey, user: UserId, part: Part) -> Page {
    arrive(state, key, user, part).0
}

fn signal(message: ServerMessage) -> RoomMessage {
    RoomMessage::Signal(message)
}

fn names(roster: &[RosterEntry]) -> Vec<(&str, Presence)> {
    roster.iter().map(|e| (e.name.as_str(), e.presence)).collect()
}

#[test]
fn the_host_comes_straight_in_and_a_member_waits() {
    let mut state = HubState::default();
    let key = room(12);
    let mut host = join(&mut state, &key, HOST, Part::Host);
    let sent = host.read();
    assert_eq!(
        sent[0],
        signal(ServerMessage::Welcome { you: host.id.to_string(), part: Part::Host })
    );
    assert_eq!(sent[1], signal(ServerMessage::Admitted));
    assert_eq!(sent[3], RoomMessage::Safety(SafetyPanel { participants: Vec::new() }));

    let mut ana = join(&mut state, &key, ANA, Part::Member);
    let sent = ana.read();
    assert_eq!(sent[1], signal(ServerMessage::Waiting));
    // A waiting member sees only who is in the room; the host sees the waiting room too.
    assert!(matches!(&sent[2], RoomMessage::Signal(ServerMessage::Roster { participants, .. })
        if names(participants) == [("person 1", Presence::InRoom)]));
    assert_eq!(
        names(&host.roster()),
        [("person 1", Presence::InRoom), ("person 2", Presence::Waiting)]
    );
    assert!(!state.locked(&key));
}

#[test]
fn only_the_host_is_sent_the_safety_panel_with_each_members_line() {
    let mut state = HubState::default();
    let key = room(12);
    let mut host = join(&mut state, &key, HOST, Part::Host);
    let mut staff = join(&mut state, &key, STAFF, Part::Staff);
    let mut ana = join(&mut state, &key, ANA, Part::Member);
    let panels = |page: &mut Page| -> Vec<SafetyPanel> {
        page.read()
            .into_iter()
            .filter_map(|m| match m {
                RoomMessage::Safety(panel) => Some(panel),
                RoomMessage::Signal(_) => None,
            })
            .collect()
    };
    let last = panels(&mut host).pop().expect("the host has a panel");
    let mut line = safety_line(ANA);
    line.id = ana.id.to_string();
    assert_eq!(last.participants, [line]);
    assert!(panels(&mut staff).is_empty());
    assert!(panels(&mut ana).is_empty());
}

#[test]
fn an_arrival_shows_safety_lines_to_the_hosts_present() {
    let mut state = HubState::default();
    let key = room(12);
    let (_ana, joined) = arrive(&mut state, &key, ANA, Part::Member);
    assert!(joined.shown.is_empty(), "no host yet");
    let (_host, joined) = arrive(&mut state, &key, HOST, Part::Host);
    assert_eq!(joined.shown, [(HOST, ANA)], "a host arriving sees every member's line");
    let (_ben, joined) = arrive(&mut state, &key, BEN, Part::Member);
    assert_eq!(joined.shown, [(HOST, BEN)], "a member arriving shows theirs to the host");
    let (_staff, joined) = arrive(&mut state, &key, STAFF, Part::Staff);
    assert!(joined.shown.is_empty(), "care staff see no panel");
    // Another meeting's room is another panel.
    let (_other, joined) = arrive(&mut state, &room(13), ANA, Part::Member);
    assert!(joined.shown.is_empty());
}

#[test]
fn only_the_host_admits_and_an_admitted_member_comes_back_straight_in() {
    let mut state = HubState::default();
    let key = room(12);
    let mut host = join(&mut state, &key, HOST, Part::Host);
    let mut ana = join(&mut state, &key, ANA, Part::Member);
    let ben = join(&mut state, &key, BEN, Part::Member);
    assert!(matches!(state.admit(&ben.id, ana.id.as_str()), Err(AppError::Forbidden)));
    assert!(matches!(state.admit(&host.id, "p99-nobody"), Err(AppError::Invalid(_))));

    let done = state.admit(&host.id, ana.id.as_str()).expect("admits");
    assert_eq!(done, Control { room: key.clone(), target_user: Some(ANA) });
    let sent = ana.read();
    assert!(sent.contains(&signal(ServerMessage::Admitted)));
    assert_eq!(names(&host.roster())[1], ("person 2", Presence::InRoom));

    // A reload: the new connection replaces the old one, and is in the room at once.
    let (mut again, joined) = arrive(&mut state, &key, ANA, Part::Member);
    assert_eq!(joined.replaced, [ana.id.clone()]);
    assert!(ana.closed(), "the old connection's socket closes");
    assert_eq!(again.read()[1], signal(ServerMessage::Admitted));
    assert_eq!(host.roster().len(), 3);
}

#[test]
fn a_host_acts_only_on_their_own_room() {
    let mut state = HubState::default();
    let host = join(&mut state, &room(12), HOST, Part::Host);
    let elsewhere = join(&mut state, &room(13), ANA, Part::Member);
    let err = state.admit(&host.id, elsewhere.id.as_str()).expect_err("another room");
    assert!(matches!(err, AppError::Invalid(_)));
    assert!(matches!(state.set_locked(&elsewhere.id, true), Err(AppError::Forbidden)));
    let gone = ParticipantId::new("p99-gone");
    assert!(matches!(state.set_locked(&gone, true), Err(AppError::NotFound)));
}

#[test]
fn a_removed_member_is_let_go_and_may_not_come_back() {
    let mut state = HubState::default();
    let key = room(12);
    let mut host = join(&mut state, &key, HOST, Part::Host);
    let mut ana = join(&mut state, &key, ANA, Part::Member);
    assert!(matches!(state.remove(&host.id, host.id.as_str()), Err(AppError::Invalid(_))));

    let (target, done) = state.remove(&host.id, ana.id.as_str()).expect("removes");
    assert_eq!((target, done.target_user), (ana.id.clone(), Some(ANA)));
    assert_eq!(ana.read().last(), Some(&signal(ServerMessage::Removed)));
    assert!(ana.closed());
    assert_eq!(names(&host.roster()), [("person 1", Presence::InRoom)]);
    // Never reached the SFU, so no leave event will come to end its attendance.
    assert_eq!(state.attendee(&ana.id), None);

    let arrival = Arrival {
        room: key.clone(),
        attendee: Attendee { group: GroupId::new(12), date: date(), user: ANA },
        name: "person 2".into(),
        part: Part::Member,
        safety: None,
    };
    let (outbox, _inbox) = mpsc::unbounded_channel();
    let err = state.join(arrival, outbox).expect_err("removed");
    assert!(matches!(err, AppError::Refused { code: "removed", .. }));
}

#[test]
fn a_member_sees_only_their_own_host_mute_and_unmutes_when_allowed() {
    let mut state = HubState::default();
    let key = room(12);
    let mut host = join(&mut state, &key, HOST, Part::Host);
    let mut ana = join(&mut state, &key, ANA, Part::Member);
    let mut ben = join(&mut state, &key, BEN, Part::Member);
    state.admit(&host.id, ana.id.as_str()).expect("admits");
    state.admit(&host.id, ben.id.as_str()).expect("admits");
    assert_eq!(state.forwarding(&ana.id), Some((true, true)));

    let (target, _) = state.turn_off(&host.id, ana.id.as_str(), Device::Microphone).expect("mutes");
    assert_eq!(target, ana.id);
    assert_eq!(state.forwarding(&ana.id), Some((false, true)));
    let muted =
        |roster: Vec<RosterEntry>| -> Vec<bool> { roster.iter().map(|e| e.host_muted).collect() };
    let sent = ana.read();
    assert!(sent.contains(&signal(ServerMessage::Muted { device: Device::Microphone })));
    assert_eq!(muted(last_roster(sent)), [false, true, false], "Ana learns of her own");
    assert_eq!(muted(host.roster()), [false, true, false]);
    assert_eq!(muted(ben.roster()), [false, false, false], "not Ben's business");

    state.set_may_unmute(&host.id, false).expect("forbids");
    let err = state.unmute(&ana.id, Device::Microphone).expect_err("must ask");
    assert!(matches!(err, AppError::Refused { code: "unmute_not_allowed", .. }));
    state.unmute(&ben.id, Device::Camera).expect("nothing held is simply confirmed");
    state.set_may_unmute(&host.id, true).expect("allows");
    state.unmute(&ana.id, Device::Microphone).expect("unmutes");
    assert_eq!(state.forwarding(&ana.id), Some((true, true)));
    state.unmuted(&ana.id, Device::Microphone);
    assert_eq!(
        ana.read().last(),
        Some(&signal(ServerMessage::Unmuted { device: Device::Microphone }))
    );
}

#[test]
fn the_sfus_offers_wait_for_the_answer_to_the_first_offer() {
    let mut state = HubState::default();
    let key = room(12);
    let host = join(&mut state, &key, HOST, Part::Host);
    let mut ana = join(&mut state, &key, ANA, Part::Member);
    let err = state.begin_offer(&ana.id).expect_err("still waiting");
    assert!(matches!(err, AppError::Refused { code: "waiting", .. }));
    state.admit(&host.id, ana.id.as_str()).expect("admits");

    assert_eq!(state.begin_offer(&ana.id).expect("first offer"), Some(key.clone()));
    assert!(matches!(
        state.begin_offer(&ana.id),
        Err(AppError::Refused { code: "negotiation", .. })
    ));
    ana.read();
    state.deliver_offer(&ana.id, "sfu offer 1".into());
    assert!(ana.read().is_empty(), "held until the answer is out");
    let done = state.finish_offer(&ana.id, true, Ok::<_, String>("answer".into()));
    assert!(matches!(done, Some(Ok(()))));
    assert_eq!(
        ana.read(),
        [
            signal(ServerMessage::Answer { sdp: "answer".into() }),
            signal(ServerMessage::Offer { sdp: "sfu offer 1".into() }),
        ]
    );
    state.deliver_offer(&ana.id, "sfu offer 2".into());
    assert_eq!(ana.read(), [signal(ServerMessage::Offer { sdp: "sfu offer 2".into() })]);
    assert_eq!(state.begin_offer(&ana.id).expect("renegotiates"), None);

    // Media lost: the page is told, and its next offer joins again.
    state.media_lost(&ana.id);
    assert_eq!(ana.read(), [signal(ServerMessage::MediaLost)]);
    assert_eq!(state.begin_offer(&ana.id).expect("joins again"), Some(key.clone()));
    let refused = state.finish_offer(&ana.id, true, Err("no"));
    assert!(matches!(refused, Some(Err(AppError::Refused { code: "negotiation", .. }))));
    assert_eq!(state.begin_offer(&ana.id).expect("may try again"), Some(key));
    assert!(state.leave(&ana.id));
    assert!(state.finish_offer(&ana.id, true, Ok::<_, String>("late".into())).is_none());
}

#[test]
fn attendance_counts_until_the_sfu_says_the_participant_left() {
    let mut state = HubState::default();
    let key = room(12);
    let host = join(&mut state, &key, HOST, Part::Host);
    let expected = Attendee { group: GroupId::new(12), date: date(), user: HOST };
    assert_eq!(state.attendee(&host.id), Some(expected));
    state.begin_offer(&host.id).expect("offers");
    state.finish_offer(&host.id, true, Ok::<_, String>("answer".into()));
    assert_eq!(state.media_connected(&host.id), Some(expected), "a stretch starts");
    assert_eq!(state.media_connected(&host.id), None, "the same connection, told twice");
    // Media dropped, socket open: it may offer again under the same id.
    assert_eq!(state.attendee_left(&host.id), Some(expected));
    assert_eq!(state.attendee(&host.id), Some(expected));
    assert_eq!(state.media_connected(&host.id), Some(expected), "connected again");
    assert!(state.leave(&host.id));
    assert!(!state.leave(&host.id), "already gone");
    assert_eq!(state.attendee(&host.id), Some(expected), "the SFU's leave event ends it");
    assert_eq!(state.attendee_left(&host.id), Some(expected));
    assert_eq!(state.attendee(&host.id), None);
}

#[test]
fn a_reconnect_that_overlaps_the_old_connection_keeps_one_stretch_going() {
    let mut state = HubState::default();
    let key = room(12);
    let expected = Attendee { group: GroupId::new(12), date: date(), user: HOST };
    let joined = |state: &mut HubState| {
        let page = join(state, &key, HOST, Part::Host);
        state.begin_offer(&page.id).expect("offers");
        state.finish_offer(&page.id, true, Ok::<_, String>("answer".into()));
        page
    };
    let first = joined(&mut state);
    assert_eq!(state.media_connected(&first.id), Some(expected));
    // The page reconnects before the server noticed the old socket go: the new connection
    // replaces the old one, and its media connects before the SFU lets the old one go.
    let second = joined(&mut state);
    assert_eq!(state.media_connected(&second.id), None, "the stretch is already going");
    assert_eq!(state.attendee_left(&first.id), None, "the new connection keeps it going");
    assert!(state.leave(&second.id));
    assert_eq!(state.attendee_left(&second.id), Some(expected), "now it ends");
    // Media that never connected starts and ends nothing.
    let third = join(&mut state, &key, HOST, Part::Host);
    assert!(state.leave(&third.id));
    assert_eq!(state.attendee_left(&third.id), None);
}

#[test]
fn a_locked_room_and_an_ended_session() {
    let mut state = HubState::default();
    let key = room(12);
    let mut host = join(&mut state, &key, HOST, Part::Host);
    let mut ana = join(&mut state, &key, ANA, Part::Member);
    let _elsewhere = join(&mut state, &room(13), BEN, Part::Member);
    state.set_locked(&host.id, true).expect("locks");
    assert!(state.locked(&key) && !state.locked(&room(13)));
    assert!(
        ana.read()
            .iter()
            .any(|m| matches!(m, RoomMessage::Signal(ServerMessage::Roster { locked: true, .. })))
    );

    assert!(matches!(state.ending(&ana.id), Err(AppError::Forbidden)));
    let ending = state.ending(&host.id).expect("the host ends it");
    assert_eq!((ending.group, ending.date, ending.host), (GroupId::new(12), date(), HOST));
    let gone = state.end(&key);
    assert_eq!(gone, [host.id.clone(), ana.id.clone()]);
    for page in [&mut host, &mut ana] {
        assert_eq!(page.read().last(), Some(&signal(ServerMessage::Ended)));
        assert!(page.closed());
    }
    assert_eq!(state.forwarding(&host.id), None);
}
