//! Questionnaire pages for clients (with the crisis panel) and the care team's risk queue.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_app::{AppError, Authenticated};
use hearth_domain::{Asked, Instrument, InstrumentId};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::flash::{self, Notice};
use crate::json::{Query, RawForm};
use crate::pager::{Pager, asked_page};
use crate::templates::{Layout, page, render};
use crate::when::When;
use crate::{AppState, Error, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/measures/{slug}", get(measure_form).post(submit_measure))
        .route("/care/risk", get(risk_queue))
        .route("/care/risk/{id}/acknowledge", post(acknowledge))
}

struct ItemView {
    number: u8,
    text: &'static str,
    conditional: bool,
    chosen: i32,
    /// Left unanswered in a form sent back: the message shows on this question.
    missing: bool,
}

#[derive(Template)]
#[template(path = "measure_form.html")]
struct MeasureForm {
    layout: Layout,
    slug: &'static str,
    name: &'static str,
    instructions: &'static str,
    items: Vec<ItemView>,
    options: Vec<(i32, &'static str)>,
    attribution: String,
    error: Option<String>,
}

fn instrument(slug: &str) -> Result<&'static Instrument> {
    Instrument::by_slug(slug).ok_or_else(Error::not_found)
}

fn form_page(
    who: &Authenticated,
    csrf: &CsrfToken,
    instrument: &'static Instrument,
    chosen: &[Option<u8>],
    error: Option<String>,
) -> MeasureForm {
    MeasureForm {
        layout: Layout::new(instrument.short_name, Some(who), csrf),
        slug: instrument.slug(),
        name: instrument.name,
        instructions: instrument.instructions,
        items: instrument
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let answer = chosen.get(i).copied().flatten();
                let always = matches!(item.asked, Asked::Always);
                ItemView {
                    number: item.number,
                    text: item.text,
                    conditional: !always,
                    chosen: answer.map_or(-1, i32::from),
                    missing: error.is_some() && always && answer.is_none(),
                }
            })
            .collect(),
        options: instrument.options.iter().map(|o| (i32::from(o.value), o.label)).collect(),
        attribution: format!("{} {}", instrument.attribution, instrument.licence),
        error,
    }
}

async fn measure_form(
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Path(slug): Path<String>,
) -> Result<Response> {
    let instrument = instrument(&slug)?;
    Ok(page(&form_page(&who, &csrf, instrument, &[], None)))
}

#[derive(Template)]
#[template(path = "measure_result.html")]
struct MeasureResultPage {
    layout: Layout,
    name: &'static str,
    total: Option<i32>,
    band: Option<&'static str>,
    subscales: Vec<(&'static str, i32, &'static str)>,
    /// (name, how, link, link words).
    crisis: Vec<(&'static str, &'static str, &'static str, &'static str)>,
    follow_up: Option<&'static str>,
    /// The next questionnaire of a check-in: GAD-7 after PHQ-9, then ProQOL-5 for those who
    /// chose the compassion-fatigue topic.
    next: Option<(&'static str, &'static str)>,
}

async fn submit_measure(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(slug): Path<String>,
    RawForm(raw): RawForm,
) -> Result<Response> {
    let instrument = instrument(&slug)?;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
    let chosen: Vec<Option<u8>> = instrument
        .items
        .iter()
        .map(|item| {
            pairs
                .iter()
                .find(|(k, _)| *k == format!("item_{}", item.number))
                .and_then(|(_, v)| v.parse().ok())
        })
        .collect();
    // Every item must be answered, except a conditional item left blank (asked only after a
    // yes, which the scorer checks).
    let missing: Vec<u8> = instrument
        .items
        .iter()
        .zip(&chosen)
        .filter(|(item, c)| c.is_none() && matches!(item.asked, Asked::Always))
        .map(|(item, _)| item.number)
        .collect();
    if !missing.is_empty() {
        let list = missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let message =
            format!("Please answer question{} {list}.", if missing.len() == 1 { "" } else { "s" });
        return Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&who, &csrf, instrument, &chosen, Some(message)),
        ));
    }
    let answers: Vec<f64> = chosen.iter().map_while(|c| c.map(f64::from)).collect();
    match state.app.submit_measure(&who, &slug, &answers, &meta.audit(Some(&who))).await {
        Ok(result) => {
            let score = &result.score;
            Ok(page(&MeasureResultPage {
                layout: Layout::new(instrument.short_name, Some(&who), &csrf),
                name: instrument.name,
                total: score.total,
                band: score.band.map(hearth_domain::Severity::for_the_person),
                subscales: score
                    .subscales
                    .iter()
                    .map(|s| (s.name, s.score, s.band.label))
                    .collect(),
                crisis: result
                    .crisis
                    .unwrap_or_default()
                    .iter()
                    .map(|l| (l.name, l.how, l.reach.0, l.reach.1))
                    .collect(),
                follow_up: result.follow_up.map(InstrumentId::slug),
                next: match instrument.slug() {
                    "phq9" => Some(("gad7", "Continue with the anxiety questions (GAD-7)")),
                    "gad7" if state.app.chose_topic(who.user.id, "compassion-fatigue").await? => {
                        Some(("proqol5", "Continue with the caregiving questions (ProQOL-5)"))
                    }
                    _ => None,
                },
            }))
        }
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&who, &csrf, instrument, &chosen, Some(errors.sentences())),
        )),
        Err(other) => Err(other.into()),
    }
}

