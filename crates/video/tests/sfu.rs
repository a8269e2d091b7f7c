//! The SFU against str0m clients over loopback UDP.

mod common;

use std::time::{Duration, Instant};

use common::{Client, Harness};
use hearth_video::{LeaveReason, ParticipantId, RoomKey, Sfu, SfuConfig, SfuEvent};
use str0m::media::{KeyframeRequestKind, MediaKind};

const SECOND: Duration = Duration::from_secs(1);

fn pid(id: &str) -> ParticipantId {
    ParticipantId::new(id)
}

/// Everyone in `ids` is connected and receives both tracks of everyone else in `ids`.
fn all_wired(h: &Harness, ids: &[&str]) -> bool {
    ids.iter().all(|id| {
        let c = h.client(id);
        c.seen().connected
            && h.sfu.is_connected(&pid(id))
            && ids.iter().filter(|o| *o != id).all(|o| {
                let o = h.client(o);
                (o.audio_mid().is_none() || c.incoming_mid(o.id(), MediaKind::Audio).is_some())
                    && (o.video_mid().is_none()
                        || c.incoming_mid(o.id(), MediaKind::Video).is_some())
            })
    })
}

/// Asserts `receiver` got every frame `sender` published, byte for byte, on the track
/// labelled with the sender's participant id.
fn assert_forwarded(h: &Harness, receiver: &str, sender: &str) {
    let (r, s) = (h.client(receiver), h.client(sender));
    for (kind, sent) in [(MediaKind::Audio, s.audio_sent()), (MediaKind::Video, s.video_sent())] {
        let frames: Vec<_> = r.frames_from(s.index(), kind).collect();
        // Loopback loses nothing and the clock is simulated: every frame arrives.
        assert!(
            u32::try_from(frames.len()) == Ok(sent) && sent > 0,
            "{receiver} got {} of {sent} {kind:?} frames from {sender}",
            frames.len()
        );
        assert!(frames.iter().all(|f| f.intact), "{receiver}: a {kind:?} frame was altered");
        assert!(frames.iter().all(|f| f.stream == sender), "{receiver}: wrong stream id");
        let mut seqs: Vec<u32> = frames.iter().map(|f| f.seq).collect();
        seqs.dedup();
        assert_eq!(seqs.len(), frames.len(), "{receiver}: duplicated {kind:?} frames");
    }
}

#[test]
fn media_is_forwarded_to_everyone_else_in_the_room_and_nowhere_else() {
    let mut h = Harness::new();
    h.join("group-12-2027-01-06", "alice", true, true);
    h.join("group-12-2027-01-06", "bob", true, true);
    h.join("group-12-2027-01-06", "carol", true, true);
    h.join("group-7-2027-01-06", "dave", true, true);

    assert!(
        h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob", "carol"])
            && h.client("dave").seen().connected),
        "clients never connected and negotiated"
    );
    for id in ["alice", "bob", "carol", "dave"] {
        assert!(h.reported_connected(id), "no Connected event for {id}");
    }
    let mut members = h.sfu.room_members(&RoomKey::new("group-12-2027-01-06"));
    members.sort();
    assert_eq!(members, [pid("alice"), pid("bob"), pid("carol")]);
    assert_eq!(h.sfu.room_members(&RoomKey::new("group-7-2027-01-06")), [pid("dave")]);

    // Three simulated seconds: 150 Opus and 75 VP8 frames from each of the four.
    h.publish(3 * SECOND);

    for (receiver, senders) in
        [("alice", ["bob", "carol"]), ("bob", ["alice", "carol"]), ("carol", ["alice", "bob"])]
    {
        for sender in senders {
            assert_forwarded(&h, receiver, sender);
        }
        let dave = h.client("dave").index();
        let own = h.client(receiver).index();
        assert!(
            h.client(receiver).seen().frames.iter().all(|f| f.sender != dave && f.sender != own),
            "{receiver} got frames from outside the room or its own"
        );
    }
    let dave = h.client("dave");
    assert_eq!(dave.audio_sent(), 150);
    assert!(dave.seen().frames.is_empty(), "dave, alone in his room, received media");
    assert!(dave.seen().incoming.is_empty(), "dave was offered tracks from another room");
    assert_eq!(dave.offers_received, 0);
    assert_eq!(h.unrouted, 0, "datagrams reached the SFU that no participant accepted");
}

