import { defineConfig } from "@playwright/test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// One suite, two projects: the native host and the Worker build in workerd. Each server starts
// on its own port with fresh data so runs never depend on each other.
const root = path.resolve(__dirname, "..");
process.env.FOLIO_E2E_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "folio-e2e-"));
export const dataDir = process.env.FOLIO_E2E_DIR;
export const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/folio/target");
const nativePort = Number(process.env.FOLIO_E2E_NATIVE_PORT ?? 3100);
const workerPort = Number(process.env.FOLIO_E2E_WORKER_PORT ?? 3200);
// The first admin on both hosts (tests sign in with it).
export const admin = { email: "admin@folio.test", password: "e2e admin password" };
const adminEnv = { FOLIO_ADMIN_EMAIL: admin.email, FOLIO_ADMIN_PASSWORD: admin.password };

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
    { name: "native", use: { baseURL: `http://127.0.0.1:${nativePort}` } },
    { name: "worker", use: { baseURL: `http://127.0.0.1:${workerPort}` } },
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
        ...adminEnv,
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `node scripts/worker-local.mjs --test --port ${workerPort} --persist-to "${path.join(dataDir, "worker")}"`,
      cwd: root,
      url: `http://127.0.0.1:${workerPort}/healthz`,
      env: { ...adminEnv },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
    },
  ],
});
