//! The pages of one client's clinical record (progress, safety plan, treatment plan) as one
//! read each: the record, whose it is, and what the viewer may do with it, so a page handler
//! renders without asking anything else or comparing roles.

use chrono::{DateTime, Utc};
use hearth_domain::{PlanTemplate, UserId};

use crate::{
    App, AppResult, AuditContext, Authenticated, ClientPermissions, MeasureRow, StoredSafetyPlan,
    TreatmentPlan,
};

/// A record of `client`'s, for `who`.
#[derive(Clone, Debug)]
pub struct RecordPage<T> {
    pub client: UserId,
    pub client_name: String,
    /// The viewer is the client.
    pub own: bool,
    pub may: ClientPermissions,
    pub record: T,
}

/// A treatment plan's page: the plan (if written), the template a new one starts from, and
/// whether the viewer may sign it now (they may, and their signature is missing).
#[derive(Clone, Debug)]
pub struct PlanView {
    pub plan: Option<TreatmentPlan>,
    pub template: PlanTemplate,
    pub may_sign_now: bool,
    /// The target date a new plan suggests (eight weeks on).
    pub default_target_by: DateTime<Utc>,
}

impl App {
    async fn record_page<T>(
        &self,
        who: &Authenticated,
        client: UserId,
        record: T,
    ) -> AppResult<RecordPage<T>> {
        let own = who.user.id == client;
        let client_name = if own {
            who.user.display_name.to_string()
        } else {
            self.client_name(who, client).await?
        };
        let may = self.client_permissions(who, client).await?;
        Ok(RecordPage { client, client_name, own, may, record })
    }

    /// The progress page: every measure the client took (audited as a read).
    pub async fn progress_page(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<RecordPage<Vec<MeasureRow>>> {
        let measures = self.list_measures(who, client, None, ctx).await?;
        self.record_page(who, client, measures).await
    }

    /// The safety plan page (audited as a read).
    pub async fn safety_plan_page(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<RecordPage<Option<StoredSafetyPlan>>> {
        let plan = self.safety_plan(who, client, ctx).await?;
        self.record_page(who, client, plan).await
    }

    /// The treatment plan page (audited as a read).
    pub async fn treatment_plan_page(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<RecordPage<PlanView>> {
        let plan = self.treatment_plan(who, client, ctx).await?;
        let template = self.plan_template_for(client).await?;
        let page = self.record_page(who, client, ()).await?;
        let own = page.own;
        let may_sign_now = page.may.sign_treatment_plan
            && plan.as_ref().is_some_and(|p| {
                if own { p.client_signed_at.is_none() } else { p.therapist_signed_at.is_none() }
            });
        let view = PlanView {
            plan,
            template,
            may_sign_now,
            default_target_by: self.clock.now() + chrono::Duration::weeks(8),
        };
        Ok(RecordPage {
            client: page.client,
            client_name: page.client_name,
            own,
            may: page.may,
            record: view,
        })
    }
}
