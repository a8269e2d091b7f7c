//! A client's progress: PHQ-9 and GAD-7 over time as accessible SVG charts, with the
//! figures in a table.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_domain::UserId;

use crate::charts::{ChartSpec, progress_svg};
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser};
use crate::templates::{Layout, page};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my/progress", get(my_progress))
        .route("/clients/{id}/progress", get(progress))
}

struct ChartView {
    id: &'static str,
    title: &'static str,
    svg: Option<String>,
    rows: Vec<(String, i32, String)>,
}

#[derive(Template)]
#[template(path = "progress.html")]
struct ProgressPage {
    layout: Layout,
    own: bool,
    client_name: String,
    charts: Vec<ChartView>,
}

async fn my_progress(PageUser(who): PageUser) -> Response {
    Redirect::to(&format!("/clients/{}/progress", who.user.id)).into_response()
}

/// (slug, title, max, band edges, caseness)
const CHARTS: [(&str, &str, i32, &[i32], i32); 2] = [
    ("phq9", "Mood (PHQ-9)", 27, &[5, 10, 15, 20], hearth_domain::CASENESS_PHQ9 as i32),
    ("gad7", "Anxiety (GAD-7)", 21, &[5, 10, 15], hearth_domain::CASENESS_GAD7 as i32),
];

async fn progress(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let client = UserId::new(id);
    let measures = state.app.list_measures(&who, client, None, &meta.audit(Some(&who))).await?;
    let own = who.user.id == client;
    let client_name =
        if own { who.user.display_name.to_string() } else { state.app.client_name(client).await? };
    let zone = who.user.timezone.tz();
    let charts = CHARTS
        .iter()
        .map(|(slug, title, max, edges, caseness)| {
            let scored: Vec<_> = measures
                .iter()
                .filter(|m| m.instrument == *slug)
                .filter_map(|m| Some((m, m.total?)))
                .collect();
            let points: Vec<_> = scored.iter().map(|(m, total)| (m.taken_at, *total)).collect();
            ChartView {
                id: slug,
                title,
                svg: progress_svg(&ChartSpec {
                    id: slug,
                    title,
                    max: *max,
                    band_edges: edges,
                    caseness: *caseness,
                    points: &points,
                }),
                rows: scored
                    .iter()
                    .map(|(m, total)| {
                        (
                            m.taken_at.with_timezone(&zone).format("%-d %b %Y").to_string(),
                            *total,
                            m.severity.clone().unwrap_or_default().replace('-', " "),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(page(&ProgressPage {
        layout: Layout::new("Progress", Some(&who), &csrf),
        own,
        client_name,
        charts,
    }))
}
