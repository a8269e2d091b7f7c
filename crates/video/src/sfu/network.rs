//! The datagram side: what arrives on the socket goes to the participant whose `Rtc` accepts it,
//! the passing of time goes to every participant whose deadline has come, and what they produce
//! leaves through [`Sfu::poll_output`].

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::Input;
use str0m::net::{DatagramRecv, Protocol, Receive};

use super::{Sfu, SfuOutput};
use crate::participant::Death;

/// When an idle SFU wants to be woken anyway.
const IDLE_TICK: Duration = Duration::from_secs(1);

impl Sfu {
    /// Feeds one datagram that arrived on the SFU's socket from `source`. Returns whether a
    /// participant accepted it.
    pub fn handle_receive(&mut self, now: Instant, source: SocketAddr, datagram: &[u8]) -> bool {
        self.last_now = Some(now);
        let Ok(contents) = DatagramRecv::try_from(datagram) else {
            return false;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.config.public_addr,
                contents,
            },
        );
        let cached = self.routes.get(&source).filter(|id| {
            self.participants.get(*id).is_some_and(|p| p.is_alive() && p.rtc.accepts(&input))
        });
        let target = if let Some(id) = cached {
            id.clone()
        } else {
            let found = self
                .participants
                .values()
                .find(|p| p.is_alive() && p.rtc.accepts(&input))
                .map(|p| p.id.clone());
            let Some(id) = found else {
                tracing::trace!(%source, "no participant accepts a datagram");
                return false;
            };
            self.routes.insert(source, id.clone());
            id
        };
        let Self { participants, transmits, work, .. } = self;
        let Some(p) = participants.get_mut(&target) else {
            return false;
        };
        if let Err(e) = p.rtc.handle_input(input) {
            tracing::warn!(participant = %p.id, error = %e, "bad input");
            p.kill(Death::Failed);
        }
        p.drain(transmits, work);
        self.process(now);
        self.reap(now);
        true
    }

    /// Drives time forward: every participant whose deadline has come is given the time.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        let Self { participants, transmits, work, .. } = self;
        for p in participants.values_mut() {
            if p.timeout <= now && p.rtc.is_alive() {
                if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
                    tracing::warn!(participant = %p.id, error = %e, "timeout failed");
                    p.kill(Death::Failed);
                }
                p.drain(transmits, work);
            }
        }
        self.process(now);
        self.reap(now);
    }

    /// The next thing to do: a datagram to send, an event, or the deadline to wake at.
    pub fn poll_output(&mut self) -> SfuOutput {
        if let Some(t) = self.transmits.pop_front() {
            return SfuOutput::Transmit(t);
        }
        if let Some(e) = self.events.pop_front() {
            return SfuOutput::Event(e);
        }
        let next = self
            .participants
            .values()
            .map(|p| if p.connected { p.timeout } else { p.timeout.min(p.connect_deadline) })
            .min();
        let idle = self.last_now.map_or_else(Instant::now, |t| t + IDLE_TICK);
        SfuOutput::Timeout(next.map_or(idle, |t| t.min(idle)))
    }
}
