//! Placement problems as DIMACS min-cost-flow files, and back.

use super::dimacs_lines::{RawArc, RawFile, read_lines, terminals};
use super::problem::{GroupCandidate, PlacementProblem};
use std::fmt::Write as _;

/// Why a DIMACS file is not a placement problem: the line at fault (from 1) and the reason.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct DimacsError {
    /// The line at fault, counting from 1.
    pub line: usize,
    /// What is wrong with it, in plain words.
    pub reason: String,
}

pub(super) fn refuse<T>(line: usize, reason: impl Into<String>) -> Result<T, DimacsError> {
    Err(DimacsError { line, reason: reason.into() })
}

/// Writes `problem` as a DIMACS min-cost-flow file: node 1 is the source, then the clients,
/// the groups and the sink, in index order; see the [module documentation](super). With no
/// clients, the source and sink lines read `n 1 0` and `n SINK 0`, in that order.
pub fn to_dimacs(problem: &PlacementProblem) -> String {
    let clients = problem.clients();
    let groups = problem.groups();
    let client = |i: usize| i + 2;
    let group = |g: usize| clients + g + 2;
    let sink = clients + groups + 2;
    let arcs = 2 * clients + problem.candidate_count() + groups;
    let mut out = String::with_capacity(24 * arcs + 256);
    // Writing to a String cannot fail.
    let _ = writeln!(out, "c Hearth batch placement: {clients} clients, {groups} groups");
    let _ = writeln!(
        out,
        "c node 1 is the source, 2..={} clients, then groups, {sink} the sink",
        clients + 1
    );
    let _ = writeln!(out, "p min {sink} {arcs}");
    let _ = writeln!(out, "n 1 {clients}");
    let _ = writeln!(out, "n {sink} {}", -i64::try_from(clients).unwrap_or(i64::MAX));
    for i in 0..clients {
        let _ = writeln!(out, "a 1 {} 0 1 0", client(i));
    }
    for i in 0..clients {
        for candidate in problem.candidates(i) {
            let _ =
                writeln!(out, "a {} {} 0 1 {}", client(i), group(candidate.group), candidate.cost);
        }
        let _ = writeln!(out, "a {} {sink} 0 1 {}", client(i), problem.overflow_cost(i));
    }
    for (g, seats) in problem.capacities().iter().enumerate() {
        let _ = writeln!(out, "a {} {sink} 0 {seats} 0", group(g));
    }
    out
}

/// The role of a node, found from the arcs around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Source,
    Sink,
    Client,
    Group,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Source => "the source",
            Role::Sink => "the sink",
            Role::Client => "a client node",
            Role::Group => "a group node",
        }
    }
}

/// Reads a DIMACS min-cost-flow file that describes a placement problem (see the
/// [module documentation](super) for the shape), refusing anything else with the line at
/// fault. Clients and groups are numbered in the order of their node numbers, and each
/// client's candidates keep the order of their arcs. A file with no clients names its
/// source and then its sink in two `n` lines with supply 0.
pub fn parse_dimacs(text: &str) -> Result<PlacementProblem, DimacsError> {
    let raw = read_lines(text)?;
    let roles = roles(&raw)?;
    let mut shape = Shape::new(&raw, &roles);
    for arc in &raw.arcs {
        shape.add(arc)?;
    }
    shape.finish()
}

/// Each node's role: clients are the heads of the source's arcs, and every other node an
/// arc touches is a group.
fn roles(raw: &RawFile) -> Result<Vec<Option<Role>>, DimacsError> {
    let (source, sink) = terminals(raw)?;
    let mut role: Vec<Option<Role>> = vec![None; raw.nodes + 1];
    role[source] = Some(Role::Source);
    role[sink] = Some(Role::Sink);
    let mut clients = 0usize;
    for arc in raw.arcs.iter().filter(|arc| arc.tail == source) {
        match role[arc.head] {
            None => {
                role[arc.head] = Some(Role::Client);
                clients += 1;
            }
            Some(Role::Client) => {
                let reason = format!("a second arc from the source to node {}", arc.head);
                return refuse(arc.line, reason);
            }
            Some(other) => return refuse(arc.line, not_placement(Role::Source, other)),
        }
    }
    for arc in &raw.arcs {
        for node in [arc.tail, arc.head] {
            role[node].get_or_insert(Role::Group);
        }
    }
    if let Some(node) = (1..=raw.nodes).find(|&node| role[node].is_none()) {
        return refuse(raw.problem_line, format!("node {node} has no arcs"));
    }
    let (supply, line) = raw.supplies[source].unwrap_or((0, raw.problem_line));
    if usize::try_from(supply) != Ok(clients) {
        let reason =
            format!("the source supplies {supply} units but has arcs to {clients} clients");
        return refuse(line, reason);
    }
    Ok(role)
}

