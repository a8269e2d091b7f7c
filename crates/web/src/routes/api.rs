//! The JSON API under `/api/v1`. Bearer tokens only; see `openapi.json` for the contract.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json as JsonBody, Router};
use hearth_app::{ClientSignUp, LoginAttempt, SessionKind};
use hearth_domain::{Role, SessionId};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::extract::{ApiUser, ClientMeta, Path, require_role};
use crate::json::Json;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/session", post(create_session).delete(delete_session))
        .route("/me", get(me))
        .route("/me/second-factor", post(start_second_factor))
        .route("/me/second-factor/confirm", post(confirm_second_factor))
        .route("/sessions", get(list_sessions))
        .route("/sessions/{id}", delete(revoke_session))
        .route("/clients", post(create_client))
        .route("/staff", get(list_staff))
        .route("/invites", post(create_invite))
        .merge(super::api_groups::router())
        .merge(super::api_measures::router())
        .merge(super::api_consults::router())
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("../../openapi.json"))
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
    /// The second factor's code, or a recovery code, for accounts that have one.
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Serialize)]
struct UserRef {
    id: i64,
    role: Role,
}

async fn create_session(
    State(state): State<AppState>,
    meta: ClientMeta,
    Json(body): Json<Credentials>,
) -> Result<impl IntoResponse> {
    let signed_in = state
        .app
        .log_in(&LoginAttempt {
            email: &body.email,
            password: &body.password,
            kind: SessionKind::Api,
            user_agent: &meta.user_agent,
            ip: &meta.ip,
            device: None,
            totp: body.totp.as_deref(),
        })
        .await?;
    Ok(JsonBody(json!({
        "token": signed_in.token,
        "user": UserRef { id: signed_in.user.id.get(), role: signed_in.user.role },
    })))
}

async fn delete_session(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<StatusCode> {
    state.app.log_out(&who, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(ApiUser(who): ApiUser) -> Result<impl IntoResponse> {
    let user = &who.user;
    Ok(JsonBody(json!({
        "id": user.id.get(),
        "role": user.role,
        "email": user.email.as_str(),
        "display_name": user.display_name.as_str(),
        "timezone": user.timezone.name(),
        "region": user.region.as_ref().map(hearth_domain::Region::as_str),
    })))
}

/// Starts enrolment (or returns the one pending): the secret and its `otpauth://` URL.
async fn start_second_factor(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let enrolment = state.app.start_second_factor_enrolment(&who, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(json!({
        "secret": enrolment.secret,
        "otpauth_url": enrolment.otpauth_url,
    })))
}

#[derive(Deserialize)]
struct ConfirmBody {
    code: String,
}

/// Confirms enrolment with a first code; the recovery codes are in this answer only.
async fn confirm_second_factor(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<ConfirmBody>,
) -> Result<impl IntoResponse> {
    let codes = state.app.confirm_second_factor(&who, &body.code, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(json!({ "recovery_codes": codes })))
}

#[derive(Serialize)]
struct SessionJson {
    id: i64,
    kind: &'static str,
    created_at: chrono::DateTime<chrono::Utc>,
    last_seen_at: chrono::DateTime<chrono::Utc>,
    user_agent: String,
    ip: String,
    current: bool,
}

async fn list_sessions(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let sessions = state.app.list_sessions(&who).await?;
    let body: Vec<SessionJson> = sessions
        .into_iter()
        .map(|s| SessionJson {
            id: s.id.get(),
            kind: s.kind.as_str(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            current: s.id == who.session.id,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(JsonBody(body))
}

async fn revoke_session(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.revoke_session(&who, SessionId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_client(
    State(state): State<AppState>,
    meta: ClientMeta,
    Json(body): Json<ClientSignUp>,
) -> Result<impl IntoResponse> {
    let signed_up = state.app.sign_up_client(&body, &meta.audit(None)).await?;
    Ok((StatusCode::CREATED, JsonBody(json!({ "id": signed_up.id.get() }))))
}

async fn list_staff(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    require_role(&who, &[Role::Admin])?;
    let staff = state.app.list_staff(&who.user).await?;
    let body: Vec<_> = staff
        .iter()
        .map(|u| json!({"id": u.id.get(), "role": u.role, "display_name": u.display_name.as_str(), "email": u.email.as_str()}))
        .collect();
    Ok(JsonBody(body))
}

#[derive(Deserialize)]
struct InviteBody {
    email: String,
    role: String,
}

async fn create_invite(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<InviteBody>,
) -> Result<impl IntoResponse> {
    let issued =
        state.app.invite_staff(&who, &body.email, &body.role, &meta.audit(Some(&who))).await?;
    let link =
        format!("{}/invites/{}", state.config.public_url.trim_end_matches('/'), issued.token);
    Ok((StatusCode::CREATED, JsonBody(json!({ "id": issued.id.get(), "link": link }))))
}
