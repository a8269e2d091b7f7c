//! Property tests: the solver against brute force on small problems, its optimality
//! certificate on larger ones, and DIMACS round trips.

use super::solver::solve_with_prices;
use super::tests::certificate_flaw;
use super::*;
use proptest::prelude::*;

/// Up to 8 clients and 4 groups of 0–3 seats; costs from a narrow range, so ties are
/// common, and overflow sometimes cheaper than a seat.
fn small_problem() -> impl Strategy<Value = PlacementProblem> {
    (1usize..=4, 0usize..=8).prop_flat_map(|(groups, clients)| {
        let seats = proptest::collection::vec(0u32..=3, groups);
        let list = proptest::collection::vec(proptest::option::of(-3i64..12), groups);
        let lists = proptest::collection::vec(list, clients);
        let overflow = proptest::collection::vec(0i64..15, clients);
        (seats, lists, overflow).prop_map(|(seats, lists, overflow)| {
            let lists = lists
                .into_iter()
                .map(|list| {
                    let listed = list.into_iter().enumerate();
                    listed
                        .filter_map(|(group, cost)| Some(GroupCandidate { group, cost: cost? }))
                        .collect()
                })
                .collect();
            PlacementProblem::new(seats, lists, overflow).expect("distinct groups in range")
        })
    })
}

/// The least total cost over every assignment within the capacities, by exhaustive search.
fn brute_force(problem: &PlacementProblem) -> i64 {
    fn walk(
        problem: &PlacementProblem,
        client: usize,
        seats: &mut [u32],
        cost: i64,
        best: &mut i64,
    ) {
        if client == problem.clients() {
            *best = (*best).min(cost);
            return;
        }
        walk(problem, client + 1, seats, cost + problem.overflow_cost(client), best);
        for candidate in problem.candidates(client) {
            if seats[candidate.group] > 0 {
                seats[candidate.group] -= 1;
                walk(problem, client + 1, seats, cost + candidate.cost, best);
                seats[candidate.group] += 1;
            }
        }
    }
    let mut best = i64::MAX;
    walk(problem, 0, &mut problem.capacities().to_vec(), 0, &mut best);
    best
}

/// 20–400 clients over 2–12 groups, half of them drawn to one popular group, so that bulk
/// price rises, long augmenting paths and overflow all happen.
fn larger_problem() -> impl Strategy<Value = PlacementProblem> {
    (20usize..400, 2usize..12, 1usize..5, 1u32..30, any::<u64>(), any::<bool>()).prop_map(
        |(clients, groups, k, capacity, seed, popular)| {
            let base = generate_placement_problem(clients, groups, k, capacity, seed);
            let lists = (0..clients)
                .map(|client| {
                    let mut list = base.candidates(client).to_vec();
                    if popular && client % 2 == 0 && list.iter().all(|c| c.group != 0) {
                        list.push(GroupCandidate { group: 0, cost: 0 });
                    }
                    list
                })
                .collect();
            let overflow = (0..300i64).cycle().take(clients).map(|step| 500 + 7 * step).collect();
            PlacementProblem::new(base.capacities().to_vec(), lists, overflow).expect("well formed")
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn on_small_problems_the_solver_matches_brute_force_and_every_rule(problem in small_problem()) {
        let placed = solve_placement(&problem);
        prop_assert_eq!(placed.total_cost, brute_force(&problem));
        prop_assert_eq!(placed.assignment.len(), problem.clients());
        let mut load = vec![0u32; problem.groups()];
        for (client, choice) in placed.assignment.iter().enumerate() {
            if let Some(group) = *choice {
                prop_assert!(problem.candidates(client).iter().any(|c| c.group == group));
                load[group] += 1;
            }
        }
        for (group, &seats) in problem.capacities().iter().enumerate() {
            let load = load[group];
            prop_assert!(load <= seats, "group {} holds {} of {} seats", group, load, seats);
        }
        prop_assert_eq!(problem.cost_of(&placed.assignment), Some(placed.total_cost));
    }

    #[test]
    fn on_larger_problems_the_prices_prove_the_placement_optimal(problem in larger_problem()) {
        let (placed, prices) = solve_with_prices(&problem);
        let flaw = certificate_flaw(&problem, &placed, &prices);
        prop_assert!(flaw.is_none(), "{}", flaw.unwrap_or_default());
    }

    #[test]
    fn writing_dimacs_and_reading_it_back_gives_the_same_problem(problem in small_problem()) {
        prop_assert_eq!(parse_dimacs(&to_dimacs(&problem)), Ok(problem));
    }
}
