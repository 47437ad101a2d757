#!/usr/bin/env bash
# Every check Folio has, in order, each timed; ends with a pass/fail table.
#   scripts/test.sh                 everything (what `make test` and CI run)
#   scripts/test.sh --only e2e      a comma-separated subset of the step names below
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# Incremental data is never reused by CI's fresh clones and costs GBs per run.
export CARGO_INCREMENTAL=0
# The cache outlives clones; artifacts of old clone paths pile up. Keep it bounded.
if [ -d "$CARGO_TARGET_DIR/debug" ] && [ "$(du -s --block-size=1G "$CARGO_TARGET_DIR" | cut -f1)" -gt 25 ]; then
  echo "test.sh: $CARGO_TARGET_DIR is over 25 GB; clearing its debug builds"
  rm -rf "$CARGO_TARGET_DIR/debug"
fi

only=""
if [ "${1:-}" = "--only" ]; then only=",${2:-},"; fi

results=()
failed=0
passed=0
declare -A status

step() { # name, command...
  local name=$1; shift
  if [ -n "$only" ] && [[ "$only" != *",$name,"* ]]; then return; fi
  printf '\n\033[1;34m━━ %s\033[0m  %s\n' "$name" "$*"
  local start=$SECONDS
  if "$@"; then
    status[$name]=pass; passed=$((passed + 1))
    results+=("$(printf 'PASS  %-14s %4ss' "$name" $((SECONDS - start)))")
  else
    status[$name]=fail; failed=$((failed + 1))
    results+=("$(printf 'FAIL  %-14s %4ss' "$name" $((SECONDS - start)))")
  fi
}

needs() { # skip a step whose inputs failed to build
  local dep
  for dep in "$@"; do
    if [ "${status[$dep]:-}" = fail ]; then
      echo "skipped: $dep failed"
      return 1
    fi
  done
}

native_packages=(-p domain -p app -p server -p import -p eval -p models)

# Links in the Markdown resolve, the README stays short, ARCHITECTURE within 100 columns.
step docs python3 scripts/check-docs.py
# The Pages configuration is made from wrangler.toml: every key carried or dropped on purpose.
step pages-config node --test scripts/pages-build.test.mjs
step fmt cargo fmt --all -- --check
step clippy bash -c "cargo clippy ${native_packages[*]} --all-targets -- -D warnings &&
  cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings &&
  CARGO_TARGET_DIR=\"$FOLIO_CACHE/target-worker\" WASM_BINDGEN_USE_JS_SYS=1 \
    cargo clippy -p worker-host --target wasm32-unknown-unknown -- -D warnings"
step domain-wasm cargo check -p domain --target wasm32-unknown-unknown
step unit cargo test "${native_packages[@]}" --lib --bins
step integration cargo test -p server --tests
step build cargo leptos build --release --split
# The Worker's symbols stripped (the wasm name section: 536 KB of its 2.94 MB gzip). Only here: the
# browser bundle's wasm-opt drops them already, and its split is not tested without them.
step worker-build bash -c "cd worker && CARGO_TARGET_DIR=\"$FOLIO_CACHE/target-worker\" \
  CARGO_PROFILE_WASM_RELEASE_STRIP=symbols worker-build --profile wasm-release"
worker_check() {
  needs worker-build build || return 1
  wrangler deploy --dry-run --outdir "$FOLIO_CACHE/worker-dry-run"
}
step worker-check worker_check
# The same build as a Cloudflare Pages output (target/pages), and Pages' offline release gate.
pages_build() {
  needs build worker-build || return 1
  node scripts/pages-build.mjs
}
step pages-build pages_build
pages_check() {
  needs pages-build || return 1
  bash scripts/pages-check.sh
}
step pages-check pages_check
# Size budgets, in gzip -9 bytes: the Worker must stay well inside the Workers free plan's 3 MB
# compressed limit as search and AI code arrive, and so must everything Pages would upload for it
# (Pages Functions have the same limits); the islands bundle every page loads, within the reading
# page's 200 KB (end2end/tests/budget.spec.ts checks what a browser downloads).
sizes() {
  needs build worker-build || return 1
  local bundle ok=0
  bundle="target/site/pkg/$(sed -n 's/^output-name = "\(.*\)"/\1/p' Cargo.toml).wasm"
  within() { # file budget label
    local gz
    gz=$(gzip -9 -c "$1" | wc -c)
    printf '%-28s %9s B gzip  (budget %s B)\n' "$3" "$gz" "$2"
    [ "$gz" -le "$2" ]
  }
  # 2,560 KiB since the Worker's symbols are stripped (docs/performance.md "Bundle sizes"); the free
  # plan's hard limit is 3 MiB.
  within worker/build/index_bg.wasm $((2560 * 1024)) "worker wasm" || ok=1
  within "$FOLIO_CACHE/pages-dry-run/_worker.bundle" $((2560 * 1024)) "pages bundle (every module)" || ok=1
  within "$bundle" $((200 * 1024)) "islands bundle ($(basename "$bundle"))" || ok=1
  return $ok
}
step sizes sizes
# Playwright's closing list (failed, flaky, passed) is repeated in the summary: CI shows only the
# tail of a run, and a failure is no use without its test's name.
e2e_tally=""
e2e() {
  needs build worker-build pages-build || return 1
  local dir log
  dir=$(mktemp -d /tmp/folio-e2e.XXXXXX)
  log="$dir.log"
  FOLIO_E2E_DIR="$dir" npx playwright test --config end2end/playwright.config.ts 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  e2e_tally=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^  [0-9]+ (failed|flaky|passed|skipped|did not run|interrupted)/ { on = 1 } on')
  rm -rf "$dir" "$log"
  return $rc
}
step e2e e2e
# `make run`, `make worker-dev` and `make pages-dev` as a user runs them: up, then stopped with
# nothing left.
targets() {
  needs build worker-build || return 1
  bash scripts/targets.sh run worker-dev pages-dev
}
step targets targets

printf '\n\033[1m━━ Summary\033[0m\n'
printf '%s\n' "${results[@]}"
if grep -qE "^  [0-9]+ (failed|flaky)" <<<"$e2e_tally"; then
  printf '\ne2e:\n%s\n' "$e2e_tally"
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
