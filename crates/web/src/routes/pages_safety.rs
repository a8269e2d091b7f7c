//! The safety plan page, for the client and their care team.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_app::{AppError, CRISIS_LINES, SAFETY_PLAN_SECTIONS, SafetyPlan};
use hearth_domain::{FieldErrors, UserId};

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::flash::{self, Notice};
use crate::json::Form;
use crate::templates::{Layout, page, render};
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
    /// (name, how, link, link words).
    crisis: Vec<(&'static str, &'static str, &'static str, &'static str)>,
    notice: Option<String>,
    updated: Option<String>,
    sections: Vec<SectionView>,
}

/// One section of the plan: its field name, label, text and what is wrong with it.
struct SectionView {
    name: &'static str,
    label: &'static str,
    text: String,
    error: Option<String>,
}

impl SafetyPlanPage {
    fn has_errors(&self) -> bool {
        self.sections.iter().any(|s| s.error.is_some())
    }
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
    let view = SheetContext { state: &state, csrf: &csrf, meta: &meta, who: &who, when: &when };
    let page_view = view.render(id, notice, None).await?;
    Ok(page(&page_view))
}

/// What a safety plan page is drawn from besides the plan itself.
struct SheetContext<'a> {
    state: &'a AppState,
    csrf: &'a CsrfToken,
    meta: &'a ClientMeta,
    who: &'a hearth_app::Authenticated,
    when: &'a When,
}

impl SheetContext<'_> {
    /// The page with the stored plan, or with what was typed and why it was not saved.
    async fn render(
        &self,
        id: i64,
        notice: Option<String>,
        typed: Option<(&SafetyPlan, &FieldErrors)>,
    ) -> Result<SafetyPlanPage> {
        let who = self.who;
        let client = UserId::new(id);
        let view =
            self.state.app.safety_plan_page(who, client, &self.meta.audit(Some(who))).await?;
        let (own, name, stored) = (view.own, view.client_name, view.record);
        let zone = who.user.timezone.tz();
        let plan = match typed {
            Some((plan, _)) => plan.clone(),
            None => stored.as_ref().map(|s| s.plan.clone()).unwrap_or_default(),
        };
        let no_errors = FieldErrors::new();
        let errors = typed.map_or(&no_errors, |(_, e)| e);
        let text = |field: &str| match field {
            "warning_signs" => plan.warning_signs.clone(),
            "coping_steps" => plan.coping_steps.clone(),
            "people_and_places" => plan.people_and_places.clone(),
            "professionals_and_crisis_lines" => plan.professionals_and_crisis_lines.clone(),
            _ => plan.making_the_environment_safe.clone(),
        };
        Ok(SafetyPlanPage {
            layout: Layout::new("Safety plan", Some(who), self.csrf),
            own,
            client_id: id,
            client_name: name,
            crisis: CRISIS_LINES.iter().map(|l| (l.name, l.how, l.reach.0, l.reach.1)).collect(),
            notice,
            updated: stored.map(|s| self.when.at(s.updated_at, zone)),
            sections: SAFETY_PLAN_SECTIONS
                .iter()
                .map(|(field, label)| SectionView {
                    name: field,
                    label,
                    text: text(field),
                    error: errors.get(field).map(|m| format!("{label}: {m}.")),
                })
                .collect(),
        })
    }
}

async fn save_plan(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Path(id): Path<i64>,
    Form(plan): Form<SafetyPlan>,
) -> Result<Response> {
    match state.app.save_safety_plan(&who, UserId::new(id), &plan, &meta.audit(Some(&who))).await {
        Ok(()) => Ok(flash::redirect(&state, &format!("/clients/{id}/safety-plan"), "Saved.")),
        // Nothing was saved: the page comes back with every section as typed.
        Err(AppError::Invalid(errors)) => {
            let view =
                SheetContext { state: &state, csrf: &csrf, meta: &meta, who: &who, when: &when };
            let page_view = view.render(id, None, Some((&plan, &errors))).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page_view))
        }
        Err(other) => Err(other.into()),
    }
}
