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
    {
      command: `"${targetDir}/release/folio"`,
      cwd: root,
      url: `http://127.0.0.1:${nativePort}/healthz`,
      env: {
        FOLIO_ADDR: `127.0.0.1:${nativePort}`,
        FOLIO_DATA_DIR: path.join(dataDir, "native"),
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
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `"${targetDir}/release/folio"`,
      cwd: root,
      url: `${degradedURL}/healthz`,
      env: {
        FOLIO_ADDR: `127.0.0.1:${degradedPort}`,
        FOLIO_DATA_DIR: path.join(dataDir, "native-degraded"),
        FOLIO_SEED_SAMPLES: "true",
        FOLIO_AI_FAULT: "down",
        FOLIO_LOG: "error",
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `"${targetDir}/release/folio"`,
      cwd: root,
      url: `${slowURL}/healthz`,
      env: {
        FOLIO_ADDR: `127.0.0.1:${slowPort}`,
        FOLIO_DATA_DIR: path.join(dataDir, "native-slow"),
        FOLIO_SEED_SAMPLES: "false",
        FOLIO_AI_FAULT: "slow:5000;say:Harbour lights guide ships home. They burn all night.",
        FOLIO_LOG: "error",
        ...adminEnv,
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `"${targetDir}/release/folio" cloudflare-standin --port ${standinPort} --data "${path.join(dataDir, "standin")}"`,
      cwd: root,
      url: `${standinURL}/info`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `node scripts/worker-local.mjs --test --var CLIENT_SEARCHES_PER_MINUTE=${limits.searches} --var CLIENT_QUESTIONS_PER_HOUR=${limits.questions} --port ${workerPort} --persist-to "${path.join(dataDir, "worker")}" --ai-proxy ${standinURL} --vectorize-proxy ${standinURL}`,
      cwd: root,
      url: `http://127.0.0.1:${workerPort}/healthz`,
      env: { ...adminEnv },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `"${targetDir}/release/folio" cloudflare-standin --port ${pagesStandinPort} --data "${path.join(dataDir, "pages-standin")}"`,
      cwd: root,
      url: `http://127.0.0.1:${pagesStandinPort}/info`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `node scripts/pages-local.mjs --test --var CLIENT_SEARCHES_PER_MINUTE=${limits.searches} --var CLIENT_QUESTIONS_PER_HOUR=${limits.questions} --port ${pagesPort} --persist-to "${path.join(dataDir, "pages")}" --standin http://127.0.0.1:${pagesStandinPort}`,
      cwd: root,
      url: `${pagesURL}/healthz`,
      env: { ...adminEnv },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
    },
  ],
});
