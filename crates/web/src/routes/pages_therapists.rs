//! The admin's therapists page: licenses with their expiry, renewals, and new therapists,
//! 25 therapists a page.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Duration;
use hearth_app::{AppError, LicenseInput, TherapistInput};
use hearth_domain::{FieldErrors, LicenseKind, Role, UserId};
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path, require_role};
use crate::flash::{self, Notice};
use crate::json::{Query, RawForm};
use crate::pager::{Pager, asked_page};
use crate::templates::{FieldView, Layout, page, render};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/therapists", get(therapists).post(create_therapist))
        .route("/admin/therapists/{id}/licenses", post(add_license))
}

struct TherapistView {
    id: i64,
    name: String,
    email: String,
    zone: String,
    kind: &'static str,
    years: i32,
    /// (region, number, valid through, warning)
    licenses: Vec<(String, String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "admin_therapists.html")]
struct TherapistsPage {
    layout: Layout,
    notice: Option<String>,
    therapists: Vec<TherapistView>,
    /// Therapists on every page.
    total: usize,
    /// This page's number, kept by the forms so an answer comes back to it.
    page: usize,
    pager: Pager,
    /// (license kind, chosen in the form)
    kinds: Vec<(&'static str, bool)>,
    /// (slug, name, ticked in the form)
    specialties: Vec<(String, String, bool)>,
    fields: Vec<FieldView>,
    has_errors: bool,
    /// A license form that was refused: whose it was, what was typed and why.
    license_draft: Option<LicenseDraft>,
}

struct LicenseDraft {
    therapist: i64,
    input: LicenseInput,
    errors: FieldErrors,
}

impl TherapistsPage {
    /// What was typed into `field` of the license form of `therapist`, after a refusal.
    fn typed(&self, therapist: i64, field: &str) -> &str {
        let Some(draft) = self.license_draft.as_ref().filter(|d| d.therapist == therapist) else {
            return "";
        };
        let value = match field {
            "region" => &draft.input.region,
            "kind" => &draft.input.kind,
            "number" => &draft.input.number,
            _ => &draft.input.expires_on,
        };
        value.as_deref().unwrap_or_default()
    }

