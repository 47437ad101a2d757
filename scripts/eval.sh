#!/usr/bin/env bash
# Search relevance over real documentation: Debian's git-doc package (80 pages listed in
# eval/git-doc/files.txt), imported into a fresh native site with `folio import`, then
# `folio eval` over the 80 labelled questions in eval/git-doc/questions.jsonl. Prints the
# table docs/performance.md quotes. Needs `make build`.
#   scripts/eval.sh [--url URL]   against a running site instead (it must hold the corpus)
#   scripts/eval.sh --ask         Ask instead of search: the same questions and 15 the corpus
#                                 cannot answer, with the text model (imported with it off,
#                                 then the site restarts with it on)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

folio="$CARGO_TARGET_DIR/release/folio"
questions=eval/git-doc/questions.jsonl
if [ "${1:-}" = "--url" ]; then
  exec "$folio" eval "$questions" --url "$2" --sweep
fi
ask=false
[ "${1:-}" = "--ask" ] && ask=true

corpus="$FOLIO_CACHE/eval/git-doc"
if [ ! -f "$corpus/.complete" ]; then
  echo "eval: fetching Debian's git-doc package for the corpus"
  work=$(mktemp -d)
  (cd "$work" && apt-get download git-doc >/dev/null 2>&1 && dpkg-deb -x git-doc_*.deb x)
  rm -rf "$corpus" && mkdir -p "$corpus"
  grep -v '^#' eval/git-doc/files.txt | while read -r f; do cp "$work/x/usr/share/doc/git-doc/$f" "$corpus/"; done
  touch "$corpus/.complete"
  rm -rf "$work"
fi

port=${FOLIO_EVAL_PORT:-3310}
# Every request comes from this one address: per-client limits would measure themselves.
export FOLIO_CLIENT_SEARCHES_PER_MINUTE=0 FOLIO_CLIENT_QUESTIONS_PER_HOUR=0
data=$(mktemp -d /tmp/folio-eval.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data"' EXIT
export FOLIO_EMAIL=eval@folio.test FOLIO_PASSWORD="eval admin password"
# Search relevance only: no text model writing summaries beside the import.
FOLIO_ADDR=127.0.0.1:$port FOLIO_DATA_DIR=$data FOLIO_SEED_SAMPLES=false FOLIO_LOG=warn FOLIO_TEXT_MODEL=off \
  FOLIO_ADMIN_EMAIL=$FOLIO_EMAIL FOLIO_ADMIN_PASSWORD=$FOLIO_PASSWORD "$folio" &
pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 1 120); do curl -sf -o /dev/null "$url/healthz" && break; sleep 0.5; done

start=$SECONDS
"$folio" import "$corpus" --url "$url" --quiet
# Wait for the vectors too: the import returns once documents are live (keyword-searchable).
cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
  -d "{\"email\":\"$FOLIO_EMAIL\",\"password\":\"$FOLIO_PASSWORD\"}" "$url/api/session" |
  sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
while :; do
  inventory=$(curl -s -H "cookie: $cookie" "$url/api/inventory")
  waiting=$(sed -n 's/.*"chunks_waiting":\([0-9]*\).*/\1/p' <<<"$inventory")
  chunks=$(sed -n 's/.*"chunks":\([0-9]*\).*/\1/p' <<<"$inventory")
  [ "${waiting:-1}" = 0 ] && break
  sleep 2
done
elapsed=$((SECONDS - start))
echo "corpus: $(grep -vc '^#' eval/git-doc/files.txt) git-doc pages, $chunks chunks; imported and embedded in ${elapsed}s ($(awk -v c="$chunks" -v s="$elapsed" 'BEGIN { printf "%.1f", c / (s > 0 ? s : 1) }') chunks/s end to end)"
if ! $ask; then
  exec "$folio" eval "$questions" --url "$url" --sweep
fi
# Ask: the same site with the text model on (its sweep may write a few summaries meanwhile).
kill "$pid"; wait "$pid" 2>/dev/null || true
# The budget is lifted: one question after another would spend a minute's 30 calls.
FOLIO_ADDR=127.0.0.1:$port FOLIO_DATA_DIR=$data FOLIO_SEED_SAMPLES=false FOLIO_LOG=warn \
  FOLIO_AI_CALLS_PER_MINUTE=100000 FOLIO_AI_CALLS_PER_DAY=1000000 \
  FOLIO_ADMIN_EMAIL=$FOLIO_EMAIL FOLIO_ADMIN_PASSWORD=$FOLIO_PASSWORD "$folio" &
pid=$!
for _ in $(seq 1 240); do curl -sf -o /dev/null "$url/healthz" && break; sleep 0.5; done
"$folio" eval "$questions" --url "$url" --ask --unanswerable eval/git-doc/unanswerable.jsonl
