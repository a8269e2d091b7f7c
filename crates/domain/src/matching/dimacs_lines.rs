//! The line-level reading of DIMACS min-cost-flow files: syntax, node numbers, supplies.

use super::dimacs::{DimacsError, refuse};
use super::problem::MAX_PLACEMENT_COST;

/// One `a` line, as read.
#[derive(Clone, Copy, Debug)]
pub(super) struct RawArc {
    pub(super) line: usize,
    pub(super) tail: usize,
    pub(super) head: usize,
    pub(super) capacity: i64,
    pub(super) cost: i64,
}

/// The file's lines, read but not yet checked against the placement shape.
#[derive(Debug)]
pub(super) struct RawFile {
    /// The line of `p min NODES ARCS`.
    pub(super) problem_line: usize,
    pub(super) nodes: usize,
    arc_count: usize,
    /// Each node's supply and the line that set it.
    pub(super) supplies: Vec<Option<(i64, usize)>>,
    pub(super) arcs: Vec<RawArc>,
    pub(super) last_line: usize,
}

/// The source (the one node with positive supply) and the sink (negative supply); with
/// no clients, the nodes of the first and second `n` lines, both with supply 0.
pub(super) fn terminals(raw: &RawFile) -> Result<(usize, usize), DimacsError> {
    let mut source = None;
    let mut sink = None;
    let mut idle = Vec::new();
    for (node, supply) in raw.supplies.iter().enumerate() {
        let Some((supply, line)) = *supply else { continue };
        let slot = match supply.signum() {
            1 => &mut source,
            -1 => &mut sink,
            _ => {
                idle.push((line, node));
                continue;
            }
        };
        if slot.is_some() {
            let reason = "a placement problem has one source (positive supply) and one sink \
                          (negative supply)";
            return refuse(line, reason);
        }
        *slot = Some((node, supply, line));
    }
    match (source, sink, &mut idle[..]) {
        (Some((source, supply, _)), Some((sink, demand, line)), _) => {
            if supply + demand != 0 {
                let reason =
                    format!("the sink takes {} units but the source supplies {supply}", -demand);
                return refuse(line, reason);
            }
            Ok((source, sink))
        }
        (None, None, [first, second]) => {
            let (first, second) =
                if first.0 < second.0 { (first, second) } else { (second, first) };
            Ok((first.1, second.1))
        }
        _ => {
            let reason = "the source (positive supply) and the sink (negative supply) must each \
                          have an `n NODE SUPPLY` line";
            refuse(raw.problem_line, reason)
        }
    }
}

/// Reads every line into numbers, checking only the DIMACS syntax.
pub(super) fn read_lines(text: &str) -> Result<RawFile, DimacsError> {
    let mut raw: Option<RawFile> = None;
    let mut last_line = 0;
    for (at, line) in text.lines().enumerate() {
        let number = at + 1;
        last_line = number;
        let mut words = line.split_whitespace();
        let Some(kind) = words.next() else { continue };
        let fields: Vec<&str> = words.collect();
        let int = |word: &str| -> Result<i64, DimacsError> {
            word.parse().or_else(|_| refuse(number, format!("`{word}` is not an integer")))
        };
        match (kind, raw.as_mut()) {
            ("c", _) => {}
            ("p", Some(_)) => return refuse(number, "a second problem line"),
            ("p", None) => {
                let ["min", nodes, arcs] = fields[..] else {
                    return refuse(number, "the problem line must read `p min NODES ARCS`");
                };
                let count = |word: &str| -> Result<usize, DimacsError> {
                    usize::try_from(int(word)?)
                        .or_else(|_| refuse(number, format!("`{word}` is not a count")))
                };
                let nodes = count(nodes)?;
                // Every node needs an arc line, so a longer count cannot be honest.
                if nodes > text.len() {
                    return refuse(number, format!("{nodes} nodes cannot fit in this file"));
                }
                raw = Some(RawFile {
                    problem_line: number,
                    nodes,
                    arc_count: count(arcs)?,
                    supplies: vec![None; nodes + 1],
                    arcs: Vec::new(),
                    last_line: number,
                });
            }
            ("n" | "a", None) => {
                return refuse(number, "the problem line `p min NODES ARCS` must come first");
            }
            ("n", Some(file)) => {
                let [node, supply] = fields[..] else {
                    return refuse(number, "a node line must read `n NODE SUPPLY`");
                };
                let node = node_number(file, number, int(node)?)?;
                if file.supplies[node].is_some() {
                    return refuse(number, format!("a second supply for node {node}"));
                }
                file.supplies[node] = Some((int(supply)?, number));
            }
            ("a", Some(file)) => {
                let [tail, head, low, capacity, cost] = fields[..] else {
                    return refuse(number, "an arc line must read `a FROM TO LOW CAP COST`");
                };
                let tail = node_number(file, number, int(tail)?)?;
                let head = node_number(file, number, int(head)?)?;
                if int(low)? != 0 {
                    return refuse(
                        number,
                        "lower bounds other than 0 are not part of a placement problem",
                    );
                }
                let cost = int(cost)?;
                if !(-MAX_PLACEMENT_COST..=MAX_PLACEMENT_COST).contains(&cost) {
                    return refuse(
                        number,
                        format!("the cost {cost} is outside ±{MAX_PLACEMENT_COST}"),
                    );
                }
                file.arcs.push(RawArc { line: number, tail, head, capacity: int(capacity)?, cost });
            }
            (other, _) => {
                return refuse(
                    number,
                    format!("unknown line type `{other}` (expected c, p, n or a)"),
                );
            }
        }
    }
    let Some(mut file) = raw else {
        return refuse(last_line.max(1), "no problem line `p min NODES ARCS`");
    };
    file.last_line = last_line;
    if file.arcs.len() != file.arc_count {
        return refuse(
            file.problem_line,
            format!(
                "the problem line announces {} arcs but the file has {}",
                file.arc_count,
                file.arcs.len()
            ),
        );
    }
    Ok(file)
}

/// Checks that a node number is within `1..=NODES`.
fn node_number(file: &RawFile, line: usize, node: i64) -> Result<usize, DimacsError> {
    match usize::try_from(node) {
        Ok(node) if (1..=file.nodes).contains(&node) => Ok(node),
        _ => refuse(line, format!("node {node} is outside 1..={}", file.nodes)),
    }
}