    /// Why `field` of the license form of `therapist` was refused, if it was.
    fn refused(&self, therapist: i64, field: &str) -> Option<&str> {
        let draft = self.license_draft.as_ref().filter(|d| d.therapist == therapist)?;
        draft.errors.get(field)
    }
}

#[derive(Default, Deserialize)]
struct NewTherapistForm {
    email: Option<String>,
    display_name: Option<String>,
    password: Option<String>,
    timezone: Option<String>,
    license_kind: Option<String>,
    years_of_practice: Option<String>,
    bio: Option<String>,
    region: Option<String>,
    number: Option<String>,
    expires_on: Option<String>,
    #[serde(default)]
    specialties: Vec<String>,
}

/// `?page=N` of the list.
#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

/// The list's page `page`, with a notice of what the last form did.
fn back_to_page(state: &AppState, page: usize, notice: &str) -> Response {
    flash::redirect(state, &format!("/admin/therapists?page={page}"), notice)
}

async fn therapists_page(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    notice: Option<String>,
    page_number: usize,
    form: &NewTherapistForm,
    errors: &FieldErrors,
) -> Result<TherapistsPage> {
    let today = state.app.now().date_naive();
    let overview = state.app.therapists_overview(who, page_number).await?;
    let paging = overview.therapists.paging;
    let therapists = overview
        .therapists
        .items
        .into_iter()
        .map(|(user, profile)| TherapistView {
            id: user.id.get(),
            name: user.display_name.to_string(),
            email: user.email.to_string(),
            zone: user.timezone.name().to_owned(),
            kind: profile.license_kind.as_str(),
            years: profile.years_of_practice,
            licenses: profile
                .licenses
                .iter()
                .map(|l| {
                    let warning = if l.expires_on < today {
                        "expired"
                    } else if l.expires_on < today + Duration::days(60) {
                        "expires within 60 days"
                    } else {
                        ""
                    };
                    (l.region.to_string(), l.number.clone(), l.expires_on.to_string(), warning)
                })
                .collect(),
        })
        .collect();
    let field = |name, label, kind, value: &Option<String>| {
        FieldView::new(name, label, kind).value(value.as_deref()).errors(errors)
    };
    Ok(TherapistsPage {
        layout: Layout::new("Therapists", Some(who), csrf),
        notice,
        therapists,
        total: paging.total,
        page: paging.page,
        pager: Pager::new("Pages of therapists", paging, ("therapist", "therapists"), |n| {
            format!("/admin/therapists?page={n}#therapists")
        }),
        kinds: LicenseKind::ALL
            .iter()
            .map(|k| (k.as_str(), form.license_kind.as_deref() == Some(k.as_str())))
            .collect(),
        specialties: overview
            .topics
            .into_iter()
            .map(|t| {
                let ticked = form.specialties.contains(&t.slug);
                (t.slug, t.name, ticked)
            })
            .collect(),
        fields: vec![
            field("email", "Email", "email", &form.email),
            field("display_name", "Name clients will see", "text", &form.display_name),
            field("password", "First password (they can keep or change it)", "password", &None),
            FieldView::new("timezone", "Time zone", "select")
                .value(form.timezone.as_deref())
                .zone_picker()
                .errors(errors),
            field("years_of_practice", "Years of practice", "number", &form.years_of_practice),
            field("bio", "Short bio", "text", &form.bio),
            FieldView::new("region", "First license: state", "select")
                .value(form.region.as_deref())
                .region_picker()
                .errors(errors),
            field("number", "First license: number", "text", &form.number),
            field("expires_on", "First license: valid through", "date", &form.expires_on),
        ],
        has_errors: !errors.is_empty(),
        license_draft: None,
    })
}

async fn therapists(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Query(query): Query<PageQuery>,
    Notice(notice): Notice,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    Ok(page(
        &therapists_page(
            &state,
            &who,
            &csrf,
            notice,
            asked_page(query.page.as_deref()),
            &NewTherapistForm::default(),
            &FieldErrors::new(),
        )
        .await?,
    ))
}

async fn create_therapist(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Query(query): Query<PageQuery>,
    RawForm(raw): RawForm,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    // Repeated checkboxes (specialties) need a parser that keeps every value.
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
    let one = |name: &str| {
        pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty())
    };
    let form = NewTherapistForm {
        email: one("email"),
        display_name: one("display_name"),
        password: one("password"),
        timezone: one("timezone"),
        license_kind: one("license_kind"),
        years_of_practice: one("years_of_practice"),
        bio: one("bio"),
        region: one("region"),
        number: one("number"),
        expires_on: one("expires_on"),
        specialties: pairs
            .iter()
            .filter(|(k, _)| k == "specialties")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let years = form.years_of_practice.as_deref().map(str::parse::<i32>);
    let input = TherapistInput {
        email: form.email.clone(),
        password: form.password.clone(),
        display_name: form.display_name.clone(),
        timezone: form.timezone.clone(),
        licenses: vec![LicenseInput {
            region: form.region.clone(),
            kind: form.license_kind.clone(),
            number: form.number.clone(),
            expires_on: form.expires_on.clone(),
        }],
        specialties: form.specialties.clone(),
        license_kind: form.license_kind.clone(),
        years_of_practice: years.as_ref().and_then(|y| y.as_ref().ok()).copied(),
        bio: form.bio.clone(),
    };
    let outcome = match years {
        Some(Err(_)) => Err(AppError::invalid("years_of_practice", "enter a whole number")),
        _ => state.app.create_therapist(&who, &input, &meta.audit(Some(&who))).await,
    };
    match outcome {
        Ok(_) => Ok(back_to_page(&state, 1, "Therapist added")),
        Err(AppError::Invalid(errors)) => {
            // The form's first license is `licenses[0]` to the use case; show it on its fields.
            let mut shown = FieldErrors::new();
            for (field, message) in errors.iter() {
                shown.add(field.trim_start_matches("licenses[0]."), message);
            }
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &therapists_page(
                    &state,
                    &who,
                    &csrf,
                    None,
                    asked_page(query.page.as_deref()),
                    &form,
                    &shown,
                )
                .await?,
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// Adding a license to one therapist; a license refused comes back on its form as typed.
async fn add_license(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
    crate::json::Form(input): crate::json::Form<LicenseInput>,
) -> Result<Response> {
    // Back to the page the form was on (the app takes a page past the end to the last).
    let back = asked_page(query.page.as_deref());
    match state.app.add_license(&who, UserId::new(id), &input, &meta.audit(Some(&who))).await {
        Ok(()) => Ok(back_to_page(&state, back, "License added")),
        Err(AppError::Invalid(errors)) => {
            let notice = Some(format!("The license was not added: {}", errors.sentences()));
            let (form, none) = (NewTherapistForm::default(), FieldErrors::new());
            let mut view = therapists_page(&state, &who, &csrf, notice, back, &form, &none).await?;
            view.license_draft = Some(LicenseDraft { therapist: id, input, errors });
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(other) => Err(other.into()),
    }
}
