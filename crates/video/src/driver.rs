//! Runs an [`Sfu`] on a tokio UDP socket.
//!
//! One task owns the socket and the [`Sfu`]; everything else talks to it through an
//! [`SfuHandle`] (cloneable) and reads [`SfuEvent`]s from a channel. The task ends when every
//! handle is dropped.

use std::io;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::ids::{ParticipantId, RoomKey};
use crate::sfu::{Sfu, SfuError, SfuEvent, SfuOutput};
use crate::{Candidate, MediaKind, SdpAnswer, SdpOffer};

/// Large enough for any datagram WebRTC sends (str0m keeps under 1500 bytes).
const RECEIVE_BUFFER: usize = 2048;

/// The kernel buffers the SFU's socket asks for (the kernel caps them at `net.core.rmem_max`
/// and `wmem_max`). The default, about 208 KiB, holds some 20 ms of a thousand streams, so
/// any stall of the SFU's thread longer than that drops packets; 4 MiB rides out a few
/// hundred milliseconds.
pub const SOCKET_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// Binds a non-blocking UDP socket for an SFU (or anything carrying as much media), asking
/// the kernel for [`SOCKET_BUFFER_BYTES`] of receive and send buffer. A kernel that grants less
/// is not an error; the sizes it granted can be read back from the socket.
pub fn bind_socket(addr: std::net::SocketAddr) -> io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES) {
        tracing::warn!(error = %e, "could not enlarge the SFU socket's receive buffer");
    }
    if let Err(e) = socket.set_send_buffer_size(SOCKET_BUFFER_BYTES) {
        tracing::warn!(error = %e, "could not enlarge the SFU socket's send buffer");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Commands queued to the SFU task before callers wait.
const COMMAND_QUEUE: usize = 256;

type Reply<T> = oneshot::Sender<T>;

#[derive(Debug)]
enum Command {
    Join {
        room: RoomKey,
        participant: ParticipantId,
        offer: SdpOffer,
        reply: Reply<Result<SdpAnswer, SfuError>>,
    },
    Answer {
        participant: ParticipantId,
        answer: SdpAnswer,
        reply: Reply<Result<(), SfuError>>,
    },
    Renegotiate {
        participant: ParticipantId,
        offer: SdpOffer,
        reply: Reply<Result<SdpAnswer, SfuError>>,
    },
    Candidate {
        participant: ParticipantId,
        candidate: Candidate,
        reply: Reply<Result<(), SfuError>>,
    },
    Forwarding {
        participant: ParticipantId,
        kind: MediaKind,
        allowed: bool,
        reply: Reply<Result<(), SfuError>>,
    },
    Leave {
        participant: ParticipantId,
        reply: Reply<bool>,
    },
    Members {
        room: RoomKey,
        reply: Reply<Vec<ParticipantId>>,
    },
}

/// The SFU task has stopped (its socket failed, or it panicked).
#[derive(Debug, thiserror::Error)]
#[error("the SFU task has stopped")]
pub struct Stopped;

/// Errors from [`SfuHandle`] calls that can fail in the SFU itself.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Sfu(#[from] SfuError),
    #[error(transparent)]
    Stopped(#[from] Stopped),
}

/// Talks to the SFU task started by [`spawn`]. Each call is one message to the task.
#[derive(Debug, Clone)]
pub struct SfuHandle {
    commands: mpsc::Sender<Command>,
}

impl SfuHandle {
    /// See [`Sfu::join`].
    ///
    /// # Errors
    ///
    /// The SFU's own error for the call, or [`Stopped`] when the SFU task has ended.
    pub async fn join(
        &self,
        room: RoomKey,
        participant: ParticipantId,
        offer: SdpOffer,
    ) -> Result<SdpAnswer, HandleError> {
        Ok(self.call(|reply| Command::Join { room, participant, offer, reply }).await??)
    }

    /// See [`Sfu::accept_answer`].
    ///
    /// # Errors
    ///
    /// The SFU's own error for the call, or [`Stopped`] when the SFU task has ended.
    pub async fn accept_answer(
        &self,
        participant: ParticipantId,
        answer: SdpAnswer,
    ) -> Result<(), HandleError> {
        Ok(self.call(|reply| Command::Answer { participant, answer, reply }).await??)
    }

    /// See [`Sfu::renegotiate`].
    ///
    /// # Errors
    ///
    /// The SFU's own error for the call, or [`Stopped`] when the SFU task has ended.
    pub async fn renegotiate(
        &self,
        participant: ParticipantId,
        offer: SdpOffer,
    ) -> Result<SdpAnswer, HandleError> {
        Ok(self.call(|reply| Command::Renegotiate { participant, offer, reply }).await??)
    }

    /// See [`Sfu::add_remote_candidate`].
    ///
    /// # Errors
    ///
    /// The SFU's own error for the call, or [`Stopped`] when the SFU task has ended.
    pub async fn add_remote_candidate(
        &self,
        participant: ParticipantId,
        candidate: Candidate,
    ) -> Result<(), HandleError> {
        Ok(self.call(|reply| Command::Candidate { participant, candidate, reply }).await??)
    }

    /// See [`Sfu::set_forwarding`].
    ///
    /// # Errors
    ///
    /// The SFU's own error for the call, or [`Stopped`] when the SFU task has ended.
    pub async fn set_forwarding(
        &self,
        participant: ParticipantId,
        kind: MediaKind,
        allowed: bool,
    ) -> Result<(), HandleError> {
        Ok(self.call(|reply| Command::Forwarding { participant, kind, allowed, reply }).await??)
    }

    /// See [`Sfu::leave`].
    ///
    /// # Errors
    ///
    /// [`Stopped`] when the SFU task has ended.
    pub async fn leave(&self, participant: ParticipantId) -> Result<bool, Stopped> {
        self.call(|reply| Command::Leave { participant, reply }).await
    }

    /// See [`Sfu::room_members`].
    ///
    /// # Errors
    ///
    /// [`Stopped`] when the SFU task has ended.
    pub async fn room_members(&self, room: RoomKey) -> Result<Vec<ParticipantId>, Stopped> {
        self.call(|reply| Command::Members { room, reply }).await
    }

    async fn call<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).await.map_err(|_| Stopped)?;
        answer.await.map_err(|_| Stopped)
    }
}

