#!/usr/bin/env bash
# Batch placement: Hearth's exact min-cost flow against OR-Tools' SimpleMinCostFlow on the
# same DIMACS files (100k clients x 1k groups x 10 candidates, capacity 120 and 100).
# Usage: bench/match.sh   (installs ortools from PyPI into a scratch virtualenv)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p hearth
bin=target/release/hearth
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q ortools
for capacity in 120 100; do
  file="$work/placement-$capacity.dimacs"
  "$bin" bench match --generate "100000,1000,10,$capacity,1" --out "$file" >/dev/null
  hearth="$("$bin" bench match --dimacs "$file")"
  ortools="$("$work/venv/bin/python" bench/match_ortools.py "$file")"
  echo "capacity $capacity: hearth $hearth | or-tools $ortools"
  awk -v h="$hearth" -v o="$ortools" 'BEGIN {
    split(h, a, /[= s]+/); split(o, b, /[= s]+/);
    if (a[2] != b[2]) { print "COST MISMATCH"; exit 1 }
    printf "  same optimal cost; time ratio hearth / or-tools = %.2f\n", a[4] / b[4]
  }'
done
