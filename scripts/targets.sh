#!/usr/bin/env bash
# The README's make targets that start something, run as a user runs them: each must answer
# /healthz within its time, and once stopped (Ctrl-C: SIGINT to the whole foreground group)
# leave nothing listening behind. `make test` runs this after its builds, so a target that
# only works on the machine it was written on (a system Node 20, a stand-in left on 8788)
# fails here first.
#   scripts/targets.sh [target…]     default: run worker-dev pages-dev
set -uo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(run worker-dev pages-dev)

listening() { # port: is something accepting on it?
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

failed=0
try() { # target, url, ports that must be free afterwards…
  local target=$1 url=$2; shift 2
  local port log pgid up=false
  for port in "$@"; do
    if listening "$port"; then
      echo "targets: port $port is taken before make $target starts; skipping it"
      return 0
    fi
  done
  log=$(mktemp /tmp/folio-target.XXXXXX)
  # Its own process group, as a terminal gives a foreground job.
  setsid make --no-print-directory "$target" >"$log" 2>&1 &
  pgid=$!
  for _ in $(seq 1 "${TARGET_WAIT_SECONDS:-600}"); do
    if curl -sf -o /dev/null "$url/healthz"; then up=true; break; fi
    kill -0 "$pgid" 2>/dev/null || break
    sleep 1
  done
  kill -INT -- "-$pgid" 2>/dev/null
  for _ in $(seq 1 30); do kill -0 "$pgid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$pgid" 2>/dev/null
  wait "$pgid" 2>/dev/null
  local left=()
  for port in "$@"; do
    for _ in $(seq 1 10); do listening "$port" || break; sleep 1; done
    listening "$port" && left+=("$port")
  done
  if $up && [ ${#left[@]} -eq 0 ]; then
    echo "make $target: answered $url/healthz, and left nothing running after Ctrl-C"
  else
    failed=1
    $up || echo "make $target: never answered $url/healthz"
    [ ${#left[@]} -eq 0 ] || echo "make $target: still listening on ${left[*]} after Ctrl-C"
    echo "--- its output (last 40 lines):"
    tail -40 "$log"
  fi
  rm -f "$log"
}

data=$(mktemp -d /tmp/folio-targets.XXXXXX)
trap 'rm -rf "$data"' EXIT
for target in "${targets[@]}"; do
  case $target in
    run)
      FOLIO_ADDR=127.0.0.1:3391 FOLIO_DATA_DIR="$data/run" FOLIO_LOG=warn \
        try run http://127.0.0.1:3391 3391 ;;
    worker-dev)
      try worker-dev http://127.0.0.1:8787 8787 8788 ;;
    pages-dev)
      try pages-dev http://127.0.0.1:8789 8789 8790 ;;
    *)
      echo "targets: no check for $target"; failed=1 ;;
  esac
done
exit $failed
