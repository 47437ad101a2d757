import { expect, test } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import { admin, dataDir } from "../playwright.config";
import { blobKey, localD1, uploadMarkdown } from "./helpers";

// What differs on Cloudflare Pages (`wrangler pages dev` over target/pages): static files come
// from Pages, and with no cron the sweep runs after responses.

const root = path.resolve(__dirname, "../..");

/** SQL on the Pages site's local D1 (the same database id as wrangler.toml's). */
const d1 = (sql: string) => localD1(path.join(dataDir!, "pages"), sql);

test("Pages serves the Worker with every binding, and the site's files without it", { tag: "@pages" }, async ({ request }, info) => {
  test.skip(info.project.name !== "pages", "Pages only");
  const health = await (await request.get("/healthz")).json();
  expect(health.host).toBe("pages");
  expect(health.ports.ai.status).toBe("ok");
  expect(health.ports.vectors.status).toBe("ok");
  // `_routes.json` sends the bundle past the Worker; `_headers` still applies (Pages' own).
  const css = await request.get("/pkg/folio.css");
  expect(css.status()).toBe(200);
  expect(css.headers()["cache-control"]).toBe("public, no-cache");
  // A file `_routes.json` does not list (added after the build) reaches the Worker, which has
  // no page for it and fetches it through the ASSETS binding.
  const late = path.join(root, "target/pages/dist", `late-${Date.now()}.txt`);
  fs.writeFileSync(late, "served through ASSETS\n");
  try {
    await expect
      .poll(async () => {
        const res = await request.get(`/${path.basename(late)}`);
        return `${res.status()} ${(await res.text()).trim()}`;
      }, { timeout: 10_000 })
      .toBe("200 served through ASSETS");
  } finally {
    fs.rmSync(late);
  }
  // And an address that is neither a page nor a file is still Folio's styled 404.
  const missing = await request.get(`/no-such-page-${Date.now()}`);
  expect(missing.status()).toBe(404);
  expect(await missing.text()).toContain("We couldn’t find that page");
});

test("with no cron, a job an evicted isolate left is resumed after a reader's request", { tag: "@pages" }, async ({ request }, info) => {
  test.skip(info.project.name !== "pages", "the Worker's cron is worker-cron.spec.ts");
  test.setTimeout(120_000);
  expect((await request.post("/api/session", { data: { email: admin.email, password: admin.password } })).status()).toBe(200);
  const name = `no-cron-${Date.now()}`;
  const orphan = blobKey();
  const { id, slug } = await uploadMarkdown(request, `${name}.md`, `# No cron ${name}\n\nPublished by a sweep after a response.\n`);

  // As if the isolate died mid-stage: the version is back to extracting, its job's lease has
  // run out, an upload's blob was stored an hour ago and never referenced; and the minute since
  // the last sweep has passed (its lease ended).
  d1(
    `UPDATE document_versions SET status = 'extracting' WHERE document_id = ${id};
     INSERT OR REPLACE INTO ingest_jobs (version_id, stage, attempts, lease_until)
       SELECT id, 'extract', 1, 0 FROM document_versions WHERE document_id = ${id};
     INSERT INTO blobs (key, content_type, size, created_at) VALUES ('${orphan}', 'text/plain', 1, 0);
     INSERT INTO site_leases (name, until) VALUES ('sweep', 0) ON CONFLICT (name) DO UPDATE SET until = 0;`,
  );
  const jobOf = () =>
    d1(`SELECT stage FROM ingest_jobs WHERE version_id IN (SELECT id FROM document_versions WHERE document_id = ${id})`).map(
      (row) => row.stage,
    );
  expect(jobOf()).toEqual(["extract"]);
  const orphans = () => Number(d1(`SELECT COUNT(*) AS n FROM blobs WHERE key = '${orphan}'`)[0]?.n);
  expect(orphans()).toBe(1);

  // Nothing fires a trigger: readers' requests are all there is. Each isolate asks at most
  // every 10 s whether the sweep is due, so this takes up to that long.
  await expect
    .poll(
      async () => {
        await request.get("/");
        return (await (await request.get(`/api/documents/${id}`)).json()).status;
      },
      { timeout: 30_000, intervals: [1_000] },
    )
    .toBe("ready");
  // Published again; at most its vectors wait (a busy stand-in may ask the embed stage to retry).
  expect(jobOf().filter((stage) => stage !== "embed")).toEqual([]);
  // The sweep took the lease (no other isolate sweeps for the next minute), and collects the
  // orphan last, after embedding: its row may outlive the publish by a moment.
  const results = d1("SELECT until - unixepoch() AS left FROM site_leases WHERE name = 'sweep'");
  expect(Number(results[0].left)).toBeGreaterThan(0);
  await expect.poll(orphans, { timeout: 30_000 }).toBe(0);
  expect((await request.get(`/docs/${slug}`)).status()).toBe(200);
  expect((await request.delete(`/api/documents/${id}`)).status()).toBe(204);
});
