//! The baseline: a bare UDP relay on its own thread, driven by senders at the publishers' rate.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hearth_video::synthetic::bind_loopback;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use crate::args::Args;
use crate::counters::Shared;
use crate::measure::{Window, measure, start_thread};
use crate::procfs::ThreadClock;
use crate::sfu_run::SfuRun;
use crate::{AUDIO_EVERY, VIDEO_EVERY};

/// What the relay phase measured.
#[derive(Debug)]
pub struct RelayRun {
    pub window: Window,
    pub expected: u64,
    pub received: u64,
}

/// A bare UDP relay: each datagram to the other members of the sender's room.
async fn relay(socket: UdpSocket, rooms: Vec<Vec<SocketAddr>>, mut stop: oneshot::Receiver<()>) {
    let member_of: HashMap<SocketAddr, usize> = rooms
        .iter()
        .enumerate()
        .flat_map(|(room, members)| members.iter().map(move |m| (*m, room)))
        .collect();
    let mut buf = vec![0_u8; 2048];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = received else { continue };
                let Some(room) = member_of.get(&source) else { continue };
                for peer in rooms[*room].iter().filter(|p| **p != source) {
                    let _ = socket.send_to(&buf[..n], peer).await;
                }
            }
            _ = &mut stop => return,
        }
    }
}

/// A relay sender: `audio` packets every 20 ms and `video` packets every 40 ms, counting what
/// it receives.
async fn relay_client(
    socket: UdpSocket,
    relay: SocketAddr,
    index: usize,
    sizes: (usize, usize, usize),
    shared: Arc<Shared>,
) {
    let (audio_size, video_packets, video_size) = sizes;
    let audio = vec![0x80_u8; audio_size];
    let video = vec![0x80_u8; video_size];
    let offset = AUDIO_EVERY * u32::try_from(index % 16).expect("under 16") / 16;
    let mut next_audio = Instant::now() + offset;
    let mut next_video = next_audio;
    let counters = &shared.clients[index];
    let mut buf = vec![0_u8; 2048];
    let send = |data: &[u8]| {
        if socket.try_send_to(data, relay).is_ok() {
            Shared::add(&counters.packets_sent);
        } else {
            Shared::add(&shared.send_failures);
        }
    };
    while !shared.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let publishing = shared.publishing.load(Ordering::Relaxed);
        while next_audio <= now {
            next_audio += AUDIO_EVERY;
            if publishing {
                send(&audio);
            }
        }
        while next_video <= now {
            next_video += VIDEO_EVERY;
            if publishing {
                for _ in 0..video_packets {
                    send(&video);
                }
            }
        }
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                if received.is_ok() {
                    Shared::add(&counters.packets_received);
                    while socket.try_recv_from(&mut buf).is_ok() {
                        Shared::add(&counters.packets_received);
                    }
                }
            }
            () = tokio::time::sleep_until(next_audio.min(next_video).into()) => {}
        }
    }
}

/// Runs the relay and its senders, at the rate and sizes the SFU run's publishers sent.
pub async fn run_relay(
    args: Args,
    sfu: &SfuRun,
    clients_clock: &ThreadClock,
) -> Result<RelayRun, String> {
    let total = args.rooms * args.room_size;
    let mut sockets = Vec::new();
    for _ in 0..total {
        let socket = bind_loopback().and_then(UdpSocket::from_std);
        sockets.push(socket.map_err(|e| e.to_string())?);
    }
    let addrs: Vec<SocketAddr> = sockets
        .iter()
        .map(UdpSocket::local_addr)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let rooms: Vec<Vec<SocketAddr>> = addrs.chunks(args.room_size).map(<[_]>::to_vec).collect();
    // The same kernel buffers as the SFU's socket, so the two differ only in what they do.
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let std_socket = hearth_video::bind_socket(loopback).map_err(|e| e.to_string())?;
    let relay_addr = std_socket.local_addr().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let (relay_clock, (), relay_thread) = start_thread("relay", move |ready| async move {
        let socket = UdpSocket::from_std(std_socket).expect("the relay socket");
        let _ = ready.send(());
        relay(socket, rooms, stop_rx).await;
    });

    // The publishers' packet rate and sizes, per frame interval.
    let sizes = (sfu.audio_size, sfu.video_packets_per_frame.max(1), sfu.video_size);
    eprintln!(
        "relay: {total} senders, each 1 packet of {} bytes every 20 ms and {} of {} bytes every 40 ms",
        sizes.0, sizes.1, sizes.2
    );
    let shared = Arc::new(Shared::new(total, args.room_size));
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, s)| tokio::spawn(relay_client(s, relay_addr, i, sizes, shared.clone())))
        .collect();
    let window = measure(
        &shared.publishing,
        || shared.reset(),
        args.seconds,
        Duration::from_secs(1),
        &relay_clock,
        relay_addr.port(),
        clients_clock,
    )
    .await;
    let (expected, received) = shared.packets();
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    let _ = stop_tx.send(());
    let _ = tokio::task::spawn_blocking(move || relay_thread.join()).await;
    Ok(RelayRun { window, expected, received })
}
