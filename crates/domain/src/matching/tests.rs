//! Hand-made problems with known answers, and the optimality certificate the other tests use.

use super::solver::solve_with_prices;
use super::*;

/// A problem from `(group, cost)` lists, every client overflowing at `overflow`.
pub(super) fn problem(seats: &[u32], lists: &[&[(usize, i64)]], overflow: i64) -> PlacementProblem {
    let lists: Vec<Vec<GroupCandidate>> = lists
        .iter()
        .map(|list| list.iter().map(|&(group, cost)| GroupCandidate { group, cost }).collect())
        .collect();
    let overflow = vec![overflow; lists.len()];
    PlacementProblem::new(seats.to_vec(), lists, overflow).expect("a well-formed problem")
}

/// Why `placement` is not proved optimal for `problem` by `prices`, if it is not: the
/// checks of the proof in the module documentation.
pub(super) fn certificate_flaw(
    problem: &PlacementProblem,
    placement: &BatchPlacement,
    prices: &[i64],
) -> Option<String> {
    if problem.cost_of(&placement.assignment) != Some(placement.total_cost) {
        return Some("the assignment is infeasible or its total is wrong".into());
    }
    let mut load = vec![0; problem.groups()];
    for &group in placement.assignment.iter().flatten() {
        load[group] += 1;
    }
    for (group, &price) in prices.iter().enumerate() {
        let seats = problem.capacities()[group];
        if price < 0 || (price > 0 && load[group] != seats) {
            let load = load[group];
            return Some(format!("group {group} has price {price} and {load} of {seats} seats"));
        }
    }
    for (client, choice) in placement.assignment.iter().enumerate() {
        let candidates = problem.candidates(client);
        let value = |choice: Option<usize>| match choice {
            None => Some(problem.overflow_cost(client)),
            Some(g) => candidates.iter().find(|c| c.group == g).map(|c| c.cost + prices[g]),
        };
        let best = candidates.iter().filter_map(|c| value(Some(c.group))).chain(value(None)).min();
        if best != value(*choice) {
            return Some(format!("client {client} is not at a cheapest option at these prices"));
        }
    }
    None
}

/// Solves, and fails the test unless the prices prove the answer optimal.
pub(super) fn solve_certified(problem: &PlacementProblem) -> BatchPlacement {
    let (placement, prices) = solve_with_prices(problem);
    if let Some(flaw) = certificate_flaw(problem, &placement, &prices) {
        panic!("{flaw}");
    }
    placement
}

#[test]
fn one_seat_goes_to_the_client_who_would_lose_most_without_it() {
    // Both want group 0's one seat; client 1's alternative is far worse.
    let p = problem(&[1, 5], &[&[(0, 0), (1, 10)], &[(0, 0), (1, 50)]], 1000);
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment, [Some(1), Some(0)]);
    assert_eq!(placed.total_cost, 10);
}

#[test]
fn a_greedy_first_choice_is_undone_when_a_chain_of_moves_is_cheaper() {
    // Greedy in order puts client 0 in A and client 1 in B, leaving client 2 (who can only
    // join A) unplaced at 100. The optimum moves client 1 to C and client 0 to B.
    let p = problem(&[1, 1, 1], &[&[(0, 0), (1, 1)], &[(1, 0), (2, 1)], &[(0, 0)]], 100);
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment, [Some(1), Some(2), Some(0)]);
    assert_eq!(placed.total_cost, 2);
}

#[test]
fn everyone_gets_their_first_choice_when_it_fits() {
    let p = problem(&[2, 2], &[&[(0, 3), (1, 5)], &[(1, 1), (0, 9)], &[(0, 4)], &[(1, 0)]], 50);
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment, [Some(0), Some(1), Some(0), Some(1)]);
    assert_eq!(placed.total_cost, 8);
}

#[test]
fn clients_overflow_only_when_capacity_runs_out() {
    // Three clients, two seats in all: exactly one stays waiting, the one whose seat would
    // be the worst fit.
    let p = problem(&[1, 1], &[&[(0, 1), (1, 2)], &[(0, 5), (1, 9)], &[(1, 1)]], 100);
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment, [Some(0), None, Some(1)]);
    assert_eq!(placed.total_cost, 102);
}

#[test]
fn overflow_wins_when_it_is_cheaper_than_every_candidate() {
    let p = problem(&[3], &[&[(0, 80)], &[(0, 20)]], 50);
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment, [None, Some(0)]);
    assert_eq!(placed.total_cost, 70);
}

#[test]
fn a_client_with_no_candidates_stays_unplaced() {
    let p = problem(&[1], &[&[], &[(0, 7)]], 40);
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment, [None, Some(0)]);
    assert_eq!(placed.total_cost, 47);
}

#[test]
fn negative_costs_are_placed_like_any_other() {
    let p = problem(&[1, 1], &[&[(0, -5), (1, -4)], &[(0, -9)]], 0);
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment, [Some(1), Some(0)]);
    assert_eq!(placed.total_cost, -13);
}

#[test]
fn nothing_to_place_costs_nothing() {
    let p = problem(&[], &[], 0);
    assert_eq!(solve_certified(&p), BatchPlacement { assignment: vec![], total_cost: 0 });
    let p = problem(&[4, 0], &[], 0);
    assert_eq!(solve_certified(&p).total_cost, 0);
}

