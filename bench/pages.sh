#!/usr/bin/env bash
# Every page each demo role reaches from its navigation, measured with wrk against a bare axum
# handler in the same run: one line per (role, page) with requests/s, p99 and the ratio to the
# bare handler, then the worst ratio and the worst p99.
# Usage: bench/pages.sh [BINARY] [seconds per page] [connections] [--scale CLIENTS]
#                       [--groups GROUPS] [--postgres URL]
#   (BINARY defaults to ${CARGO_TARGET_DIR:-target}/release/hearth, "" for the default;
#   needs wrk: apt-get install wrk)
#   --scale CLIENTS  the demo inside a practice of CLIENTS more clients and, unless --groups
#                    says otherwise, CLIENTS / 20 groups (`hearth bench practice`), e.g.
#                    --scale 100000 for the size of `hearth bench report`
#   --postgres URL   on a scratch database created on this PostgreSQL server and dropped
#                    afterwards (the user needs CREATEDB), e.g. postgres://postgres@127.0.0.1:5432/postgres
# Without --scale and --postgres it measures `hearth demo` on SQLite.
set -euo pipefail
positional=() scale=0 groups="" postgres=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --groups) groups="$2"; shift 2 ;;
    --postgres) postgres="$2"; shift 2 ;;
    --*) echo "unknown option $1" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
bin="${positional[0]:-}"; bin="${bin:-${CARGO_TARGET_DIR:-target}/release/hearth}"
duration="${positional[1]:-5}"; connections="${positional[2]:-64}"
groups="${groups:-$((scale / 20))}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release -p hearth)"; exit 1; }
data="$(mktemp -d)"
: >"$data/pids"
cleanup() {
  # Stop the servers and wait for them: `hearth bench practice` drops its scratch database.
  while read -r p; do kill "$p" 2>/dev/null || true; done < "$data/pids"
  while read -r p; do
    for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done < "$data/pids"
  rm -rf "$data"
}
trap cleanup EXIT

start() { # start CMD... ; prints the URL from the "listening on" line (seeding at scale takes minutes)
  local out="$data/out.$RANDOM" pid
  RUST_LOG=warn "$@" >"$out" 2>"$out.err" &
  pid=$!
  echo "$pid" >>"$data/pids"
  for _ in $(seq 1 18000); do
    if grep -q '^listening on ' "$out"; then
      grep '^seeded ' "$out" >&2 || true
      sed -n 's/^listening on //p' "$out"; return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start: $*" >&2; cat "$out.err" >&2; exit 1
}

token() { # token URL EMAIL
  curl -sf -X POST "$1/api/v1/session" -H 'content-type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"copper kettle meadow\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'
}

measure() { # measure URL HEADER -> "rps p99_ms non2xx timeouts" (wrk gives up on a request after 2 s)
  local out rps p99 non2xx timeouts
  out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H "$2" "$1")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  timeouts="$(awk '/Socket errors/ {print $NF}' <<<"$out")"
  echo "$rps $p99 ${non2xx:-0} ${timeouts:-0}"
}

bare="$(start "$bin" bench bare-http --bind 127.0.0.1:0)"
if [ "$scale" = 0 ] && [ -z "$postgres" ]; then
  practice="the demo on sqlite"
  url="$(start "$bin" demo --bind 127.0.0.1:0 --data-dir "$data/demo")"
else
  engine=sqlite; [ -n "$postgres" ] && engine=postgres
  practice="the demo + ${scale} clients / ${groups} groups on $engine"
  [ "$scale" = 0 ] && practice="the demo on $engine"
  url="$(start "$bin" bench practice --bind 127.0.0.1:0 --clients "$scale" --groups "$groups" \
    ${postgres:+--database-url "$postgres"})"
fi
wrk -t2 -c"$connections" -d2s "$bare/api/v1/me" >/dev/null
read -r bare_rps bare_p99 _ < <(measure "$bare/api/v1/me" "X-Bench: 1")
echo "practice: $practice"
echo "bare handler: ${bare_rps} req/s, p99 ${bare_p99} ms (${connections} connections, ${duration} s per page)"
worst="" worst_ratio=999 slowest="" slowest_p99=0
for role in client therapist coordinator admin; do
  tok="$(token "$url" "$role@demo.hearth.example")"
  cookie="Cookie: hearth_session=$tok"
  # The links of the main navigation, as the role's dashboard shows them.
  pages="$(curl -sf "$url/dashboard" -H "$cookie" \
    | sed -n '/<nav aria-label="Main">/,/<\/nav>/p' \
    | grep -o 'href="/[^"#]*"' | sed 's/href="//; s/"$//' | sort -u)"
  for link in $pages; do
    # A link that redirects (e.g. /my/plan to /clients/ID/plan) is measured where it leads:
    # wrk does not follow redirects, and a 303 is not the page.
    page="$(curl -s -o /dev/null -L -w '%{url_effective}' "$url$link" -H "$cookie")"
    page="${page#"$url"}"
    read -r rps p99 non2xx timeouts < <(measure "$url$page" "$cookie")
    # wrk gave up on requests after 2 s, or none finished in the run: over 2 s.
    if [ "$timeouts" != 0 ] || [ "$p99" = 0 ]; then p99=">2000"; fi
    ratio="$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN {printf "%.3f", a / b}')"
    printf '%-12s %-22s %10s req/s  p99 %8s ms  %sx bare  non-2xx %s  timeouts %s\n' "$role" "$page" "$rps" "$p99" "$ratio" "$non2xx" "$timeouts"
    if awk -v r="$ratio" -v w="$worst_ratio" 'BEGIN {exit !(r < w)}'; then
      worst_ratio="$ratio"; worst="$role $page"
    fi
    if [ "$slowest_p99" != ">2000" ] && { [ "$p99" = ">2000" ] \
        || awk -v p="$p99" -v s="$slowest_p99" 'BEGIN {exit !(p > s)}'; }; then
      slowest_p99="$p99"; slowest="$role $page"
    fi
  done
done
echo "worst: $worst at ${worst_ratio}x bare (goal: at least 0.1x and p99 under 20 ms)"
echo "worst p99: $slowest at ${slowest_p99} ms (goal at 100,000 clients: under 100 ms)"
