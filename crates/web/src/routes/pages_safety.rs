//! The safety plan page, for the client and their care team.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_app::{AppError, CRISIS_LINES, SAFETY_PLAN_SECTIONS, SafetyPlan};
use hearth_domain::UserId;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::flash::{self, Notice};
use crate::json::Form;
use crate::templates::{Layout, page};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my/safety-plan", get(my_plan))
        .route("/clients/{id}/safety-plan", get(plan_page).post(save_plan))
}

#[derive(Template)]
#[template(path = "safety_plan.html")]
struct SafetyPlanPage {
    layout: Layout,
    own: bool,
    client_id: i64,
    client_name: String,
    crisis: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    updated: Option<String>,
    sections: Vec<(&'static str, &'static str, String)>,
}

async fn my_plan(PageUser(who): PageUser) -> Response {
    Redirect::to(&format!("/clients/{}/safety-plan", who.user.id)).into_response()
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
    let view = state.app.safety_plan_page(&who, client, &meta.audit(Some(&who))).await?;
    let (own, name, stored) = (view.own, view.client_name, view.record);
    let zone = who.user.timezone.tz();
    let plan = stored.as_ref().map(|s| s.plan.clone()).unwrap_or_default();
    let text = |field: &str| match field {
        "warning_signs" => plan.warning_signs.clone(),
        "coping_steps" => plan.coping_steps.clone(),
        "people_and_places" => plan.people_and_places.clone(),
        "professionals_and_crisis_lines" => plan.professionals_and_crisis_lines.clone(),
        _ => plan.making_the_environment_safe.clone(),
    };
    Ok(page(&SafetyPlanPage {
        layout: Layout::new("Safety plan", Some(&who), &csrf),
        own,
        client_id: id,
        client_name: name,
        crisis: CRISIS_LINES.iter().map(|l| (l.name, l.how)).collect(),
        notice,
        updated: stored.map(|s| when.at(s.updated_at, zone)),
        sections: SAFETY_PLAN_SECTIONS
            .iter()
            .map(|(field, label)| (*field, *label, text(field)))
            .collect(),
    }))
}

async fn save_plan(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(plan): Form<SafetyPlan>,
) -> Result<Response> {
    match state.app.save_safety_plan(&who, UserId::new(id), &plan, &meta.audit(Some(&who))).await {
        Ok(()) => Ok(flash::redirect(&state, &format!("/clients/{id}/safety-plan"), "Saved.")),
        Err(AppError::Invalid(errors)) => Err(crate::Error::invalid(errors)),
        Err(other) => Err(other.into()),
    }
}
