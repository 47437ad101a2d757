#!/usr/bin/env bash
# Load figures for both hosts, on loopback only: requests/s and latency percentiles for the
# pages readers hit. Builds must exist (`make build worker-build`). Prints a table; it asserts
# nothing (speed goals are read from these figures, not from timed tests).
#   scripts/bench.sh [seconds per URL, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

seconds=${1:-10}
native_port=${FOLIO_BENCH_NATIVE_PORT:-3300}
worker_port=${FOLIO_BENCH_WORKER_PORT:-3301}
data=$(mktemp -d /tmp/folio-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.5
  done
  echo "bench: $1 did not come up" >&2
  return 1
}

FOLIO_ADDR=127.0.0.1:$native_port FOLIO_DATA_DIR=$data/native FOLIO_LOG=warn \
  "$CARGO_TARGET_DIR/release/folio" &
pids+=($!)
node scripts/worker-local.mjs --test --port "$worker_port" --persist-to "$data/worker" >"$data/worker.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$native_port/healthz"
wait_for "http://127.0.0.1:$worker_port/healthz"

image=$(curl -s "http://127.0.0.1:$native_port/docs/how-folio-is-built" | grep -o '/blobs/[0-9a-f]\{64\}' | head -1)
paths=("/" "/docs/how-folio-is-built" "$image" "/healthz")

printf '\n%-8s %-28s %10s %9s %9s %9s\n' host path "req/s" p50 p90 p99
for host in native worker; do
  port=$native_port connections=32
  # workerd runs one isolate here: fewer connections keep queueing from dominating latency.
  [ "$host" = worker ] && port=$worker_port connections=8
  for path in "${paths[@]}"; do
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$port$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p90=$(awk '$1 == "90%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
    label=$path
    [ "$path" = "$image" ] && label="/blobs/<png>"
    printf '%-8s %-28s %10s %9s %9s %9s  %s\n' "$host" "$label" "$rps" "$p50" "$p90" "$p99" "$errors"
  done
done
echo
echo "($(nproc) cores; wrk -t2, native -c32, worker -c8, ${seconds}s per URL; loopback only)"
