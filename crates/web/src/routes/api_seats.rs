//! `/api/v1` routes of seats and waitlists: joining, leaving, offers, switching groups and
//! the switch requests coordinators decide; rosters and the caller's groups.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json as JsonBody, Router};
use chrono::{DateTime, Utc};
use hearth_app::Reservation;
use hearth_domain::GroupId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::Created;
use super::api_groups::{GroupJson, group_json};
use crate::error::ErrorBody;
use crate::extract::{ApiUser, ClientMeta, Path};
use crate::json::Json;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/seats", post(reserve_seat))
        .route("/groups/{id}/seats/me", delete(leave_group))
        .route("/groups/{id}/waitlist/me", delete(leave_waitlist))
        .route("/groups/{id}/offer/accept", post(accept_offer))
        .route("/groups/{id}/offer/decline", post(decline_offer))
        .route("/groups/{id}/switch", post(switch_group))
        .route("/groups/{id}/roster", get(roster))
        .route("/me/groups", get(my_groups))
        .route("/switch-requests", get(list_switch_requests).post(create_switch_request))
        .route("/switch-requests/{id}/approve", post(approve_switch))
        .route("/switch-requests/{id}/decline", post(decline_switch))
}

/// A seat: `seated`, or `offered` (held for the client to accept).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Seated {
    /// seated or offered.
    status: &'static str,
}

/// A waitlist place.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Waitlisted {
    /// waitlisted.
    status: &'static str,
    /// 1 for the first in line.
    position: i64,
}

fn reservation_response(reservation: Reservation) -> Response {
    match reservation {
        Reservation::Seated => {
            (StatusCode::CREATED, JsonBody(Seated { status: "seated" })).into_response()
        }
        Reservation::Offered => {
            (StatusCode::CREATED, JsonBody(Seated { status: "offered" })).into_response()
        }
        Reservation::Waitlisted { position } => {
            (StatusCode::OK, JsonBody(Waitlisted { status: "waitlisted", position }))
                .into_response()
        }
    }
}

/// Reserve a seat (client)
#[utoipa::path(
    post,
    path = "/groups/{id}/seats",
    responses(
        (status = 201, description = "Seated (or a seat offered)", body = Seated),
        (status = 200, description = "Full: on the waitlist", body = Waitlisted),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Refused: error is not_licensed, age_band, \
            already_member, already_waiting, closed or not_a_client", body = ErrorBody),
    )
)]
pub(super) async fn reserve_seat(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let reservation =
        state.app.reserve_seat(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(reservation_response(reservation))
}

/// Leave the group; the seat is offered to the first person waiting
#[utoipa::path(
    delete,
    path = "/groups/{id}/seats/me",
    responses(
        (status = 204, description = "Left"),
        (status = 404, description = "Not a member", body = ErrorBody),
    )
)]
pub(super) async fn leave_group(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.leave_group(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leave the waitlist
#[utoipa::path(
    delete,
    path = "/groups/{id}/waitlist/me",
    responses(
        (status = 204, description = "Left"),
        (status = 404, description = "Not waiting", body = ErrorBody),
    )
)]
pub(super) async fn leave_waitlist(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.leave_waitlist(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept a held seat
#[utoipa::path(
    post,
    path = "/groups/{id}/offer/accept",
    responses(
        (status = 201, description = "Seated", body = Seated),
        (status = 404, description = "No live offer", body = ErrorBody),
    )
)]
pub(super) async fn accept_offer(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    state.app.accept_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok((StatusCode::CREATED, JsonBody(Seated { status: "seated" })))
}

/// Decline a held seat
#[utoipa::path(
    post,
    path = "/groups/{id}/offer/decline",
    responses(
        (status = 204, description = "Declined"),
        (status = 404, description = "No offer", body = ErrorBody),
    )
)]
pub(super) async fn decline_offer(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.decline_offer(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SwitchBody {
    /// The group to move to.
    to: i64,
}

/// Move to another group; the current seat is kept until the new one is confirmed
#[utoipa::path(
    post,
    path = "/groups/{id}/switch",
    responses(
        (status = 201, description = "Seated in the new group (or a seat offered)", body = Seated),
        (status = 200, description = "The new group is full: on its waitlist", body = Waitlisted),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Refused, with the reason's code", body = ErrorBody),
        (status = 422, description = "Not a member of this group, or the same group", body = ErrorBody),
    )
)]
pub(super) async fn switch_group(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<SwitchBody>,
) -> Result<Response> {
    let reservation = state
        .app
        .switch_group(&who, GroupId::new(id), GroupId::new(body.to), &meta.audit(Some(&who)))
        .await?;
    Ok(reservation_response(reservation))
}

/// Someone in a roster: the care team sees who they are (every field), fellow members only
/// the display name.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RosterEntryJson {
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    client_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    email: Option<String>,
    /// Where the client lives; null when not on file.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    #[expect(
        clippy::option_option,
        reason = "absent for fellow members; null for a client with no region on file"
    )]
    region: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    joined_at: Option<DateTime<Utc>>,
}

