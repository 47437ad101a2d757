import { expect, test } from "@playwright/test";
import path from "node:path";
import { admin, dataDir } from "../playwright.config";
import { blobKey, embedded, localD1, uploadMarkdown } from "./helpers";

/** SQL on the Worker's local D1. */
const d1 = (sql: string) => localD1(path.join(dataDir!, "worker"), sql);

/** Jobs of one document (other documents' embed jobs may come and go meanwhile). */
const jobsOf = (id: number) =>
  Number(
    d1(`SELECT COUNT(*) AS n FROM ingest_jobs j JOIN document_versions v ON v.id = j.version_id WHERE v.document_id = ${id}`)[0]
      ?.n,
  );

test("the cron trigger resumes a job an evicted isolate left and collects orphaned blobs", async ({ request }, info) => {
  test.skip(info.project.name !== "worker", "the scheduled handler is the Worker's");
  // Each d1() starts wrangler, and the cron run waits for its whole sweep.
  test.setTimeout(120_000);
  expect((await request.post("/api/session", { data: { email: admin.email, password: admin.password } })).status()).toBe(200);
  const name = `cron-${Date.now()}`;
  const { id, slug } = await uploadMarkdown(request, `${name}.md`, `# Cron ${name}\n\nPublished by the sweep.\n`);
  // Its embed job done first: the job below is then the version's only one.
  await embedded(request, id);
  const orphan = blobKey();

  // As if the isolate died mid-stage: the version is back to extracting, its job's lease has
  // run out, and an upload's blob was stored an hour ago but never referenced.
  d1(
    `UPDATE document_versions SET status = 'extracting' WHERE document_id = ${id};
     INSERT OR REPLACE INTO ingest_jobs (version_id, stage, attempts, lease_until)
       SELECT id, 'extract', 1, 0 FROM document_versions WHERE document_id = ${id};
     INSERT INTO blobs (key, content_type, size, created_at) VALUES ('${orphan}', 'text/plain', 1, 0);`,
  );
  expect(jobsOf(id)).toBe(1);
  const orphans = () => Number(d1(`SELECT COUNT(*) AS n FROM blobs WHERE key = '${orphan}'`)[0]?.n);
  expect(orphans()).toBe(1);

  const fired = await request.get("/cdn-cgi/local/scheduled?cron=*/5+*+*+*+*");
  expect(fired.status()).toBe(200);
  await expect
    .poll(async () => (await (await request.get(`/api/documents/${id}`)).json()).status, { timeout: 60_000 })
    .toBe("ready");
  await expect.poll(() => jobsOf(id), { timeout: 60_000 }).toBe(0);
  // The orphan is collected (counted by its key: other tests' blobs come and go meanwhile).
  expect(orphans()).toBe(0);
  expect((await request.get(`/docs/${slug}`)).status()).toBe(200);
  expect((await request.delete(`/api/documents/${id}`)).status()).toBe(204);
});
