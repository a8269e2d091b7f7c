//! The JSON API under `/api/v1`. Bearer tokens only. Each handler documents itself with
//! `#[utoipa::path]`; `api_doc` gathers them into `openapi.json`, the contract.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json as JsonBody, Router};
use hearth_app::{ClientSignUp, LoginAttempt};
use hearth_domain::{Role, SessionId, SessionKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api_doc::{Busy, Forbidden, TooManyRequests};
use crate::error::ErrorBody;
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
        .merge(super::api_catalog::router())
        .merge(super::api_groups::router())
        .merge(super::api_seats::router())
        .merge(super::api_calendars::router())
        .merge(super::api_measures::router())
        .merge(super::api_care::router())
        .merge(super::api_consults::router())
}

/// This document
#[utoipa::path(
    get,
    path = "/openapi.json",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object))
)]
pub(super) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], super::api_doc::DOCUMENT.as_str())
}

/// What a person may do in Hearth.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Role)]
pub(super) enum ApiRole {
    Client,
    Therapist,
    Coordinator,
    Admin,
}

impl From<Role> for ApiRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Client => ApiRole::Client,
            Role::Therapist => ApiRole::Therapist,
            Role::Coordinator => ApiRole::Coordinator,
            Role::Admin => ApiRole::Admin,
        }
    }
}

/// What a creating request answers: the new thing's id.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Created {
    pub id: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct Credentials {
    #[schema(example = "sam@example.org")]
    email: String,
    #[schema(example = "lantern orchard violet")]
    password: String,
    /// The second factor's six-digit code, or a recovery code (accounts with two-factor
    /// sign-in only).
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct UserRef {
    id: i64,
    role: ApiRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SignedIn {
    token: String,
    user: UserRef,
}

/// Log in and receive a bearer token
///
/// Staff accounts with two-factor sign-in also send `totp`: the six-digit code from their
/// authenticator app (RFC 6238, 30-second steps; each code works once) or one of their
/// recovery codes (each works once). Wrong codes are throttled per account (429 with
/// Retry-After). Where the practice requires a second factor
/// (`auth.staff_second_factor = required`), a staff account without one gets a token that
/// may only enrol one (POST /me/second-factor, then /me/second-factor/confirm) or log out;
/// anything else answers 403 `second_factor_enrolment_required`.
#[utoipa::path(
    post,
    path = "/session",
    security(()),
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 401, description = "Bad credentials (the same answer whether or not the \
            email exists), or `second_factor_required`: the password is right but the \
            account's second-factor code is missing or wrong", body = ErrorBody),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Busy),
    )
)]
pub(super) async fn create_session(
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
    Ok(JsonBody(SignedIn {
        token: signed_in.token,
        user: UserRef { id: signed_in.user.id.get(), role: signed_in.user.role.into() },
    }))
}

