//! What the participants count, shared between them and the measuring code: per participant,
//! and per run.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Counters of one synthetic participant.
#[derive(Debug, Default)]
pub struct Counters {
    /// RTP media packets sent (not retransmissions).
    pub packets_sent: AtomicU64,
    pub frames_sent: AtomicU64,
    /// RTP media packets received (not retransmissions).
    pub packets_received: AtomicU64,
    /// Frames a verifying subscriber received whole, from someone else in its room.
    pub frames_verified: AtomicU64,
    /// Frames a verifying subscriber received wrong (length, sender).
    pub frames_bad: AtomicU64,
}

/// Everyone's counters, the run's switches (publishing, stop) and what the publishers sent,
/// shared by the participants and the measuring code.
#[derive(Debug)]
pub struct Shared {
    pub publishing: AtomicBool,
    pub stop: AtomicBool,
    pub wired: AtomicUsize,
    pub room_size: usize,
    pub clients: Vec<Counters>,
    pub audio_packets: AtomicU64,
    pub audio_bytes: AtomicU64,
    pub video_packets: AtomicU64,
    pub video_bytes: AtomicU64,
    pub video_frames: AtomicU64,
    pub retransmissions_received: AtomicU64,
    pub send_failures: AtomicU64,
    pub errors: AtomicU64,
}

impl Shared {
    pub fn new(clients: usize, room_size: usize) -> Self {
        Self {
            publishing: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            wired: AtomicUsize::new(0),
            room_size,
            clients: (0..clients).map(|_| Counters::default()).collect(),
            audio_packets: AtomicU64::new(0),
            audio_bytes: AtomicU64::new(0),
            video_packets: AtomicU64::new(0),
            video_bytes: AtomicU64::new(0),
            video_frames: AtomicU64::new(0),
            retransmissions_received: AtomicU64::new(0),
            send_failures: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    pub fn reset(&self) {
        for c in &self.clients {
            for n in [
                &c.packets_sent,
                &c.frames_sent,
                &c.packets_received,
                &c.frames_verified,
                &c.frames_bad,
            ] {
                n.store(0, Ordering::Relaxed);
            }
        }
        for n in [
            &self.audio_packets,
            &self.audio_bytes,
            &self.video_packets,
            &self.video_bytes,
            &self.video_frames,
            &self.retransmissions_received,
            &self.send_failures,
        ] {
            n.store(0, Ordering::Relaxed);
        }
    }

    pub fn get(n: &AtomicU64) -> u64 {
        n.load(Ordering::Relaxed)
    }

    pub fn add(n: &AtomicU64) {
        n.fetch_add(1, Ordering::Relaxed);
    }

    /// (packets the subscribers should have received, packets they received).
    pub fn packets(&self) -> (u64, u64) {
        let mut expected = 0;
        let mut received = 0;
        for (i, c) in self.clients.iter().enumerate() {
            received += Self::get(&c.packets_received);
            expected += self
                .room_of(i)
                .filter(|o| *o != i)
                .map(|o| Self::get(&self.clients[o].packets_sent))
                .sum::<u64>();
        }
        (expected, received)
    }

    /// (frames the verifying subscribers should have received, received whole, received wrong).
    pub fn frames(&self) -> (u64, u64, u64) {
        let (mut expected, mut verified, mut bad) = (0, 0, 0);
        for (i, c) in self.clients.iter().enumerate().filter(|(i, _)| self.verifies(*i)) {
            verified += Self::get(&c.frames_verified);
            bad += Self::get(&c.frames_bad);
            expected += self
                .room_of(i)
                .filter(|o| *o != i)
                .map(|o| Self::get(&self.clients[o].frames_sent))
                .sum::<u64>();
        }
        (expected, verified, bad)
    }

    pub fn room_of(&self, client: usize) -> std::ops::Range<usize> {
        let first = client / self.room_size * self.room_size;
        first..first + self.room_size
    }

    /// The first participant of each room verifies what it receives.
    pub fn verifies(&self, client: usize) -> bool {
        client.is_multiple_of(self.room_size)
    }
}
