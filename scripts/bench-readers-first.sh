#!/usr/bin/env bash
# Readers before background work (issue 25): Ask timings on a native site with the real models,
# idle, then while a 300-page import (HTML pages of Debian's sqlite3-doc) is embedded and
# summarised behind it. The questions are asked within a folder the import does not touch (a
# copy of the sample pages), so both runs answer from the same passages and only the background
# work differs. The aim is the busy figures within 1.5× of the idle ones. Prints both lines and
# the ratios; asserts nothing. Needs `make build` (FOLIO_BIN runs another binary).
# Called by scripts/bench.sh.
#   scripts/bench-readers-first.sh [questions, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

n=${1:-8}
folio="${FOLIO_BIN:-$CARGO_TARGET_DIR/release/folio}"
port=${FOLIO_BENCH_READERS_PORT:-3305}
site=http://127.0.0.1:$port
data=$(mktemp -d /tmp/folio-readers.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$data"' EXIT
export FOLIO_CLIENT_SEARCHES_PER_MINUTE=0 FOLIO_CLIENT_QUESTIONS_PER_HOUR=0
export FOLIO_EMAIL=bench@folio.test FOLIO_PASSWORD="bench admin password"

# The pages to import, from the package (only Debian's archive is reachable).
(cd "$data" && apt-get download sqlite3-doc >/dev/null 2>&1 && dpkg-deb -x sqlite3-doc_*.deb pkg)
mkdir -p "$data/import" "$data/asked/folio"
cp content/samples/*.md "$data/asked/folio/"
find "$data/pkg/usr/share/doc" -name '*.html' -size +2k | sort | head -300 |
  while read -r f; do cp "$f" "$data/import/"; done

FOLIO_ADDR=127.0.0.1:$port FOLIO_DATA_DIR=$data/site FOLIO_LOG=${FOLIO_LOG:-error} FOLIO_AI_CALLS_PER_MINUTE=100000 \
  FOLIO_AI_CALLS_PER_DAY=1000000 FOLIO_ADMIN_EMAIL=$FOLIO_EMAIL FOLIO_ADMIN_PASSWORD=$FOLIO_PASSWORD \
  "$folio" &
pid=$!
for _ in $(seq 1 240); do curl -sf -o /dev/null "$site/healthz" && break; sleep 0.5; done
"$folio" import "$data/asked" --url "$site" --quiet >/dev/null
for _ in $(seq 1 240); do # until the pages asked about are embedded
  curl -s "$site/api/search?q=how+are+pages+rendered&mode=semantic&folder=folio" | grep -q '"degraded":false,.*"results":\[{' && break
  sleep 0.5
done
sleep 90 # the pages' summaries and topics are being written; let them finish

idle=$(python3 scripts/ask-timings.py "$site" idle "$n" --tsv --folder folio --tag 1)
"$folio" import "$data/import" --url "$site" --no-wait --quiet >/dev/null
busy=$(python3 scripts/ask-timings.py "$site" "importing $(ls "$data/import" | wc -l)" "$n" --tsv --folder folio --tag 2)
python3 - "$idle" "$busy" <<'PY'
import sys
idle, busy = (dict(zip(["label", "sources50", "sources95", "quick50", "quick95", "first50", "first95", "end50", "end95", "unavailable", "rate"], l.split("\t"))) for l in sys.argv[1:3])
for row in (idle, busy):
    print(f"native ask, {row['label']:<13} sources p50/p95 {row['sources50']}/{row['sources95']} ms · quick answer {row['quick50']}/{row['quick95']} ms · first piece {row['first50']}/{row['first95']} ms · end {row['end50']}/{row['end95']} ms · {row['rate']} pieces/s · {row['unavailable']} unavailable")
ratio = lambda k: float(busy[k]) / max(float(idle[k]), 1.0)
print(f"importing / idle: first piece p50 {ratio('first50'):.2f}× p95 {ratio('first95'):.2f}× · end p50 {ratio('end50'):.2f}× p95 {ratio('end95'):.2f}× (aim: within 1.5×)")
PY
