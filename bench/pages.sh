#!/usr/bin/env bash
# Every page each demo role reaches from its navigation, measured with wrk against a bare axum
# handler in the same run: one line per (role, page) with requests/s, p99 and the ratio to the
# bare handler, then the worst ratio.
# Usage: bench/pages.sh [BINARY] [seconds per page] [connections]
#   (BINARY defaults to ${CARGO_TARGET_DIR:-target}/release/hearth; needs wrk: apt-get install wrk)
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-target}/release/hearth}"; duration="${2:-5}"; connections="${3:-64}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release -p hearth)"; exit 1; }
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

measure() { # measure URL HEADER -> "rps p99_ms non2xx"
  local out rps p99 non2xx
  out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H "$2" "$1")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  echo "$rps $p99 ${non2xx:-0}"
}

bare="$(start "$bin" bench bare-http --bind 127.0.0.1:0)"
url="$(start "$bin" demo --bind 127.0.0.1:0 --data-dir "$data/demo")"
wrk -t2 -c"$connections" -d2s "$bare/api/v1/me" >/dev/null
read -r bare_rps bare_p99 _ < <(measure "$bare/api/v1/me" "X-Bench: 1")
echo "bare handler: ${bare_rps} req/s, p99 ${bare_p99} ms (${connections} connections, ${duration} s per page)"
worst="" worst_ratio=999
for role in client therapist coordinator admin; do
  tok="$(token "$url" "$role@demo.hearth.example")"
  cookie="Cookie: hearth_session=$tok"
  # The links of the main navigation, as the role's dashboard shows them.
  pages="$(curl -sf "$url/dashboard" -H "$cookie" \
    | sed -n '/<nav aria-label="Main">/,/<\/nav>/p' \
    | grep -o 'href="/[^"#]*"' | sed 's/href="//; s/"$//' | sort -u)"
  for page in $pages; do
    read -r rps p99 non2xx < <(measure "$url$page" "$cookie")
    ratio="$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN {printf "%.3f", a / b}')"
    printf '%-12s %-22s %10s req/s  p99 %8s ms  %sx bare  non-2xx %s\n' "$role" "$page" "$rps" "$p99" "$ratio" "$non2xx"
    if awk -v r="$ratio" -v w="$worst_ratio" 'BEGIN {exit !(r < w)}'; then
      worst_ratio="$ratio"; worst="$role $page"
    fi
  done
done
echo "worst: $worst at ${worst_ratio}x bare (goal: at least 0.1x and p99 under 20 ms)"
