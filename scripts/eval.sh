#!/usr/bin/env bash
# Search relevance over real documentation, on two labelled sets (eval/<set>/):
#   git-doc      the tuning set: 80 pages of Debian's git-doc, 80 questions. Settings are chosen here.
#   sqlite3-doc  the held-out set: 163 pages of Debian's sqlite3-doc, 133 questions. Only reported:
#                nothing is tuned on it (docs/eval-sets.md).
# Each set's pages (eval/<set>/files.txt, from the package and folder in eval/<set>/corpus.env) are
# imported into a fresh native site with `folio import`, then `folio eval` runs its questions
# (eval/<set>/questions.jsonl) per mode and over the fusion grid. Prints one table per set, the
# tables docs/performance.md quotes. Needs `make build`.
#   scripts/eval.sh [SET…]               both sets by default, the tuning set first
#   scripts/eval.sh --url URL [SET]      against a running site that holds SET's corpus (git-doc)
#   scripts/eval.sh --ask [SET…]         Ask instead of search: the same questions and those the
#                                        corpus cannot answer (eval/<set>/unanswerable.jsonl), with the
#                                        text model (imported with it off, then the site restarts with it on)
#   scripts/eval.sh --ask --quick [SET…] the quick answer alone: Ask without a text model (minutes)
#   scripts/eval.sh --rerank [SET…]      also hybrid with its second stage (rerank=on), given 10 s: the
#                                        cross-encoder FOLIO_RERANK_MODEL names, else the embedding
#                                        model standing in for one
# FOLIO_BIN runs another folio binary (a copy, so that a build elsewhere cannot swap it mid-run);
# FOLIO_EVAL_PORT the port of the site it starts (3310).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

folio="${FOLIO_BIN:-$CARGO_TARGET_DIR/release/folio}"
ask=false
quick=false
rerank=
url=
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ask) ask=true ;;
    --quick) quick=true ;;
    --url) url="$2"; shift ;;
    --rerank) rerank=--rerank ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "eval: unknown option $1" >&2; exit 2 ;;
    *) sets+=("$1") ;;
  esac
  shift
done
for set in "${sets[@]}"; do
  [ -f "eval/$set/corpus.env" ] || { echo "eval: no labelled set eval/$set" >&2; exit 2; }
done

# "tuning set (git-doc)" or "held-out set (sqlite3-doc)", from the set's corpus.env.
label() {
  local role
  role=$(sed -n 's/^role=//p' "eval/$1/corpus.env")
  echo "${role:-labelled} set ($1)"
}

