//! Asking the practice's access policy (`hearth_domain::access`) about a client's records,
//! care-team assignments, and breaking the glass. Every use case that reads or changes a
//! client's records calls [`App::authorize`] (or [`App::authorize_many`] for a page about
//! many clients); nothing else decides.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use hearth_domain::access::{Action, Actor, Decision, Record, Relation, Ties, decide};
use hearth_domain::{Role, UserId};
use hearth_store::AccessFacts;

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// How long breaking the glass opens a client's record.
pub const GLASS_HOURS: i64 = 1;
const REASON_MIN: usize = 10;
const REASON_MAX: usize = 500;

/// What the signed-in person may do with one client's records, for the pages about them: a
/// page shows a control only when the policy allows it, and never compares roles itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[expect(clippy::struct_excessive_bools, reason = "independent permissions, read by name")]
pub struct ClientPermissions {
    pub read_clinical: bool,
    pub write_treatment_plan: bool,
    pub sign_treatment_plan: bool,
    pub write_safety_plan: bool,
    pub write_care_notes: bool,
    /// Not on the care team, but may break the glass to read the clinical record.
    pub may_break_glass: bool,
    /// Reading now because the glass was broken (shown as a banner).
    pub through_glass: bool,
    /// May take this client on as their coordinator (a coordinator, and the client has none).
    pub may_take_on: bool,
    /// May change who coordinates this client (an admin).
    pub may_assign_coordinator: bool,
}

/// A break-the-glass access, for the admins' review.
#[derive(Clone, Debug)]
pub struct GlassAccess {
    /// The staff member's name and email (two staff may share a name).
    pub actor: String,
    pub actor_role: Role,
    pub client_id: UserId,
    pub client: String,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn ties(who: &Authenticated, client: UserId, facts: Option<&AccessFacts>) -> Ties {
    let facts = facts.copied().unwrap_or_default();
    Ties {
        is_client: who.user.id == client,
        treats: facts.treats,
        coordinates: facts.coordinator == Some(who.user.id),
        has_coordinator: facts.coordinator.is_some(),
        has_therapist: facts.has_therapist,
        glass_broken: facts.glass_broken,
    }
}

/// The policy's actor for `who` and one client, from facts already gathered.
pub(crate) fn actor_for(who: &Authenticated, client: UserId, facts: &AccessFacts) -> Actor {
    Actor { role: who.user.role, ties: ties(who, client, Some(facts)) }
}

fn denied(decision: Decision) -> AppError {
    AppError::Denied { reason: decision.reason }
}

impl App {
    /// The policy's facts about the signed-in person and each client (one statement per 500
    /// clients). A client not in the answer does not exist.
    pub(crate) async fn access_facts(
        &self,
        who: &Authenticated,
        clients: &[UserId],
    ) -> AppResult<HashMap<UserId, AccessFacts>> {
        Ok(self.db.access_facts(who.user.id, clients, self.clock.now()).await?)
    }

    /// May `who` do `action` on `client`'s `record`? `Denied` (with the policy's reason) when
    /// not; `NotFound` when allowed but there is no such client, so a person who may not
    /// know whether an account exists cannot learn it here.
    pub(crate) async fn authorize(
        &self,
        who: &Authenticated,
        client: UserId,
        record: Record,
        action: Action,
    ) -> AppResult<Decision> {
        let facts = self.access_facts(who, &[client]).await?;
        let decision = decide(
            &Actor { role: who.user.role, ties: ties(who, client, facts.get(&client)) },
            record,
            action,
        );
        if !decision.allowed() {
            return Err(denied(decision));
        }
        if !facts.contains_key(&client) {
            return Err(AppError::NotFound);
        }
        Ok(decision)
    }

    /// The policy's answer for each of `clients` that exists, from one batch of facts: a page
    /// about many clients keeps those it may show.
    pub(crate) async fn authorize_many(
        &self,
        who: &Authenticated,
        clients: &[UserId],
        record: Record,
        action: Action,
    ) -> AppResult<HashMap<UserId, Decision>> {
        let facts = self.access_facts(who, clients).await?;
        Ok(facts
            .iter()
            .map(|(&client, f)| {
                let actor = Actor { role: who.user.role, ties: ties(who, client, Some(f)) };
                (client, decide(&actor, record, action))
            })
            .collect())
    }

