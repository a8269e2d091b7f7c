//! Each person's home page as one read: what the page shows depends on the role, and the
//! branching on role lives here, not in the page handler.

use chrono::{DateTime, Utc};
use hearth_domain::{GroupId, OutcomeReport, Role, UserId};

use crate::{
    AdminHome, App, AppResult, AuditContext, Authenticated, CheckInStatus, ClientHome,
    CoordinatorHome, TherapistHome,
};

/// Names of members who missed a check-in shown on a dashboard; the rest are counted.
pub const OVERDUE_NAMES_SHOWN: usize = 20;

/// Members who missed a check-in: the first few (id and name), how many in all, and when
/// the list was made.
pub type Overdue = (Vec<(UserId, String)>, usize, DateTime<Utc>);

/// Everything a dashboard shows; the parts for other roles are empty.
#[derive(Clone, Debug, Default)]
pub struct Dashboard {
    /// Admins: the practice's outcome headline.
    pub headline: Option<OutcomeReport>,
    /// Admins: how many clients and staff the practice has.
    pub client_count: i64,
    pub staff_count: usize,
    /// Clients: whether a check-in is due, and before which meeting.
    pub check_in: Option<CheckInStatus>,
    /// Clients: their best-fitting groups, as (group, topic name, reasons); only for a client
    /// with no group, held seat or waitlist place yet.
    pub suggestions: Vec<(GroupId, String, Vec<hearth_domain::FitReason>)>,
    /// Clients: their sessions, offers, places, requests and call.
    pub home: Option<ClientHome>,
    /// Clients: no intake yet.
    pub needs_intake: bool,
    /// Staff: the first [`OVERDUE_NAMES_SHOWN`] members in their scope who missed a
    /// check-in (id and name), how many missed one in all, and when the list was made.
    pub overdue: Option<Overdue>,
    /// Staff: risk flags not yet acknowledged that they may see.
    pub open_flags: usize,
    /// Therapists: their sessions today and this week.
    pub therapist: Option<TherapistHome>,
    /// Coordinators: who waits, today's calls, switch requests.
    pub coordinator: Option<CoordinatorHome>,
    /// Admins: the practice's figures and lapsing licences.
    pub admin: Option<std::sync::Arc<AdminHome>>,
}

impl App {
    /// `who`'s home page.
    pub async fn dashboard(&self, who: &Authenticated, ctx: &AuditContext) -> AppResult<Dashboard> {
        let mut page = Dashboard::default();
        if who.user.role == Role::Client {
            page.needs_intake = !self.has_intake(who.user.id).await?;
            page.check_in = Some(self.check_in_status(&who.user).await?);
            let home = self.client_home(who, ctx).await?;
            let unplaced = home.unplaced;
            page.home = Some(home);
            if !unplaced {
                return Ok(page);
            }
            let ranked = self.recommendations(who, who.user.id, ctx).await?;
            page.suggestions =
                ranked.into_iter().map(|r| (r.group.id, r.title, r.reasons)).collect();
            return Ok(page);
        }
        match who.user.role {
            Role::Admin => {
                page.headline = Some(self.practice_headline(who, ctx).await?);
                let admin = self.admin_home(who).await?;
                page.client_count = admin.clients;
                page.staff_count = admin.staff;
                page.admin = Some(admin);
            }
            Role::Therapist => page.therapist = Some(self.therapist_home(who).await?),
            Role::Coordinator => page.coordinator = Some(self.coordinator_home(who, ctx).await?),
            Role::Client => {}
        }
        let (list, at) = self.overdue_check_ins_as_of(who).await?;
        let names = list
            .iter()
            .take(OVERDUE_NAMES_SHOWN)
            .map(|(u, _)| (u.id, u.display_name.to_string()))
            .collect();
        page.overdue = Some((names, list.len(), at));
        page.open_flags = self.open_risk_flag_count(who).await?;
        Ok(page)
    }
}
