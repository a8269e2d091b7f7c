//! The solver: cheapest option for everyone, then shortest augmenting paths between groups.

use super::problem::{BatchPlacement, PlacementProblem};
use super::radix::RadixHeap;
use std::collections::VecDeque;

/// "No one" in the client index arrays.
const NONE: u32 = u32::MAX;

/// The excess from which a group's price is raised in bulk before the searches start.
const HEAVY_EXCESS: usize = 8;

/// A node's price and, during a search, its tentative distance: `i64::MAX` while
/// unreached, and `i64::MIN` for nowhere, which nothing beats.
#[derive(Clone, Copy, Debug)]
struct Node {
    price: i64,
    dist: i64,
}

/// A member about to leave their group: how much its price must rise for them to go, and
/// where to.
#[derive(Clone, Copy, Debug)]
struct Leaver {
    slack: i64,
    client: u32,
    to: u32,
    delta: i32,
}

/// A client seated in a group, with what that seat costs them.
#[derive(Clone, Copy, Debug)]
struct Member {
    client: u32,
    cost: i32,
    /// Their arcs are `arcs[start..start + len]` of the group they sit in.
    start: u32,
    len: u32,
}

/// A move open to a member: to another candidate group, or to overflow (the sink).
///
/// `delta` is the new cost minus the member's current one; both lie within
/// ±`MAX_PLACEMENT_COST` (10⁹), so it fits in an `i32`.
#[derive(Clone, Copy, Debug)]
struct Arc {
    target: u32,
    delta: i32,
}

/// Who sits in a group, and their moves stored together, so a search reads a group's arcs
/// in one sweep instead of chasing each client's candidate list.
#[derive(Clone, Debug, Default)]
struct Group {
    members: Vec<Member>,
    arcs: Vec<Arc>,
    /// Arcs of members who left (pointed at the `nowhere` node), reclaimed by `compact`.
    garbage: usize,
}

/// Solves `problem` exactly: no placement within the capacities costs less.
///
/// See the [module documentation](super) for the algorithm and why it is exact.
pub fn solve_placement(problem: &PlacementProblem) -> BatchPlacement {
    let (placement, _prices) = solve_with_prices(problem);
    placement
}

/// The optimum together with the group prices that certify it (the dual solution).
pub(super) fn solve_with_prices(problem: &PlacementProblem) -> (BatchPlacement, Vec<i64>) {
    let mut solver = Solver::new(problem);
    solver.run();
    solver.finish()
}

#[derive(Debug)]
struct Solver<'p> {
    problem: &'p PlacementProblem,
    /// Groups are nodes `0..sink`; then the sink (overflow), then `nowhere`, where the arcs
    /// of departed members point so that no search ever takes them.
    sink: u32,
    nowhere: u32,
    capacity: Vec<u32>,
    groups: Vec<Group>,
    /// Each client's node (a group, or the sink when unplaced) and index in its `members`.
    at: Vec<u32>,
    slot: Vec<u32>,
    /// Prices (the duals: positive only for full groups; the sink's is 0) and, during a
    /// search, distances, side by side so that relaxing an arc reads one place.
    nodes: Vec<Node>,
    /// Whether a path may end at the node: the sink, and every group with a free seat.
    terminal: Vec<bool>,
    search: Search,
}

/// Scratch space for one shortest-path search, reused between searches.
#[derive(Debug)]
struct Search {
    /// The arc that reached each node: its group and index there (`NONE` for the source).
    via: Vec<(u32, u32)>,
    heap: RadixHeap,
    settled: Vec<u32>,
    /// Nodes whose distance to reset to "unreached" after the search.
    touched: Vec<u32>,
}

fn index(i: u32) -> usize {
    i as usize
}

fn narrow(i: usize) -> u32 {
    // PlacementProblem's size limit keeps every index, arcs included, below u32::MAX.
    u32::try_from(i).unwrap_or(NONE)
}

fn small(cost: i64) -> i32 {
    // PlacementProblem keeps costs, and so their differences, within ±2·10⁹.
    i32::try_from(cost).unwrap_or(i32::MAX)
}

impl<'p> Solver<'p> {
    fn new(problem: &'p PlacementProblem) -> Self {
        let clients = problem.clients();
        let groups = problem.groups();
        let mut nodes = vec![Node { price: 0, dist: i64::MAX }; groups + 2];
        nodes[groups + 1].dist = i64::MIN;
        let seats = problem.capacities();
        let terminal =
            (0..groups + 2).map(|node| node == groups || (node < groups && seats[node] > 0));
        let terminal = terminal.collect();
        Self {
            problem,
            sink: narrow(groups),
            nowhere: narrow(groups + 1),
            capacity: problem.capacities().to_vec(),
            groups: vec![Group::default(); groups],
            at: vec![NONE; clients],
            slot: vec![0; clients],
            nodes,
            terminal,
            search: Search {
                via: vec![(NONE, 0); groups + 2],
                heap: RadixHeap::new(),
                settled: Vec::new(),
                touched: Vec::new(),
            },
        }
    }

