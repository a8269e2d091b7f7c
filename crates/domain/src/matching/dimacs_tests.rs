//! DIMACS files: the written layout, a hand-made file with its own numbering, and every
//! way a file can fail to be a placement problem, each refused with its line.

use super::tests::problem;
use super::*;

/// Two clients, two groups: client 0 lists group 1 (cost 4) then group 0 (cost 9); client
/// 1 lists group 0 (cost 2). Group 0 has 1 seat, group 1 has 2; overflow costs 100 and 90.
fn two_by_two() -> PlacementProblem {
    let lists = vec![
        vec![GroupCandidate { group: 1, cost: 4 }, GroupCandidate { group: 0, cost: 9 }],
        vec![GroupCandidate { group: 0, cost: 2 }],
    ];
    PlacementProblem::new(vec![1, 2], lists, vec![100, 90]).expect("well formed")
}

#[test]
fn a_problem_is_written_source_clients_groups_sink() {
    let text = to_dimacs(&two_by_two());
    let lines: Vec<&str> = text.lines().filter(|line| !line.starts_with('c')).collect();
    assert_eq!(
        lines,
        [
            "p min 6 9",
            "n 1 2",
            "n 6 -2",
            "a 1 2 0 1 0",
            "a 1 3 0 1 0",
            "a 2 5 0 1 4",
            "a 2 4 0 1 9",
            "a 2 6 0 1 100",
            "a 3 4 0 1 2",
            "a 3 6 0 1 90",
            "a 4 6 0 1 0",
            "a 5 6 0 2 0",
        ]
    );
}

#[test]
fn a_file_with_its_own_numbering_and_order_is_read_by_the_roles_of_its_nodes() {
    // Sink 1, groups 2 and 5, source 3, clients 6 and 4 (client 4 comes first by number),
    // arcs in no particular order, and comments and blank lines between.
    let text = "c made by hand\n\
                p min 6 9\n\
                \n\
                n 3 2\n\
                n 1 -2\n\
                a 5 1 0 2 0\n\
                a 6 2 0 1 2\n\
                a 3 6 0 1 0\n\
                c client 4 lists group 5, then group 2\n\
                a 4 5 0 1 4\n\
                a 4 2 0 1 9\n\
                a 2 1 0 1 0\n\
                a 4 1 0 1 100\n\
                a 3 4 0 1 0\n\
                a 6 1 0 1 90\n";
    assert_eq!(parse_dimacs(text), Ok(two_by_two()));
}

#[test]
fn a_generated_problem_survives_a_round_trip() {
    let problem = generate_placement_problem(200, 15, 5, 12, 3);
    assert_eq!(parse_dimacs(&to_dimacs(&problem)), Ok(problem));
    let empty = problem_with_nobody();
    assert_eq!(parse_dimacs(&to_dimacs(&empty)), Ok(empty));
}

fn problem_with_nobody() -> PlacementProblem {
    problem(&[3], &[], 0)
}

/// The written form of `two_by_two`, with line `at` (from 1) replaced by `line`.
fn with_line(at: usize, line: &str) -> String {
    let text = to_dimacs(&two_by_two());
    let mut lines: Vec<&str> = text.lines().collect();
    lines[at - 1] = line;
    lines.join("\n")
}

/// Asserts that `text` is refused at `line` for a reason containing `words`.
#[track_caller]
fn refused(text: &str, line: usize, words: &str) {
    let err = parse_dimacs(text).expect_err("not a placement problem");
    assert_eq!(err.line, line, "{err}");
    assert!(err.reason.contains(words), "{err}");
    assert!(err.to_string().starts_with(&format!("line {line}: ")));
}