    /// What `who` may do with `client`'s records (for pages).
    pub async fn client_permissions(
        &self,
        who: &Authenticated,
        client: UserId,
    ) -> AppResult<ClientPermissions> {
        Ok(self.permissions_and_facts(who, client).await?.0)
    }

    /// [`App::client_permissions`] with the facts it was decided from (`None`: no such
    /// client), for a page that needs both from one read.
    pub(crate) async fn permissions_and_facts(
        &self,
        who: &Authenticated,
        client: UserId,
    ) -> AppResult<(ClientPermissions, Option<AccessFacts>)> {
        let facts = self.access_facts(who, &[client]).await?;
        let found = facts.get(&client);
        let actor = Actor { role: who.user.role, ties: ties(who, client, found) };
        let may = |record, action| decide(&actor, record, action);
        let read = may(Record::Measures, Action::Read);
        let without_glass = Actor { ties: Ties { glass_broken: false, ..actor.ties }, ..actor };
        let read_without_glass = decide(&without_glass, Record::Measures, Action::Read).allowed();
        let permissions = ClientPermissions {
            read_clinical: read.allowed(),
            write_treatment_plan: may(Record::TreatmentPlan, Action::Write).allowed(),
            sign_treatment_plan: may(Record::TreatmentPlan, Action::Sign).allowed(),
            write_safety_plan: may(Record::SafetyPlan, Action::Write).allowed(),
            write_care_notes: may(Record::CareNotes, Action::Write).allowed(),
            may_break_glass: found.is_some()
                && who.user.role.is_staff()
                && !read_without_glass
                && !actor.ties.glass_broken,
            through_glass: read.through == Some(Relation::BrokenGlass),
            may_take_on: found.is_some()
                && who.user.role == Role::Coordinator
                && found.is_some_and(|f| f.coordinator.is_none()),
            may_assign_coordinator: found.is_some() && who.user.role == Role::Admin,
        };
        Ok((permissions, found.copied()))
    }

    /// A staff member outside the client's care team states why they need the clinical record
    /// and gets read access to it for an hour. The reason is sealed and the access audited;
    /// admins review every one. Answers when the access ends.
    pub async fn break_glass(
        &self,
        who: &Authenticated,
        client: UserId,
        reason: &str,
        ctx: &AuditContext,
    ) -> AppResult<DateTime<Utc>> {
        if !who.user.role.is_staff() {
            return Err(AppError::Forbidden);
        }
        let reason = reason.trim();
        let length = reason.chars().count();
        if !(REASON_MIN..=REASON_MAX).contains(&length) {
            return Err(AppError::invalid(
                "reason",
                format!("say why you need this record, in {REASON_MIN} to {REASON_MAX} characters"),
            ));
        }
        if reason.chars().any(|c| c.is_control() && c != '\n') {
            return Err(AppError::invalid("reason", "write the reason as plain text"));
        }
        let facts = self.access_facts(who, &[client]).await?;
        let Some(found) = facts.get(&client) else { return Err(AppError::NotFound) };
        let actor = Actor { role: who.user.role, ties: ties(who, client, Some(found)) };
        if decide(&actor, Record::Measures, Action::Read).allowed() {
            return Err(AppError::refused(
                "already_allowed",
                "you can already read this client's record; there is no glass to break",
            ));
        }
        let now = self.clock.now();
        let expires_at = now + Duration::hours(GLASS_HOURS);
        let sealed = self
            .vault
            .seal(reason, &format!("break_glass:{}:{client}", who.user.id))
            .map_err(|e| anyhow::anyhow!("sealing a reason: {e}"))?;
        let record = self.audited_with(|id: &i64| {
            let detail = format!("grant={id} until={}", expires_at.to_rfc3339());
            vec![self.audit_entry(ctx, "access.glass.broken", format!("client:{client}"), detail)]
        });
        self.db.insert_break_glass(who.user.id, client, &sealed, now, expires_at, record).await?;
        Ok(expires_at)
    }

