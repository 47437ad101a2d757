import { expect, test, type APIRequestContext, type Browser, type TestInfo } from "@playwright/test";
import { admin, degradedURL, slowURL, standinURL } from "../playwright.config";
import { embedded, hydrated, signIn, unique, uploadMarkdown } from "./helpers";

// AI enrichment as a reader meets it: the page is there at once, with a placeholder while the
// summary is written, and the summary arrives without a reload. The text model is real
// (SmolLM2-135M on candle): natively in-process, on the Worker through the Workers AI binding
// answered by `folio cloudflare-standin`. A model that fails never costs a page.

const lighthouse = [
  "# Keeping a lighthouse",
  "",
  "A lighthouse keeper trims the wick, winds the clockwork that turns the lens, and keeps a log of",
  "passing ships. In fog the keeper sounds the horn every thirty seconds so ships stay off the rocks.",
  "",
  "## The lamp",
  "",
  "The Fresnel lens gathers the lamp's light into a beam that sailors see for twenty miles.",
  "",
].join("\n");

const fogHorn = [
  "# The lighthouse fog horn",
  "",
  "When fog hides the lighthouse's beam, the keeper sounds the fog horn so that ships keep off the",
  "rocks; each lighthouse has its own pattern of blasts, printed on the charts beside its light.",
  "",
].join("\n");

test("a new document's page loads at once, then shows its summary, topics and related pages without a reload", async ({ page, browser }, info) => {
  test.setTimeout(240_000);
  await signIn(page, admin.email, admin.password);
  // Related pages are only those above a similarity bar: a page about the same lighthouse, so
  // the new page has one (the sample pages are about Folio, and no longer listed as noise).
  const companion = await uploadMarkdown(page.request, `fog-${info.project.name}-${unique()}.md`, fogHorn);
  await embedded(page.request, companion.id);
  const doc = await uploadMarkdown(page.request, `keeping-${info.project.name}-${unique()}.md`, lighthouse);

  const reader = await (await browser.newContext()).newPage();
  const started = Date.now();
  const response = await reader.goto(`/docs/${doc.slug}`);
  expect(response?.status()).toBe(200);
  const loadedIn = Date.now() - started;
  await expect(reader.getByTestId("enrichment")).toBeVisible();
  // Written after publish, in the background: the page shows either the placeholder or, if the
  // model was quicker than this test, the summary already.
  await expect(reader.getByTestId("summary-placeholder").or(reader.getByTestId("summary"))).toBeVisible();
  expect(loadedIn, "the page never waits for the model").toBeLessThan(5_000);
  await hydrated(reader);
  await reader.screenshot({ path: `end2end/screenshots/${info.project.name}-enrichment-pending.png` });
  // No reload: the panel follows the server until the summary is there.
  const navigations: string[] = [];
  reader.on("framenavigated", (frame) => navigations.push(frame.url()));
  await expect(reader.getByTestId("summary")).toBeVisible({ timeout: 200_000 });
  await expect(reader.getByTestId("summary")).not.toBeEmpty();
  // Topics from the same model, and the nearest live pages by their vectors: the companion.
  await expect(reader.getByTestId("topic").first()).toBeVisible({ timeout: 120_000 });
  await expect(reader.locator(`[data-testid="related-doc"][href="/docs/${companion.slug}"]`)).toBeVisible({ timeout: 120_000 });
  await expect(reader.locator('[data-testid="related-doc"][href="/docs/how-folio-is-built"]')).toHaveCount(0);
  expect(await reader.getByTestId("related-doc").count()).toBeLessThanOrEqual(5);
  await expect(reader.locator(`[data-testid="related-doc"][href="/docs/${doc.slug}"]`)).toHaveCount(0);
  expect(navigations).toEqual([]);
  await reader.screenshot({ path: `end2end/screenshots/${info.project.name}-enrichment.png`, fullPage: true });
  await reader.close();
  await page.request.delete(`/api/documents/${doc.id}`);
  await page.request.delete(`/api/documents/${companion.id}`);
});

