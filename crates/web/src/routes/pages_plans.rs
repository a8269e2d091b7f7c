//! The treatment plan page: the care team writes it, the client and therapist sign it.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hearth_app::{AppError, PlanInput, PlanView};
use hearth_domain::{FieldErrors, UserId};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::flash::{self, Notice};
use crate::json::Form;
use crate::templates::{FieldView, Layout, page, render};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my/plan", get(my_plan))
        .route("/clients/{id}/plan", get(plan_page).post(write_plan))
        .route("/clients/{id}/plan/sign", post(sign_plan))
}

#[derive(Template)]
#[template(path = "plan.html")]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the template's switches, one per thing it may show"
)]
struct PlanPage {
    layout: Layout,
    own: bool,
    client_id: i64,
    client_name: String,
    notice: Option<String>,
    exists: bool,
    client_signed: String,
    therapist_signed: String,
    target: String,
    target_met: Option<bool>,
    review_on: String,
    version: String,
    can_sign: bool,
    can_edit: bool,
    texts: Vec<(&'static str, &'static str, String, Option<String>)>,
    instrument: String,
    fields: Vec<FieldView>,
}

async fn my_plan(PageUser(who): PageUser) -> Response {
    Redirect::to(&format!("/clients/{}/plan", who.user.id)).into_response()
}

#[expect(clippy::too_many_arguments, reason = "the request's parts and the form's state")]
async fn build(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    when: &When,
    client: UserId,
    notice: Option<String>,
    form: Option<(&PlanInput, &FieldErrors)>,
    meta: &ClientMeta,
) -> Result<PlanPage> {
    let view = state.app.treatment_plan_page(who, client, &meta.audit(Some(who))).await?;
    let (own, name, may) = (view.own, view.client_name, view.may);
    let PlanView { plan, template, may_sign_now, default_target_by } = view.record;
    let zone = who.user.timezone.tz();
    let signed = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or_else(|| "not yet".to_owned(), |t| when.day(t, zone))
    };
    let empty = FieldErrors::new();
    let (input, errors) = form.map_or((None, &empty), |(i, e)| (Some(i), e));
    let text = |field: &str, stored: Option<&str>, default: &str| -> String {
        match (input, stored) {
            (Some(i), _) => match field {
                "goals" => i.goals.clone(),
                "objectives" => i.objectives.clone(),
                _ => i.interventions.clone(),
            },
            (None, Some(s)) => s.to_owned(),
            (None, None) => default.to_owned(),
        }
    };
    let content = plan.as_ref().map(|p| p.content.clone());
    let can_edit = may.write_treatment_plan;
    let can_sign = may_sign_now;
    let default_by = default_target_by.date_naive().to_string();
    Ok(PlanPage {
        layout: Layout::new("Treatment plan", Some(who), csrf),
        own,
        client_id: client.get(),
        client_name: name,
        notice,
        exists: plan.is_some(),
        client_signed: signed(plan.as_ref().and_then(|p| p.client_signed_at)),
        therapist_signed: signed(plan.as_ref().and_then(|p| p.therapist_signed_at)),
        target: plan.as_ref().map_or_else(String::new, |p| {
            format!(
                "{} below {} by {}",
                p.target_instrument.instrument().short_name,
                p.target_below,
                p.target_by
            )
        }),
        target_met: plan.as_ref().and_then(|p| p.target_met),
        review_on: plan.as_ref().map(|p| p.review_on.to_string()).unwrap_or_default(),
        version: plan.as_ref().map(|p| p.version.to_rfc3339()).unwrap_or_default(),
        can_sign,
        can_edit,
        texts: vec![
            (
                "goals",
                "Goals",
                text("goals", content.as_ref().map(|c| c.goals.as_str()), template.goals),
                errors.get("goals").map(str::to_owned),
            ),
            (
                "objectives",
                "Objectives",
                text(
                    "objectives",
                    content.as_ref().map(|c| c.objectives.as_str()),
                    template.objectives,
                ),
                errors.get("objectives").map(str::to_owned),
            ),
            (
                "interventions",
                "Interventions",
                text(
                    "interventions",
                    content.as_ref().map(|c| c.interventions.as_str()),
                    template.interventions,
                ),
                errors.get("interventions").map(str::to_owned),
            ),
        ],
        instrument: input.and_then(|i| i.target_instrument.clone()).unwrap_or_else(|| {
            plan.as_ref()
                .map_or_else(|| "phq9".to_owned(), |p| p.target_instrument.slug().to_owned())
        }),
        fields: target_fields(plan.as_ref(), input, errors, &default_by),
    })
}

/// The target and review inputs: as typed after an error, else from the stored plan, else
/// sensible defaults.
fn target_fields(
    plan: Option<&hearth_app::TreatmentPlan>,
    input: Option<&PlanInput>,
    errors: &FieldErrors,
    default_by: &str,
) -> Vec<FieldView> {
    let below = input.map(|i| i.target_below.map(|n| n.to_string()).unwrap_or_default());
    let by = input.map(|i| i.target_by.clone().unwrap_or_default());
    let review = input.map(|i| i.review_on.clone().unwrap_or_default());
    vec![
        FieldView::new("target_below", "Target: a score below", "number")
            .value(Some(&below.unwrap_or_else(|| {
                plan.map_or_else(|| "10".to_owned(), |p| p.target_below.to_string())
            })))
            .errors(errors),
        FieldView::new("target_by", "Target date", "date")
            .value(Some(&by.unwrap_or_else(|| {
                plan.map_or_else(|| default_by.to_owned(), |p| p.target_by.to_string())
            })))
            .errors(errors),
        FieldView::new("review_on", "Review on", "date")
            .value(Some(&review.unwrap_or_else(|| {
                plan.map_or_else(|| default_by.to_owned(), |p| p.review_on.to_string())
            })))
            .errors(errors),
    ]
}

async fn plan_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Notice(notice): Notice,
) -> Result<Response> {
    let client = UserId::new(id);
    Ok(page(&build(&state, &who, &csrf, &when, client, notice, None, &meta).await?))
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(default)]
    goals: String,
    #[serde(default)]
    objectives: String,
    #[serde(default)]
    interventions: String,
    target_instrument: Option<String>,
    target_below: Option<String>,
    target_by: Option<String>,
    review_on: Option<String>,
}

async fn write_plan(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Form(form): Form<PlanForm>,
) -> Result<Response> {
    let client = UserId::new(id);
    let input = PlanInput {
        goals: form.goals,
        objectives: form.objectives,
        interventions: form.interventions,
        target_instrument: form.target_instrument,
        target_below: form.target_below.and_then(|b| b.trim().parse().ok()),
        target_by: form.target_by,
        review_on: form.review_on,
    };
    match state.app.write_plan(&who, client, &input, &meta.audit(Some(&who))).await {
        Ok(()) => Ok(flash::redirect(&state, &format!("/clients/{id}/plan"), "Saved.")),
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&state, &who, &csrf, &when, client, None, Some((&input, &errors)), &meta)
                .await?,
        )),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct SignForm {
    version: chrono::DateTime<chrono::Utc>,
}

async fn sign_plan(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<SignForm>,
) -> Result<Response> {
    let notice = match state
        .app
        .sign_plan(&who, UserId::new(id), form.version, &meta.audit(Some(&who)))
        .await
    {
        Ok(()) => "Signed.".to_owned(),
        Err(AppError::Refused { reason, .. }) => reason,
        Err(other) => return Err(other.into()),
    };
    Ok(flash::redirect(&state, &format!("/clients/{id}/plan"), &notice))
}
