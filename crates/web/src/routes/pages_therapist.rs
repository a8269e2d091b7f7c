//! A therapist's groups, each with its roster and the members' score trends.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;

use super::pages_meetings::listed;
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser};
use crate::json::Query;
use crate::pager::{Pager, asked_page};
use crate::templates::{Layout, page};
use crate::when::When;
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
    /// The next meeting's series date (its identity, for the URL) and when it is held, for
    /// its room.
    next: Option<(String, String)>,
    /// The last meeting's series date and when it was held, for its attendance sheet.
    last: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "therapist_groups.html")]
struct TherapistGroupsPage {
    layout: Layout,
    groups: Vec<TherapistGroupView>,
    pager: Pager,
}

/// `?page=N` of the therapist's groups.
#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<String>,
}

async fn therapist_groups(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    let asked = asked_page(query.page.as_deref());
    let led = state.app.therapist_groups_page(&who, asked, &meta.audit(Some(&who))).await?;
    let pager = Pager::new("Pages of your groups", led.paging, ("group", "groups"), |n| {
        format!("/therapist/groups?page={n}")
    });
    let dated = |m: &hearth_app::OccurrenceView| (m.original_date.to_string(), listed(m, &when));
    let groups = led
        .items
        .into_iter()
        .map(|g| TherapistGroupView {
            next: g.next.as_ref().map(dated),
            last: g.last.as_ref().map(dated),
            id: g.card.group.id.get(),
            topic: g.card.title(),
            when: when.weekly(g.card.regular_local.as_ref()),
            seats: format!(
                "{} of {} seats taken, {} waiting",
                g.card.group.seats_taken, g.card.group.capacity, g.card.group.waitlist
            ),
            roster: g
                .roster
                .iter()
                .map(|(client, trend)| RosterRow {
                    client_id: client.id.get(),
                    name: client.display_name.to_string(),
                    email: client.email.to_string(),
                    region: client.region.as_ref().map(ToString::to_string).unwrap_or_default(),
                    phq9: hearth_app::ScoreTrend::describe(trend.phq9),
                    gad7: hearth_app::ScoreTrend::describe(trend.gad7),
                })
                .collect(),
        })
        .collect();
    let layout = Layout::new("My groups", Some(&who), &csrf);
    Ok(page(&TherapistGroupsPage { layout, groups, pager }))
}
