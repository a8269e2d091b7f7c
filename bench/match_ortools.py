#!/usr/bin/env python3
"""Solves a DIMACS min-cost-flow file with OR-Tools' SimpleMinCostFlow and prints
`cost=N solve=S.SSs` (solve time only, not reading), the same line `hearth bench match`
prints, so bench/match.sh can compare them on the same files.

Needs `pip install ortools` (bench/match.sh installs it in a scratch virtualenv)."""
import sys
import time

from ortools.graph.python import min_cost_flow


def main(path):
    flow = min_cost_flow.SimpleMinCostFlow()
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "n":
                flow.set_node_supply(int(parts[1]) - 1, int(parts[2]))
            elif parts[0] == "a":
                u, v, low, cap, cost = (int(x) for x in parts[1:6])
                if low != 0:
                    sys.exit(f"lower bounds are not supported: {line.strip()}")
                flow.add_arc_with_capacity_and_unit_cost(u - 1, v - 1, cap, cost)
    started = time.perf_counter()
    status = flow.solve()
    elapsed = time.perf_counter() - started
    if status != flow.OPTIMAL:
        sys.exit(f"OR-Tools did not find an optimum (status {status})")
    print(f"cost={flow.optimal_cost()} solve={elapsed:.2f}s")


if __name__ == "__main__":
    main(sys.argv[1])