    /// Seats `client` (currently nowhere) at `node` for `cost`, writing out their arcs.
    fn seat(&mut self, client: u32, node: u32, cost: i32) {
        self.at[index(client)] = node;
        if node == self.sink {
            return;
        }
        let problem = self.problem;
        let group = &mut self.groups[index(node)];
        self.slot[index(client)] = narrow(group.members.len());
        let start = group.arcs.len();
        for candidate in problem.candidates(index(client)) {
            let target = narrow(candidate.group);
            if target != node {
                let delta = small(candidate.cost - i64::from(cost));
                group.arcs.push(Arc { target, delta });
            }
        }
        let delta = small(problem.overflow_cost(index(client)) - i64::from(cost));
        group.arcs.push(Arc { target: self.sink, delta });
        let len = narrow(group.arcs.len() - start);
        group.members.push(Member { client, cost, start: narrow(start), len });
        self.terminal[index(node)] = group.members.len() < index(self.capacity[index(node)]);
    }

    /// Takes `client` out of their group; returns what their seat cost.
    fn unseat(&mut self, client: u32) -> i32 {
        let node = self.at[index(client)];
        if node == self.sink {
            return small(self.problem.overflow_cost(index(client)));
        }
        let group = &mut self.groups[index(node)];
        let slot = index(self.slot[index(client)]);
        let gone = group.members.swap_remove(slot);
        if let Some(moved) = group.members.get(slot) {
            self.slot[index(moved.client)] = narrow(slot);
        }
        let start = index(gone.start);
        for arc in &mut group.arcs[start..start + index(gone.len)] {
            arc.target = self.nowhere;
        }
        group.garbage += index(gone.len);
        if group.garbage > 64 && group.garbage * 4 > group.arcs.len() {
            group.compact();
        }
        self.terminal[index(node)] = group.members.len() < index(self.capacity[index(node)]);
        gone.cost
    }

    /// Cheapest options, bulk price rises, then one search per unit of excess left.
    fn run(&mut self) {
        // Everyone at their cheapest option with all prices 0: the prices are then a
        // feasible dual, and only over-full groups stand between this and the optimum.
        for client in 0..narrow(self.at.len()) {
            let mut best = (self.problem.overflow_cost(index(client)), self.sink);
            for candidate in self.problem.candidates(index(client)) {
                if candidate.cost < best.0 {
                    best = (candidate.cost, narrow(candidate.group));
                }
            }
            self.seat(client, best.1, small(best.0));
        }
        self.raise_prices();
        // Paths end at free seats or the sink, so no group becomes over-full on the way.
        for source in 0..self.sink {
            while self.excess(source) > 0 {
                let end = self.shortest_path(source);
                self.augment(end);
            }
        }
    }

    fn excess(&self, group: u32) -> usize {
        let members = self.groups[index(group)].members.len();
        members.saturating_sub(index(self.capacity[index(group)]))
    }

    /// Settles large excesses in bulk, for a popular group would otherwise cost one search
    /// (each reading all its members' arcs) per extra member. Coordinate ascent on the
    /// dual: raise an over-full group's price just enough that its excess members find
    /// another option as cheap (at these prices), and move them there. Every client stays
    /// at a cheapest option and every priced group full, so the invariants hold; it can
    /// cycle on ties, hence the work budget, after which the searches finish the job.
    fn raise_prices(&mut self) {
        let mut budget = 4 * (self.at.len() + self.problem.candidate_count());
        let mut queue: VecDeque<u32> =
            (0..self.sink).filter(|&g| self.excess(g) >= HEAVY_EXCESS).collect();
        let mut leavers: Vec<Leaver> = Vec::new();
        while let Some(g) = queue.pop_front() {
            let excess = self.excess(g);
            let group = &self.groups[index(g)];
            if excess < HEAVY_EXCESS || budget < group.arcs.len() {
                continue;
            }
            budget -= group.arcs.len();
            let price = self.nodes[index(g)].price;
            leavers.clear();
            for member in &group.members {
                let start = index(member.start);
                let mut best =
                    Leaver { slack: i64::MAX, client: member.client, to: NONE, delta: 0 };
                for arc in &group.arcs[start..start + index(member.len)] {
                    let slack = i64::from(arc.delta) + self.nodes[index(arc.target)].price - price;
                    if slack < best.slack {
                        best = Leaver {
                            slack,
                            client: member.client,
                            to: arc.target,
                            delta: arc.delta,
                        };
                    }
                }
                leavers.push(best);
            }
            // The `excess` members with the least slack leave; the price rises by the most
            // slack among them, so they are tied with their new option and those who stay
            // still prefer this group.
            leavers.select_nth_unstable_by_key(excess - 1, |l| l.slack);
            self.nodes[index(g)].price += leavers[excess - 1].slack;
            for leaver in &leavers[..excess] {
                let cost = self.unseat(leaver.client);
                self.seat(leaver.client, leaver.to, cost + leaver.delta);
                if leaver.to != self.sink && self.excess(leaver.to) == HEAVY_EXCESS {
                    queue.push_back(leaver.to);
                }
            }
        }
    }