if [ -n "$url" ]; then
  [ ${#sets[@]} -le 1 ] || { echo "eval: --url measures one site, so one set" >&2; exit 2; }
  set=${sets[0]:-git-doc}
  echo "## $(label "$set")"
  echo
  if $ask; then
    exec "$folio" eval "eval/$set/questions.jsonl" --url "$url" --ask --unanswerable "eval/$set/unanswerable.jsonl"
  fi
  exec "$folio" eval "eval/$set/questions.jsonl" --url "$url" --sweep
fi
[ ${#sets[@]} -gt 0 ] || sets=(git-doc sqlite3-doc)

# The set's pages, copied out of its Debian package once into $FOLIO_CACHE/eval/<set> (only the
# pages: `make bench-search` reads git-doc's folder for its vocabulary), again when files.txt
# differs from the list they were copied by (kept beside the folder).
corpus_of() {
  local set=$1 corpus="$FOLIO_CACHE/eval/$1" package dir work
  if [ ! -f "$corpus/.complete" ] || ! cmp -s "eval/$set/files.txt" "$corpus.files.txt"; then
    package=$(sed -n 's/^package=//p' "eval/$set/corpus.env")
    dir=$(sed -n 's/^dir=//p' "eval/$set/corpus.env")
    echo "eval: fetching Debian's $package package for the $set corpus" >&2
    work=$(mktemp -d)
    (cd "$work" && apt-get download "$package" >/dev/null 2>&1 && dpkg-deb -x "$package"_*.deb x)
    rm -rf "$corpus" && mkdir -p "$corpus"
    grep -v '^#' "eval/$set/files.txt" | while read -r f; do
      mkdir -p "$corpus/$(dirname "$f")"
      cp "$work/x$dir/$f" "$corpus/$f"
    done
    cp "eval/$set/files.txt" "$corpus.files.txt"
    touch "$corpus/.complete"
    rm -rf "$work"
  fi
  echo "$corpus"
}

port=${FOLIO_EVAL_PORT:-3310}
site=http://127.0.0.1:$port
# Every request comes from this one address: per-client limits would measure themselves.
export FOLIO_CLIENT_SEARCHES_PER_MINUTE=0 FOLIO_CLIENT_QUESTIONS_PER_HOUR=0
export FOLIO_EMAIL=eval@folio.test FOLIO_PASSWORD="eval admin password"

# One set: a fresh site, its corpus imported and embedded, then the eval. Runs in a subshell,
# whose trap stops the site and removes its data.
run_set() (
  local set=$1 corpus data pid start cookie inventory waiting chunks elapsed
  corpus=$(corpus_of "$set")
  data=$(mktemp -d /tmp/folio-eval.XXXXXX)
  trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data"' EXIT
  # Search relevance only: no text model writing summaries beside the import.
  FOLIO_ADDR=127.0.0.1:$port FOLIO_DATA_DIR=$data FOLIO_SEED_SAMPLES=false FOLIO_LOG=warn FOLIO_TEXT_MODEL=off \
    FOLIO_SEARCH_RERANK_TIMEOUT_MS=10000 FOLIO_ADMIN_EMAIL=$FOLIO_EMAIL FOLIO_ADMIN_PASSWORD=$FOLIO_PASSWORD "$folio" &
  pid=$!
  for _ in $(seq 1 120); do curl -sf -o /dev/null "$site/healthz" && break; sleep 0.5; done

  start=$SECONDS
  "$folio" import "$corpus" --url "$site" --quiet
  # Wait for the vectors too: the import returns once documents are live (keyword-searchable).
  cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"email\":\"$FOLIO_EMAIL\",\"password\":\"$FOLIO_PASSWORD\"}" "$site/api/session" |
    sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
  while :; do
    inventory=$(curl -s -H "cookie: $cookie" "$site/api/inventory")
    waiting=$(sed -n 's/.*"chunks_waiting":\([0-9]*\).*/\1/p' <<<"$inventory")
    chunks=$(sed -n 's/.*"chunks":\([0-9]*\).*/\1/p' <<<"$inventory")
    [ "${waiting:-1}" = 0 ] && break
    sleep 2
  done
  elapsed=$((SECONDS - start))
  echo "## $(label "$set")"
  echo
  echo "corpus: $(grep -vc '^#' "eval/$set/files.txt") $set pages, $chunks chunks; imported and embedded in ${elapsed}s ($(awk -v c="$chunks" -v s="$elapsed" 'BEGIN { printf "%.1f", c / (s > 0 ? s : 1) }') chunks/s end to end)"
  if ! $ask; then
    "$folio" eval "eval/$set/questions.jsonl" --url "$site" --sweep $rerank
    return
  fi
  if $quick; then
    # This site has no text model: each answer ends after its quick answer.
    "$folio" eval "eval/$set/questions.jsonl" --url "$site" --ask --quick --unanswerable "eval/$set/unanswerable.jsonl"
    return
  fi
  # Ask: the same site with the text model on (its sweep may write a few summaries meanwhile).
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The budget is lifted: one question after another would spend a minute's 30 calls.
  FOLIO_ADDR=127.0.0.1:$port FOLIO_DATA_DIR=$data FOLIO_SEED_SAMPLES=false FOLIO_LOG=warn \
    FOLIO_AI_CALLS_PER_MINUTE=100000 FOLIO_AI_CALLS_PER_DAY=1000000 \
    FOLIO_ADMIN_EMAIL=$FOLIO_EMAIL FOLIO_ADMIN_PASSWORD=$FOLIO_PASSWORD "$folio" &
  pid=$!
  for _ in $(seq 1 240); do curl -sf -o /dev/null "$site/healthz" && break; sleep 0.5; done
  "$folio" eval "eval/$set/questions.jsonl" --url "$site" --ask --unanswerable "eval/$set/unanswerable.jsonl"
)

first=true
for set in "${sets[@]}"; do
  $first || echo
  first=false
  run_set "$set"
done