struct FlagView {
    id: i64,
    level: &'static str,
    client: String,
    region: String,
    raised: String,
    open: bool,
    acknowledged: String,
    disposition: String,
    can_acknowledge: bool,
    client_id: i64,
    /// The client's therapist, (name, email), to call.
    therapist: Option<(String, String)>,
    acknowledged_by: String,
    /// A disposition typed and refused, shown again with why.
    draft: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "risk_queue.html")]
struct RiskQueuePage {
    layout: Layout,
    notice: Option<String>,
    flags: Vec<FlagView>,
    /// The page shown, carried by each acknowledge form so that a refusal shows it again.
    page: usize,
    pager: Pager,
}

/// `?page=N` of the queue.
#[derive(Deserialize)]
struct QueueQuery {
    page: Option<String>,
}

async fn risk_queue(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Notice(notice): Notice,
    Query(query): Query<QueueQuery>,
) -> Result<Response> {
    let asked = asked_page(query.page.as_deref());
    Ok(page(&risk_page(&state, &csrf, &meta, &who, &when, (notice, asked)).await?))
}

async fn risk_page(
    state: &AppState,
    csrf: &CsrfToken,
    meta: &ClientMeta,
    who: &Authenticated,
    when: &When,
    (notice, asked): (Option<String>, usize),
) -> Result<RiskQueuePage> {
    let zone = who.user.timezone.tz();
    let format = |at: chrono::DateTime<chrono::Utc>| when.at(at, zone);
    let queue = state.app.risk_queue_page(who, asked, &meta.audit(Some(who))).await?;
    let paging = queue.paging;
    let pager = Pager::new("Pages of the risk queue", paging, ("flag", "flags"), |n| {
        format!("/care/risk?page={n}")
    });
    let flags = queue
        .items
        .into_iter()
        .map(|v| FlagView {
            id: v.flag.id,
            level: v.flag.level.label(),
            client: v.client_name,
            region: v.client_region.map(|r| r.to_string()).unwrap_or_default(),
            raised: format(v.flag.raised_at),
            open: v.flag.acknowledged_at.is_none(),
            acknowledged: v.flag.acknowledged_at.map(format).unwrap_or_default(),
            disposition: v.disposition.unwrap_or_default(),
            can_acknowledge: v.can_acknowledge,
            client_id: v.flag.client_id,
            therapist: v.therapist,
            acknowledged_by: v.acknowledged_by.unwrap_or_default(),
            draft: String::new(),
            error: None,
        })
        .collect();
    let layout = Layout::new("Risk queue", Some(who), csrf);
    Ok(RiskQueuePage { layout, notice, flags, page: paging.page, pager })
}

#[derive(Deserialize)]
struct AcknowledgeForm {
    #[serde(default)]
    disposition: String,
    /// The queue's page the form was on.
    page: Option<String>,
}

/// Acknowledging a flag; a disposition refused comes back on its flag as typed, with why.
async fn acknowledge(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    crate::json::Form(form): crate::json::Form<AcknowledgeForm>,
) -> Result<Response> {
    let done =
        state.app.acknowledge_risk_flag(&who, id, &form.disposition, &meta.audit(Some(&who))).await;
    match done {
        Ok(()) => Ok(flash::redirect(&state, "/care/risk", "Acknowledged.")),
        Err(AppError::Invalid(errors)) => {
            let notice = Some(format!("Not acknowledged: {}", errors.sentences()));
            let asked = asked_page(form.page.as_deref());
            let mut view = risk_page(&state, &csrf, &meta, &who, &when, (notice, asked)).await?;
            if let Some(flag) = view.flags.iter_mut().find(|f| f.id == id) {
                let message = errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join("; ");
                flag.error = Some(format!("The disposition: {message}."));
                flag.draft = form.disposition;
            }
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(other) => Err(other.into()),
    }
}
