//! Several SFUs in one process, so that media uses every core.
//!
//! One [`Sfu`] is one task: it never uses more than one core, and the load test shows one
//! core carries about 1,260 forwarded streams (seven rooms of ten). An [`SfuPool`] runs
//! `shards` SFUs, each on its own UDP port, and places every room wholly on one of them (by a
//! hash of its key), since rooms never exchange media. It has the calls of an [`SfuHandle`] and
//! remembers which shard each participant joined, so callers need not.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::driver::{HandleError, SfuHandle, Stopped, bind_socket};
use crate::ids::{ParticipantId, RoomKey};
use crate::sfu::{Sfu, SfuConfig, SfuError, SfuEvent};
use crate::{MediaKind, SdpAnswer, SdpOffer};

/// Where a pool's shards listen and what they advertise.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// The first shard's address. With port 0 every shard takes a free port; with port `P`
    /// the shards take `P`, `P + 1`, …
    pub bind: SocketAddr,
    /// The address browsers reach the first shard at, when it is not the bound one (a public
    /// IP, a NAT). Its port counts up with the shards like `bind`'s; port 0 means "the port
    /// the shard bound".
    pub public: Option<SocketAddr>,
    /// How many SFUs; at least one.
    pub shards: usize,
}

/// Several SFUs; see the module documentation.
#[derive(Debug, Clone)]
pub struct SfuPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shards: Vec<SfuHandle>,
    addresses: Vec<SocketAddr>,
    /// The shard each joined participant is on, until it leaves.
    placed: Mutex<HashMap<ParticipantId, usize>>,
}

/// A running pool, the events of all its SFUs, and their tasks (which end when every clone of
/// the pool is dropped, or fail when a socket does).
#[derive(Debug)]
pub struct StartedPool {
    pub pool: SfuPool,
    pub events: mpsc::UnboundedReceiver<SfuEvent>,
    pub tasks: Vec<JoinHandle<io::Result<()>>>,
}

/// Why a pool could not start.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("binding the video port {address}: {source}")]
    Bind { address: SocketAddr, source: io::Error },
    #[error(transparent)]
    Sfu(#[from] SfuError),
}

