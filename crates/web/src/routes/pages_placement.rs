//! The batch placement page: preview the optimal proposal, confirm it as seat offers.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_domain::{GroupId, Role, UserId};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, require_role};
use crate::json::{Query, RawForm};
use crate::templates::{Layout, page};
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

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn preview(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Query(query): Query<NoticeQuery>,
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
            since: p.waiting_since.with_timezone(&zone).format("%-d %b %Y").to_string(),
            group: p.group.map(|g| {
                let name = topics
                    .iter()
                    .find(|t| t.slug == g.topic)
                    .map_or_else(|| g.topic.clone(), |t| t.name.clone());
                (g.id.get(), name)
            }),
            reasons: p.reasons,
        })
        .collect();
    Ok(page(&PlacementPage {
        layout: Layout::new("Batch placement", Some(&who), &csrf),
        notice: query.notice,
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
    let notice = form_urlencoded::byte_serialize(notice.as_bytes()).collect::<String>();
    Ok(Redirect::to(&format!("/care/placement?notice={notice}")).into_response())
}