fn not_placement(tail: Role, head: Role) -> String {
    format!("an arc from {} to {} is not part of a placement problem", tail.name(), head.name())
}

/// The problem being assembled from the arcs, once every node's role is known.
#[derive(Debug)]
struct Shape<'r> {
    raw: &'r RawFile,
    role: &'r [Option<Role>],
    /// Node number → client or group index (`usize::MAX` for other roles).
    number: Vec<usize>,
    capacities: Vec<Option<u32>>,
    overflow: Vec<Option<i64>>,
    lists: Vec<Vec<GroupCandidate>>,
    /// The last client to list each group, to catch a client listing one twice.
    listed_by: Vec<usize>,
}

impl<'r> Shape<'r> {
    fn new(raw: &'r RawFile, role: &'r [Option<Role>]) -> Self {
        let mut number = vec![usize::MAX; role.len()];
        let (mut clients, mut groups) = (0, 0);
        for (node, role) in role.iter().enumerate() {
            let next = match role {
                Some(Role::Client) => &mut clients,
                Some(Role::Group) => &mut groups,
                _ => continue,
            };
            number[node] = *next;
            *next += 1;
        }
        Self {
            raw,
            role,
            number,
            capacities: vec![None; groups],
            overflow: vec![None; clients],
            lists: vec![Vec::new(); clients],
            listed_by: vec![usize::MAX; groups],
        }
    }

    fn add(&mut self, arc: &RawArc) -> Result<(), DimacsError> {
        // `roles` gave every node an arc touches a role.
        let (Some(tail), Some(head)) = (self.role[arc.tail], self.role[arc.head]) else {
            return Ok(());
        };
        let (from, to) = (self.number[arc.tail], self.number[arc.head]);
        match (tail, head) {
            (Role::Source, Role::Client) => {
                unit(arc, "an arc from the source")?;
                if arc.cost != 0 {
                    return refuse(arc.line, "an arc from the source must cost 0");
                }
            }
            (Role::Client, Role::Group) => {
                unit(arc, "an arc from a client to a group")?;
                if self.listed_by[to] == from {
                    let reason = format!(
                        "a second arc from client node {} to group node {}",
                        arc.tail, arc.head
                    );
                    return refuse(arc.line, reason);
                }
                self.listed_by[to] = from;
                self.lists[from].push(GroupCandidate { group: to, cost: arc.cost });
            }
            (Role::Client, Role::Sink) => {
                unit(arc, "an overflow arc")?;
                if self.overflow[from].replace(arc.cost).is_some() {
                    let reason = format!("a second overflow arc from client node {}", arc.tail);
                    return refuse(arc.line, reason);
                }
            }
            (Role::Group, Role::Sink) => {
                if arc.cost != 0 {
                    return refuse(arc.line, "an arc from a group to the sink must cost 0");
                }
                let Ok(seats) = u32::try_from(arc.capacity) else {
                    let reason = format!("a group's capacity must be 0 to {}", u32::MAX);
                    return refuse(arc.line, reason);
                };
                if self.capacities[from].replace(seats).is_some() {
                    let reason = format!("a second arc from group node {} to the sink", arc.tail);
                    return refuse(arc.line, reason);
                }
            }
            (tail, head) => return refuse(arc.line, not_placement(tail, head)),
        }
        Ok(())
    }

    /// The problem, once every client has an overflow arc and every group a capacity.
    fn finish(self) -> Result<PlacementProblem, DimacsError> {
        let missing = |wanted: Role, index: usize, what: &str| {
            let node = (0..self.role.len())
                .find(|&node| self.role[node] == Some(wanted) && self.number[node] == index)
                .unwrap_or(0);
            let line = self.raw.arcs.iter().find(|arc| arc.tail == node || arc.head == node);
            let line = line.map_or(self.raw.problem_line, |arc| arc.line);
            let label = if wanted == Role::Client { "client" } else { "group" };
            DimacsError { line, reason: format!("{label} node {node} has no {what}") }
        };
        let overflow_costs = (self.overflow.iter().enumerate())
            .map(|(client, cost)| cost.ok_or_else(|| missing(Role::Client, client, "overflow arc")))
            .collect::<Result<Vec<_>, _>>()?;
        let capacities = (self.capacities.iter().enumerate())
            .map(|(group, seats)| {
                seats.ok_or_else(|| missing(Role::Group, group, "arc to the sink"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let last_line = self.raw.last_line;
        PlacementProblem::new(capacities, self.lists, overflow_costs)
            .map_err(|err| DimacsError { line: last_line, reason: err.to_string() })
    }
}

/// Checks that an arc carries exactly one unit (a client).
fn unit(arc: &RawArc, what: &str) -> Result<(), DimacsError> {
    if arc.capacity == 1 {
        Ok(())
    } else {
        refuse(arc.line, format!("{what} must have capacity 1"))
    }
}
