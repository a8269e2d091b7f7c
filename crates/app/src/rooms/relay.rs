//! The SFU's events, relayed: its offers to the participants' sockets (through the hub, which
//! holds them until the join answer is out), connects and leaves to the attendance record.

use hearth_video::{LeaveReason, SfuEvent};
use tokio::sync::mpsc;

use crate::App;

/// Runs until the SFU's event channel closes.
pub(super) async fn relay_events(app: App, mut events: mpsc::UnboundedReceiver<SfuEvent>) {
    let Some(hub) = app.rooms.clone() else { return };
    while let Some(event) = events.recv().await {
        let recorded = match event {
            SfuEvent::Offer { participant, offer } => {
                hub.lock().deliver_offer(&participant, offer.to_sdp_string());
                Ok(())
            }
            SfuEvent::Connected { participant, .. } => {
                let attendee = hub.lock().media_connected(&participant);
                match attendee {
                    Some(a) => {
                        app.db.attendance_connected(a.group, a.date, a.user, app.now()).await
                    }
                    None => Ok(()),
                }
            }
            SfuEvent::Left { participant, reason, .. } => {
                let attendee = {
                    let mut state = hub.lock();
                    if reason != LeaveReason::Left {
                        state.media_lost(&participant);
                    }
                    state.attendee_left(&participant)
                };
                match attendee {
                    Some(a) => app.db.attendance_left(a.group, a.date, a.user, app.now()).await,
                    None => Ok(()),
                }
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "recording attendance");
        }
    }
}