/// Starts the SFU task on the current tokio runtime. Returns the handle, the events for the
/// signalling layer (offers to deliver, connects and leaves to record), and the task, which
/// ends when every handle is dropped or fails when the socket does.
pub fn spawn(
    socket: UdpSocket,
    sfu: Sfu,
) -> (SfuHandle, mpsc::UnboundedReceiver<SfuEvent>, JoinHandle<io::Result<()>>) {
    let (commands_tx, commands) = mpsc::channel(COMMAND_QUEUE);
    let (events_tx, events) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(socket, sfu, commands, events_tx));
    (SfuHandle { commands: commands_tx }, events, task)
}

async fn run(
    socket: UdpSocket,
    mut sfu: Sfu,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<SfuEvent>,
) -> io::Result<()> {
    let mut buf = vec![0_u8; RECEIVE_BUFFER];
    loop {
        let deadline = loop {
            match sfu.poll_output() {
                SfuOutput::Transmit(t) => {
                    if let Err(e) = socket.send_to(&t.contents, t.destination).await {
                        tracing::debug!(destination = %t.destination, error = %e, "send failed");
                    }
                }
                SfuOutput::Event(e) => {
                    // Nobody listening is not the SFU's problem.
                    let _ = events.send(e);
                }
                SfuOutput::Timeout(t) => break t,
            }
        };

        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else {
                    return Ok(());
                };
                execute(&mut sfu, command);
            }
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, source)) => {
                    sfu.handle_receive(Instant::now(), source, &buf[..n]);
                }
                Err(e) if is_transient(&e) => {
                    tracing::debug!(error = %e, "receive failed");
                }
                Err(e) => return Err(e),
            },
            () = tokio::time::sleep_until(deadline.into()) => {
                sfu.handle_timeout(Instant::now());
            }
        }
    }
}

fn execute(sfu: &mut Sfu, command: Command) {
    let now = Instant::now();
    // A caller that gave up waiting does not stop the command.
    match command {
        Command::Join { room, participant, offer, reply } => {
            let _ = reply.send(sfu.join(now, room, participant, offer));
        }
        Command::Answer { participant, answer, reply } => {
            let _ = reply.send(sfu.accept_answer(now, &participant, answer));
        }
        Command::Renegotiate { participant, offer, reply } => {
            let _ = reply.send(sfu.renegotiate(now, &participant, offer));
        }
        Command::Candidate { participant, candidate, reply } => {
            let _ = reply.send(sfu.add_remote_candidate(now, &participant, candidate));
        }
        Command::Forwarding { participant, kind, allowed, reply } => {
            let _ = reply.send(sfu.set_forwarding(now, &participant, kind, allowed));
        }
        Command::Leave { participant, reply } => {
            let _ = reply.send(sfu.leave(now, &participant));
        }
        Command::Members { room, reply } => {
            let _ = reply.send(sfu.room_members(&room));
        }
    }
}

/// Errors a UDP socket reports for an earlier datagram (an ICMP unreachable), not for itself.
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}
