// The Pages configuration cannot drift from wrangler.toml: `node --test scripts/pages-build.test.mjs`
// (`make test`'s `pages-config` step). It needs no build: it reads wrangler.toml and a folder.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "node:test";
import { checkRoutes, CARRIED, DROPPED, MAX_ROUTE_RULES, pagesConfig, readWorkerConfig, routes } from "./pages-build.mjs";

const root = path.resolve(import.meta.dirname, "..");
const outDir = path.join(root, "target/pages");
// JSON's shape: the TOML reader gives null-prototype objects, the config plain ones.
const raw = JSON.parse(JSON.stringify(await readWorkerConfig()));

test("every key of wrangler.toml is carried to Pages or dropped for a stated reason", () => {
  for (const key of Object.keys(raw)) {
    assert.ok(CARRIED.includes(key) || key in DROPPED || key === "env", `${key} is neither carried nor dropped`);
  }
  const config = pagesConfig(raw, outDir);
  assert.equal(config.pages_build_output_dir, "./dist");
  for (const key of Object.keys(DROPPED)) assert.equal(config[key], undefined, `${key} reached the Pages config`);
});

test("bindings and vars are the Worker's, name for name and resource for resource", () => {
  const config = pagesConfig(raw, outDir);
  assert.deepEqual(config.vars, raw.vars);
  assert.deepEqual(config.ai, raw.ai);
  assert.deepEqual(config.vectorize, raw.vectorize);
  assert.deepEqual(config.r2_buckets, raw.r2_buckets);
  assert.equal(config.name, raw.name);
  assert.equal(config.compatibility_date, raw.compatibility_date);
  assert.equal(config.d1_databases.length, raw.d1_databases.length);
  raw.d1_databases.forEach((db, i) => {
    const pages = config.d1_databases[i];
    assert.deepEqual({ ...pages, migrations_dir: undefined }, { ...db, migrations_dir: undefined });
    // Relative to the Pages file, the same folder.
    assert.equal(path.resolve(outDir, pages.migrations_dir), path.resolve(root, db.migrations_dir));
  });
});

test("a key nobody decided about stops the build instead of vanishing", () => {
  assert.throws(() => pagesConfig({ ...raw, tail_consumers: [{ service: "logs" }] }, outDir), /tail_consumers/);
  assert.throws(() => pagesConfig({ ...raw, env: { staging: {} } }, outDir), /staging/);
});

test("[env.preview] becomes Pages' preview environment, its bindings its own", () => {
  const preview = { d1_databases: [{ ...raw.d1_databases[0], database_id: "preview-id" }], vars: raw.vars };
  const config = pagesConfig({ ...raw, env: { preview } }, outDir);
  assert.equal(config.env.preview.d1_databases[0].database_id, "preview-id");
  assert.equal(config.d1_databases[0].database_id, raw.d1_databases[0].database_id);
});

test("_routes.json sends every static file past the Worker, within Pages' limits", () => {
  const site = fs.mkdtempSync(path.join(os.tmpdir(), "folio-routes-"));
  fs.mkdirSync(path.join(site, "pkg"));
  for (const file of ["favicon.svg", "robots.txt", "_headers"]) fs.writeFileSync(path.join(site, file), "");
  const spec = routes(site);
  assert.deepEqual(spec.include, ["/*"]);
  assert.deepEqual(spec.exclude, ["/favicon.svg", "/pkg/*", "/robots.txt"]);
  const many = { version: 1, include: ["/*"], exclude: Array.from({ length: MAX_ROUTE_RULES }, (_, i) => `/f${i}`) };
  assert.throws(() => checkRoutes(many), /at most/);
  fs.rmSync(site, { recursive: true });
});
