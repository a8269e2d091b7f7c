//! The admin's group management: every group, and a form to create one.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use hearth_app::{AppError, GroupInput, weekday_name};
use hearth_domain::{FieldErrors, Role, weekday_slug};
use serde::Deserialize;

use super::pages_groups::WEEKDAYS;
use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, require_role};
use crate::json::{Form, Query};
use crate::templates::{FieldView, Layout, page, render};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/groups", get(admin_groups).post(create_group))
}

struct SelectView {
    name: &'static str,
    label: &'static str,
    value: String,
    options: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_groups.html")]
struct AdminGroupsPage {
    layout: Layout,
    created: Option<i64>,
    selects: Vec<SelectView>,
    fields: Vec<FieldView>,
    groups: Vec<(i64, String, String, String, String)>,
    matching: usize,
    page: usize,
    pages: usize,
}

/// `?page=N` of the list of groups.
#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

#[derive(Default, Deserialize)]
struct GroupForm {
    topic: Option<String>,
    therapist_id: Option<String>,
    weekday: Option<String>,
    local_time: Option<String>,
    timezone: Option<String>,
    capacity: Option<String>,
    age_band: Option<String>,
    starts_on: Option<String>,
}

#[expect(clippy::too_many_arguments, reason = "the request's parts and the form's state")]
async fn admin_page(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    when: &When,
    form: &GroupForm,
    errors: &FieldErrors,
    created: Option<i64>,
    page_number: usize,
) -> Result<AdminGroupsPage> {
    let topics = state.app.list_topics().await?;
    let therapists: Vec<_> = state
        .app
        .list_staff(&who.user)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Therapist)
        .collect();
    let select = |name, label, value: &Option<String>, options: Vec<(String, String)>| SelectView {
        name,
        label,
        value: value.clone().unwrap_or_default(),
        options,
        error: errors.get(name).map(str::to_owned),
    };
    let selects = vec![
        select(
            "topic",
            "Topic",
            &form.topic,
            topics.iter().map(|t| (t.slug.clone(), t.name.clone())).collect(),
        ),
        select(
            "therapist_id",
            "Therapist",
            &form.therapist_id,
            therapists
                .iter()
                .map(|t| (t.id.to_string(), format!("{} ({})", t.display_name, t.timezone)))
                .collect(),
        ),
        select(
            "weekday",
            "Day",
            &form.weekday,
            WEEKDAYS
                .iter()
                .map(|d| (weekday_slug(*d).to_owned(), weekday_name(*d).to_owned()))
                .collect(),
        ),
        select(
            "age_band",
            "Age band",
            &form.age_band,
            vec![
                ("adult".to_owned(), "Adults".to_owned()),
                ("teen".to_owned(), "Teens 13–17".to_owned()),
            ],
        ),
    ];
    let fields = vec![
        FieldView::new(
            "local_time",
            "Time (HH:MM, the therapist's time unless a zone is given)",
            "text",
        )
        .value(form.local_time.as_deref())
        .errors(errors),
        FieldView::new("timezone", "Time zone (blank: the therapist's)", "text")
            .value(form.timezone.as_deref())
            .errors(errors),
        FieldView::new("capacity", "Seats", "number")
            .value(Some(form.capacity.as_deref().unwrap_or("10")))
            .errors(errors),
        FieldView::new("starts_on", "First meeting date", "date")
            .value(form.starts_on.as_deref())
            .errors(errors),
    ];
    let catalog =
        state.app.browse_groups(who, &hearth_app::BrowseFilter::default(), page_number).await?;
    let groups = group_rows(&catalog.cards, when);
    Ok(AdminGroupsPage {
        layout: Layout::new("Groups", Some(who), csrf),
        created,
        selects,
        fields,
        groups,
        matching: catalog.matching,
        page: catalog.page,
        pages: catalog.pages,
    })
}

/// (id, topic, therapist, when, seats) for the table of groups.
fn group_rows(
    cards: &[hearth_app::GroupCard],
    when: &When,
) -> Vec<(i64, String, String, String, String)> {
    cards
        .iter()
        .map(|c| {
            (
                c.group.id.get(),
                c.topic_name.clone(),
                c.therapist_name.clone(),
                format!(
                    "{}s {} ({})",
                    weekday_name(c.group.slot.weekday()),
                    when.time(&c.group.slot.local_time()),
                    c.group.slot.zone().name()
                ),
                format!(
                    "{}/{} · {} waiting",
                    c.group.seats_taken, c.group.capacity, c.group.waitlist
                ),
            )
        })
        .collect()
}

async fn admin_groups(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    when: When,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    let number = query.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    let form = GroupForm::default();
    Ok(page(
        &admin_page(&state, &who, &csrf, &when, &form, &FieldErrors::new(), None, number).await?,
    ))
}

async fn create_group(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    when: When,
    Form(form): Form<GroupForm>,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    let mut errors = FieldErrors::new();
    let number = |errors: &mut FieldErrors, name: &str, raw: &Option<String>| -> Option<i64> {
        let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        let parsed = raw.parse::<i64>().ok();
        if parsed.is_none() {
            errors.add(name, "enter a whole number");
        }
        parsed
    };
    let input = GroupInput {
        topic: form.topic.clone(),
        therapist_id: number(&mut errors, "therapist_id", &form.therapist_id),
        weekday: form.weekday.clone(),
        local_time: form.local_time.clone(),
        timezone: form.timezone.clone(),
        duration_minutes: None,
        capacity: number(&mut errors, "capacity", &form.capacity),
        age_band: form.age_band.clone(),
        starts_on: form.starts_on.clone(),
        ends_on: None,
    };
    let outcome = if errors.is_empty() {
        state.app.create_group(&who, &input, &meta.audit(Some(&who))).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match outcome {
        Ok(id) => Ok(page(
            &admin_page(
                &state,
                &who,
                &csrf,
                &when,
                &GroupForm::default(),
                &FieldErrors::new(),
                Some(id.get()),
                1,
            )
            .await?,
        )),
        Err(AppError::Invalid(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &admin_page(&state, &who, &csrf, &when, &form, &errors, None, 1).await?,
        )),
        Err(other) => Err(other.into()),
    }
}
