import { defineConfig } from "@playwright/test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// One suite, three projects: the native host, the Worker build in workerd, and the same build on
// Cloudflare Pages (`wrangler pages dev`) for the tests tagged @pages. Each server starts on its
// own port with fresh data so runs never depend on each other.
const root = path.resolve(__dirname, "..");
process.env.FOLIO_E2E_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "folio-e2e-"));
export const dataDir = process.env.FOLIO_E2E_DIR;
export const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/folio/target");
const nativePort = Number(process.env.FOLIO_E2E_NATIVE_PORT ?? 3100);
const workerPort = Number(process.env.FOLIO_E2E_WORKER_PORT ?? 3200);
export const nativeURL = `http://127.0.0.1:${nativePort}`;
export const workerURL = `http://127.0.0.1:${workerPort}`;
// A second native server whose model is down (FOLIO_AI_FAULT): what readers get without it.
const degradedPort = Number(process.env.FOLIO_E2E_DEGRADED_PORT ?? 3101);
export const degradedURL = `http://127.0.0.1:${degradedPort}`;
// A third, whose every model call first waits 5 s and then says a known summary
// (FOLIO_AI_FAULT), and which has no sample pages: tests see enrichment's in-between states and
// count its calls undisturbed (a model that says is never busy, so each call is one).
const slowPort = Number(process.env.FOLIO_E2E_SLOW_PORT ?? 3102);
export const slowURL = `http://127.0.0.1:${slowPort}`;
// Workers AI and Vectorize for the Worker in workerd: `folio cloudflare-standin`, the native
// model and vector index behind Miniflare's real binding classes.
const standinPort = Number(process.env.FOLIO_E2E_STANDIN_PORT ?? 3202);
export const standinURL = `http://127.0.0.1:${standinPort}`;
// Pages: target/pages under `wrangler pages dev`, with a stand-in of its own (vector ids are
// chunk ids, which its D1 gives out again from 1). Its project runs a representative subset:
// reading, upload, search, Ask (tag @pages; README, "Deploying to Cloudflare Pages").
const pagesPort = Number(process.env.FOLIO_E2E_PAGES_PORT ?? 3300);
export const pagesURL = `http://127.0.0.1:${pagesPort}`;
const pagesStandinPort = Number(process.env.FOLIO_E2E_PAGES_STANDIN_PORT ?? 3302);
// The first admin on both hosts (tests sign in with it).
export const admin = { email: "admin@folio.test", password: "e2e admin password" };
const adminEnv = { FOLIO_ADMIN_EMAIL: admin.email, FOLIO_ADMIN_PASSWORD: admin.password };
/** Per-client limits of the main native server and the Worker (limits.spec.ts goes past them). */
export const limits = { searches: "600", questions: "120" };

/** A server the suite starts, on loopback, its output kept for a failure's report. */
const server = (command: string, url: string, env: Record<string, string> = {}, timeout = 60_000) => ({
  command,
  cwd: root,
  url,
  env,
  reuseExistingServer: false,
  timeout,
  stdout: "pipe" as const,
  stderr: "pipe" as const,
});
/** A native host with its own data folder under the suite's. */
const folio = (port: number, data: string, env: Record<string, string>) =>
  server(`"${targetDir}/release/folio"`, `http://127.0.0.1:${port}/healthz`, {
    FOLIO_ADDR: `127.0.0.1:${port}`,
    FOLIO_DATA_DIR: path.join(dataDir, data),
    ...env,
  });
/** Workers AI + Vectorize for a workerd host. */
const standin = (port: number, data: string) =>
  server(
    `"${targetDir}/release/folio" cloudflare-standin --port ${port} --data "${path.join(dataDir, data)}"`,
    `http://127.0.0.1:${port}/info`,
  );
/** The Worker or Pages build in workerd (a node runner script and its arguments). */
const workerd = (script: string, port: number) =>
  server(`node ${script}`, `http://127.0.0.1:${port}/healthz`, { ...adminEnv }, 120_000);
const limitVars = `--var CLIENT_SEARCHES_PER_MINUTE=${limits.searches} --var CLIENT_QUESTIONS_PER_HOUR=${limits.questions}`;

export default defineConfig({
  testDir: "tests",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    trace: "on-first-retry",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "native", use: { baseURL: nativeURL } },
    { name: "worker", use: { baseURL: workerURL } },
    { name: "pages", use: { baseURL: pagesURL }, grep: /@pages/ },
  ],
  webServer: [
    folio(nativePort, "native", {
      FOLIO_SEED_SAMPLES: "true",
      FOLIO_LOG: "warn",
      // The suite uploads dozens of documents a minute, each a few model calls: the default
      // 30 a minute would leave later askers "over budget". The budget itself is tested in
      // server/tests/enrich.rs.
      FOLIO_AI_CALLS_PER_MINUTE: "300",
      // The whole suite is one address: limits on, loose enough for it (limits.spec.ts).
      FOLIO_CLIENT_SEARCHES_PER_MINUTE: limits.searches,
      FOLIO_CLIENT_QUESTIONS_PER_HOUR: limits.questions,
      ...adminEnv,
    }),
    folio(degradedPort, "native-degraded", { FOLIO_SEED_SAMPLES: "true", FOLIO_AI_FAULT: "down", FOLIO_LOG: "error" }),
    folio(slowPort, "native-slow", {
      FOLIO_SEED_SAMPLES: "false",
      FOLIO_AI_FAULT: "slow:5000;say:Harbour lights guide ships home. They burn all night.",
      FOLIO_LOG: "error",
      ...adminEnv,
    }),
    standin(standinPort, "standin"),
    workerd(
      `scripts/worker-local.mjs --test ${limitVars} --port ${workerPort} --persist-to "${path.join(dataDir, "worker")}" --ai-proxy ${standinURL} --vectorize-proxy ${standinURL}`,
      workerPort,
    ),
    standin(pagesStandinPort, "pages-standin"),
    workerd(
      `scripts/pages-local.mjs --test ${limitVars} --port ${pagesPort} --persist-to "${path.join(dataDir, "pages")}" --standin http://127.0.0.1:${pagesStandinPort}`,
      pagesPort,
    ),
  ],
});
