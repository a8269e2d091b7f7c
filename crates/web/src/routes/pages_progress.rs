//! A client's progress: PHQ-9 and GAD-7 over time as accessible SVG charts, with the
//! figures in a table.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_domain::{InstrumentId, UserId};

use crate::charts::{ChartSpec, progress_svg};
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::templates::{Layout, page};
use crate::when::When;
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
const CHARTS: [(InstrumentId, &str, i32, &[i32], u8); 2] = [
    (InstrumentId::Phq9, "Mood (PHQ-9)", 27, &[5, 10, 15, 20], hearth_domain::CASENESS_PHQ9),
    (InstrumentId::Gad7, "Anxiety (GAD-7)", 21, &[5, 10, 15], hearth_domain::CASENESS_GAD7),
];

/// ProQOL-5 subscales: (slug, title); each 10–50, low up to 22, high from 42.
const PROQOL_SUBSCALES: [(&str, &str); 3] = [
    ("compassion-satisfaction", "Compassion satisfaction (ProQOL-5; higher is better)"),
    ("burnout", "Burnout (ProQOL-5)"),
    ("secondary-traumatic-stress", "Secondary traumatic stress (ProQOL-5)"),
];

async fn progress(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
) -> Result<Response> {
    let client = UserId::new(id);
    let view = state.app.progress_page(&who, client, &meta.audit(Some(&who))).await?;
    let (own, client_name, measures) = (view.own, view.client_name, view.record);
    let zone = who.user.timezone.tz();
    let charts = CHARTS
        .iter()
        .map(|(instrument, title, max, edges, caseness)| {
            let slug = instrument.slug();
            let scored: Vec<_> = measures
                .iter()
                .filter(|m| m.instrument == *instrument)
                .filter_map(|m| Some((m, m.total?)))
                .collect();
            let points: Vec<_> = scored.iter().map(|(m, total)| (m.taken_at, *total)).collect();
            ChartView {
                id: slug,
                title,
                svg: progress_svg(&ChartSpec {
                    id: slug,
                    title,
                    min: 0,
                    max: *max,
                    band_edges: edges,
                    caseness: Some(i32::from(*caseness)),
                    points: &points,
                    when: &when,
                    zone,
                }),
                rows: scored
                    .iter()
                    .map(|(m, total)| {
                        (
                            when.day(m.taken_at, zone),
                            *total,
                            m.severity.clone().unwrap_or_default().replace('-', " "),
                        )
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let mut charts = charts;
    charts.extend(proqol_charts(&measures, zone, &when));
    Ok(page(&ProgressPage {
        layout: Layout::new("Progress", Some(&who), &csrf),
        own,
        client_name,
        charts,
    }))
}

/// One chart per ProQOL-5 subscale, from the stored subscale scores.
fn proqol_charts(
    measures: &[hearth_app::MeasureRow],
    zone: chrono_tz::Tz,
    when: &When,
) -> Vec<ChartView> {
    let proqol: Vec<_> =
        measures.iter().filter(|m| m.instrument == InstrumentId::Proqol5).collect();
    if proqol.is_empty() {
        return Vec::new();
    }
    PROQOL_SUBSCALES
        .iter()
        .map(|(slug, title)| {
            let scored: Vec<(chrono::DateTime<chrono::Utc>, i32, String)> = proqol
                .iter()
                .filter_map(|m| {
                    let subscales: serde_json::Value = serde_json::from_str(&m.subscales).ok()?;
                    let entry = subscales.as_array()?.iter().find(|s| s["slug"] == *slug)?;
                    let score = i32::try_from(entry["score"].as_i64()?).ok()?;
                    Some((m.taken_at, score, entry["band"].as_str().unwrap_or_default().to_owned()))
                })
                .collect();
            let points: Vec<_> = scored.iter().map(|(at, score, _)| (*at, *score)).collect();
            ChartView {
                id: slug,
                title,
                svg: progress_svg(&ChartSpec {
                    id: slug,
                    title,
                    min: 10,
                    max: 50,
                    band_edges: &[23, 42],
                    caseness: None,
                    points: &points,
                    when,
                    zone,
                }),
                rows: scored
                    .iter()
                    .map(|(at, score, band)| (when.day(*at, zone), *score, band.clone()))
                    .collect(),
            }
        })
        .collect()
}
