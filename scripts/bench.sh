#!/usr/bin/env bash
# Load figures for both hosts, on loopback only: requests/s and latency percentiles for the
# pages readers hit. Builds must exist (`make build worker-build`). Prints a table; it asserts
# nothing (speed goals are read from these figures, not from timed tests).
# The same printout replaces the block between `<!-- bench:start -->` and `<!-- bench:end -->`
# in docs/performance.md (after a complete run only).
#   scripts/bench.sh [seconds per URL, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."

# Run the measurements in a child whose stdout goes both to the terminal and to the report.
if [ -z "${FOLIO_BENCH_CHILD:-}" ]; then
  report=$(mktemp /tmp/folio-bench-report.XXXXXX)
  trap 'rm -f "$report"' EXIT
  set +e
  FOLIO_BENCH_CHILD=1 bash "$0" "$@" | tee "$report"
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] || exit "$status"
  python3 scripts/doc-block.py docs/performance.md bench \
    "$(date -u +%Y-%m-%d), \`make bench\`, ${1:-10} s per URL, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'):" <"$report"
  echo "bench: wrote the table into docs/performance.md"
  exit 0
fi
source scripts/env.sh

# Every request comes from this one address: per-client limits would measure themselves.
export FOLIO_CLIENT_SEARCHES_PER_MINUTE=0 FOLIO_CLIENT_QUESTIONS_PER_HOUR=0
seconds=${1:-10}
native_port=${FOLIO_BENCH_NATIVE_PORT:-3300}
worker_port=${FOLIO_BENCH_WORKER_PORT:-3301}
standin_port=${FOLIO_BENCH_STANDIN_PORT:-3302}
stalled_port=${FOLIO_BENCH_STALLED_PORT:-3303}
data=$(mktemp -d /tmp/folio-bench.XXXXXX)
pids=()
declare -A server_pid # port → the native server's pid, for its CPU time
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

# Pages and search only: no summaries written in the background while wrk measures.
FOLIO_ADDR=127.0.0.1:$native_port FOLIO_DATA_DIR=$data/native FOLIO_LOG=warn FOLIO_TEXT_MODEL=off \
  "$CARGO_TARGET_DIR/release/folio" &
pids+=($!)
server_pid[$native_port]=$!
# The same pages with nothing kept (FOLIO_KEEP_PAGES=false): what each render costs. Readers
# get the kept page above; this row keeps the render's own cost in sight.
render_port=${FOLIO_BENCH_RENDER_PORT:-3305}
FOLIO_ADDR=127.0.0.1:$render_port FOLIO_DATA_DIR=$data/render FOLIO_LOG=warn FOLIO_TEXT_MODEL=off \
  FOLIO_EMBEDDING_MODEL=off FOLIO_KEEP_PAGES=false "$CARGO_TARGET_DIR/release/folio" &
pids+=($!)
server_pid[$render_port]=$!
# The Worker's Workers AI and Vectorize, answered locally by the native model and index.
FOLIO_TEXT_MODEL=off "$CARGO_TARGET_DIR/release/folio" cloudflare-standin --port "$standin_port" --data "$data/standin" \
  >"$data/standin.log" 2>&1 &
pids+=($!)
standin_pid=$!
wait_for "http://127.0.0.1:$standin_port/info"
standin=http://127.0.0.1:$standin_port
node scripts/worker-local.mjs --test --var CLIENT_SEARCHES_PER_MINUTE=0 --var CLIENT_QUESTIONS_PER_HOUR=0 --port "$worker_port" --persist-to "$data/worker" \
  --ai-proxy "$standin" --vectorize-proxy "$standin" >"$data/worker.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$native_port/healthz"
wait_for "http://127.0.0.1:$worker_port/healthz"
wait_for "http://127.0.0.1:$render_port/healthz"

image=$(curl -s "http://127.0.0.1:$native_port/docs/how-folio-is-built" | grep -o '/blobs/[0-9a-f]\{64\}' | head -1)
doc=/docs/how-folio-is-built
css=$(curl -s "http://127.0.0.1:$native_port/" | grep -o '/pkg/[^"]*\.css' | head -1)

# wrk's latency ("574.00us", "1.23ms", "2.01s") in milliseconds.
ms() { awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /[0-9]s$/ && $1 !~ /ms$/) v *= 1000; printf "%.3f", v }' <<<"$1"; }

