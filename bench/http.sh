#!/usr/bin/env bash
# HTTP throughput of an authenticated `GET /api/v1/me` and of a server-rendered dashboard,
# each against a bare axum handler measured in the same run (wrk -t2 -c64).
# Usage: bench/http.sh [seconds per run]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

cargo build --release -q -p hearth
bin="${CARGO_TARGET_DIR:-target}/release/hearth"
data="$(mktemp -d)"
: >"$data/pids"
# Servers are started inside $(…) subshells, so their pids are collected in a file.
cleanup() { while read -r p; do kill "$p" 2>/dev/null || true; done < "$data/pids"; rm -rf "$data"; }
trap cleanup EXIT

start() { # start CMD... ; prints the URL from the "listening on" line
  local out="$data/out.$RANDOM"
  RUST_LOG=warn "$@" >"$out" 2>/dev/null &
  echo $! >>"$data/pids"
  for _ in $(seq 1 600); do
    if grep -q '^listening on ' "$out"; then sed -n 's/^listening on //p' "$out"; return; fi
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}

hearth_url="$(start "$bin" demo --bind 127.0.0.1:0 --data-dir "$data/demo")"
bare_url="$(start "$bin" bench bare-http --bind 127.0.0.1:0)"
token="$(curl -sf -X POST "$hearth_url/api/v1/session" -H 'content-type: application/json' \
  -d '{"email":"client@demo.hearth.example","password":"copper kettle meadow"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')"

run() { # run NAME URL [HEADER] -> prints "NAME rps p99"
  local name="$1" url="$2" header="${3:-X-Bench: 1}"
  local out
  out="$(wrk -t2 -c64 -d"${duration}s" --latency -H "$header" "$url")"
  local rps p99 non2xx
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  echo "$name rps=$rps p99=$p99 non2xx=${non2xx:-0}"
}

# Warm up both servers, then measure baseline and subject back to back.
wrk -t2 -c16 -d2s "$bare_url/api/v1/me" >/dev/null
wrk -t2 -c16 -d2s -H "Authorization: Bearer $token" "$hearth_url/api/v1/me" >/dev/null
bare="$(run bare "$bare_url/api/v1/me")"
me="$(run me "$hearth_url/api/v1/me" "Authorization: Bearer $token")"
dash="$(run dashboard "$hearth_url/dashboard" "Cookie: hearth_session=$token")"
echo "$bare"; echo "$me"; echo "$dash"
rps() { sed 's/.*rps=\([0-9.]*\).*/\1/' <<<"$1"; }
awk -v b="$(rps "$bare")" -v m="$(rps "$me")" -v d="$(rps "$dash")" 'BEGIN {
  printf "ratio GET /api/v1/me / bare = %.2f\n", m / b
  printf "ratio GET /dashboard / bare = %.2f\n", d / b
}'
