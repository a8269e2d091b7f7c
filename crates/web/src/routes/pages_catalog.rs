//! The admin's catalog page: service lines and topics, each renamed or re-described in place.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_app::AppError;
use hearth_domain::Role;
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path, require_role};
use crate::flash::{self, Notice};
use crate::json::Form;
use crate::templates::{Layout, page, render};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/catalog", get(catalog))
        .route("/admin/catalog/{kind}/{slug}", post(save_entry))
}

struct Entry {
    slug: String,
    /// The stored name, for the form's label and button.
    label: String,
    /// What the fields show: the stored text, or what was typed and refused.
    name: String,
    description: String,
    name_error: Option<String>,
    description_error: Option<String>,
}

impl Entry {
    fn new(slug: String, name: String, description: String) -> Self {
        Entry {
            slug,
            label: name.clone(),
            name,
            description,
            name_error: None,
            description_error: None,
        }
    }
}

struct Section {
    kind: &'static str,
    title: &'static str,
    entries: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "admin_catalog.html")]
struct CatalogPage {
    layout: Layout,
    saved: Option<String>,
    error: Option<String>,
    sections: Vec<Section>,
}

async fn catalog_page(
    state: &AppState,
    who: &hearth_app::Authenticated,
    csrf: &CsrfToken,
    saved: Option<String>,
    error: Option<String>,
) -> Result<CatalogPage> {
    let (programs, topics) = state.app.catalog().await?;
    Ok(CatalogPage {
        layout: Layout::new("Catalog", Some(who), csrf),
        saved,
        error,
        sections: vec![
            Section {
                kind: "programs",
                title: "Service lines",
                entries: programs
                    .into_iter()
                    .map(|p| Entry::new(p.slug, p.name, p.description))
                    .collect(),
            },
            Section {
                kind: "topics",
                title: "Group topics",
                entries: topics
                    .into_iter()
                    .map(|t| Entry::new(t.slug, t.name, t.description))
                    .collect(),
            },
        ],
    })
}

async fn catalog(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Notice(notice): Notice,
) -> Result<Response> {
    require_role(&who, &[Role::Admin])?;
    Ok(page(&catalog_page(&state, &who, &csrf, notice, None).await?))
}

#[derive(Deserialize)]
struct EntryForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

async fn save_entry(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path((kind, slug)): Path<(String, String)>,
    Form(form): Form<EntryForm>,
) -> Result<Response> {
    let ctx = meta.audit(Some(&who));
    let saved = match kind.as_str() {
        "topics" => state.app.edit_topic(&who, &slug, &form.name, &form.description, &ctx).await,
        "programs" => {
            state.app.edit_program(&who, &slug, &form.name, &form.description, &ctx).await
        }
        _ => Err(AppError::NotFound),
    };
    match saved {
        Ok(()) => {
            Ok(flash::redirect(&state, "/admin/catalog", &format!("Saved {}.", form.name.trim())))
        }
        Err(AppError::Invalid(errors)) => {
            // The entry's form shows what was typed, with each message on its field.
            let mut view =
                catalog_page(&state, &who, &csrf, None, Some(errors.sentences())).await?;
            let edited = view
                .sections
                .iter_mut()
                .filter(|s| s.kind == kind)
                .flat_map(|s| s.entries.iter_mut())
                .find(|e| e.slug == slug);
            if let Some(entry) = edited {
                entry.name = form.name;
                entry.description = form.description;
                entry.name_error = errors.get("name").map(ToOwned::to_owned);
                entry.description_error = errors.get("description").map(ToOwned::to_owned);
            }
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(other) => Err(other.into()),
    }
}
