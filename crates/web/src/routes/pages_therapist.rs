//! A therapist's groups, each with its roster and the members' score trends.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use hearth_domain::Role;

use super::pages_groups::TIME_FORMAT;
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, require_role};
use crate::templates::{Layout, page};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/therapist/groups", get(therapist_groups))
}

struct RosterRow {
    client_id: i64,
    name: String,
    email: String,
    region: String,
    phq9: String,
    gad7: String,
}

struct TherapistGroupView {
    id: i64,
    topic: String,
    when: String,
    seats: String,
    roster: Vec<RosterRow>,
    /// The next meeting's series date and time, for its room.
    next: Option<(String, String)>,
    /// The last meeting's series date and time, for its attendance sheet.
    last: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "therapist_groups.html")]
struct TherapistGroupsPage {
    layout: Layout,
    groups: Vec<TherapistGroupView>,
}

async fn therapist_groups(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
) -> Result<Response> {
    require_role(&who, &[Role::Therapist])?;
    let cards = state.app.therapist_groups(&who).await?;
    let ctx = meta.audit(Some(&who));
    let mut rosters = Vec::with_capacity(cards.len());
    for card in &cards {
        rosters.push(state.app.roster(&who, card.group.id, &ctx).await?);
    }
    let members: Vec<hearth_domain::UserId> =
        rosters.iter().flatten().filter_map(|r| r.client.as_ref().map(|c| c.id)).collect();
    let trends = state.app.score_trends(&who, &members, &ctx).await?;
    let mut groups = Vec::with_capacity(cards.len());
    for (card, roster) in cards.iter().zip(&rosters) {
        let mut rows = Vec::with_capacity(roster.len());
        for r in roster {
            let Some(client) = r.client.as_ref() else { continue };
            let trend = trends.get(&client.id).copied().unwrap_or_default();
            rows.push(RosterRow {
                client_id: client.id.get(),
                name: r.display_name.clone(),
                email: client.email.to_string(),
                region: client.region.as_ref().map(ToString::to_string).unwrap_or_default(),
                phq9: hearth_app::ScoreTrend::describe(trend.phq9),
                gad7: hearth_app::ScoreTrend::describe(trend.gad7),
            });
        }
        let zone = who.user.timezone;
        let dated = |m: &hearth_app::OccurrenceView| {
            (m.original_date.to_string(), m.local_start.format(TIME_FORMAT).to_string())
        };
        let next = state.app.next_meetings(zone, &card.group, 1).await?.first().map(dated);
        let last = state.app.last_meeting(zone, &card.group).await?.as_ref().map(dated);
        groups.push(TherapistGroupView {
            next,
            last,
            id: card.group.id.get(),
            topic: card.topic_name.clone(),
            when: card.when(),
            seats: format!(
                "{} of {} seats taken, {} waiting",
                card.group.seats_taken, card.group.capacity, card.group.waitlist
            ),
            roster: rows,
        });
    }
    Ok(page(&TherapistGroupsPage { layout: Layout::new("My groups", Some(&who), &csrf), groups }))
}
