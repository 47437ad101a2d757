#!/usr/bin/env bash
# A bounded soak with everything on, both hosts, loopback only (issue #22 §5): 200 readers, 20
# searchers, 5 askers and 5 editors uploading real and hostile files for SOAK_SECONDS (120),
# the model failing and recovering midway, natively one SIGKILL + restart. Each host prints a
# table (scripts/soak.mjs); the script exits non-zero when a host misses a goal: an unexpected
# 5xx, a lost upload, a kept document not findable by keyword and by meaning, peak RSS over
# SOAK_MAX_RSS_MB (2048), search p99 over SOAK_SEARCH_P99_MS (1500). Builds must exist
# (`make soak` builds them).
#   scripts/soak.sh [native|worker|both, default both]
# FOLIO_SOAK_BIN runs another native binary (a copy, so a rebuild meanwhile changes nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

which=${1:-both}
seconds=${SOAK_SECONDS:-120}
folio=${FOLIO_SOAK_BIN:-$CARGO_TARGET_DIR/release/folio}
native_port=${FOLIO_SOAK_NATIVE_PORT:-3320}
worker_port=${FOLIO_SOAK_WORKER_PORT:-3321}
standin_port=${FOLIO_SOAK_STANDIN_PORT:-3322}
data=$(mktemp -d /tmp/folio-soak.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

status=0
if [ "$which" != worker ]; then
  node scripts/soak.mjs --host native --folio "$folio" --data "$data/native" --port "$native_port" \
    --seconds "$seconds" || { status=1; tail -20 "$data/native.log" >&2; }
fi

if [ "$which" != native ]; then
  # The Worker's Workers AI (both models) and Vectorize, answered by the stand-in.
  FOLIO_LOG=error "$folio" cloudflare-standin --port "$standin_port" --data "$data/standin" \
    >"$data/standin.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 240); do curl -sf -o /dev/null "http://127.0.0.1:$standin_port/info" && break; sleep 0.5; done
  FOLIO_ADMIN_EMAIL=soak@folio.test FOLIO_ADMIN_PASSWORD="soak admin password" \
    node scripts/worker-local.mjs --test --port "$worker_port" --persist-to "$data/worker" \
    --ai-proxy "http://127.0.0.1:$standin_port" --vectorize-proxy "http://127.0.0.1:$standin_port" \
    >"$data/worker.log" 2>&1 &
  pids+=($!)
  node scripts/soak.mjs --host worker --url "http://127.0.0.1:$worker_port" \
    --standin "http://127.0.0.1:$standin_port" --server-pid "${pids[-1]}" --seconds "$seconds" ||
    { status=1; tail -20 "$data/worker.log" >&2; }
fi
echo
echo "($(nproc) cores; loopback only; ${seconds} s of load per host)"
exit "$status"