#[test]
fn a_group_everyone_wants_first_is_settled_in_bulk_and_still_optimally() {
    // 300 clients all put group 0 first: a bulk price rise moves most of them on at once.
    let base = generate_placement_problem(300, 12, 4, 20, 9);
    let lists = (0..base.clients())
        .map(|client| {
            let mut list: Vec<GroupCandidate> =
                base.candidates(client).iter().copied().filter(|c| c.group != 0).collect();
            list.push(GroupCandidate { group: 0, cost: -1 });
            list
        })
        .collect();
    let p =
        PlacementProblem::new(base.capacities().to_vec(), lists, base.overflow_costs().to_vec())
            .expect("still well formed");
    let placed = solve_certified(&p);
    assert_eq!(placed.assignment.iter().filter(|g| **g == Some(0)).count(), 20);
}

#[test]
fn ties_everywhere_still_end_with_a_proof() {
    // Equal costs make the bulk price rise move clients back and forth at no gain; its
    // budget stops that and the searches finish.
    let lists: Vec<&[(usize, i64)]> = vec![&[(0, 0), (1, 0)]; 40];
    let p = problem(&[10, 10], &lists, 5);
    let placed = solve_certified(&p);
    assert_eq!(placed.total_cost, 20 * 5);
}

#[test]
fn malformed_problems_are_refused_with_the_client_named() {
    let at = |group, cost| GroupCandidate { group, cost };
    assert_eq!(
        PlacementProblem::new(vec![1], vec![vec![at(1, 0)]], vec![0]),
        Err(PlacementError::UnknownGroup { client: 0, group: 1, groups: 1 })
    );
    assert_eq!(
        PlacementProblem::new(vec![1], vec![vec![], vec![at(0, 1), at(0, 2)]], vec![0, 0]),
        Err(PlacementError::DuplicateCandidate { client: 1, group: 0 })
    );
    let huge = MAX_PLACEMENT_COST + 1;
    assert_eq!(
        PlacementProblem::new(vec![1], vec![vec![at(0, huge)]], vec![0]),
        Err(PlacementError::CostOutOfRange { client: 0, cost: huge })
    );
    assert_eq!(
        PlacementProblem::new(vec![1], vec![vec![]], vec![-huge]),
        Err(PlacementError::CostOutOfRange { client: 0, cost: -huge })
    );
    assert_eq!(
        PlacementProblem::new(vec![1], vec![vec![]], vec![]),
        Err(PlacementError::ClientCountMismatch { lists: 1, overflow_costs: 0 })
    );
}

#[test]
fn cost_of_refuses_overfull_unlisted_or_short_assignments() {
    let p = problem(&[1, 1], &[&[(0, 1)], &[(0, 2), (1, 3)]], 10);
    assert_eq!(p.cost_of(&[Some(0), Some(1)]), Some(4));
    assert_eq!(p.cost_of(&[None, None]), Some(20));
    assert_eq!(p.cost_of(&[Some(0), Some(0)]), None);
    assert_eq!(p.cost_of(&[Some(1), None]), None);
    assert_eq!(p.cost_of(&[Some(0)]), None);
}

#[test]
fn the_generator_is_deterministic_and_draws_distinct_in_range_groups() {
    let a = generate_placement_problem(50, 7, 10, 3, 42);
    assert_eq!(a, generate_placement_problem(50, 7, 10, 3, 42));
    assert_ne!(a, generate_placement_problem(50, 7, 10, 3, 43));
    assert_eq!((a.clients(), a.groups(), a.capacities()), (50, 7, &[3; 7][..]));
    for client in 0..a.clients() {
        // k is capped at the number of groups; PlacementProblem::new already refuses
        // duplicates and out-of-range groups.
        assert_eq!(a.candidates(client).len(), 7);
        assert!(a.candidates(client).iter().all(|c| (0..1000).contains(&c.cost)));
        assert_eq!(a.overflow_cost(client), GENERATED_OVERFLOW_COST);
    }
}

#[test]
fn generated_problems_of_a_thousand_clients_are_solved_with_a_proof() {
    for (capacity, seed) in [(8, 1), (10, 2), (12, 3), (5, 4)] {
        solve_certified(&generate_placement_problem(1000, 100, 6, capacity, seed));
    }
}

/// `cargo test -p hearth-domain --release -- --ignored --nocapture` prints the timings.
#[test]
#[ignore = "a timing run: use a release build"]
fn placing_100k_clients_in_1000_groups_is_timed_in_release() {
    for capacity in [120, 100] {
        let p = generate_placement_problem(100_000, 1_000, 10, capacity, 1);
        let mut best = std::time::Duration::MAX;
        let mut placed = None;
        for _ in 0..5 {
            let started = std::time::Instant::now();
            placed = Some(solve_placement(&p));
            best = best.min(started.elapsed());
        }
        let placed = placed.expect("solved five times");
        let unplaced = placed.assignment.iter().filter(|g| g.is_none()).count();
        println!(
            "capacity {capacity}: best of 5 {:.1} ms, total cost {}, unplaced {unplaced}",
            best.as_secs_f64() * 1e3,
            placed.total_cost
        );
        solve_certified(&p);
    }
}
