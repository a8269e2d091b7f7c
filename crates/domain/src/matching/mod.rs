//! Batch placement: everyone waiting placed into groups at once, at the least total cost.
//!
//! # The problem
//!
//! Each waiting client may join a few candidate groups (the caller has already removed
//! every group a hard rule forbids), each at an integer cost where lower is better: the
//! caller turns fit and waiting time into cost, such as `1000 - fit`. Each group has some
//! free seats. A client who gets no seat stays waiting at their overflow cost, set well
//! above any candidate cost when placing them matters more than how well they fit. A
//! [`PlacementProblem`] asks for the assignment of minimum total cost that overfills no
//! group; [`solve_placement`] returns one ([`BatchPlacement`]).
//!
//! As a flow network this is source → client (1 unit each) → group (capacity: free seats)
//! → sink, plus each client's overflow arc straight to the sink: a transportation problem
//! with many clients and few groups.
//!
//! # The algorithm
//!
//! Integer arithmetic only. The solver keeps a price `π(g) ≥ 0` per group (the dual
//! variables; overflow's price is 0) and two invariants throughout:
//!
//! - **(A)** every client sits at an option minimising `cost + π` among their candidates
//!   and overflow;
//! - **(B)** a group with a positive price is full (it may be over-full until the end).
//!
//! It runs in three steps:
//!
//! 1. **Cheapest options.** With every price 0, each client takes their cheapest option.
//!    Both invariants hold; the only flaw is that some groups are over capacity.
//! 2. **Bulk price rises.** A group with a large excess (a popular group) raises its price
//!    by just enough that its `excess` least attached members find another option equally
//!    good, and they move there (coordinate ascent on the dual). Both invariants still
//!    hold. This takes a bounded amount of work, and ties can make it go round in circles.
//! 3. **Shortest augmenting paths.** For each remaining extra member of an over-full group,
//!    Dijkstra's algorithm runs over the groups: moving member `i` of group `g` to their
//!    option `h` costs `cost(i, h) + π(h) − cost(i, g) − π(g)`, never negative by
//!    (A) (Johnson's reduced costs), and a path ends at a group with a free seat
//!    (price 0 by (B)) or at overflow. It stops at the nearest such end, at
//!    distance `D`; every group settled at distance `d < D` raises its price by `D − d`,
//!    which makes every arc of the path cost exactly 0 and keeps all others non-negative;
//!    then each client on the path moves one step along it. Settled groups are full
//!    (a search ends at the first group with room), so (B) holds; the clients who
//!    moved did so along zero-cost arcs, so (A) does too. A path takes one client
//!    out of the over-full group and fills one free seat (or sends one client to
//!    overflow), so each search removes one unit of excess.
//!
//! Searches read groups, not clients: each group keeps its members' onward arcs (every
//! other candidate and overflow) side by side, so settling a group is one sweep over a
//! contiguous array, and the priority queue is a radix heap, which suits the non-negative
//! integer distances of Dijkstra's algorithm. Most excess is a few steps from a free seat,
//! so most searches settle a handful of groups; with 100,000 clients, 1,000 groups and 10
//! candidates each, a release build takes about 20 ms when there are 120 seats per group,
//! and about 0.25 s when there are exactly enough (100 per group), where the last paths
//! cross most groups.
//!
//! # Why it is exact
//!
//! At the end no group is over-full, so the assignment is feasible, and the prices prove it
//! optimal. Let `u(i)` be client `i`'s cost plus their option's price. For any feasible
//! assignment `y`, where `y(i)` is client `i`'s option and `c(i, ·)` their costs,
//!
//! ```text
//! Σᵢ c(i, y(i))  ≥  Σᵢ (u(i) − π(y(i)))           by (A)
//!                ≥  Σᵢ u(i) − Σ_g π(g) · seats(g)   as y fills at most seats(g) of g and π ≥ 0
//!                =  Σᵢ c(i, x(i))                    for ours, x: it fills every priced group
//! ```
//!
//! (the last line by (A) and (B)): no assignment within the capacities costs less. This is
//! linear-programming duality for the transportation problem. The tests check this
//! certificate on the solver's answers, and compare with brute force on small problems.
//!
//! # DIMACS
//!
//! [`parse_dimacs`] reads min-cost-flow files of exactly this shape, and [`to_dimacs`]
//! writes them (nodes: source, clients, groups, sink, numbered in that order):
//!
//! ```text
//! c one source supplying one unit per client, and the sink taking them all
//! p min NODES ARCS
//! n SOURCE CLIENTS
//! n SINK -CLIENTS
//! a SOURCE CLIENT 0 1 0          one per client
//! a CLIENT GROUP 0 1 COST        one per candidate
//! a CLIENT SINK 0 1 OVERFLOW     one per client
//! a GROUP SINK 0 SEATS 0         one per group
//! ```
//!
//! Roles come from the arcs, not the numbering: the client nodes are the heads of the
//! source's arcs, and the group nodes the other nodes the clients point to. Anything else,
//! such as an arc from a group to a client, is refused with the line at fault.
//! [`generate_placement_problem`] makes deterministic random problems for benchmarks.

mod dimacs;
mod dimacs_lines;
mod generate;
mod problem;
mod radix;
mod solver;

#[cfg(test)]
mod dimacs_tests;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

pub use dimacs::{DimacsError, parse_dimacs, to_dimacs};
pub use generate::{GENERATED_OVERFLOW_COST, generate_placement_problem};
pub use problem::{
    BatchPlacement, GroupCandidate, MAX_PLACEMENT_COST, PlacementError, PlacementProblem,
};
pub use solver::solve_placement;
