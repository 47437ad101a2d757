import { expect, test } from "@playwright/test";
import { admin, degradedURL, standinURL } from "../playwright.config";
import { hydrated, signIn, unique, uploadMarkdown } from "./helpers";

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

test("a new document's page loads at once, then shows its summary without a reload", async ({ page, browser }, info) => {
  test.setTimeout(240_000);
  await signIn(page, admin.email, admin.password);
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
  expect(navigations).toEqual([]);
  await expect(reader.getByTestId("summary")).not.toBeEmpty();
  await reader.screenshot({ path: `end2end/screenshots/${info.project.name}-enrichment.png`, fullPage: true });
  await reader.close();
  await page.request.delete(`/api/documents/${doc.id}`);
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
  test.setTimeout(120_000);
  await signIn(page, admin.email, admin.password);
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
