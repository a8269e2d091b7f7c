#!/usr/bin/env bash
# Lighthouse's accessibility and best-practices scores for the pages people spend their week
# on, signed in as the demo's people: the client's home, a group page the client sits in, and
# the client's summary as their coordinator reads it. Prints one line per page and fails when
# a score is under 95.
# Usage: bench/lighthouse.sh [BINARY]
#   (BINARY defaults to ${CARGO_TARGET_DIR:-target}/debug/hearth; needs Node.js with npm and
#   Chromium: apt-get install chromium. Lighthouse itself is installed at a pinned version
#   under ${CARGO_TARGET_DIR:-target}/lighthouse on the first run.)
set -euo pipefail
LIGHTHOUSE_VERSION=12.8.2
target="${CARGO_TARGET_DIR:-target}"
bin="${1:-$target/debug/hearth}"
[ -x "$bin" ] || { echo "no binary at $bin (cargo build -p hearth)"; exit 1; }
chrome="$(command -v chromium || true)"
[ -n "$chrome" ] || { echo "Chromium is not installed (apt-get install chromium)"; exit 1; }
tools="$target/lighthouse"
if [ ! -x "$tools/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null
fi
data="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

RUST_LOG=warn "$bin" demo --bind 127.0.0.1:0 --data-dir "$data/demo" >"$data/out" 2>"$data/err" &
pid=$!
for _ in $(seq 1 600); do grep -q '^listening on ' "$data/out" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$data/out")"
[ -n "$url" ] || { echo "the demo did not start"; cat "$data/err"; exit 1; }

token() {
  curl -sf -X POST "$url/api/v1/session" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"copper kettle meadow\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'
}
client="$(token client@demo.hearth.example)"
coordinator="$(token coordinator@demo.hearth.example)"
client_id="$(curl -sf "$url/api/v1/me" -H "authorization: Bearer $client" | sed 's/.*"id":\([0-9]*\).*/\1/')"
group="$(curl -sf "$url/api/v1/me/groups" -H "authorization: Bearer $client" \
  | grep -o '"seated":\[{"id":[0-9]*' | grep -o '[0-9]*$')"

failed=0
audit() { # audit NAME PATH TOKEN
  local report="$data/$1.json"
  "$tools/node_modules/.bin/lighthouse" "$url$2" --quiet --output=json --output-path="$report" \
    --only-categories=accessibility,best-practices --form-factor=mobile \
    --chrome-path="$chrome" \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --user-data-dir=$data/chrome-$1" \
    --extra-headers="{\"Cookie\": \"hearth_session=$3\"}" >/dev/null 2>"$data/$1.err" \
    || { echo "$1: lighthouse failed"; cat "$data/$1.err"; failed=1; return; }
  node -e '
    const r = require(process.argv[1]);
    const a = Math.round(r.categories.accessibility.score * 100);
    const b = Math.round(r.categories["best-practices"].score * 100);
    const low = Object.values(r.audits).filter(x => x.score !== null && x.score < 1 && x.scoreDisplayMode === "binary").map(x => x.id);
    console.log(`${process.argv[2].padEnd(16)} ${r.finalDisplayedUrl.replace(/^https?:\/\/[^/]+/, "").padEnd(14)} accessibility ${a}  best practices ${b}${low.length ? "  (failing: " + low.join(", ") + ")" : ""}`);
    process.exit(a >= 95 && b >= 95 ? 0 : 3);
  ' "$(realpath "$report")" "$1" || failed=1
}
audit client-home /dashboard "$client"
audit group-page "/groups/$group" "$client"
audit client-summary "/clients/$client_id" "$coordinator"
exit "$failed"