impl SfuPool {
    /// Binds every shard's socket, starts its SFU task on the current tokio runtime, and
    /// merges their events into one channel. The tasks end when every clone of the pool is
    /// dropped.
    ///
    /// # Errors
    ///
    /// A socket that cannot be bound, or an address that cannot be an ICE candidate
    /// (unspecified, like `0.0.0.0`, with no public address given).
    pub fn start(config: PoolConfig) -> Result<StartedPool, PoolError> {
        let count = config.shards.max(1);
        let (events_tx, events) = mpsc::unbounded_channel();
        let mut shards = Vec::with_capacity(count);
        let mut addresses = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        let mut receivers = Vec::with_capacity(count);
        for i in 0..count {
            let offset = u16::try_from(i).unwrap_or(u16::MAX);
            let mut address = config.bind;
            if address.port() != 0 {
                address.set_port(address.port().saturating_add(offset));
            }
            let std_socket =
                bind_socket(address).map_err(|source| PoolError::Bind { address, source })?;
            let socket = tokio::net::UdpSocket::from_std(std_socket)
                .map_err(|source| PoolError::Bind { address, source })?;
            let bound =
                socket.local_addr().map_err(|source| PoolError::Bind { address, source })?;
            let public = match config.public {
                Some(mut public) => {
                    let port = if public.port() == 0 {
                        bound.port()
                    } else {
                        public.port().saturating_add(offset)
                    };
                    public.set_port(port);
                    public
                }
                None => bound,
            };
            let sfu = Sfu::new(SfuConfig::new(public))?;
            let (handle, shard_events, task) = crate::driver::spawn(socket, sfu);
            shards.push(handle);
            addresses.push(public);
            tasks.push(task);
            receivers.push(shard_events);
        }
        let pool = Self {
            inner: Arc::new(Inner { shards, addresses, placed: Mutex::new(HashMap::new()) }),
        };
        for mut shard_events in receivers {
            let events_tx = events_tx.clone();
            // A weak reference: the forwarder must not keep the pool (and so the SFUs) alive.
            let inner = Arc::downgrade(&pool.inner);
            tokio::spawn(async move {
                while let Some(event) = shard_events.recv().await {
                    if let (SfuEvent::Left { participant, .. }, Some(inner)) =
                        (&event, inner.upgrade())
                    {
                        inner.placed().remove(participant);
                    }
                    if events_tx.send(event).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(StartedPool { pool, events, tasks })
    }

    /// The address browsers send media to, per shard.
    #[must_use]
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.inner.addresses
    }

    /// The shard a room lives on.
    #[must_use]
    pub fn shard_of(&self, room: &RoomKey) -> usize {
        let mut hasher = DefaultHasher::new();
        room.hash(&mut hasher);
        let count = self.inner.shards.len() as u64;
        usize::try_from(hasher.finish() % count).unwrap_or(0)
    }

    /// See [`Sfu::join`]; the participant joins its room's shard.
    ///
    /// # Errors
    ///
    /// As [`SfuHandle::join`].
    pub async fn join(
        &self,
        room: RoomKey,
        participant: ParticipantId,
        offer: SdpOffer,
    ) -> Result<SdpAnswer, HandleError> {
        let shard = self.shard_of(&room);
        self.inner.placed().insert(participant.clone(), shard);
        let answer = self.inner.shards[shard].join(room, participant.clone(), offer).await;
        if answer.is_err() {
            self.inner.placed().remove(&participant);
        }
        answer
    }

    /// See [`Sfu::accept_answer`].
    ///
    /// # Errors
    ///
    /// As [`SfuHandle::accept_answer`]; an unknown participant is [`SfuError::UnknownParticipant`].
    pub async fn accept_answer(
        &self,
        participant: ParticipantId,
        answer: SdpAnswer,
    ) -> Result<(), HandleError> {
        self.shard_for(&participant)?.accept_answer(participant, answer).await
    }

    /// See [`Sfu::renegotiate`].
    ///
    /// # Errors
    ///
    /// As [`SfuHandle::renegotiate`]; an unknown participant is [`SfuError::UnknownParticipant`].
    pub async fn renegotiate(
        &self,
        participant: ParticipantId,
        offer: SdpOffer,
    ) -> Result<SdpAnswer, HandleError> {
        self.shard_for(&participant)?.renegotiate(participant, offer).await
    }

    /// See [`Sfu::set_forwarding`].
    ///
    /// # Errors
    ///
    /// As [`SfuHandle::set_forwarding`]; an unknown participant is
    /// [`SfuError::UnknownParticipant`].
    pub async fn set_forwarding(
        &self,
        participant: ParticipantId,
        kind: MediaKind,
        allowed: bool,
    ) -> Result<(), HandleError> {
        self.shard_for(&participant)?.set_forwarding(participant, kind, allowed).await
    }

    /// See [`Sfu::leave`]. Returns whether the participant was in a room.
    ///
    /// # Errors
    ///
    /// [`Stopped`] when its SFU task has ended.
    pub async fn leave(&self, participant: ParticipantId) -> Result<bool, Stopped> {
        let shard = self.inner.placed().remove(&participant);
        match shard {
            Some(shard) => self.inner.shards[shard].leave(participant).await,
            None => Ok(false),
        }
    }

    /// See [`Sfu::room_members`].
    ///
    /// # Errors
    ///
    /// [`Stopped`] when the room's SFU task has ended.
    pub async fn room_members(&self, room: RoomKey) -> Result<Vec<ParticipantId>, Stopped> {
        self.inner.shards[self.shard_of(&room)].room_members(room).await
    }

    fn shard_for(&self, participant: &ParticipantId) -> Result<&SfuHandle, HandleError> {
        let shard = self.inner.placed().get(participant).copied();
        shard
            .map(|s| &self.inner.shards[s])
            .ok_or_else(|| SfuError::UnknownParticipant(participant.clone()).into())
    }
}

impl Inner {
    fn placed(&self) -> MutexGuard<'_, HashMap<ParticipantId, usize>> {
        // Plain map: still usable after a panic elsewhere.
        self.placed.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(bind: &str, public: Option<&str>, shards: usize) -> PoolConfig {
        PoolConfig {
            bind: bind.parse().expect("an address"),
            public: public.map(|p| p.parse().expect("an address")),
            shards,
        }
    }

    #[tokio::test]
    async fn each_shard_has_its_own_port_and_rooms_spread_over_them() {
        let StartedPool { pool, .. } =
            SfuPool::start(config("127.0.0.1:0", None, 3)).expect("starts");
        let ports: std::collections::HashSet<u16> =
            pool.addresses().iter().map(SocketAddr::port).collect();
        assert_eq!(ports.len(), 3, "{:?}", pool.addresses());
        let mut used = [0_u32; 3];
        for n in 0..300 {
            let room = RoomKey::new(format!("group-{n}-2027-01-06"));
            assert_eq!(pool.shard_of(&room), pool.shard_of(&room), "a room stays on its shard");
            used[pool.shard_of(&room)] += 1;
        }
        assert!(used.iter().all(|&n| n > 50), "rooms spread over the shards: {used:?}");
    }

    #[tokio::test]
    async fn a_public_address_is_advertised_with_each_shards_port() {
        let StartedPool { pool, .. } =
            SfuPool::start(config("127.0.0.1:0", Some("203.0.113.7:0"), 2)).expect("starts");
        assert!(pool.addresses().iter().all(|a| a.ip().to_string() == "203.0.113.7"));
        assert_ne!(pool.addresses()[0].port(), pool.addresses()[1].port());
        let unreachable = SfuPool::start(config("0.0.0.0:0", None, 1));
        assert!(matches!(unreachable, Err(PoolError::Sfu(SfuError::BadPublicAddress(_)))));
    }

    #[tokio::test]
    async fn calls_for_unknown_participants_are_refused_or_do_nothing() {
        let StartedPool { pool, .. } =
            SfuPool::start(config("127.0.0.1:0", None, 2)).expect("starts");
        let ghost = ParticipantId::new("ghost");
        assert!(!pool.leave(ghost.clone()).await.expect("runs"));
        // Answers and renegotiations find their shard by participant: none for a stranger.
        assert!(matches!(
            pool.shard_for(&ghost),
            Err(HandleError::Sfu(SfuError::UnknownParticipant(_)))
        ));
        // A hold for someone not (or not yet) joined is refused: the caller applies it at join.
        assert!(matches!(
            pool.set_forwarding(ghost, MediaKind::Audio, false).await,
            Err(HandleError::Sfu(SfuError::UnknownParticipant(_)))
        ));
    }
}
