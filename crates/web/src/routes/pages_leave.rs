//! Leaving is asked twice: the buttons on a group's page open a page that says what leaving
//! gives up, and only its "Yes" (a form carrying `confirm=yes`) leaves. A post without it —
//! an old form, a double click on a stale page — shows that page instead of acting.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_domain::GroupId;
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser, Path};
use crate::json::Form;
use crate::templates::{Layout, page};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/leave", get(confirm_leave).post(leave))
        .route("/groups/{id}/waitlist/leave", get(confirm_leave_waitlist).post(leave_waitlist))
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    layout: Layout,
    heading: &'static str,
    group: i64,
    title: String,
    consequences: Vec<&'static str>,
    action: String,
    button: &'static str,
    back: String,
    stay: &'static str,
}

#[derive(Deserialize)]
struct Confirmed {
    #[serde(default)]
    confirm: String,
}

async fn group_title(state: &AppState, who: &hearth_app::Authenticated, id: i64) -> Result<String> {
    Ok(state.app.group_card(who, GroupId::new(id)).await?.title())
}

/// Only clients leave groups; staff asking for the question are refused.
fn client_only(who: &hearth_app::Authenticated) -> Result<()> {
    if who.user.role == hearth_domain::Role::Client {
        Ok(())
    } else {
        Err(hearth_app::AppError::Forbidden.into())
    }
}

/// What a client may leave.
#[derive(Clone, Copy)]
enum Leaving {
    Group,
    Waitlist,
}

impl Leaving {
    fn path(self, id: i64) -> String {
        match self {
            Leaving::Group => format!("/groups/{id}/leave"),
            Leaving::Waitlist => format!("/groups/{id}/waitlist/leave"),
        }
    }

    /// The question, what leaving gives up, the "yes" and the "no".
    fn words(self) -> (&'static str, Vec<&'static str>, &'static str, &'static str) {
        match self {
            Leaving::Group => (
                "Leave this group?",
                vec![
                    "Your seat goes to the next person waiting, so you may not get it back: to return you would join again, or wait, like anyone else.",
                    "Your check-ins, scores and plans stay in your record, and your care team can still help you find another group.",
                ],
                "Yes, leave the group",
                "No, stay in the group",
            ),
            Leaving::Waitlist => (
                "Leave the waitlist?",
                vec![
                    "You lose your place in line: if you join the waitlist again, you start at the end.",
                ],
                "Yes, leave the waitlist",
                "No, keep my place",
            ),
        }
    }
}

async fn ask(
    state: &AppState,
    csrf: &CsrfToken,
    who: &hearth_app::Authenticated,
    id: i64,
    what: Leaving,
) -> Result<Response> {
    client_only(who)?;
    let (heading, consequences, button, stay) = what.words();
    Ok(page(&ConfirmPage {
        layout: Layout::new(heading, Some(who), csrf),
        heading,
        group: id,
        title: group_title(state, who, id).await?,
        consequences,
        action: what.path(id),
        button,
        back: format!("/groups/{id}"),
        stay,
    }))
}

async fn act(
    state: &AppState,
    meta: &ClientMeta,
    who: &hearth_app::Authenticated,
    id: i64,
    confirmed: &Confirmed,
    what: Leaving,
) -> Result<Response> {
    if confirmed.confirm != "yes" {
        return Ok(Redirect::to(&what.path(id)).into_response());
    }
    let title = group_title(state, who, id).await?;
    let (group, ctx) = (GroupId::new(id), meta.audit(Some(who)));
    let notice = match what {
        Leaving::Group => {
            state.app.leave_group(who, group, &ctx).await?;
            format!("You have left {title}. Your seat is offered to the next person waiting.")
        }
        Leaving::Waitlist => {
            state.app.leave_waitlist(who, group, &ctx).await?;
            format!("You are off the waitlist of {title}.")
        }
    };
    Ok(crate::flash::redirect(state, "/dashboard", &notice))
}

async fn confirm_leave(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    ask(&state, &csrf, &who, id, Leaving::Group).await
}

async fn leave(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<Confirmed>,
) -> Result<Response> {
    act(&state, &meta, &who, id, &form, Leaving::Group).await
}

async fn confirm_leave_waitlist(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    ask(&state, &csrf, &who, id, Leaving::Waitlist).await
}

async fn leave_waitlist(
    State(state): State<AppState>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<Confirmed>,
) -> Result<Response> {
    act(&state, &meta, &who, id, &form, Leaving::Waitlist).await
}
