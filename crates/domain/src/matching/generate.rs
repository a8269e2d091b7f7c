//! A deterministic random problem for benchmarks and tests, with no dependency beyond std.

use super::problem::{GroupCandidate, PlacementProblem};

/// The overflow cost of every generated client: well above any candidate cost (0–999), so
/// a client stays unplaced only when no seat can be made free for them.
pub const GENERATED_OVERFLOW_COST: i64 = 10_000;

/// xorshift64* (Vigna): fast, and plenty for spreading test data.
#[derive(Debug)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        // splitmix64 of the seed: nearby seeds start far apart and the state is never 0.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; its bias is below 2⁻³² here).
    fn below(&mut self, n: usize) -> usize {
        let wide = u128::from(self.next()) * n as u128;
        usize::try_from(wide >> 64).unwrap_or(0)
    }
}

/// `clients` clients, each with `k` distinct random candidate groups (fewer when there are
/// fewer groups) at costs 0–999, among `groups` groups of `capacity` seats; every overflow
/// cost is [`GENERATED_OVERFLOW_COST`]. The same arguments always give the same problem.
///
/// # Panics
///
/// When the problem would exceed [`PlacementProblem`]'s size limit (2³⁰ clients, groups or
/// candidates).
pub fn generate_placement_problem(
    clients: usize,
    groups: usize,
    k: usize,
    capacity: u32,
    seed: u64,
) -> PlacementProblem {
    let k = k.min(groups);
    let most = clients.max(groups).max(clients.saturating_mul(k));
    assert!(most <= 1 << 30, "more than 2^30 clients, groups or candidates");
    let mut rng = XorShift::new(seed);
    // Partial Fisher–Yates over a shuffled deck: each client draws k distinct groups in
    // O(k), whatever the deck's order after the previous draws.
    let mut deck: Vec<usize> = (0..groups).collect();
    let mut starts = Vec::with_capacity(clients + 1);
    starts.push(0);
    let mut candidates = Vec::with_capacity(clients * k);
    for _ in 0..clients {
        for drawn in 0..k {
            let pick = drawn + rng.below(groups - drawn);
            deck.swap(drawn, pick);
            let cost = i64::try_from(rng.below(1000)).unwrap_or(0);
            candidates.push(GroupCandidate { group: deck[drawn], cost });
        }
        starts.push(candidates.len());
    }
    let capacities = vec![capacity; groups];
    let overflow_costs = vec![GENERATED_OVERFLOW_COST; clients];
    PlacementProblem::from_flat(capacities, starts, candidates, overflow_costs)
        .expect("generated groups are distinct and in range, and costs are 0-999")
}
