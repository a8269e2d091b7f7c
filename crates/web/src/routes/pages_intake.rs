//! The client's intake form.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_app::{AppError, IntakeInput};
use hearth_domain::{CONSENT_VERSION, FieldErrors, GROUP_CONFIDENTIALITY, TELEHEALTH_CONSENT};

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser};
use crate::json::RawForm;
use crate::templates::{FieldView, Layout, page, render};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/intake", get(intake_form).post(submit_intake))
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    layout: Layout,
    has_errors: bool,
    consent_version: &'static str,
    texts: Vec<(&'static str, &'static str, String, Option<String>)>,
    programs: Vec<(String, String, bool)>,
    topics: Vec<(String, String, bool)>,
    zone: String,
    availability: Vec<(usize, String, Option<String>)>,
    fields: Vec<FieldView>,
    telehealth_text: &'static str,
    group_text: &'static str,
    telehealth_error: Option<String>,
    group_error: Option<String>,
    /// The two agreements as ticked on the last submission (kept after an error).
    telehealth_ticked: bool,
    group_ticked: bool,
}

async fn intake_page(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    input: &IntakeInput,
    errors: &FieldErrors,
) -> Result<IntakePage> {
    let err = |name: &str| errors.get(name).map(str::to_owned);
    let mut windows = input.availability.clone();
    windows.resize(windows.len().max(3), String::new());
    Ok(IntakePage {
        layout: Layout::new("Your intake", Some(who), csrf),
        has_errors: !errors.is_empty(),
        consent_version: CONSENT_VERSION,
        texts: vec![
            (
                "reasons",
                "What brings you to Hearth?",
                input.reasons.clone().unwrap_or_default(),
                err("reasons"),
            ),
            (
                "goals",
                "What would you like to be different?",
                input.goals.clone().unwrap_or_default(),
                err("goals"),
            ),
            (
                "preferences",
                "Anything you would like in a therapist or group?",
                input.preferences.clone().unwrap_or_default(),
                err("preferences"),
            ),
        ],
        programs: state
            .app
            .list_programs()
            .await?
            .into_iter()
            .map(|p| {
                let checked = input.service_lines.contains(&p.slug);
                (p.slug, p.name, checked)
            })
            .collect(),
        topics: state
            .app
            .list_topics()
            .await?
            .into_iter()
            .map(|t| {
                let checked = input.topics.contains(&t.slug);
                (t.slug, t.name, checked)
            })
            .collect(),
        zone: who.user.timezone.name().to_owned(),
        availability: windows
            .into_iter()
            .enumerate()
            .map(|(i, w)| (i, w, err(&format!("availability[{i}]"))))
            .collect(),
        fields: vec![
            FieldView::new("emergency_contact_name", "Emergency contact: name", "text")
                .value(input.emergency_contact_name.as_deref())
                .errors(errors),
            FieldView::new("emergency_contact_phone", "Emergency contact: phone", "tel")
                .value(input.emergency_contact_phone.as_deref())
                .autocomplete("off")
                .errors(errors),
        ],
        telehealth_text: TELEHEALTH_CONSENT,
        group_text: GROUP_CONFIDENTIALITY,
        telehealth_error: err("telehealth_consent"),
        group_error: err("group_agreement"),
        telehealth_ticked: input.telehealth_consent,
        group_ticked: input.group_agreement,
    })
}

async fn intake_form(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
) -> Result<Response> {
    Ok(page(&intake_page(&state, &who, &csrf, &IntakeInput::default(), &FieldErrors::new()).await?))
}

async fn submit_intake(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    RawForm(raw): RawForm,
) -> Result<Response> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let many = |name: &str| {
        pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>()
    };
    let input = IntakeInput {
        reasons: one("reasons"),
        goals: one("goals"),
        service_lines: many("service_lines"),
        topics: many("topics"),
        preferences: one("preferences"),
        availability: many("availability").into_iter().filter(|w| !w.trim().is_empty()).collect(),
        emergency_contact_name: one("emergency_contact_name"),
        emergency_contact_phone: one("emergency_contact_phone"),
        consent_version: one("consent_version"),
        telehealth_consent: one("telehealth_consent").as_deref() == Some("true"),
        group_agreement: one("group_agreement").as_deref() == Some("true"),
    };
    match state.app.submit_intake(&who, &input, &meta.audit(Some(&who))).await {
        // The baseline questionnaires come next.
        Ok(()) => Ok(Redirect::to("/measures/phq9").into_response()),
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &intake_page(&state, &who, &csrf, &input, &errors).await?,
        )),
        Err(other) => Err(other.into()),
    }
}