#[test]
fn arcs_that_break_the_placement_shape_are_refused_with_their_line() {
    // The written file: 2 comments, p on line 3, n on 4-5, source arcs on 6-7, client 2's
    // arcs on 8-10, client 3's on 11-12, group arcs on 13-14.
    refused(&with_line(8, "a 5 2 0 1 4"), 8, "from a group node to a client node is not part");
    refused(&with_line(8, "a 2 3 0 1 4"), 8, "from a client node to a client node");
    refused(&with_line(13, "a 4 5 0 1 0"), 13, "from a group node to a group node");
    refused(&with_line(13, "a 6 4 0 1 0"), 13, "from the sink to a group node");
    refused(&with_line(13, "a 4 1 0 1 0"), 13, "from a group node to the source");
    refused(&with_line(6, "a 1 6 0 1 0"), 6, "from the source to the sink");
    refused(&with_line(9, "a 2 5 0 1 9"), 9, "a second arc from client node 2 to group node 5");
    refused(&with_line(11, "a 3 6 0 1 4"), 12, "a second overflow arc from client node 3");
    refused(&with_line(14, "a 4 6 0 2 0"), 14, "a second arc from group node 4 to the sink");
}

#[test]
fn capacities_costs_and_bounds_outside_the_shape_are_refused_with_their_line() {
    refused(&with_line(6, "a 1 2 0 2 0"), 6, "an arc from the source must have capacity 1");
    refused(&with_line(6, "a 1 2 0 1 3"), 6, "an arc from the source must cost 0");
    refused(&with_line(8, "a 2 5 0 2 4"), 8, "a client to a group must have capacity 1");
    refused(&with_line(10, "a 2 6 0 3 100"), 10, "an overflow arc must have capacity 1");
    refused(&with_line(13, "a 4 6 0 1 5"), 13, "a group to the sink must cost 0");
    refused(&with_line(13, "a 4 6 0 -1 0"), 13, "a group's capacity must be 0 to");
    refused(&with_line(8, "a 2 5 1 1 4"), 8, "lower bounds other than 0");
    refused(&with_line(8, "a 2 5 0 1 1000000001"), 8, "outside ±1000000000");
}

#[test]
fn missing_or_extra_arcs_and_nodes_are_refused_naming_a_line() {
    // Client 3 loses its overflow arc: named at its first arc, the source's (line 7).
    let text = with_line(12, "c no overflow").replace("p min 6 9", "p min 6 8");
    refused(&text, 7, "client node 3 has no overflow arc");
    // Group 5 loses its arc to the sink: named at its first arc (line 8).
    let text = with_line(14, "c no seats").replace("p min 6 9", "p min 6 8");
    refused(&text, 8, "group node 5 has no arc to the sink");
    refused(&with_line(14, "c gone"), 3, "announces 9 arcs but the file has 8");
    refused(&with_line(3, "p min 7 9"), 3, "node 7 has no arcs");
    let text = with_line(4, "n 1 3").replace("n 6 -2", "n 6 -3");
    refused(&text, 4, "supplies 3 units but has arcs to 2 clients");
    refused(&with_line(5, "n 6 -3"), 5, "the sink takes 3 units but the source supplies 2");
    refused(&with_line(5, "n 2 4"), 5, "one source");
    refused(&with_line(5, "c no sink"), 3, "must each have an `n NODE SUPPLY` line");
    refused(&with_line(5, "n 6 0"), 3, "must each have an `n NODE SUPPLY` line");
}

#[test]
fn lines_that_are_not_dimacs_are_refused_with_their_line() {
    refused(&with_line(3, "p max 6 9"), 3, "must read `p min NODES ARCS`");
    refused(&with_line(3, "p min six 9"), 3, "`six` is not an integer");
    refused(&with_line(3, "c no problem line"), 4, "must come first");
    refused(&with_line(8, "a 2 5 0 1"), 8, "must read `a FROM TO LOW CAP COST`");
    refused(&with_line(8, "a 2 9 0 1 4"), 8, "node 9 is outside 1..=6");
    refused(&with_line(8, "x 2 5 0 1 4"), 8, "unknown line type `x`");
    refused(&with_line(4, "n 1"), 4, "must read `n NODE SUPPLY`");
    refused(&with_line(5, "n 1 -2"), 5, "a second supply for node 1");
    refused(&with_line(2, "p min 6 9"), 3, "a second problem line");
    refused("c nothing\n", 1, "no problem line");
    refused("", 1, "no problem line");
    refused("p min 99999 0\n", 1, "cannot fit in this file");
}
