//! The staff's page about one client, built in one call: who they are, who coordinates them,
//! what the viewer may do, and the clinical record only when the access policy allows it.

use hearth_domain::Role;
use hearth_domain::UserId;
use hearth_domain::access::{Action, Actor, Record, decide};

use crate::access::actor_for;
use hearth_domain::User;

use crate::{
    App, AppError, AppResult, AuditContext, Authenticated, CareNote, ClientPermissions, GroupCard,
    Intake, NextSession, Recommendation, RiskFlagRow, ScoreTrend, WaitlistPlace,
};

/// The clinical part of the summary: shown to the client's care team, or after breaking the
/// glass.
#[derive(Clone, Debug)]
pub struct ClinicalSummary {
    /// Risk flags no clinician has acknowledged yet, oldest first: shown before anything.
    pub open_flags: Vec<RiskFlagRow>,
    /// The next meeting of each group the client sits in, in the viewer's zone.
    pub sessions: Vec<NextSession>,
    /// Their waitlist places and held seats.
    pub waiting: Vec<(GroupCard, WaitlistPlace)>,
    pub intake: Option<Intake>,
    pub trend: ScoreTrend,
    pub recommendations: Vec<Recommendation>,
    pub notes: Vec<CareNote>,
}

/// The staff's summary of one client.
#[derive(Clone, Debug)]
pub struct ClientSummary {
    pub id: UserId,
    /// The client's account, when the viewer may see who they are (a therapist outside the
    /// care team sees only the number, until they break the glass).
    pub client: Option<User>,
    pub permissions: ClientPermissions,
    /// The client's coordinator's name, if they have one.
    pub coordinator: Option<String>,
    /// The coordinators an admin may choose from (empty for anyone else).
    pub coordinators: Vec<(UserId, String)>,
    pub clinical: Option<ClinicalSummary>,
}

impl App {
    /// The summary page's data. `Denied` when the viewer may neither see the client nor break
    /// the glass; `NotFound` for an id that is not a client.
    pub async fn client_summary(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<ClientSummary> {
        if !who.user.role.is_staff() {
            return Err(AppError::Forbidden);
        }
        // One read of the facts decides the permissions and who the client is shown as.
        let (permissions, facts) = self.permissions_and_facts(who, client).await?;
        let identity = decide(
            &actor_for(who, client, &facts.unwrap_or_default()),
            Record::Identity,
            Action::Read,
        );
        let client_user = match (identity.allowed(), facts) {
            (true, Some(_)) => Some(self.find_client(client).await?),
            (true, None) => return Err(AppError::NotFound),
            (false, _) if permissions.may_break_glass => None,
            (false, _) => return Err(AppError::Denied { reason: identity.reason }),
        };
        let coordinator = match facts.and_then(|f| f.coordinator) {
            Some(id) if client_user.is_some() => {
                self.db.find_user(id).await?.map(|u| u.display_name.to_string())
            }
            _ => None,
        };
        let coordinators = if permissions.may_assign_coordinator {
            self.db
                .list_staff()
                .await?
                .into_iter()
                .filter(|u| u.role == Role::Coordinator && u.disabled_at.is_none())
                .map(|u| (u.id, format!("{} ({})", u.display_name, u.email)))
                .collect()
        } else {
            Vec::new()
        };
        let clinical = if permissions.read_clinical {
            let actor = actor_for(who, client, &facts.unwrap_or_default());
            Some(self.clinical_summary(who, client, &actor, ctx).await?)
        } else {
            None
        };
        Ok(ClientSummary {
            id: client,
            client: client_user,
            permissions,
            coordinator,
            coordinators,
            clinical,
        })
    }

    /// The clinical part of the summary, each part only if the policy lets `actor` read that
    /// kind of record, and one audit row naming every part read.
    async fn clinical_summary(
        &self,
        who: &Authenticated,
        client: UserId,
        actor: &Actor,
        ctx: &AuditContext,
    ) -> AppResult<ClinicalSummary> {
        let may_read = |record| decide(actor, record, Action::Read).allowed();
        let (intake_ok, scores_ok, notes_ok) =
            (may_read(Record::Intake), may_read(Record::Measures), may_read(Record::CareNotes));
        let open_flags = self
            .db
            .list_client_open_risk_flags(client)
            .await?
            .into_iter()
            .map(|f| self.open_risk_flag(f))
            .collect::<AppResult<Vec<_>>>()?;
        let groups = self.group_cards_of(who, client).await?;
        let intake = if intake_ok { self.read_intake(client).await? } else { None };
        // Suggestions echo intake answers, so they need the intake's permission.
        let recommendations =
            if intake_ok { self.rank_groups(who, client).await? } else { Vec::new() };
        let trend =
            if scores_ok { self.read_score_trend(client).await? } else { ScoreTrend::default() };
        let notes = if notes_ok { self.read_care_notes(client).await? } else { Vec::new() };
        let parts: Vec<&str> = [
            (intake_ok, "intake"),
            (intake_ok, "suggestions"),
            (scores_ok, "scores"),
            (notes_ok, "care_notes"),
        ]
        .into_iter()
        .filter_map(|(read, part)| read.then_some(part))
        .collect();
        let detail = format!(
            "read={} open_flags={} groups={} care_notes={}",
            parts.join(","),
            open_flags.len(),
            groups.seated.len(),
            notes.len()
        );
        self.audit(ctx, "client.summary.read", format!("client:{client}"), detail).await?;
        Ok(ClinicalSummary {
            open_flags,
            sessions: self.next_sessions(&groups.seated, who.user.timezone.tz()).await?,
            waiting: groups.waiting,
            intake,
            trend,
            recommendations,
            notes,
        })
    }
}
