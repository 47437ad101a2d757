import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { hydrated, signIn, unique, uploadMarkdown } from "./helpers";

// Insights on both hosts: what a reader searched for without result, and a 👎 with its reason
// on an answer, reach /admin/insights (and its CSV); the page as an admin sees it is pictured.

test("a search that finds nothing shows up in insights, and in the CSV", async ({ page }) => {
  // Words no document has (keywords only: by meaning, every query has nearest neighbours).
  const query = `zzqxjv blorptang ${unique()}`;
  await page.goto(`/search?q=${encodeURIComponent(query)}&mode=keyword`);
  await expect(page.getByTestId("search-empty")).toBeVisible();
  await signIn(page, admin.email, admin.password);
  // Recorded after the response: it may take a moment to land.
  await expect(async () => {
    await page.goto("/admin/insights");
    await expect(page.getByTestId("insights-no-results")).toContainText(query, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await page.getByTestId("insights-days-30").click();
  await expect(page).toHaveURL(/days=30/);
  await expect(page.getByTestId("insights-no-results")).toContainText(query);
  const csv = await page.request.get("/admin/insights.csv?days=30&kind=no-results");
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toBe("text/csv; charset=utf-8");
  expect(csv.headers()["content-disposition"]).toBe('attachment; filename="folio-insights-no-results-30d.csv"');
  expect(await csv.text()).toContain(`"${query}"`);
});

test("a 👎 with a reason on an answer shows up in insights with the question and the answer", async ({ page }, info) => {
  test.setTimeout(90_000);
  // A tag no document has: no passages, so "not found" at once on either host, with no model.
  const question = `How do I moor a zeppelin on ${info.project.name} ${unique()}?`;
  await page.goto(`/ask?q=${encodeURIComponent(question)}&tag=no-such-tag-${unique()}`);
  await hydrated(page);
  await expect(page.getByTestId("ask-answer")).toBeVisible();
  const answer = (await page.getByTestId("ask-answer").innerText()).trim();
  await page.getByTestId("ask-vote-reason").selectOption("off-topic");
  await page.getByTestId("ask-vote-no").click();
  await expect(page.getByTestId("ask-vote-thanks")).toBeVisible();

  await signIn(page, admin.email, admin.password);
  await expect(async () => {
    await page.goto("/admin/insights");
    await expect(page.getByTestId("insights-downvoted")).toContainText(question, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  const row = page.getByTestId("insights-downvoted-row").filter({ hasText: question });
  await expect(row.getByTestId("insights-downvoted-votes")).toContainText("1 not helpful");
  await expect(row.getByTestId("insights-downvoted-votes")).toContainText("off-topic");
  await expect(row.getByTestId("insights-downvoted-answer")).toContainText(answer.slice(0, 20));
  // The question was answered "not found": it is listed there too.
  await expect(page.getByTestId("insights-not-found")).toContainText(question);
  const csv = await (await page.request.get("/admin/insights.csv?kind=downvoted")).text();
  expect(csv).toContain(question);
  expect(csv).toContain('"off-topic"');
});

test("a result opened from the search dialog by keyboard counts as that search's click-through, and says whether it helped", async ({ page }, info) => {
  const word = `quillwort${unique()}`;
  expect((await page.request.post("/api/session", { data: admin })).status()).toBe(200);
  const doc = await uploadMarkdown(page.request, `${word}.md`, `# Marsh plants\n\nThe ${word} grows under water.\n`);
  await page.goto("/");
  await hydrated(page);
  await page.keyboard.press("Control+k");
  // Typed live: one search for the whole word, not one for each pause.
  await page.getByTestId("search-dialog-input").pressSequentially(word, { delay: 40 });
  await expect(page.getByTestId("search-dialog-hit").first()).toContainText("Marsh plants");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/docs/${doc.slug}`));
  // The page opened from the dialog asks whether it helped, once.
  await hydrated(page);
  const helped = page.getByTestId("helped");
  await expect(helped).toContainText(`Did this answer your search for ${word}?`);
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-helped.png` });
  await helped.getByTestId("helped-no").click();
  await expect(helped.getByTestId("helped-thanks")).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("helped")).toHaveCount(0);
  await expect(async () => {
    await page.goto("/admin/insights");
    const row = page.getByTestId("insights-top-row").filter({ hasText: word.toLowerCase() });
    await expect(row).toHaveCount(1, { timeout: 1_000 });
    await expect(row).toContainText("100% (1)", { timeout: 1_000 });
    await expect(row.getByTestId("insights-helped")).toHaveText("0 yes · 1 no", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await page.request.delete(`/api/documents/${doc.id}`);
});

test("insights are for signed-in editors only", async ({ page }) => {
  await page.goto("/admin/insights");
  await expect(page.getByTestId("insights-sign-in")).toBeVisible();
  expect((await page.request.get("/admin/insights.csv")).status()).toBe(401);
});

test("screenshot insights desktop", async ({ page }, info) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, admin.email, admin.password);
  await page.goto("/admin/insights?days=30");
  await expect(page.getByTestId("insights-totals")).toBeVisible();
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-insights.png`, fullPage: true });
});
