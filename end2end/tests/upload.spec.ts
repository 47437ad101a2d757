import { expect, test } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import { admin } from "../playwright.config";
import { unique } from "./helpers";

const root = path.resolve(__dirname, "../..");
const png = fs.readFileSync(path.join(root, "content/samples/folio-hosts.png"));
const pdf = fs.readFileSync(path.join(root, "domain/tests/fixtures/report.pdf"));

test("an editor uploads files through the API; ingest publishes them for readers", { tag: "@pages" }, async ({ browser, request }, info) => {
  const signIn = await request.post("/api/session", { data: { email: admin.email, password: admin.password } });
  expect(signIn.status()).toBe(200);

  // Names of this run only: a retry must not meet the first try's uploads as duplicates.
  const run = `${info.project.name}-${unique()}`;
  const slug = `field-notes-${run}`;
  const map = `e2e-map-${run}.png`;
  const report = `report-${run}`;
  const form = new FormData();
  form.append("file", new Blob([`# Field notes\n\nWritten on ${info.project.name}.\n\n![map](${map})\n`]), `${slug}.md`);
  form.append("file", new Blob([png]), map);
  form.append("file", new Blob([pdf]), `${report}.pdf`);
  form.append("file", new Blob([png]), "not-really.pdf");
  const res = await request.post("/api/documents", { multipart: form });
  expect(res.status()).toBe(201);
  const results = await res.json();
  expect(results).toHaveLength(4);
  expect(results.slice(0, 3).map((r: { result: string }) => r.result)).toEqual(["created", "created", "created"]);
  expect(results[3].error.message).toBe("not-really.pdf is named as a PDF but contains a PNG image.");

  for (const r of results.slice(0, 3)) {
    await expect
      .poll(async () => (await (await request.get(`/api/documents/${r.id}`)).json()).status, { timeout: 30_000 })
      .toBe("ready");
  }

  // A reader who never signed in sees the rendered pages, the image resolved by name.
  const reader = await browser.newContext();
  const page = await reader.newPage();
  await page.goto(`/docs/${slug}`);
  await expect(page.getByTestId("doc-title")).toHaveText("Field notes");
  const img = page.getByTestId("doc-body").locator("img");
  await expect(img).toHaveAttribute("src", /^\/blobs\/[0-9a-f]{64}$/);
  expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(960);
  await page.goto(`/docs/${report}`);
  await expect(page.getByTestId("doc-body")).toContainText("Revenue grew in every region.");
  await reader.close();

  // Uploading the same bytes again changes nothing.
  const again = new FormData();
  again.append("file", new Blob([png]), map);
  const dup = await request.post("/api/documents", { multipart: again });
  expect((await dup.json())[0].result).toBe("duplicate");

  // Deleting removes the document from readers' pages and the listing.
  const gone = await request.delete(`/api/documents/${results[2].id}`);
  expect(gone.status()).toBe(204);
  expect((await request.get(`/docs/${report}`)).status()).toBe(404);
  const listing = await (await request.get("/api/documents")).json();
  expect(listing.documents.map((d: { slug: string }) => d.slug)).not.toContain(report);
  for (const r of results.slice(0, 2)) expect((await request.delete(`/api/documents/${r.id}`)).status()).toBe(204);
});

test("uploads without credentials are refused", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  const form = new FormData();
  form.append("file", new Blob(["# Hi"]), "hi.md");
  const res = await anonymous.post("/api/documents", { multipart: form });
  expect(res.status()).toBe(401);
  expect((await res.json()).error.code).toBe("unauthorized");
  await anonymous.dispose();
});

test("a deep folder with a long path lists its documents from its top folder", async ({ request }, info) => {
  expect((await request.post("/api/session", { data: admin })).status()).toBe(200);
  // Longer than D1's 50-byte LIKE pattern limit, which the folder listing once tripped on.
  const folder = "engineering-handbook/onboarding-and-the-first-week/checklists-for-new-people";
  const form = new FormData();
  form.append("folder", folder);
  form.append("file", new Blob([`# Deep checklist ${info.project.name}\n`]), `deep-${info.project.name}.md`);
  const res = await request.post("/api/documents", { multipart: form });
  expect(res.status()).toBe(201);
  const [result] = await res.json();
  await expect
    .poll(async () => (await (await request.get(`/api/documents/${result.id}`)).json()).status, { timeout: 15_000 })
    .toBe("ready");
  for (const listing of [folder, "engineering-handbook", "engineering-handbook/onboarding-and-the-first-week"]) {
    const list = await request.get(`/api/documents?folder=${encodeURIComponent(listing)}`);
    expect(list.status(), listing).toBe(200);
    const titles = (await list.json()).documents.map((d: { title: string }) => d.title);
    expect(titles, listing).toContain(`Deep checklist ${info.project.name}`);
  }
  expect((await request.delete(`/api/documents/${result.id}`)).status()).toBe(204);
});
