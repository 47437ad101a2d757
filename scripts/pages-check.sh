#!/usr/bin/env bash
# The Pages release gate, offline and without a login (`make pages-check`, `make test`'s
# `pages-check`). `wrangler pages deploy` has no --dry-run; this runs what it does before it
# uploads: `wrangler pages functions build` (the command Pages' own CI runs) reads
# target/pages/wrangler.jsonc under Pages' rules (no `main`, no `[triggers]`, only the preview
# and production environments) and bundles dist/_worker.js with esbuild, as deploy does, into
# $FOLIO_CACHE/pages-dry-run/_worker.bundle: the form deploy would upload, every module in it (the
# `sizes` step holds it to the Worker's budget). Then dist/_routes.json is checked against
# Pages' limits.
#   scripts/pages-check.sh [pages output folder]   default: target/pages
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out=$(realpath "${1:-target/pages}")
dry="$FOLIO_CACHE/pages-dry-run"
rm -rf "$dry" && mkdir -p "$dry"
[ -f "$out/wrangler.jsonc" ] && [ -d "$out/dist/_worker.js" ] || {
  echo "pages-check: no Pages build in $out; run make pages-build" >&2
  exit 1
}
(cd "$out" && wrangler pages functions build --build-output-directory dist --outfile "$dry/_worker.bundle" \
  --project-directory . --build-metadata-path "$dry/build-metadata.json")
# Pages' CI records the configuration it read; wrangler skips a file that is not a Pages
# configuration at all, so its hash here is what proves this one was read and passed.
grep -q '"wrangler_config_hash"' "$dry/build-metadata.json" || {
  echo "pages-check: wrangler did not take $out/wrangler.jsonc as a Pages configuration" >&2
  exit 1
}
# The entry (our index.js, bundled under a generated name), worker-build's module, the wasm.
for module in 'bundledWorker-[0-9.]*\.mjs' 'folio\.js' 'index_bg\.wasm'; do
  grep -aqE "form-data; name=\"$module\"" "$dry/_worker.bundle" || {
    echo "pages-check: the bundle Pages would upload has no $module" >&2
    exit 1
  }
done
node --input-type=module -e "
  import fs from 'node:fs';
  import { checkRoutes } from './scripts/pages-build.mjs';
  const spec = JSON.parse(fs.readFileSync('$out/dist/_routes.json', 'utf8'));
  checkRoutes(spec);
  if (!spec.exclude.includes('/pkg/*')) throw new Error('_routes.json: /pkg/* would invoke the Worker');
  console.log('pages-check: _routes.json sends ' + spec.exclude.length + ' static paths past the Worker');
"
echo "pages-check: $out passes Pages' configuration rules; bundle $dry/_worker.bundle ($(du -h "$dry/_worker.bundle" | cut -f1))"