#[test]
fn leaving_closes_the_connection_and_withdraws_the_tracks() {
    let room = "individual-3-2027-01-06";
    let mut h = Harness::new();
    h.join(room, "alice", true, true);
    h.join(room, "bob", true, false);
    h.join(room, "carol", true, true);
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob", "carol"])));
    h.publish(SECOND);
    assert_forwarded(&h, "alice", "carol");
    assert_forwarded(&h, "bob", "carol");

    let offers_before = [h.client("alice").offers_received, h.client("bob").offers_received];
    assert!(h.sfu.leave(h.now, &pid("carol")));
    assert!(!h.sfu.leave(h.now, &pid("carol")), "leaving twice");
    h.step();

    assert_eq!(h.left(), [("carol".to_owned(), LeaveReason::Left)]);
    assert_eq!(h.sfu.room_members(&RoomKey::new(room)), [pid("alice"), pid("bob")]);
    assert_eq!(h.sfu.room_of(&pid("carol")), None);
    assert!(
        h.client("carol").seen().closed,
        "carol's client did not see the SFU close the connection"
    );
    // The others are offered the same session with carol's m-lines stopped.
    assert_eq!(h.client("alice").offers_received, offers_before[0] + 1);
    assert_eq!(h.client("bob").offers_received, offers_before[1] + 1);
    for id in ["alice", "bob"] {
        let c = h.client(id);
        let mid = c.incoming_mid(&pid("carol"), MediaKind::Audio).expect("carol's audio mid");
        let media = c.rtc().media(mid).expect("the m-line stays in the SDP");
        assert!(!media.direction().is_receiving(), "{id} still expects carol's audio");
    }

    // Carol's client keeps sending: nothing of it reaches the others any more, and the rest of
    // the room goes on.
    let carol = h.client("carol").index();
    let before: Vec<usize> = ["alice", "bob"]
        .iter()
        .map(|id| h.client(id).seen().frames.iter().filter(|f| f.sender == carol).count())
        .collect();
    let alice_audio_before =
        h.client("bob").frames_from(h.client("alice").index(), MediaKind::Audio).count();
    h.publish(SECOND);
    let after: Vec<usize> = ["alice", "bob"]
        .iter()
        .map(|id| h.client(id).seen().frames.iter().filter(|f| f.sender == carol).count())
        .collect();
    assert_eq!(before, after, "carol's media was still forwarded after she left");
    let alice_audio_after =
        h.client("bob").frames_from(h.client("alice").index(), MediaKind::Audio).count();
    assert!(alice_audio_after >= alice_audio_before + 48, "alice to bob stopped");

    // The same person can come back with a new connection.
    h.clients.retain(|c| c.id().as_str() != "carol");
    h.join(room, "carol", true, true);
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob", "carol"])));
}

#[test]
fn the_last_one_out_closes_the_room() {
    let mut h = Harness::new();
    h.join("group-1-2027-01-06", "alice", true, false);
    assert!(h.run_until(5 * SECOND, |h| h.client("alice").seen().connected));
    assert_eq!(h.sfu.rooms(), [RoomKey::new("group-1-2027-01-06")]);
    assert!(h.sfu.leave(h.now, &pid("alice")));
    assert!(h.sfu.rooms().is_empty());
}

#[test]
fn a_silent_peer_is_dropped_once_ice_consent_lapses() {
    let room = "group-2-2027-01-06";
    let mut h = Harness::new();
    h.join(room, "alice", true, true);
    h.join(room, "bob", true, true);
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob"])));

    // Bob's browser crashes: no more datagrams, no goodbye.
    h.client_mut("bob").frozen = true;
    let dropped = h.run_until(30 * SECOND, |h| !h.left().is_empty());
    assert!(dropped, "bob was never dropped");
    assert_eq!(h.left(), [("bob".to_owned(), LeaveReason::Disconnected)]);
    assert_eq!(h.sfu.room_members(&RoomKey::new(room)), [pid("alice")]);
    assert!(h.sfu.is_connected(&pid("alice")), "alice was dropped too");
}