    /// The admins' review: every break-the-glass access of the last `days` days, newest first,
    /// with who, whom, why and until when (audited).
    pub async fn glass_accesses(
        &self,
        who: &Authenticated,
        days: i64,
        ctx: &AuditContext,
    ) -> AppResult<Vec<GlassAccess>> {
        if who.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let rows = self.db.list_break_glass(self.clock.now() - Duration::days(days)).await?;
        let mut ids: Vec<UserId> =
            rows.iter().flat_map(|r| [UserId::new(r.actor_id), UserId::new(r.client_id)]).collect();
        ids.sort_unstable();
        ids.dedup();
        let people: HashMap<UserId, hearth_domain::User> =
            self.db.find_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let name = |id: i64| {
            people.get(&UserId::new(id)).map(|u| u.display_name.to_string()).unwrap_or_default()
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let reason = self
                .vault
                .open(
                    &row.reason_sealed,
                    &format!("break_glass:{}:{}", row.actor_id, row.client_id),
                )
                .map_err(|e| anyhow::anyhow!("opening a reason: {e}"))?;
            out.push(GlassAccess {
                actor: people
                    .get(&UserId::new(row.actor_id))
                    .map(|u| format!("{} ({})", u.display_name, u.email))
                    .unwrap_or_default(),
                actor_role: people.get(&UserId::new(row.actor_id)).map_or(Role::Client, |u| u.role),
                client_id: UserId::new(row.client_id),
                client: name(row.client_id),
                reason,
                opened_at: row.opened_at,
                expires_at: row.expires_at,
            });
        }
        self.audit(ctx, "access.glass.reviewed", "break_glass", format!("count={}", out.len()))
            .await?;
        Ok(out)
    }

    /// A coordinator takes a client on: they become the client's coordinator, unless the
    /// client already has one.
    pub async fn take_on_client(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if who.user.role != Role::Coordinator {
            return Err(AppError::Forbidden);
        }
        let facts = self.access_facts(who, &[client]).await?;
        let Some(found) = facts.get(&client) else { return Err(AppError::NotFound) };
        if found.coordinator.is_some_and(|c| c != who.user.id) {
            return Err(AppError::refused(
                "has_coordinator",
                "this client already has a coordinator; an administrator can change it",
            ));
        }
        self.coordinate_if_unassigned(who, client, ctx).await?;
        Ok(())
    }

    /// Makes the signed-in coordinator the client's coordinator when the client has none
    /// (audited only when it changed anything); answers whether it did.
    pub(crate) async fn coordinate_if_unassigned(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<bool> {
        let record = self.audited_if(
            ctx,
            "care.coordinator.assigned",
            format!("client:{client}"),
            format!("coordinator={}", who.user.id),
        );
        let now = self.clock.now();
        Ok(self.db.assign_coordinator(client, who.user.id, who.user.id, now, false, record).await?)
    }

    /// An admin makes `coordinator` the client's coordinator.
    pub async fn assign_coordinator(
        &self,
        who: &Authenticated,
        client: UserId,
        coordinator: UserId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if who.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let facts = self.access_facts(who, &[client]).await?;
        if !facts.contains_key(&client) {
            return Err(AppError::NotFound);
        }
        let staff = self.db.find_user(coordinator).await?;
        if !staff.is_some_and(|u| u.role == Role::Coordinator && u.disabled_at.is_none()) {
            return Err(AppError::invalid("coordinator", "choose one of the coordinators"));
        }
        let record = self.audited_if(
            ctx,
            "care.coordinator.assigned",
            format!("client:{client}"),
            format!("coordinator={coordinator}"),
        );
        self.db
            .assign_coordinator(client, coordinator, who.user.id, self.clock.now(), true, record)
            .await?;
        Ok(())
    }
}
