# Folio task runner. `make` lists the targets. Every target sets up what it needs first
# (scripts/setup.sh is idempotent: a second run takes seconds).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
ENV := source scripts/env.sh &&

# A second checkout may build the Worker in a target dir of its own: WORKER_TARGET_DIR=… make …
WORKER_TARGET_DIR ?= $${FOLIO_CACHE}/target-worker

.PHONY: help setup run build site test fmt lint worker-build worker-dev worker-check worker-deploy pages-build pages-dev pages-check pages-deploy e2e bench bench-search bench-rerank soak eval eval-ask eval-quick clean-data

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Install toolchains and tools (idempotent)
	@bash scripts/setup.sh

run: setup build ## Serve the native site with sample content (FOLIO_ADDR, FOLIO_DATA_DIR)
	@$(ENV) exec "$${CARGO_TARGET_DIR}/release/folio"

build: setup ## Build the native server and the browser bundle (release)
	@$(ENV) cargo leptos build --release --split

site: build ## The browser bundle + CSS in target/site (built with the server)

test: setup ## Run every check and test, both hosts, with a pass/fail summary
	@bash scripts/test.sh

fmt: ## Format all Rust code
	@$(ENV) cargo fmt --all

lint: setup ## rustfmt check + clippy -D warnings for native and both wasm crates
	@bash scripts/test.sh --only fmt,clippy

worker-build: setup ## Build the Worker (worker/build) with worker-build
	@# Symbols stripped for the Worker only (scripts/test.sh says why).
	@$(ENV) cd worker && CARGO_TARGET_DIR=$(WORKER_TARGET_DIR) CARGO_PROFILE_WASM_RELEASE_STRIP=symbols \
	  worker-build --profile wasm-release

worker-dev: worker-build site ## Run the Worker build locally in workerd with local D1/R2, AI and Vectorize (port 8787)
	@# One shell: the environment (Node 22 first on PATH) reaches node too, and the stand-in is
	@# this shell's own child, stopped however the Worker ends.
	@$(ENV) { "$${CARGO_TARGET_DIR}/release/folio" cloudflare-standin --port 8788 --data .wrangler/standin & \
	  standin=$$!; trap 'kill $$standin 2>/dev/null; wait $$standin 2>/dev/null' EXIT; \
	  node scripts/worker-local.mjs --test --ai-proxy http://127.0.0.1:8788 --vectorize-proxy http://127.0.0.1:8788; }

worker-check: worker-build site ## The release gate: wrangler deploy --dry-run (offline, no login)
	@$(ENV) wrangler deploy --dry-run --outdir "$${FOLIO_CACHE}/worker-dry-run"

worker-deploy: worker-check ## Deploy to Cloudflare (needs `wrangler login` and a real D1 id)
	@$(ENV) wrangler d1 migrations apply DB --remote && wrangler deploy

pages-build: worker-build site ## The same build for Cloudflare Pages: target/pages (dist/ with _worker.js, wrangler.jsonc)
	@$(ENV) node scripts/pages-build.mjs

pages-dev: pages-build ## Run the Pages build with `wrangler pages dev` in workerd, local D1/R2, AI and Vectorize (port 8789)
	@# As worker-dev: one shell, Node 22 first on PATH, the stand-in (on 8790) this shell's child.
	@$(ENV) { "$${CARGO_TARGET_DIR}/release/folio" cloudflare-standin --port 8790 --data .wrangler/pages-standin & \
	  standin=$$!; trap 'kill $$standin 2>/dev/null; wait $$standin 2>/dev/null' EXIT; \
	  node scripts/pages-local.mjs --test --standin http://127.0.0.1:8790; }

pages-check: pages-build ## The Pages release gate, offline: Pages' config rules, the bundle Pages uploads, its size
	@bash scripts/pages-check.sh

pages-deploy: pages-check ## Deploy to Cloudflare Pages (needs `wrangler login`, a real D1 id; see docs/pages.md)
	@$(ENV) cd target/pages && wrangler d1 migrations apply DB --remote && wrangler pages deploy

e2e: setup ## Only the Playwright suite (both hosts), reusing existing builds
	@bash scripts/test.sh --only e2e

bench: build worker-build ## Load figures (req/s, p50/p90/p99) for both hosts on loopback, into docs/performance.md
	@bash scripts/bench.sh $(BENCH_SECONDS)

soak: build worker-build ## Soak with everything on, both hosts, loopback, SOAK_SECONDS (120); fails on a missed goal
	@bash scripts/soak.sh

bench-search: setup ## Search p50/p95 at 50k and 500k chunks (FOLIO_BENCH_SIZES) and embedding speed, native
	@$(ENV) cargo bench -p server --bench search

bench-rerank: setup ## What hybrid's rerank stage costs a search natively: the embedder standing in, and cross-encoders of two sizes
	@$(ENV) cargo bench -p server --bench rerank

eval: build ## Search relevance (nDCG@10, recall@10, MRR@10) per mode and fusion: tuning set (git-doc), held-out set (sqlite3-doc)
	@bash scripts/eval.sh

eval-ask: build ## Ask over both sets' questions: gold among sources and citations, "not found" rates, timings
	@bash scripts/eval.sh --ask

eval-quick: build ## The quick answer alone over both sets (Ask without a text model: minutes, not half an hour)
	@bash scripts/eval.sh --ask --quick

clean-data: ## Delete the local native data folder and Worker state
	rm -rf data .wrangler