/// Log out (revoke this token)
#[utoipa::path(delete, path = "/session", responses((status = 204, description = "Revoked")))]
pub(super) async fn delete_session(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<StatusCode> {
    state.app.log_out(&who, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Me {
    id: i64,
    role: ApiRole,
    email: String,
    display_name: String,
    /// IANA name, e.g. America/Chicago.
    timezone: String,
    /// Where a client lives, e.g. US-CA; null for staff.
    region: Option<String>,
}

/// The signed-in account
#[utoipa::path(get, path = "/me", responses((status = 200, description = "The account", body = Me)))]
pub(super) async fn me(ApiUser(who): ApiUser) -> Result<impl IntoResponse> {
    let user = &who.user;
    Ok(JsonBody(Me {
        id: user.id.get(),
        role: user.role.into(),
        email: user.email.as_str().to_owned(),
        display_name: user.display_name.as_str().to_owned(),
        timezone: user.timezone.name().to_owned(),
        region: user.region.as_ref().map(|r| r.as_str().to_owned()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Enrolment {
    /// Base32, for typing into an authenticator app.
    secret: String,
    /// The same secret as an `otpauth://` URL, for a QR code.
    otpauth_url: String,
}

/// Start setting up two-factor sign-in (or see the pending setup)
///
/// Returns a new TOTP secret for an authenticator app, or the one already pending, so a
/// retried request keeps the secret already scanned. The factor counts only once confirmed.
#[utoipa::path(
    post,
    path = "/me/second-factor",
    responses(
        (status = 200, description = "The pending secret", body = Enrolment),
        (status = 409, description = "Two-factor sign-in is already on", body = ErrorBody),
    )
)]
pub(super) async fn start_second_factor(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let enrolment = state.app.start_second_factor_enrolment(&who, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(Enrolment { secret: enrolment.secret, otpauth_url: enrolment.otpauth_url }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct ConfirmBody {
    /// The current six-digit code from the authenticator app.
    #[schema(example = "123456")]
    code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RecoveryCodes {
    /// Ten codes, each good for one sign-in; shown only here.
    recovery_codes: Vec<String>,
}

/// Turn on two-factor sign-in with a first code
///
/// Confirms the pending secret with a current code. Answers the ten recovery codes, each good
/// for one sign-in; they are shown only here. An enrol-only session may do everything from
/// now on.
#[utoipa::path(
    post,
    path = "/me/second-factor/confirm",
    responses(
        (status = 200, description = "On; the recovery codes", body = RecoveryCodes),
        (status = 409, description = "Nothing pending, or already on", body = ErrorBody),
        (status = 422, description = "The code is not right (field `code`), or a control \
            character", body = ErrorBody),
    )
)]
pub(super) async fn confirm_second_factor(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<ConfirmBody>,
) -> Result<impl IntoResponse> {
    let codes = state.app.confirm_second_factor(&who, &body.code, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(RecoveryCodes { recovery_codes: codes }))
}

/// Where a session was started.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum SessionKindJson {
    Browser,
    Api,
}

impl From<SessionKind> for SessionKindJson {
    fn from(kind: SessionKind) -> Self {
        match kind {
            SessionKind::Browser => SessionKindJson::Browser,
            SessionKind::Api => SessionKindJson::Api,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub(super) struct SessionJson {
    id: i64,
    kind: SessionKindJson,
    created_at: chrono::DateTime<chrono::Utc>,
    last_seen_at: chrono::DateTime<chrono::Utc>,
    user_agent: String,
    ip: String,
    /// This is the session making the request.
    current: bool,
}

/// The caller's live sessions
#[utoipa::path(
    get,
    path = "/sessions",
    responses((status = 200, description = "Live sessions", body = Vec<SessionJson>))
)]
pub(super) async fn list_sessions(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let sessions = state.app.list_sessions(&who).await?;
    let body: Vec<SessionJson> = sessions
        .into_iter()
        .map(|s| SessionJson {
            id: s.id.get(),
            kind: s.kind.into(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            current: s.id == who.session.id,
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(JsonBody(body))
}

/// Revoke one of the caller's sessions
#[utoipa::path(
    delete,
    path = "/sessions/{id}",
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "Not one of the caller's live sessions", body = ErrorBody),
    )
)]
pub(super) async fn revoke_session(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.revoke_session(&who, SessionId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A client's sign-up. Each field is checked and every problem named in one 422.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SignUpBody {
    #[schema(required = true, nullable = false, max_length = 254, example = "sam@example.org")]
    email: Option<String>,
    /// A passphrase: long, and not a common password.
    #[schema(required = true, nullable = false, example = "lantern orchard violet")]
    password: Option<String>,
    #[schema(required = true, nullable = false, max_length = 60, example = "Sam Rivera")]
    display_name: Option<String>,
    /// IANA name.
    #[schema(required = true, nullable = false, example = "America/Chicago")]
    timezone: Option<String>,
    /// Where the client lives: a country, and for the US its state.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
        example = "US-IL"
    )]
    region: Option<String>,
    /// YYYY-MM-DD; clients are 13 or older.
    #[schema(required = true, nullable = false, format = Date, example = "1990-04-12")]
    birth_date: Option<String>,
}

impl From<SignUpBody> for ClientSignUp {
    fn from(body: SignUpBody) -> Self {
        let SignUpBody { email, password, display_name, timezone, region, birth_date } = body;
        ClientSignUp { email, password, display_name, timezone, region, birth_date }
    }
}

/// Client sign-up
///
/// The same answer whether or not the email is taken: the account is created only if it is
/// new.
#[utoipa::path(
    post,
    path = "/clients",
    security(()),
    responses(
        (status = 201, description = "Signed up", body = Created),
        (status = 503, response = Busy),
    )
)]
pub(super) async fn create_client(
    State(state): State<AppState>,
    meta: ClientMeta,
    Json(body): Json<SignUpBody>,
) -> Result<impl IntoResponse> {
    let signed_up = state.app.sign_up_client(&body.into(), &meta.audit(None)).await?;
    Ok((StatusCode::CREATED, JsonBody(Created { id: signed_up.id.get() })))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct StaffMember {
    id: i64,
    role: ApiRole,
    display_name: String,
    email: String,
}

/// Staff accounts (admin)
#[utoipa::path(
    get,
    path = "/staff",
    responses(
        (status = 200, description = "Every staff account", body = Vec<StaffMember>),
        (status = 403, response = Forbidden),
    )
)]
pub(super) async fn list_staff(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    require_role(&who, &[Role::Admin])?;
    let staff = state.app.list_staff(&who.user).await?;
    let body: Vec<StaffMember> = staff
        .iter()
        .map(|u| StaffMember {
            id: u.id.get(),
            role: u.role.into(),
            display_name: u.display_name.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
        })
        .collect();
    Ok(JsonBody(body))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct InviteBody {
    #[schema(example = "robin@example.org")]
    email: String,
    /// therapist, coordinator or admin.
    #[schema(pattern = "^(therapist|coordinator|admin)$", example = "therapist")]
    role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct InviteIssued {
    id: i64,
    /// The link to send; it works once and expires in 7 days.
    link: String,
}

/// Invite a staff member (admin); the link works once and expires in 7 days
#[utoipa::path(
    post,
    path = "/invites",
    responses(
        (status = 201, description = "Invited", body = InviteIssued),
        (status = 403, response = Forbidden),
    )
)]
pub(super) async fn create_invite(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<InviteBody>,
) -> Result<impl IntoResponse> {
    let issued =
        state.app.invite_staff(&who, &body.email, &body.role, &meta.audit(Some(&who))).await?;
    let link =
        format!("{}/invites/{}", state.config.public_url.trim_end_matches('/'), issued.token);
    Ok((StatusCode::CREATED, JsonBody(InviteIssued { id: issued.id.get(), link })))
}
