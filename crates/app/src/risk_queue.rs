//! The care team's risk queue: open flags first (acute first, then oldest), then the most
//! recently acknowledged ones, a page at a time. The flags are read and ordered whole (the
//! level is sealed, so the database cannot order by it), and only the page's clients are
//! then read with the facts the policy needs and the names the page shows.

use hearth_domain::access::{Action, Record, decide, decide_regardless_of_ties};
use hearth_domain::{RiskLevel, UserId};
use hearth_store::StoredRiskFlag;
use std::collections::HashMap;

use crate::{App, AppError, AppResult, AuditContext, Authenticated, Paged, Paging, RiskFlagView};

/// Flags a page of the risk queue shows.
pub const RISK_QUEUE_PAGE_SIZE: usize = 20;

impl App {
    /// The whole queue (the API's `GET /risk-flags`).
    pub async fn risk_queue(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<Vec<RiskFlagView>> {
        Ok(self.risk_queue_views(who, None, ctx).await?.items)
    }

    /// Page `page` (from 1; out of range is the nearest) of the queue, for its page.
    pub async fn risk_queue_page(
        &self,
        who: &Authenticated,
        page: usize,
        ctx: &AuditContext,
    ) -> AppResult<Paged<RiskFlagView>> {
        self.risk_queue_views(who, Some(page), ctx).await
    }

    async fn risk_queue_views(
        &self,
        who: &Authenticated,
        page: Option<usize>,
        ctx: &AuditContext,
    ) -> AppResult<Paged<RiskFlagView>> {
        if !who.user.role.is_staff() {
            return Err(AppError::Forbidden);
        }
        // Open flags stay first, acute ones before the rest, each in the store's order (oldest
        // open first, then the most recently acknowledged): only open flags' levels are opened
        // to order them, and the page's flags to show them. The sort is stable.
        let mut keyed = Vec::new();
        for stored in self.db.list_risk_flags(true).await? {
            let key = match stored.acknowledged_at {
                Some(_) => (true, false),
                None => (false, self.risk_flag_level(&stored)? != RiskLevel::Acute),
            };
            keyed.push((key, stored));
        }
        keyed.sort_by_key(|(key, _)| *key);
        let mut flags: Vec<StoredRiskFlag> = keyed.into_iter().map(|(_, stored)| stored).collect();
        // Whether a flag shows depends on the viewer's role alone for staff today; if it ever
        // depends on their ties to each client, every flag's client is read to decide.
        let role_decides =
            decide_regardless_of_ties(who.user.role, Record::RiskSignal, Action::Read);
        let now = self.clock.now();
        let mut found = HashMap::new();
        match role_decides {
            Some(true) => {}
            Some(false) => flags.clear(),
            None => {
                found = self.db.flagged_clients(who.user.id, &clients_of(&flags), now).await?;
                flags.retain(|f| {
                    found.get(&UserId::new(f.client_id)).is_some_and(|c| {
                        let actor =
                            crate::access::actor_for(who, UserId::new(f.client_id), &c.facts);
                        decide(&actor, Record::RiskSignal, Action::Read).allowed()
                    })
                });
            }
        }
        let paging = match page {
            Some(asked) => Paging::clamped(asked, flags.len(), RISK_QUEUE_PAGE_SIZE),
            None => Paging::clamped(1, flags.len(), flags.len()),
        };
        let flags: Vec<_> = flags.into_iter().skip(paging.offset()).take(paging.size).collect();
        if role_decides.is_some() {
            found = self.db.flagged_clients(who.user.id, &clients_of(&flags), now).await?;
        }
        let acknowledgers = self
            .display_names(flags.iter().filter_map(|f| f.acknowledged_by).map(UserId::new))
            .await?;
        let mut views = Vec::with_capacity(flags.len());
        for stored in flags {
            let flag = self.open_risk_flag(stored)?;
            let client_id = UserId::new(flag.client_id);
            let Some(client) = found.get(&client_id) else { continue };
            let actor = crate::access::actor_for(who, client_id, &client.facts);
            let may_respond = decide(&actor, Record::RiskResponse, Action::Read).allowed();
            let disposition = match &flag.disposition {
                Some(sealed) if may_respond => Some(
                    self.vault
                        .open(sealed, &format!("risk_flag:{}", flag.id))
                        .map_err(|e| anyhow::anyhow!("opening a disposition: {e}"))?,
                ),
                _ => None,
            };
            let can_acknowledge = flag.acknowledged_at.is_none()
                && decide(&actor, Record::RiskResponse, Action::Sign).allowed();
            let acknowledged_by =
                flag.acknowledged_by.and_then(|id| acknowledgers.get(&UserId::new(id))).cloned();
            views.push(RiskFlagView {
                client_name: client.name.clone(),
                client_region: client.region.clone(),
                therapist: client.therapist.clone(),
                flag,
                disposition,
                can_acknowledge,
                acknowledged_by,
            });
        }
        self.audit(ctx, "risk.queue.read", "risk_flags", format!("count={}", views.len())).await?;
        Ok(Paged { items: views, paging })
    }
}

/// The clients of `flags`, each once.
fn clients_of(flags: &[StoredRiskFlag]) -> Vec<UserId> {
    let mut clients: Vec<UserId> = flags.iter().map(|f| UserId::new(f.client_id)).collect();
    clients.sort_unstable();
    clients.dedup();
    clients
}
