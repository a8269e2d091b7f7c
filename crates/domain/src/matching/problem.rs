//! The problem as data: free seats per group, each client's candidate groups with their
//! costs, and the cost of leaving each client unplaced.

/// The largest cost magnitude a problem may hold. Costs lie in
/// `-MAX_PLACEMENT_COST..=MAX_PLACEMENT_COST`, so any total cost, and every price and
/// distance the solver derives, fits in an `i64`.
pub const MAX_PLACEMENT_COST: i64 = 1_000_000_000;

/// The most clients, groups or candidates a problem may have (2³⁰), so that the solver's
/// 32-bit indices never overflow.
const MAX_SIZE: usize = 1 << 30;

/// One group a client may join, and what placing them there costs (lower is a better fit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupCandidate {
    /// The group's index, `0..groups`.
    pub group: usize,
    /// The cost of this placement, within ±[`MAX_PLACEMENT_COST`].
    pub cost: i64,
}

/// Why a placement problem is not well formed.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlacementError {
    #[error(
        "{lists} candidate lists but {overflow_costs} overflow costs: each client needs one of each"
    )]
    ClientCountMismatch { lists: usize, overflow_costs: usize },
    #[error(
        "client {client} lists group {group}, but the groups are numbered 0 to {groups} (exclusive)"
    )]
    UnknownGroup { client: usize, group: usize, groups: usize },
    #[error("client {client} lists group {group} more than once")]
    DuplicateCandidate { client: usize, group: usize },
    #[error("client {client} has a cost of {cost}, outside ±{MAX_PLACEMENT_COST}")]
    CostOutOfRange { client: usize, cost: i64 },
    #[error("more than {MAX_SIZE} clients, groups or candidates")]
    TooLarge,
}

/// Everyone waiting, the groups with free seats, and what each placement costs.
///
/// Client `i` may join only the groups in `candidates(i)` (the caller has already removed
/// every group a hard rule forbids), or stay unplaced at `overflow_cost(i)`. Built through
/// [`PlacementProblem::new`], so every group index is in range, no client lists a group
/// twice and every cost is within ±[`MAX_PLACEMENT_COST`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementProblem {
    capacities: Vec<u32>,
    /// Client `i`'s candidates are `candidates[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    candidates: Vec<GroupCandidate>,
    overflow_costs: Vec<i64>,
}

impl PlacementProblem {
    /// A problem with `capacities.len()` groups (free seats each) and one client per entry
    /// of `candidates` and `overflow_costs`.
    pub fn new(
        capacities: Vec<u32>,
        candidates: Vec<Vec<GroupCandidate>>,
        overflow_costs: Vec<i64>,
    ) -> Result<Self, PlacementError> {
        if candidates.len() != overflow_costs.len() {
            return Err(PlacementError::ClientCountMismatch {
                lists: candidates.len(),
                overflow_costs: overflow_costs.len(),
            });
        }
        let mut starts = Vec::with_capacity(candidates.len() + 1);
        starts.push(0);
        let mut flat = Vec::with_capacity(candidates.iter().map(Vec::len).sum());
        for list in candidates {
            flat.extend(list);
            starts.push(flat.len());
        }
        Self::from_flat(capacities, starts, flat, overflow_costs)
    }

    /// Checks and wraps the flat form; `starts` begins at 0, never decreases and ends at
    /// `candidates.len()`, one more entry than there are clients.
    pub(super) fn from_flat(
        capacities: Vec<u32>,
        starts: Vec<usize>,
        candidates: Vec<GroupCandidate>,
        overflow_costs: Vec<i64>,
    ) -> Result<Self, PlacementError> {
        debug_assert_eq!(starts.len(), overflow_costs.len() + 1);
        debug_assert_eq!(starts.last().copied(), Some(candidates.len()));
        if [overflow_costs.len(), capacities.len(), candidates.len()].iter().any(|&n| n > MAX_SIZE)
        {
            return Err(PlacementError::TooLarge);
        }
        let in_range = |cost: i64| (-MAX_PLACEMENT_COST..=MAX_PLACEMENT_COST).contains(&cost);
        // Which client last listed each group: finds duplicates in one pass.
        let mut last_lister = vec![usize::MAX; capacities.len()];
        for (client, window) in starts.windows(2).enumerate() {
            let cost = overflow_costs[client];
            if !in_range(cost) {
                return Err(PlacementError::CostOutOfRange { client, cost });
            }
            for &GroupCandidate { group, cost } in &candidates[window[0]..window[1]] {
                if group >= capacities.len() {
                    return Err(PlacementError::UnknownGroup {
                        client,
                        group,
                        groups: capacities.len(),
                    });
                }
                if last_lister[group] == client {
                    return Err(PlacementError::DuplicateCandidate { client, group });
                }
                last_lister[group] = client;
                if !in_range(cost) {
                    return Err(PlacementError::CostOutOfRange { client, cost });
                }
            }
        }
        Ok(Self { capacities, starts, candidates, overflow_costs })
    }

    /// How many clients are waiting.
    pub fn clients(&self) -> usize {
        self.overflow_costs.len()
    }

    /// How many groups there are.
    pub fn groups(&self) -> usize {
        self.capacities.len()
    }

    /// Free seats per group.
    pub fn capacities(&self) -> &[u32] {
        &self.capacities
    }

    /// The groups `client` may join, with their costs, in the order given.
    pub fn candidates(&self, client: usize) -> &[GroupCandidate] {
        &self.candidates[self.starts[client]..self.starts[client + 1]]
    }

    /// What leaving `client` unplaced costs.
    pub fn overflow_cost(&self, client: usize) -> i64 {
        self.overflow_costs[client]
    }

    /// Every client's overflow cost, by client.
    pub fn overflow_costs(&self) -> &[i64] {
        &self.overflow_costs
    }

    /// How many client–group candidate pairs there are in all.
    pub fn candidate_count(&self) -> usize {
        self.candidates.len()
    }

    /// The cost of `assignment` (a group per client, or `None` for unplaced), or `None`
    /// when it has the wrong length, names a group the client did not list, or overfills a
    /// group.
    pub fn cost_of(&self, assignment: &[Option<usize>]) -> Option<i64> {
        if assignment.len() != self.clients() {
            return None;
        }
        let mut seats = self.capacities.clone();
        let mut total = 0i64;
        for (client, choice) in assignment.iter().enumerate() {
            total += match *choice {
                None => self.overflow_costs[client],
                Some(group) => {
                    let found = self.candidates(client).iter().find(|c| c.group == group)?;
                    let left = seats.get_mut(group)?;
                    *left = left.checked_sub(1)?;
                    found.cost
                }
            };
        }
        Some(total)
    }
}

/// A best placement: a group per client (`None`: stays unplaced, at their overflow cost)
/// and the total cost, which no other placement within the capacities beats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPlacement {
    /// By client: the group they join, or `None` when they stay waiting.
    pub assignment: Vec<Option<usize>>,
    /// The sum of every client's cost (candidate cost, or overflow cost when unplaced).
    pub total_cost: i64,
}