test("with the model failing, every page is still whole and 200", async ({ page, request }, info) => {
  if (info.project.name === "worker") {
    expect((await request.post(`${standinURL}/__fault`, { data: "down" })).status()).toBe(200);
  }
  const base = info.project.name === "worker" ? "" : degradedURL;
  try {
    for (const slug of ["how-folio-is-built", "writing-documents", "welcome-to-folio"]) {
      const response = await page.goto(`${base}/docs/${slug}`);
      expect(response?.status()).toBe(200);
      await expect(page.getByTestId("doc-body")).toBeVisible();
    }
    const health = await (await request.get(`${base}/healthz`)).json();
    expect(["ok", "degraded"]).toContain(health.status);
  } finally {
    if (info.project.name === "worker") await request.post(`${standinURL}/__fault`, { data: "up" });
  }
});

test("an editor turns a suggested topic into a tag in one click (the stand-in says the topics)", async ({ page, request }, info) => {
  test.skip(info.project.name !== "worker", "only the Worker's stand-in can be told what to say");
  test.setTimeout(210_000);
  await signIn(page, admin.email, admin.password);
  await breakerClosed(request);
  expect((await request.post(`${standinURL}/__fault`, { data: "say:Lighthouses, fog signals" })).status()).toBe(200);
  // Worded apart from the other lighthouse pages, so no stored topics fit its input.
  const doc = await uploadMarkdown(page.request, `topics-${unique()}.md`, `${lighthouse}\nKeeper ${unique()} logs ships.\n`);
  try {
    await page.goto(`/docs/${doc.slug}`);
    await expect(page.getByTestId("topic-add").first()).toBeVisible({ timeout: 90_000 });
    await expect(page.getByTestId("topic-add")).toHaveText(["+ lighthouses", "+ fog-signals"]);
    await page.screenshot({ path: `end2end/screenshots/${info.project.name}-topic-to-tag.png` });
    await page.getByTestId("topic-add").last().click();
    await expect(page).toHaveURL(new RegExp(`/docs/${doc.slug}$`));
    await expect(page.getByTestId("doc-tags")).toContainText("#fog-signals");
    await expect(page.getByTestId("doc-version")).toHaveAttribute("data-version", "2");
    await expect(page.getByTestId("topic-add")).toHaveText(["+ lighthouses"], { timeout: 60_000 });
  } finally {
    await request.post(`${standinURL}/__fault`, { data: "up" });
    await page.request.delete(`/api/documents/${doc.id}`);
  }
});

/**
 * Where a test sees enrichment's in-between states: natively the server whose model waits 5 s
 * and says a known summary (no sample pages, so its call count is the test's own); on the
 * Worker the usual site, its model (the stand-in) told to take its time when the test needs it.
 */
async function slowSite(browser: Browser, info: TestInfo) {
  const worker = info.project.name === "worker";
  const context = await browser.newContext(worker ? {} : { baseURL: slowURL });
  const page = await context.newPage();
  await signIn(page, admin.email, admin.password);
  return { worker, context, page, request: context.request };
}

/** Waits out the breaker a test of a failing model may have opened (a 60 s cool-down). */
async function breakerClosed(request: APIRequestContext) {
  await expect
    .poll(async () => (await (await request.get("/healthz")).json()).ports.ai.status, { timeout: 90_000, intervals: [2_000] })
    .not.toBe("breaker_open");
}

/** Text-model calls a site has counted today (its budget's count, from `/healthz`). */
async function callsToday(request: APIRequestContext): Promise<number> {
  return (await (await request.get("/healthz")).json()).ai_calls.today;
}

/** Chats the Worker's model (the stand-in) was asked for whose prompt holds `word`. */
async function standinCalls(request: APIRequestContext, word: string): Promise<number> {
  return (await (await request.get(`${standinURL}/__calls?containing=${word}`)).json()).calls;
}

/** Waits until nothing about the document is being made any more. */
async function settled(request: APIRequestContext, slug: string) {
  await expect
    .poll(async () => (await (await request.get(`/api/document-enrichment?slug=${slug}`)).json()).settling, {
      timeout: 200_000,
      intervals: [2_000],
    })
    .toBe(false);
}