# CPU time the process serving a port has used so far, in clock ticks: that native server, or
# every workerd (the Worker). wrk shares the two cores and neighbours on a shared machine change
# req/s from run to run; the server's own CPU per request varies far less, so A/B comparisons
# of a change read this column.
ticks_per_s=$(getconf CLK_TCK)
cpu_ticks() { # port
  local pids=${server_pid[$1]:-}
  [ -n "$pids" ] || pids=$(pgrep -x workerd || true)
  for pid in $pids; do awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || true; done |
    awk '{ t += $1 } END { print t + 0 }'
}

# One wrk run: prints a row and leaves the req/s in $rps (p50/p99 in $p50, $p99, and the
# server's CPU µs per request in $cpu).
run() { # host port connections path label
  local out p90 errors requests before after
  before=$(cpu_ticks "$2")
  out=$(wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${seconds}s" --latency "http://127.0.0.1:$2$4")
  after=$(cpu_ticks "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p90=$(awk '$1 == "90%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v n="${requests:-0}" -v hz="$ticks_per_s" \
    'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "-" }')
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  printf '%-8s %-44s %4s %10s %9s %9s %9s %10s  %s\n' "$1" "$5" "$3" "$rps" "$p50" "$p90" "$p99" "$cpu" "$errors"
}

# Measure the steady state: until both hosts have embedded their sample pages (which the
# Worker does through the stand-in, on these same cores), indexing would share the CPU.
for port in "$native_port" "$worker_port"; do
  for _ in $(seq 1 240); do
    curl -s "http://127.0.0.1:$port/api/search?q=how+are+pages+rendered&mode=semantic" |
      grep -q '"degraded":false,.*"results":\[{' && break
    sleep 0.5
  done
done

printf '\n%-8s %-44s %4s %10s %9s %9s %9s %10s\n' host path conn "req/s" p50 p90 p99 "cpu us/req"
declare -A ratio cpu_of
for host in native worker; do
  port=$native_port connections=32
  # workerd runs one isolate here: fewer connections keep queueing from dominating latency.
  [ "$host" = worker ] && port=$worker_port connections=8
  run "$host" "$port" "$connections" "$css" "static file (ceiling)"; static=$rps static_cpu=$cpu
  run "$host" "$port" "$connections" "$doc" "$doc"; page=$rps page_cpu=$cpu
  if [ "$host" = native ]; then
    run "$host" "$render_port" "$connections" "$doc" "$doc (rendered each view)"
    rendered="$(awk -v p="$rps" -v s="$static" 'BEGIN { printf "%.2f", p / s }') ($cpu against $static_cpu us)"
  fi
  run "$host" "$port" "$connections" / "/"
  [ "$host" = native ] && run "$host" "$port" "$connections" "$image" "/blobs/<png>"
  [ "$host" = native ] && run "$host" "$port" "$connections" /healthz /healthz
  # One connection: the time one request takes, without queueing.
  run "$host" "$port" 1 "$doc" "$doc"
  # Search over the sample pages, one reader typing: the host's own cost per mode (the query
  # embedding included; on the Worker it goes through the stand-in, as to Workers AI).
  for mode in keyword semantic hybrid; do
    run "$host" "$port" 1 "/api/search?q=how+are+pages+rendered&mode=$mode" "search ($mode)"
  done
  ratio[$host]=$(awk -v p="$page" -v s="$static" 'BEGIN { printf "%.2f", p / s }')
  cpu_of[$host]="$page_cpu against $static_cpu us"
done
echo
echo "document page / static file req/s: native ${ratio[native]}, worker ${ratio[worker]}"
echo "server CPU per request, document page against static file: native ${cpu_of[native]}, worker ${cpu_of[worker]}"
echo "native document page rendered on every view (no kept pages) / static file: $rendered"

# AI never blocks a page: the document page (its summary missing, so each view schedules a
# generation) with every model call stalled 10 s against no text model, one connection each,
# both rendered on every view.
# (The stalled site starts slowly: seeding waits for its sample pages' embeddings. Once a late
# answer comes, the local model writes on these same two cores.)
FOLIO_ADDR=127.0.0.1:$stalled_port FOLIO_DATA_DIR=$data/stalled FOLIO_LOG=error FOLIO_AI_FAULT=slow:10000 \
  "$CARGO_TARGET_DIR/release/folio" &
pids+=($!)
stalled_pid=$!
server_pid[$stalled_port]=$!
for _ in $(seq 1 360); do curl -sf -o /dev/null "http://127.0.0.1:$stalled_port/healthz" && break; sleep 0.5; done
echo
# The reference renders every view too (the stalled page, its summary missing, is never kept).
run native "$render_port" 1 "$doc" "$doc (no text model)"; off50=$(ms "$p50") off99=$(ms "$p99")
run native "$stalled_port" 1 "$doc" "$doc (AI stalled 10 s)"; st50=$(ms "$p50") st99=$(ms "$p99")
echo "native, AI stalled / AI off: p50 $(awk -v a="$st50" -v b="$off50" 'BEGIN { printf "%.2f", a / b }'), p99 $(awk -v a="$st99" -v b="$off99" 'BEGIN { printf "%.2f", a / b }')"
run worker "$worker_port" 1 "$doc" "$doc (AI failing at once)"; off50=$(ms "$p50") off99=$(ms "$p99")
curl -s -o /dev/null -X POST --data "hang" "$standin/__fault"
run worker "$worker_port" 1 "$doc" "$doc (AI stalled)"; st50=$(ms "$p50") st99=$(ms "$p99")
curl -s -o /dev/null -X POST --data "up" "$standin/__fault"
echo "worker, AI stalled / AI failing: p50 $(awk -v a="$st50" -v b="$off50" 'BEGIN { printf "%.2f", a / b }'), p99 $(awk -v a="$st99" -v b="$off99" 'BEGIN { printf "%.2f", a / b }')"

# Ask: time to the sources and to the first piece of the answer, one asker at a time, with the
# real text model (SmolLM2-135M): natively, and on the Worker through a stand-in that now
# writes text too (it restarts on the same port with the model on).
ask_port=${FOLIO_BENCH_ASK_PORT:-3304}
kill "$stalled_pid" 2>/dev/null || true # the stalled site: its late answers would share the cores
FOLIO_ADDR=127.0.0.1:$ask_port FOLIO_DATA_DIR=$data/ask FOLIO_LOG=error FOLIO_AI_CALLS_PER_MINUTE=1000 \
  FOLIO_ADMIN_EMAIL=bench@folio.test FOLIO_ADMIN_PASSWORD="bench admin password" \
  "$CARGO_TARGET_DIR/release/folio" &
pids+=($!)
wait_for "http://127.0.0.1:$ask_port/healthz"
for _ in $(seq 1 240); do # until the sample pages are embedded and their summaries written
  curl -s "http://127.0.0.1:$ask_port/api/search?q=how+are+pages+rendered&mode=semantic" |
    grep -q '"degraded":false,.*"results":\[{' && break
  sleep 0.5
done
sleep 60 # the sample pages' summaries and topics are being written; let them finish
echo
python3 scripts/ask-timings.py "http://127.0.0.1:$ask_port" native 8
python3 scripts/summary-timing.py "http://127.0.0.1:$ask_port" bench@folio.test "bench admin password" 5
kill "${pids[-1]}" 2>/dev/null || true # this site's cores go to the next one
bash scripts/bench-readers-first.sh 8
kill "$standin_pid" 2>/dev/null || true # the stand-in without a text model
sleep 1
FOLIO_LOG=error "$CARGO_TARGET_DIR/release/folio" cloudflare-standin --port "$standin_port" --data "$data/standin" \
  >>"$data/standin.log" 2>&1 &
pids+=($!)
wait_for "$standin/info"
python3 scripts/ask-timings.py "http://127.0.0.1:$worker_port" worker 8

size() { # file label
  [ -f "$1" ] || return 0
  printf '%-34s %9s raw %9s gzip\n' "$2" "$(stat -c %s "$1")" "$(gzip -9 -c "$1" | wc -c)"
}
echo
# Names from the build: the islands bundle (every page), its lazy islands (loaded by the pages
# that have them), and the Worker.
site=target/site/pkg
for f in "$site"/*.js "$site"/*.wasm; do
  [ -f "$f" ] || continue
  case "$(basename "$f")" in
    chunk_*) ;; # small pieces the lazy islands share, not listed one by one
    *) size "$f" "$(basename "$f")" ;;
  esac
done
size worker/build/index_bg.wasm "worker wasm"
echo
echo "($(nproc) cores; wrk -t2, native -c32, worker -c8, ${seconds}s per URL; loopback only)"
