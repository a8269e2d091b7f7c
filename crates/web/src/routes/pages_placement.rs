//! The batch placement page: preview the optimal proposal, confirm it as seat offers.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use hearth_domain::{GroupId, Role, UserId};

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, require_role};
use crate::flash::{self, Notice};
use crate::json::RawForm;
use crate::templates::{Layout, page};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/care/placement", get(preview).post(confirm))
}

struct Row {
    client_id: i64,
    name: String,
    since: String,
    group: Option<(i64, String)>,
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "placement.html")]
struct PlacementPage {
    layout: Layout,
    notice: Option<String>,
    rows: Vec<Row>,
}

async fn preview(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Notice(notice): Notice,
) -> Result<Response> {
    require_role(&who, &[Role::Coordinator, Role::Admin])?;
    let proposal = state.app.placement_proposal(&who, &meta.audit(Some(&who))).await?;
    let topics = state.app.list_topics().await?;
    let zone = who.user.timezone.tz();
    let rows = proposal
        .into_iter()
        .map(|p| Row {
            client_id: p.client.id.get(),
            name: p.client.display_name.to_string(),
            since: when.day(p.waiting_since, zone),
            group: p.group.map(|g| {
                let name = topics
                    .iter()
                    .find(|t| t.slug == g.topic)
                    .map_or_else(|| g.topic.clone(), |t| t.name.clone());
                (g.id.get(), name)
            }),
            reasons: when.reasons(&p.reasons),
        })
        .collect();
    Ok(page(&PlacementPage {
        layout: Layout::new("Batch placement", Some(&who), &csrf),
        notice,
        rows,
    }))
}

async fn confirm(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    RawForm(raw): RawForm,
) -> Result<Response> {
    let pairs: Vec<(UserId, GroupId)> = form_urlencoded::parse(&raw)
        .filter(|(k, _)| k == "pair")
        .filter_map(|(_, v)| {
            let (c, g) = v.split_once(':')?;
            Some((UserId::new(c.parse().ok()?), GroupId::new(g.parse().ok()?)))
        })
        .collect();
    let offered = state.app.confirm_placements(&who, &pairs, &meta.audit(Some(&who))).await?;
    let notice = format!("{offered} of {} offers sent.", pairs.len());
    Ok(flash::redirect(&state, "/care/placement", &notice))
}