    /// Dijkstra over groups from the over-full `source`, on reduced costs (never negative,
    /// thanks to the prices), to the nearest free seat or overflow; then raises the prices
    /// of the groups it settled so the path's arcs cost 0 (Johnson). Returns the path's end.
    fn shortest_path(&mut self, source: u32) -> u32 {
        let search = &mut self.search;
        let nodes = &mut self.nodes[..];
        search.heap.clear();
        search.settled.clear();
        nodes[index(source)].dist = 0;
        search.via[index(source)] = (NONE, 0);
        search.touched.push(source);
        search.heap.push(0, source);
        // The nearest end reached so far; nothing at or beyond it needs settling.
        let mut end = self.sink;
        let mut reach = i64::MAX;
        while let Some((d, g)) = search.heap.pop() {
            let d = d.cast_signed();
            if d >= reach {
                break;
            }
            if d > nodes[index(g)].dist {
                continue;
            }
            search.settled.push(g);
            let base = d - nodes[index(g)].price;
            for (k, arc) in self.groups[index(g)].arcs.iter().enumerate() {
                let h = index(arc.target);
                let nd = base + i64::from(arc.delta) + nodes[h].price;
                // Settled nodes never improve, as reduced costs are never negative.
                if nd < nodes[h].dist && nd < reach {
                    debug_assert!(nd >= d, "a negative reduced cost");
                    if nodes[h].dist == i64::MAX {
                        search.touched.push(arc.target);
                    }
                    nodes[h].dist = nd;
                    search.via[h] = (g, narrow(k));
                    if self.terminal[h] {
                        end = arc.target;
                        reach = nd;
                    } else {
                        search.heap.push(nd.cast_unsigned(), arc.target);
                    }
                }
            }
        }
        for &g in &search.settled {
            let node = &mut nodes[index(g)];
            node.price += reach - node.dist;
        }
        for &g in &search.touched {
            nodes[index(g)].dist = i64::MAX;
        }
        search.touched.clear();
        end
    }

    /// Moves one client along each arc of the path, back from its end to the source.
    fn augment(&mut self, end: u32) {
        let mut node = end;
        loop {
            let (from, k) = self.search.via[index(node)];
            if from == NONE {
                return;
            }
            // Each group is on the path once, so `from` is unchanged since the search.
            let group = &self.groups[index(from)];
            let delta = group.arcs[index(k)].delta;
            let owns = |m: &&Member| m.start <= k && k < m.start + m.len;
            let Some(&Member { client, cost, .. }) = group.members.iter().find(owns) else {
                unreachable!("a search only takes arcs of members");
            };
            self.unseat(client);
            self.seat(client, node, cost + delta);
            node = from;
        }
    }

    fn finish(self) -> (BatchPlacement, Vec<i64>) {
        let mut total_cost = 0;
        let assignment = (0..self.at.len())
            .map(|client| {
                let node = self.at[client];
                if node == self.sink {
                    total_cost += self.problem.overflow_cost(client);
                    None
                } else {
                    let slot = index(self.slot[client]);
                    total_cost += i64::from(self.groups[index(node)].members[slot].cost);
                    Some(index(node))
                }
            })
            .collect();
        let prices = self.nodes[..index(self.sink)].iter().map(|node| node.price).collect();
        (BatchPlacement { assignment, total_cost }, prices)
    }
}

impl Group {
    /// Drops the arcs of members who left, keeping each member's arcs together.
    fn compact(&mut self) {
        let mut arcs = Vec::with_capacity(self.arcs.len() - self.garbage);
        for member in &mut self.members {
            let start = index(member.start);
            member.start = narrow(arcs.len());
            arcs.extend_from_slice(&self.arcs[start..start + index(member.len)]);
        }
        self.arcs = arcs;
        self.garbage = 0;
    }
}
