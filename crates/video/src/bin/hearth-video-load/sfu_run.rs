//! The SFU run: the SFU alone on its thread, every participant a [`Client`] on the main one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hearth_video::{RoomKey, Sfu, SfuConfig, SfuEvent};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::args::Args;
use crate::client::{Client, run_client};
use crate::counters::Shared;
use crate::measure::{Window, measure, start_thread};
use crate::procfs::ThreadClock;
use crate::report::{real, real_usize};

const WARM_UP: Duration = Duration::from_secs(3);
const WIRING_LIMIT: Duration = Duration::from_secs(60);

/// What the SFU phase measured.
#[derive(Debug)]
pub struct SfuRun {
    pub window: Window,
    /// RTP packets the subscribers should have received, and did.
    pub expected: u64,
    pub received: u64,
    /// See [`Shared::frames`].
    pub frames: (u64, u64, u64),
    pub retransmissions: u64,
    pub left: usize,
    pub errors: u64,
    pub send_failures: u64,
    /// RTP packets per publisher per second, and bytes per packet, of each kind; the relay
    /// phase sends the same.
    pub audio_rate: f64,
    pub audio_size: usize,
    pub video_rate: f64,
    pub video_size: usize,
    pub video_packets_per_frame: usize,
}

/// Starts the SFU, joins every participant, waits until each receives every track, then
/// measures.
pub async fn run_sfu(args: Args, clients_clock: &ThreadClock) -> Result<SfuRun, String> {
    let total = args.rooms * args.room_size;
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let std_socket = hearth_video::bind_socket(loopback).map_err(|e| e.to_string())?;
    let addr = std_socket.local_addr().map_err(|e| e.to_string())?;
    let (sfu_clock, (handle, mut events), sfu_thread) =
        start_thread("sfu", move |ready| async move {
            let socket = UdpSocket::from_std(std_socket).expect("the SFU socket");
            let sfu = Sfu::new(SfuConfig::new(addr)).expect("an SFU");
            let (handle, events, task) = hearth_video::spawn(socket, sfu);
            let _ = ready.send((handle, events));
            let _ = task.await;
        });

    let shared = Arc::new(Shared::new(total, args.room_size));
    let mut routes = HashMap::new();
    let mut clients = Vec::new();
    for index in 0..total {
        let (client, offer) = Client::new(index, shared.clone()).map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::unbounded_channel();
        routes.insert(client.peer.id.clone(), tx);
        clients.push((client, offer, rx));
    }
    let left = Arc::new(AtomicUsize::new(0));
    let dispatcher = tokio::spawn({
        let left = left.clone();
        async move {
            while let Some(event) = events.recv().await {
                match event {
                    SfuEvent::Offer { participant, offer } => {
                        if let Some(tx) = routes.get(&participant) {
                            let _ = tx.send(offer);
                        }
                    }
                    SfuEvent::Left { .. } => {
                        left.fetch_add(1, Ordering::Relaxed);
                    }
                    SfuEvent::Connected { .. } => {}
                }
            }
        }
    });

    let mut tasks = Vec::new();
    for (mut client, offer, rx) in clients {
        let room = RoomKey::new(format!("load-room-{}", client.index() / args.room_size));
        let answer =
            handle.join(room, client.peer.id.clone(), offer).await.map_err(|e| e.to_string())?;
        client.peer.accept_answer(answer).map_err(|e| e.to_string())?;
        tasks.push(tokio::spawn(run_client(client, rx, handle.clone())));
    }
    let start = Instant::now();
    while shared.wired.load(Ordering::Relaxed) < total {
        if start.elapsed() > WIRING_LIMIT {
            return Err(format!(
                "only {} of {total} participants connected and received every track",
                shared.wired.load(Ordering::Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "sfu: {total} participants connected and wired in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let window = measure(
        &shared.publishing,
        || shared.reset(),
        args.seconds,
        WARM_UP,
        &sfu_clock,
        addr.port(),
        clients_clock,
    )
    .await;
    let (expected, received) = shared.packets();
    let publishers = real_usize(total) * window.wall.as_secs_f64();
    let per = |n: &AtomicU64| real(Shared::get(n));
    let run = SfuRun {
        window,
        expected,
        received,
        frames: shared.frames(),
        retransmissions: Shared::get(&shared.retransmissions_received),
        left: left.load(Ordering::Relaxed),
        errors: Shared::get(&shared.errors),
        send_failures: Shared::get(&shared.send_failures),
        audio_rate: per(&shared.audio_packets) / publishers,
        audio_size: average(&shared.audio_bytes, &shared.audio_packets),
        video_rate: per(&shared.video_packets) / publishers,
        video_size: average(&shared.video_bytes, &shared.video_packets),
        video_packets_per_frame: average(&shared.video_packets, &shared.video_frames),
    };

    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    drop(handle);
    let _ = dispatcher.await;
    let _ = tokio::task::spawn_blocking(move || sfu_thread.join()).await;
    Ok(run)
}

/// `total / count`, rounded.
fn average(total: &AtomicU64, count: &AtomicU64) -> usize {
    let count = Shared::get(count).max(1);
    usize::try_from((Shared::get(total) + count / 2) / count).unwrap_or(usize::MAX)
}
