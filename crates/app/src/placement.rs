//! Batch placement: everyone waiting since their intake is placed at once, maximising total
//! fit (and favouring those who have waited longest when seats are scarce) under every
//! group's free seats and every hard rule, by an exact min-cost flow. The coordinator
//! previews the proposal with each person's reasons and confirms; confirmed placements
//! become seat offers held like any waitlist offer.

use chrono::{DateTime, Utc};
use hearth_domain::{FitReason, Group, User};
use hearth_domain::{GroupCandidate, GroupId, PlacementProblem, Role, UserId, solve_placement};
use std::collections::HashMap;

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// Candidate groups considered per person.
const CANDIDATES: usize = 10;

/// One person's place in the proposal.
#[derive(Clone, Debug)]
pub struct ProposedPlacement {
    pub client: User,
    pub waiting_since: DateTime<Utc>,
    /// `None`: no free seat fits them this round.
    pub group: Option<Group>,
    pub score: i32,
    pub reasons: Vec<FitReason>,
}

impl App {
    /// The optimal proposal for everyone waiting (coordinators and admins).
    pub async fn placement_proposal(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<Vec<ProposedPlacement>> {
        if !matches!(who.user.role, Role::Coordinator | Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        let waiting = self.db.list_unplaced_intakes().await?;
        let mut people = Vec::new();
        let mut group_index: HashMap<GroupId, usize> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut candidates = Vec::new();
        let mut overflow = Vec::new();
        for (client, since) in waiting {
            let Some(user) = self.db.find_user(UserId::new(client)).await? else { continue };
            let ranked = self.recommendations(who, user.id, ctx).await?;
            let mut options = Vec::new();
            let mut why = HashMap::new();
            for r in ranked.into_iter().filter(|r| r.group.seats_left() > 0).take(CANDIDATES) {
                let index = *group_index.entry(r.group.id).or_insert_with(|| {
                    groups.push(r.group.clone());
                    groups.len() - 1
                });
                // Lower is better: a perfect fit costs 0.
                options.push(GroupCandidate { group: index, cost: i64::from(100 - r.score) });
                why.insert(index, (r.score, r.reasons));
            }
            // Staying unplaced costs more than any placement, and more the longer one has waited.
            overflow.push(100 + (now - since).num_days().clamp(0, 365));
            candidates.push(options);
            people.push((user, since, why));
        }
        let capacities: Vec<u32> =
            groups.iter().map(|g| u32::try_from(g.seats_left()).unwrap_or(0)).collect();
        let problem = PlacementProblem::new(capacities, candidates, overflow)
            .map_err(|e| anyhow::anyhow!("building the placement problem: {e:?}"))?;
        let solution = solve_placement(&problem);
        let proposal = people
            .into_iter()
            .zip(solution.assignment)
            .map(|((client, waiting_since, mut why), assigned)| {
                let (score, reasons) = assigned
                    .and_then(|g| why.remove(&g))
                    .unwrap_or((0, vec![FitReason::plain("no free seat fits this round")]));
                ProposedPlacement {
                    client,
                    waiting_since,
                    group: assigned.map(|g| groups[g].clone()),
                    score,
                    reasons,
                }
            })
            .collect::<Vec<_>>();
        self.audit(
            ctx,
            "placement.proposed",
            "placement",
            format!("people={} cost={}", proposal.len(), solution.total_cost),
        )
        .await?;
        Ok(proposal)
    }

    /// Turns confirmed (client, group) pairs into held seat offers; returns how many were
    /// offered (a pair whose seat was taken meanwhile, or who may no longer join, is skipped).
    pub async fn confirm_placements(
        &self,
        who: &Authenticated,
        pairs: &[(UserId, GroupId)],
        ctx: &AuditContext,
    ) -> AppResult<usize> {
        if !matches!(who.user.role, Role::Coordinator | Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        let mut offered = 0;
        for (client, group) in pairs {
            let Some(user) = self.db.find_user(*client).await?.filter(|u| u.role == Role::Client)
            else {
                continue;
            };
            let found = self.find_group(*group).await?;
            if !self.may_join(&user, &found).await? {
                continue;
            }
            let record = self.audited_if(
                ctx,
                "placement.offered",
                format!("client:{client}"),
                format!("group={group}"),
            );
            if self.db.offer_free_seat(*group, *client, now, self.offer_hold, record).await? {
                offered += 1;
            }
        }
        Ok(offered)
    }
}
