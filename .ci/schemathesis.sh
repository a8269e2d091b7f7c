#!/usr/bin/env bash
# Fuzzes the JSON API against its own OpenAPI document with schemathesis: starts `hearth
# demo` (debug build) on a free port with a throw-away data directory, signs in as the demo
# admin and then as a demo client, and runs `st run` as each with four checks: no 5xx
# (`not_a_server_error`), no status the document does not list for that operation
# (`status_code_conformance`), and answers in the documented shape and content type
# (`response_schema_conformance`, `content_type_conformance`). Any failure, or any ERROR the
# server logs, fails the script.
#
# Usage: .ci/schemathesis.sh            (env: ST_MAX_EXAMPLES, ST_SEED, ST_PHASES, ST, HEARTH_BIN)
# Needs `st` (pip install schemathesis==4.32.5); .ci/run installs it in a venv and passes it
# as ST.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
st="${ST:-st}"
# Per operation in the fuzzing phase (the coverage phase's count follows from the schema).
max_examples="${ST_MAX_EXAMPLES:-10}"
# A fixed seed keeps CI reproducible: a failure here reproduces with the same seed.
seed="${ST_SEED:-20260101}"
# `examples` (the document's own examples), `coverage` (deterministic boundary and negative
# cases from each schema) and `fuzzing` (random cases). `stateful` needs OpenAPI links, which
# the document has none of.
phases="${ST_PHASES:-examples,coverage,fuzzing}"
# One worker: on CPython 3.11 two threads in `ast.parse` at once (hypothesis describes its
# filters' lambdas with it) can raise "SystemError: AST constructor recursion depth
# mismatch", which schemathesis reports as an error of the run (CPython gh-106905).

if [ -z "${HEARTH_BIN:-}" ]; then
  cargo build -q -p hearth
  HEARTH_BIN="$CARGO_TARGET_DIR/debug/hearth"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

RUST_LOG=warn "$HEARTH_BIN" demo --bind 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
server_pid=$!
base=""
for _ in $(seq 1 600); do
  if grep -q '^listening on ' "$work/out"; then base="$(sed -n 's/^listening on //p' "$work/out")"; break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "hearth demo did not start:" >&2
  cat "$work/err" >&2
  exit 1
fi

# One pass per role that sees most of the API: the demo admin (staff routes) and a demo
# client (seats, measures, intake, consults). DELETE /session and DELETE /sessions/{id} are
# left out: they would revoke the pass's own token.
status=0
for login in admin client; do
  token="$(curl -sf -X POST "$base/api/v1/session" -H 'content-type: application/json' \
    -d "{\"email\":\"$login@demo.hearth.example\",\"password\":\"copper kettle meadow\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
  echo "==> schemathesis as the demo $login"
  # Run from the throw-away directory: schemathesis and hypothesis leave caches where they run.
  (cd "$work" && "$st" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --phases "$phases" \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers 1 \
    --request-timeout 30 \
    --generation-database none \
    --exclude-operation-id delete_session \
    --exclude-operation-id revoke_session \
    --no-color) 2>&1 | tee "$work/st.$login" || status=1
done

# "Test cases: G generated, G passed" or "G generated, F found K unique failures", summed
# over the passes into one closing line.
read -r generated failed < <(awk '
  /^ *[0-9]+ generated, / { g += $1; if ($4 == "found") f += $3 }
  END { print g + 0, f + 0 }' "$work"/st.*)

# The server logs an ERROR for every 5xx it answers (its cause, never a request's body).
if grep -q 'ERROR' "$work/err"; then
  echo "server errors logged during the run:" >&2
  grep 'ERROR' "$work/err" | head -n 20 >&2
  status=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
echo "schemathesis: $((generated - failed)) passed, $failed failed"
exit "$status"