/// Members: display names for fellow members, full details for the care team
#[utoipa::path(
    get,
    path = "/groups/{id}/roster",
    responses(
        (status = 200, description = "The roster", body = Vec<RosterEntryJson>),
        (status = 403, description = "Neither member nor care team", body = ErrorBody),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
pub(super) async fn roster(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse> {
    let roster = state.app.roster(&who, GroupId::new(id), &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        roster
            .iter()
            .map(|r| {
                // The care team sees who the member is; fellow members only the name.
                let client = r.client.as_ref();
                RosterEntryJson {
                    display_name: r.display_name.clone(),
                    client_id: client.map(|c| c.id.get()),
                    email: client.map(|c| c.email.as_str().to_owned()),
                    region: client.map(|c| c.region.as_ref().map(|g| g.as_str().to_owned())),
                    joined_at: client.map(|_| r.joined_at),
                }
            })
            .collect::<Vec<_>>(),
    ))
}

/// A group the client waits for.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WaitingJson {
    #[serde(flatten)]
    group: GroupJson,
    /// 1 for the first in line; 0 while a seat is offered.
    position: i64,
    /// When an offered seat goes to the next person.
    offer_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MyGroupsJson {
    seated: Vec<GroupJson>,
    waiting: Vec<WaitingJson>,
}

/// The caller's groups and waitlist places
#[utoipa::path(
    get,
    path = "/me/groups",
    responses((status = 200, description = "Groups and waitlist places", body = MyGroupsJson))
)]
pub(super) async fn my_groups(
    State(state): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let mine = state.app.my_groups(&who).await?;
    let seated = mine.seated.iter().map(|(g, _)| group_json(g)).collect();
    let waiting = mine
        .waiting
        .iter()
        .map(|(g, p)| WaitingJson {
            group: group_json(g),
            position: p.position,
            offer_expires_at: p.offer_expires_at,
        })
        .collect();
    Ok(JsonBody(MyGroupsJson { seated, waiting }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SwitchRequestBody {
    /// The client's current group.
    from: i64,
    /// The group to move to.
    to: i64,
    /// Why (stored encrypted); required.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "The evening time no longer works for me."
    )]
    reason: String,
}

/// A client asks to move from one of their groups to another, with a reason (sealed at rest)
#[utoipa::path(
    post,
    path = "/switch-requests",
    responses(
        (status = 201, description = "Asked", body = Created),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Not a member of `from`, or may not join `to`", body = ErrorBody),
        (status = 422, description = "No reason, or a reason too long", body = ErrorBody),
    )
)]
pub(super) async fn create_switch_request(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Json(body): Json<SwitchRequestBody>,
) -> Result<impl IntoResponse> {
    let id = state
        .app
        .request_switch(
            &who,
            GroupId::new(body.from),
            GroupId::new(body.to),
            &body.reason,
            &meta.audit(Some(&who)),
        )
        .await?;
    Ok((StatusCode::CREATED, JsonBody(Created { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SwitchRequestJson {
    id: i64,
    client_id: i64,
    client_name: String,
    from: i64,
    to: i64,
    reason: String,
    /// pending, approved or declined.
    status: String,
    created_at: DateTime<Utc>,
}

/// Pending switch requests (coordinators, admins) or the caller's own (client)
#[utoipa::path(
    get,
    path = "/switch-requests",
    responses(
        (status = 200, description = "Switch requests", body = Vec<SwitchRequestJson>),
        (status = 403, description = "Therapists may not", body = ErrorBody),
    )
)]
pub(super) async fn list_switch_requests(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
) -> Result<impl IntoResponse> {
    let requests = state.app.switch_requests(&who, &meta.audit(Some(&who))).await?;
    Ok(JsonBody(
        requests
            .iter()
            .map(|r| SwitchRequestJson {
                id: r.id,
                client_id: r.client.get(),
                client_name: r.client_name.clone(),
                from: r.from.get(),
                to: r.to.get(),
                reason: r.reason.clone(),
                status: r.status.clone(),
                created_at: r.created_at,
            })
            .collect::<Vec<_>>(),
    ))
}

/// A coordinator approves: the switch happens now (the old seat is kept until the new one is confirmed)
#[utoipa::path(
    post,
    path = "/switch-requests/{id}/approve",
    responses(
        (status = 201, description = "Seated in the new group (or a seat offered)", body = Seated),
        (status = 200, description = "The new group is full: on its waitlist", body = Waitlisted),
        (status = 204, description = "Approved; nothing left to move"),
        (status = 403, description = "Not a coordinator or admin", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already decided, or the move is refused", body = ErrorBody),
        (status = 422, description = "The move is not possible as asked", body = ErrorBody),
    )
)]
pub(super) async fn approve_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    match state.app.decide_switch(&who, id, true, &meta.audit(Some(&who))).await? {
        Some(reservation) => Ok(reservation_response(reservation)),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// A coordinator declines
#[utoipa::path(
    post,
    path = "/switch-requests/{id}/decline",
    responses(
        (status = 204, description = "Declined"),
        (status = 403, description = "Not a coordinator or admin", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already decided", body = ErrorBody),
    )
)]
pub(super) async fn decline_switch(
    State(state): State<AppState>,
    meta: ClientMeta,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    state.app.decide_switch(&who, id, false, &meta.audit(Some(&who))).await?;
    Ok(StatusCode::NO_CONTENT)
}