#[test]
fn a_peer_that_never_connects_is_dropped() {
    let mut h = Harness::new();
    let room = RoomKey::new("group-3-2027-01-06");
    // Eve's offer names her address, but her answer never reaches her and she never sends a
    // datagram: ICE gives up on her.
    let (_eve, offer) = Client::new("eve", 8, h.now, true, false);
    h.sfu.join(h.now, room.clone(), pid("eve"), offer).expect("join");
    // Frank's offer has no candidate and none is ever trickled: only the connect timeout
    // (30 s by default) ends his wait.
    let mut frank = str0m::Rtc::new(h.now);
    let mut api = frank.sdp_api();
    api.add_media(MediaKind::Audio, str0m::media::Direction::SendOnly, None, None, None);
    let (offer, _pending) = api.apply().expect("an offer");
    h.sfu.join(h.now, room, pid("frank"), offer).expect("join");

    let start = h.now;
    assert!(h.run_until(25 * SECOND, |h| !h.left().is_empty()), "eve was never dropped");
    assert_eq!(h.left(), [("eve".to_owned(), LeaveReason::ConnectTimeout)]);
    assert!(h.run_until(15 * SECOND, |h| h.left().len() == 2), "frank was never dropped");
    assert_eq!(h.left()[1], ("frank".to_owned(), LeaveReason::ConnectTimeout));
    assert!(h.now - start >= 30 * SECOND, "frank was dropped before his 30 s were up");
    assert!(h.sfu.rooms().is_empty());
}

#[test]
fn keyframe_requests_reach_the_publisher() {
    let room = "group-4-2027-01-06";
    let mut h = Harness::new();
    h.join(room, "alice", false, true);
    h.join(room, "bob", true, false);
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob"])));
    h.publish(SECOND);
    h.advance(SECOND);

    let before = h.client("alice").seen().keyframe_requests.len();
    let alice_video = h.client("alice").video_mid().expect("alice's video mid");
    let mid = h.client("bob").incoming_mid(&pid("alice"), MediaKind::Video).expect("forwarded");
    let mut writer = h.client_mut("bob").rtc_mut().writer(mid).expect("a writer for the mid");
    assert!(writer.is_request_keyframe_possible(KeyframeRequestKind::Pli));
    writer.request_keyframe(None, KeyframeRequestKind::Pli).expect("request a keyframe");
    h.client_mut("bob").drain();
    assert!(h.run_until(SECOND, |h| h.client("alice").seen().keyframe_requests.len() > before));
    let request = h.client("alice").seen().keyframe_requests.last().expect("a request");
    assert_eq!(request.mid, alice_video);
}

