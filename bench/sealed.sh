#!/usr/bin/env bash
# Pages and API calls that read many sealed values (answers and scores, risk levels), served by
# two builds of `hearth demo` (BEFORE and AFTER, e.g. the commits before and after sealing them),
# each with a bare axum handler measured in the same run as the baseline (wrk -t2 -c16).
# Usage: bench/sealed.sh BEFORE_BINARY AFTER_BINARY [seconds per run] [rounds]
#   (build each with `cargo build --release -p hearth`; needs wrk: apt-get install wrk)
set -euo pipefail
before="$1"; after="$2"; duration="${3:-10}"; rounds="${4:-2}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
data="$(mktemp -d)"
: >"$data/pids"
cleanup() { while read -r p; do kill "$p" 2>/dev/null || true; done < "$data/pids"; rm -rf "$data"; }
trap cleanup EXIT

start() { # start CMD... ; prints the URL from the "listening on" line
  local out="$data/out.$RANDOM"
  RUST_LOG=warn "$@" >"$out" 2>/dev/null &
  echo $! >>"$data/pids"
  for _ in $(seq 1 1200); do
    if grep -q '^listening on ' "$out"; then sed -n 's/^listening on //p' "$out"; return; fi
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}

token() { # token URL EMAIL
  curl -sf -X POST "$1/api/v1/session" -H 'content-type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"copper kettle meadow\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'
}

run() { # run NAME URL HEADER -> prints "NAME rps=… p99=… non2xx=…"
  local out rps p99 non2xx
  out="$(wrk -t2 -c16 -d"${duration}s" --latency -H "$3" "$2")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  echo "$1 rps=$rps p99=$p99 non2xx=${non2xx:-0}"
}

bare_url="$(start "$after" bench bare-http --bind 127.0.0.1:0)"
declare -A url admin coord lead client client_id
for build in before after; do
  bin="$before"; [ "$build" = after ] && bin="$after"
  url[$build]="$(start "$bin" demo --bind 127.0.0.1:0 --data-dir "$data/$build")"
  admin[$build]="$(token "${url[$build]}" admin@demo.hearth.example)"
  coord[$build]="$(token "${url[$build]}" coordinator@demo.hearth.example)"
  lead[$build]="$(token "${url[$build]}" therapist@demo.hearth.example)"
  client[$build]="$(token "${url[$build]}" client@demo.hearth.example)"
  client_id[$build]="$(curl -sf "${url[$build]}/api/v1/me" -H "Authorization: Bearer ${client[$build]}" | sed 's/.*"id":\([0-9]*\).*/\1/')"
done

wrk -t2 -c16 -d2s "$bare_url/api/v1/me" >/dev/null
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  run bare "$bare_url/api/v1/me" "X-Bench: 1"
  for build in before after; do
    u="${url[$build]}"
    run "$build:outcome-report" "$u/api/v1/reports/outcomes?weeks=8" "Authorization: Bearer ${admin[$build]}"
    run "$build:risk-queue" "$u/api/v1/risk-flags" "Authorization: Bearer ${coord[$build]}"
    run "$build:client-measures" "$u/api/v1/clients/${client_id[$build]}/measures" "Authorization: Bearer ${lead[$build]}"
    run "$build:therapist-roster" "$u/therapist/groups" "Cookie: hearth_session=${lead[$build]}"
  done
  run bare "$bare_url/api/v1/me" "X-Bench: 1"
done