test("50 concurrent views of a page without a summary make one generation (calls counted)", async ({ browser, request }, info) => {
  test.setTimeout(300_000);
  const site = await slowSite(browser, info);
  await breakerClosed(site.request);
  const word = `harbour${unique()}`;
  const before = site.worker ? 0 : await callsToday(site.request);
  // Slow, and a known answer: the stand-in's local model is never busy, so each call is one.
  if (site.worker) {
    expect((await request.post(`${standinURL}/__fault`, { data: "slow:4000;say:Harbour lights guide ships. They burn all night." })).status()).toBe(200);
  }
  try {
    const doc = await uploadMarkdown(site.request, `${word}.md`, `${lighthouse}\nThe ${word} keeps a second light.\n`);
    const views = await Promise.all(Array.from({ length: 50 }, () => site.request.get(`/docs/${doc.slug}`)));
    expect(views.map((v) => v.status())).toEqual(Array(50).fill(200));
    const pages = await Promise.all(views.map((v) => v.text()));
    expect(pages.filter((html) => html.includes('data-testid="summary-placeholder"')).length, "every view found no summary").toBe(50);
    await settled(site.request, doc.slug);
    // However many views asked: one summary and one set of topics (the stand-in's chats), and
    // natively the budget's count also holds the one embedding that found related documents.
    if (site.worker) expect(await standinCalls(request, word)).toBe(2);
    else expect((await callsToday(site.request)) - before).toBe(3);
    await site.page.goto(`/docs/${doc.slug}`);
    await expect(site.page.getByTestId("summary")).toBeVisible();
    await site.request.delete(`/api/documents/${doc.id}`);
  } finally {
    if (site.worker) await request.post(`${standinURL}/__fault`, { data: "up" });
    await site.context.close();
  }
});

test("after an edit the old summary shows as refreshing, then the new one, without a reload", async ({ browser, request }, info) => {
  test.setTimeout(300_000);
  const site = await slowSite(browser, info);
  await breakerClosed(site.request);
  const name = `lamps-${unique()}.md`;
  // On the Worker the stand-in says two known summaries, the second late enough to be seen
  // coming; natively the slow server says the same one for both versions, each 5 s late.
  if (site.worker) await request.post(`${standinURL}/__fault`, { data: "say:Oil lamps burn oil. The old summary." });
  try {
    const doc = await uploadMarkdown(site.request, name, "# Lamps\n\nOil lamps burn whale oil or kerosene, and a keeper trims the wick each night.\n");
    await settled(site.request, doc.slug);
    const reader = await (await browser.newContext(site.worker ? {} : { baseURL: slowURL })).newPage();
    await reader.goto(`/docs/${doc.slug}`);
    await expect(reader.getByTestId("summary")).toHaveAttribute("data-freshness", "fresh");
    const first = (await reader.getByTestId("summary").textContent()) ?? "";
    expect(first.trim().length).toBeGreaterThan(0);

    if (site.worker) await request.post(`${standinURL}/__fault`, { data: "slow:6000;say:Electric lamps need no oil. The new summary." });
    const form = new FormData();
    form.append("file", new Blob(["# Lamps\n\nElectric lamps run on mains power or batteries; a bulb lasts for years and nobody trims it.\n"]), name);
    expect((await site.request.post("/api/documents", { multipart: form })).status()).toBe(201);
    await expect
      .poll(async () => (await (await site.request.get(`/docs/${doc.slug}`)).text()).includes('data-version="2"'), { timeout: 30_000 })
      .toBe(true);
    await reader.goto(`/docs/${doc.slug}`);
    // The old summary, marked as being refreshed.
    await expect(reader.getByTestId("summary-refreshing")).toBeVisible();
    await expect(reader.getByTestId("summary")).toHaveText(first);
    await hydrated(reader);
    await reader.screenshot({ path: `end2end/screenshots/${info.project.name}-enrichment-refreshing.png` });
    const navigations: string[] = [];
    reader.on("framenavigated", (frame) => navigations.push(frame.url()));
    // Then the new one, fresh, without a reload.
    await expect(reader.getByTestId("summary")).toHaveAttribute("data-freshness", "fresh", { timeout: 200_000 });
    await expect(reader.getByTestId("summary-refreshing")).toHaveCount(0);
    if (site.worker) await expect(reader.getByTestId("summary")).toContainText("The new summary.");
    expect(navigations).toEqual([]);
    await reader.close();
    await site.request.delete(`/api/documents/${doc.id}`);
  } finally {
    if (site.worker) await request.post(`${standinURL}/__fault`, { data: "up" });
    await site.context.close();
  }
});
