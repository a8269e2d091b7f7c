//! Switch requests: a client asks to move to another group with a reason; a coordinator
//! approves (the move then happens as a switch: the old seat is kept until the new one is
//! confirmed, history stays) or declines. The reason is sealed; every step is audited.

use chrono::{DateTime, Utc};
use hearth_domain::{GroupId, MembershipStatus, Role, UserId};

use crate::{App, AppError, AppResult, AuditContext, Authenticated, Reservation};

/// A switch request as the coordinator and the client see it.
#[derive(Clone, Debug)]
pub struct SwitchRequest {
    pub id: i64,
    pub client: UserId,
    pub client_name: String,
    pub from: GroupId,
    pub to: GroupId,
    pub reason: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

const REASON_MAX: usize = 2000;

impl App {
    /// A client asks to move from one of their groups to another, saying why.
    pub async fn request_switch(
        &self,
        who: &Authenticated,
        from: GroupId,
        to: GroupId,
        reason: &str,
        ctx: &AuditContext,
    ) -> AppResult<i64> {
        if who.user.role != Role::Client {
            return Err(AppError::refused("not_a_client", "only clients ask to switch"));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "tell your care coordinator why you would like to move",
            ));
        }
        let length = reason.chars().count();
        if length > REASON_MAX {
            return Err(AppError::invalid(
                "reason",
                format!("keep the reason to {REASON_MAX} characters (it has {length})"),
            ));
        }
        if from == to {
            return Err(AppError::invalid("to", "choose a different group"));
        }
        let memberships = self.db.list_client_memberships(who.user.id).await?;
        if !memberships.iter().any(|m| m.group_id == from && m.status == MembershipStatus::Seated) {
            return Err(AppError::refused(
                "not_member",
                "you are not a member of the group you are leaving",
            ));
        }
        let target = self.find_group(to).await?;
        if !self.may_join(&who.user, &target).await? {
            return Err(AppError::refused(
                "not_eligible",
                "you may not join that group (licensure or age band)",
            ));
        }
        let sealed = self
            .vault
            .seal(reason, &format!("switch_request:{}", who.user.id))
            .map_err(|e| anyhow::anyhow!("sealing a reason: {e}"))?;
        let record = self.audited_with(|id: &i64| {
            let detail = format!("request={id} from={from} to={to}");
            vec![self.audit_entry(
                ctx,
                "switch.requested",
                format!("client:{}", who.user.id),
                detail,
            )]
        });
        let now = self.clock.now();
        Ok(self.db.insert_switch_request(who.user.id, from, to, &sealed, now, record).await?)
    }

    /// Pending requests for coordinators; a client's own requests for the client.
    pub async fn switch_requests(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<Vec<SwitchRequest>> {
        let scope = match who.user.role {
            Role::Client => Some(who.user.id),
            Role::Coordinator | Role::Admin => None,
            Role::Therapist => return Err(AppError::Forbidden),
        };
        let rows = self.db.list_switch_requests(scope).await?;
        // Every client named, in one statement.
        let names = self.display_names(rows.iter().map(|r| UserId::new(r.client_id))).await?;
        let mut requests = Vec::with_capacity(rows.len());
        for row in rows {
            let client = UserId::new(row.client_id);
            let name = names.get(&client).cloned().unwrap_or_default();
            let reason = self
                .vault
                .open(&row.reason, &format!("switch_request:{client}"))
                .map_err(|e| anyhow::anyhow!("opening a reason: {e}"))?;
            requests.push(SwitchRequest {
                id: row.id,
                client,
                client_name: name,
                from: GroupId::new(row.from_group),
                to: GroupId::new(row.to_group),
                reason,
                status: row.status,
                created_at: row.created_at,
            });
        }
        self.audit(
            ctx,
            "switch.requests.read",
            "switch_requests",
            format!("count={}", requests.len()),
        )
        .await?;
        Ok(requests)
    }

    /// A coordinator approves (the switch happens now) or declines a pending request.
    pub async fn decide_switch(
        &self,
        who: &Authenticated,
        id: i64,
        approve: bool,
        ctx: &AuditContext,
    ) -> AppResult<Option<Reservation>> {
        if !matches!(who.user.role, Role::Coordinator | Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let request = self.db.find_switch_request(id).await?.ok_or(AppError::NotFound)?;
        if request.status != "pending" {
            return Err(AppError::refused("already_decided", "this request was already decided"));
        }
        let client =
            self.db.find_user(UserId::new(request.client_id)).await?.ok_or(AppError::NotFound)?;
        // Move first: if the move is refused, the request stays pending.
        let outcome = if approve {
            Some(
                self.switch_for(
                    &client,
                    GroupId::new(request.from_group),
                    GroupId::new(request.to_group),
                    ctx,
                )
                .await?,
            )
        } else {
            None
        };
        let verdict = if approve { "approved" } else { "declined" };
        let record = self.audited(
            ctx,
            "switch.decided",
            format!("client:{}", client.id),
            format!("request={id} {verdict}"),
        );
        self.db.decide_switch_request(id, approve, who.user.id, self.clock.now(), record).await?;
        Ok(outcome)
    }
}