#[test]
fn signalling_errors() {
    let mut h = Harness::new();
    h.join("group-5-2027-01-06", "alice", true, false);
    let (_c, offer) = Client::new("alice", 1, h.now, true, false);
    let err = h.sfu.join(h.now, RoomKey::new("group-5-2027-01-06"), pid("alice"), offer);
    assert!(matches!(err, Err(hearth_video::SfuError::AlreadyJoined(_))));

    let (_c, offer) = Client::new("nobody", 2, h.now, true, false);
    let err = h.sfu.renegotiate(h.now, &pid("nobody"), offer);
    assert!(matches!(err, Err(hearth_video::SfuError::UnknownParticipant(_))));

    let mut config = SfuConfig::new("127.0.0.1:9".parse().expect("an address"));
    config.room_capacity = 1;
    let mut small = Sfu::new(config).expect("an SFU");
    let now = Instant::now();
    let (_a, offer) = Client::new("a", 1, now, true, false);
    small.join(now, RoomKey::new("r"), pid("a"), offer).expect("first joins");
    let (_b, offer) = Client::new("b", 2, now, true, false);
    let err = small.join(now, RoomKey::new("r"), pid("b"), offer);
    assert!(matches!(err, Err(hearth_video::SfuError::RoomFull(_))));

    let unspecified = SfuConfig::new("0.0.0.0:5000".parse().expect("an address"));
    assert!(matches!(Sfu::new(unspecified), Err(hearth_video::SfuError::BadPublicAddress(_))));

    // An answer nobody asked for.
    let (mut c, offer) = Client::new("zed", 3, now, true, false);
    let answer = small.join(now, RoomKey::new("other"), pid("zed"), offer).expect("join");
    c.accept_answer(answer);
    let (_z, stray_offer) = Client::new("stray", 4, now, true, false);
    let mut stray = str0m::Rtc::new(now);
    let stray_answer = stray.sdp_api().accept_offer(stray_offer).expect("an answer");
    let err = small.accept_answer(now, &pid("zed"), stray_answer);
    assert!(matches!(err, Err(hearth_video::SfuError::NoPendingOffer(_))));
}

/// The tokio driver, in real time: two clients connect through [`hearth_video::spawn`], exchange
/// a second of media, and one leaves.
#[tokio::test]
async fn the_tokio_driver_runs_a_room_in_real_time() {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind the SFU socket");
    let sfu = Sfu::new(SfuConfig::new(socket.local_addr().expect("address"))).expect("an SFU");
    let (handle, events, task) = hearth_video::spawn(socket, sfu);
    let room = RoomKey::new("group-9-2027-01-06");

    let mut live = Live { handle, events, clients: Vec::new(), seen: Vec::new() };
    for (index, id) in [(1, "alice"), (2, "bob")] {
        let (mut client, offer) = Client::new(id, index, Instant::now(), true, true);
        let answer = live.handle.join(room.clone(), pid(id), offer).await.expect("join");
        client.accept_answer(answer);
        live.clients.push(client);
    }

    let wired = |live: &Live| {
        live.clients.iter().all(|c| c.seen().connected && c.seen().incoming.len() == 2)
    };
    let start = Instant::now();
    while !wired(&live) {
        assert!(start.elapsed() < 10 * SECOND, "clients never connected and negotiated");
        live.pump().await;
    }

    // One second of media in real time.
    let begin = Instant::now();
    let mut tick = 0_u32;
    while begin.elapsed() < SECOND {
        let due = begin + common::AUDIO_EVERY * tick;
        if Instant::now() >= due {
            let now = Instant::now();
            for c in &mut live.clients {
                c.send_audio(now);
                if tick.is_multiple_of(2) {
                    c.send_video(now);
                }
            }
            tick += 1;
        }
        live.pump().await;
    }
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(300) {
        live.pump().await;
    }

    for (receiver, sender) in [(0, 1), (1, 0)] {
        let (r, s) = (&live.clients[receiver], &live.clients[sender]);
        for (kind, sent) in [(MediaKind::Audio, s.audio_sent()), (MediaKind::Video, s.video_sent())]
        {
            let got = u32::try_from(r.frames_from(s.index(), kind).count()).expect("few frames");
            assert!(
                got + 2 >= sent && sent >= 20,
                "{} got {got} of {sent} {kind:?} frames",
                r.id()
            );
            assert!(r.frames_from(s.index(), kind).all(|f| f.intact));
        }
    }
    assert!(live.seen.iter().filter(|e| matches!(e, SfuEvent::Connected { .. })).count() == 2);

    assert!(live.handle.leave(pid("bob")).await.expect("the SFU runs"));
    assert_eq!(live.handle.room_members(room.clone()).await.expect("the SFU runs"), [pid("alice")]);
    let start = Instant::now();
    while !live.clients[1].seen().closed {
        assert!(start.elapsed() < 5 * SECOND, "bob's client never saw the connection close");
        live.pump().await;
    }
    assert!(live.seen.iter().any(|e| matches!(
        e,
        SfuEvent::Left { participant, reason: LeaveReason::Left, .. } if participant.as_str() == "bob"
    )));

    // Dropping the last handle stops the task.
    let Live { handle, events, .. } = live;
    drop(handle);
    drop(events);
    let stopped = tokio::time::timeout(5 * SECOND, task).await.expect("the task stops");
    stopped.expect("the task did not panic").expect("the socket did not fail");
}

