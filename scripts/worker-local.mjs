// Runs the built Worker in real workerd through Miniflare's Node API: offline, no Cloudflare
// login, local D1 and R2 persisted on disk. Bindings come from wrangler.toml (one source).
//
//   node scripts/worker-local.mjs [--port 8787] [--persist-to .wrangler/state] [--test]
//                                 [--ai-proxy URL] [--vectorize-proxy URL]
//
// --test        seeds the sample pages, mounts /__contract (the port contract suite) and lets
//               GET /cdn-cgi/local/scheduled fire the cron handler (like `wrangler dev
//               --test-scheduled`).
// --ai-proxy / --vectorize-proxy
//               bind AI / VECTORS through Miniflare's remote-proxy protocol to a local HTTP
//               server (the search issue adds one that answers with local models). Without
//               them those bindings are absent and /healthz reports them as not configured.
//
// FOLIO_ADMIN_EMAIL / FOLIO_ADMIN_PASSWORD in the environment become the Worker's bindings, so
// the first admin is created as on Cloudflare (where the password is a secret).
//
// Migrations are applied first with `wrangler d1 migrations apply --local`, the same command
// and the same state folder `wrangler dev` uses.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_readConfig } from "wrangler";

const root = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: process.env.FOLIO_WORKER_PORT ?? "8787" },
    "persist-to": { type: "string", default: path.join(root, ".wrangler/state") },
    test: { type: "boolean", default: false },
    "ai-proxy": { type: "string" },
    "vectorize-proxy": { type: "string" },
    // NAME=VALUE over wrangler.toml's [vars] (tests and benchmarks loosen per-client limits).
    var: { type: "string", multiple: true, default: [] },
  },
});

const config = unstable_readConfig({ config: path.join(root, "wrangler.toml") });
const buildDir = path.dirname(config.main);
for (const file of ["index.js", "index_bg.wasm"]) {
  if (!fs.existsSync(path.join(buildDir, file))) {
    console.error(`worker-local: ${path.join(buildDir, file)} is missing; run \`make worker-build\` first.`);
    process.exit(1);
  }
}
const assetsDir = path.resolve(root, config.assets.directory);
if (!fs.existsSync(assetsDir)) {
  console.error(`worker-local: ${assetsDir} is missing; run \`make site\` first.`);
  process.exit(1);
}

const persistTo = path.resolve(args["persist-to"]);
for (const db of config.d1_databases) {
  const result = spawnSync(
    path.join(root, "node_modules/.bin/wrangler"),
    ["d1", "migrations", "apply", db.binding, "--local", "--persist-to", persistTo],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", env: { ...process.env, CI: "true" } },
  );
  if (result.status !== 0) {
    console.error(`worker-local: migrations failed for ${db.binding}:\n${result.stdout}\n${result.stderr}`);
    process.exit(1);
  }
}

const bindings = { ...config.vars };
// The first admin: a var and a secret on Cloudflare, plain bindings here.
for (const name of ["FOLIO_ADMIN_EMAIL", "FOLIO_ADMIN_PASSWORD"]) {
  if (process.env[name]) bindings[name] = process.env[name];
}
for (const pair of args.var) {
  const at = pair.indexOf("=");
  if (at < 1 || !(pair.slice(0, at) in config.vars)) {
    console.error(`worker-local: --var ${pair}: expected NAME=VALUE with a NAME from wrangler.toml's [vars]`);
    process.exit(1);
  }
  bindings[pair.slice(0, at)] = pair.slice(at + 1);
}
if (args.test) {
  bindings.SEED_SAMPLES = "true";
  bindings.FOLIO_CONTRACT_TESTS = "true";
}

const options = {
  host: "127.0.0.1",
  port: Number(args.port),
  cf: false,
  compatibilityDate: config.compatibility_date,
  compatibilityFlags: config.compatibility_flags,
  modulesRoot: buildDir,
  modules: [
    { type: "ESModule", path: path.join(buildDir, "index.js") },
    { type: "CompiledWasm", path: path.join(buildDir, "index_bg.wasm") },
  ],
  bindings,
  d1Databases: Object.fromEntries(config.d1_databases.map((db) => [db.binding, db.database_id])),
  r2Buckets: Object.fromEntries(config.r2_buckets.map((b) => [b.binding, b.bucket_name])),
  assets: { directory: assetsDir, routerConfig: { has_user_worker: true } },
  resourcePersistencePath: path.join(persistTo, "v3"),
  unsafeTriggerHandlers: args.test,
};
if (args["ai-proxy"] && config.ai) {
  // The stand-in embeds with MiniLM, whose unrelated texts score lower than bge-small's.
  bindings.SEARCH_MIN_SIMILARITY = "0.2";
  bindings.RELATED_MIN_SIMILARITY = "0.5";
  options.ai = { binding: config.ai.binding, remoteProxyConnectionString: new URL(args["ai-proxy"]) };
}
if (args["vectorize-proxy"]) {
  options.vectorize = Object.fromEntries(
    config.vectorize.map((v) => [
      v.binding,
      { index_name: v.index_name, remoteProxyConnectionString: new URL(args["vectorize-proxy"]) },
    ]),
  );
}

const mf = new Miniflare(convertV4MiniflareOptions(options));
const url = await mf.ready;
console.log(`Folio (Worker build, workerd) is serving ${url.href.replace(/\/$/, "")}`);

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