struct Live {
    handle: hearth_video::SfuHandle,
    events: tokio::sync::mpsc::UnboundedReceiver<SfuEvent>,
    clients: Vec<Client>,
    seen: Vec<SfuEvent>,
}

impl Live {
    /// Delivers the SFU's offers, moves the clients' datagrams, and yields to the SFU task.
    async fn pump(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            if let SfuEvent::Offer { participant, offer } = event {
                let client = self.clients.iter_mut().find(|c| *c.id() == participant);
                let answer = client.expect("a client").accept_offer(offer);
                self.handle.accept_answer(participant, answer).await.expect("answer accepted");
            } else {
                self.seen.push(event);
            }
        }
        let now = Instant::now();
        for c in &mut self.clients {
            c.receive(now);
            c.tick(now);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[test]
fn a_participant_can_start_and_stop_a_camera_after_joining() {
    let room = "group-6-2027-01-06";
    let mut h = Harness::new();
    h.join(room, "alice", true, false);
    h.join(room, "bob", true, false);
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob"])));

    // Carol joins while the SFU's offers are held back, so alice has one outstanding when she
    // offers her camera: the SFU (the impolite peer) refuses, alice answers it and offers again.
    h.hold_offers = true;
    h.join(room, "carol", true, false);
    // str0m reports carol's tracks once her connection is up; then alice is offered them.
    assert!(h.run_until(5 * SECOND, |h| h.held.iter().any(|(p, _)| p.as_str() == "alice")));
    let offer = h.client_mut("alice").offer_video();
    let refused = h.sfu.renegotiate(h.now, &pid("alice"), offer);
    assert!(matches!(refused, Err(hearth_video::SfuError::NegotiationInProgress(_))));
    h.hold_offers = false;
    for (participant, offer) in std::mem::take(&mut h.held) {
        let answer = h.client_mut(participant.as_str()).accept_offer(offer);
        h.sfu.accept_answer(h.now, &participant, answer).expect("answer accepted");
    }
    let offer = h.client_mut("alice").offer_video();
    let answer = h.sfu.renegotiate(h.now, &pid("alice"), offer).expect("renegotiated");
    h.client_mut("alice").accept_answer(answer);
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob", "carol"])));

    h.publish(SECOND);
    assert_forwarded(&h, "bob", "alice");
    assert_forwarded(&h, "carol", "alice");

    // Alice turns her camera off: the others are offered the m-line stopped.
    let offers_before = h.client("bob").offers_received;
    let offer = h.client_mut("alice").offer_stop_video();
    let answer = h.sfu.renegotiate(h.now, &pid("alice"), offer).expect("renegotiated");
    h.client_mut("alice").accept_answer(answer);
    h.step();
    assert_eq!(h.client("bob").offers_received, offers_before + 1);
    for id in ["bob", "carol"] {
        let c = h.client(id);
        let mid = c.incoming_mid(&pid("alice"), MediaKind::Video).expect("alice's video mid");
        let media = c.rtc().media(mid).expect("the m-line stays in the SDP");
        assert!(!media.direction().is_receiving(), "{id} still expects alice's video");
        let audio = c.incoming_mid(&pid("alice"), MediaKind::Audio).expect("alice's audio mid");
        assert!(c.rtc().media(audio).expect("audio").direction().is_receiving());
    }
}

/// Frames `receiver` has from `sender`, audio and video.
fn counts(h: &Harness, receiver: &str, sender: &str) -> (usize, usize) {
    let (r, s) = (h.client(receiver), h.client(sender));
    (
        r.frames_from(s.index(), MediaKind::Audio).count(),
        r.frames_from(s.index(), MediaKind::Video).count(),
    )
}

#[test]
fn a_muted_publishers_audio_stops_reaching_the_others_while_its_video_flows_until_unmuted() {
    let room = "group-10-2027-01-06";
    let mut h = Harness::new();
    for id in ["alice", "bob", "carol"] {
        h.join(room, id, true, true);
    }
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob", "carol"])));
    h.publish(SECOND);
    let before = [counts(&h, "bob", "alice"), counts(&h, "carol", "alice")];
    let bob_to_alice = counts(&h, "alice", "bob").0;
    assert!(before.iter().all(|&(audio, video)| audio >= 48 && video >= 23), "{before:?}");

    // The host mutes alice; her client keeps sending audio (as an edited page would).
    h.sfu.set_forwarding(h.now, &pid("alice"), MediaKind::Audio, false).expect("alice is there");
    assert_eq!(h.sfu.is_forwarding(&pid("alice"), MediaKind::Audio), Some(false));
    assert_eq!(h.sfu.is_forwarding(&pid("alice"), MediaKind::Video), Some(true));
    let sent = h.client("alice").audio_sent();
    h.publish(SECOND);
    assert!(h.client("alice").audio_sent() >= sent + 50, "alice kept sending audio");
    for (receiver, (audio, video)) in ["bob", "carol"].into_iter().zip(before) {
        let (audio_now, video_now) = counts(&h, receiver, "alice");
        assert_eq!(audio_now, audio, "{receiver} still hears the muted alice");
        assert!(video_now >= video + 23, "{receiver}: alice's video stopped too ({video_now})");
    }
    // The hold is on what alice sends, not on what she hears.
    assert!(counts(&h, "alice", "bob").0 >= bob_to_alice + 48, "alice stopped hearing bob");

    // Unmuted: her audio reaches both again, intact.
    h.sfu.set_forwarding(h.now, &pid("alice"), MediaKind::Audio, true).expect("alice is there");
    let held = [counts(&h, "bob", "alice").0, counts(&h, "carol", "alice").0];
    h.publish(SECOND);
    for (receiver, audio) in ["bob", "carol"].into_iter().zip(held) {
        assert!(counts(&h, receiver, "alice").0 >= audio + 48, "{receiver} does not hear alice");
        let r = h.client(receiver);
        assert!(r.frames_from(h.client("alice").index(), MediaKind::Audio).all(|f| f.intact));
    }
}

#[test]
fn a_camera_the_host_turned_off_shows_nothing_until_allowed_again_and_then_a_keyframe_is_asked_for()
{
    let room = "group-11-2027-01-06";
    let mut h = Harness::new();
    h.join(room, "alice", true, true);
    h.join(room, "bob", true, true);
    assert!(h.run_until(5 * SECOND, |h| all_wired(h, &["alice", "bob"])));
    h.publish(SECOND);

    h.sfu.set_forwarding(h.now, &pid("alice"), MediaKind::Video, false).expect("alice is there");
    let (audio, video) = counts(&h, "bob", "alice");
    h.publish(SECOND);
    let (audio_now, video_now) = counts(&h, "bob", "alice");
    assert_eq!(video_now, video, "bob still sees alice");
    assert!(audio_now >= audio + 48, "bob stopped hearing alice");

    let requests = h.client("alice").seen().keyframe_requests.len();
    h.sfu.set_forwarding(h.now, &pid("alice"), MediaKind::Video, true).expect("alice is there");
    h.publish(SECOND);
    assert!(counts(&h, "bob", "alice").1 >= video + 23, "alice's video did not come back");
    assert!(
        h.client("alice").seen().keyframe_requests.len() > requests,
        "no keyframe was asked for"
    );

    let unknown = h.sfu.set_forwarding(h.now, &pid("nobody"), MediaKind::Audio, false);
    assert!(matches!(unknown, Err(hearth_video::SfuError::UnknownParticipant(_))));
    assert_eq!(h.sfu.is_forwarding(&pid("nobody"), MediaKind::Audio), None);
}
