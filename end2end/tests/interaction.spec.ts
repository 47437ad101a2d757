import { expect, test } from "@playwright/test";
import { admin, degradedURL } from "../playwright.config";
import { unique, uploadMarkdown } from "./helpers";

test("the helpful button works after hydration, without a reload, once per reader", async ({ page, playwright, baseURL }) => {
  // A page of its own: one vote per reader per document, and every run (or retry) is a new reader
  // of a new page.
  const editor = await playwright.request.newContext({ baseURL });
  expect((await editor.post("/api/session", { data: admin })).status()).toBe(200);
  const { id, slug } = await uploadMarkdown(editor, `vote-${unique()}.md`, "# Vote on me\n\nWas this helpful?\n");
  await page.goto(`/docs/${slug}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const yes = page.getByTestId("helpful-yes");
  const before = Number(await yes.textContent());
  // A marker that a full page load would wipe out.
  await page.evaluate(() => ((window as unknown as { __still: boolean }).__still = true));
  const vote = page.waitForResponse((r) => r.url().endsWith("/api/vote") && r.status() === 200);
  await page.getByTestId("vote-yes").click();
  await vote;
  await expect(yes).toHaveText(String(before + 1));
  await expect(page.getByTestId("vote-thanks")).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __still?: boolean }).__still)).toBe(true);

  // The vote persisted: a fresh page load shows it.
  await page.reload();
  await expect(page.getByTestId("helpful-yes")).toHaveText(String(before + 1));

  // The same reader voting again changes nothing; changing their mind moves their one vote.
  const again = await page.request.post("/api/vote", {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    data: `slug=${slug}&helpful=true`,
  });
  expect(await again.json()).toEqual({ helpful_yes: before + 1, helpful_no: 0 });
  const changed = await page.request.post("/api/vote", {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    data: `slug=${slug}&helpful=false`,
  });
  expect(await changed.json()).toEqual({ helpful_yes: before, helpful_no: 1 });
  // Later specs count the sample pages on the home page.
  expect((await editor.delete(`/api/documents/${id}`)).status()).toBe(204);
  await editor.dispose();
});

test("the view counter increases after the request, not during it", async ({ request }) => {
  const views = async () => {
    const html = await (await request.get("/docs/searching-and-asking")).text();
    const match = html.match(/data-views="(\d+)"/);
    expect(match, "the page shows a view count").not.toBeNull();
    return Number(match![1]);
  };
  const first = await views();
  // The response that caused a view did not include it; a later one does.
  await expect.poll(views, { timeout: 10_000 }).toBeGreaterThan(first);
});

test("a kept page hydrates under its own response's nonce, and a vote on it shows at once", async ({ page }, info) => {
  test.skip(info.project.name !== "native", "the Worker keeps no pages (other isolates write to D1)");
  const blocked: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) blocked.push(m.text());
  });
  test.setTimeout(120_000);
  // Any write makes kept pages stale, and the main site's local model writes summaries for the
  // suite's uploads all along; the site whose model is down writes nothing but this page's view
  // counts (at most once a second), so loads in a row reach one served from memory.
  const doc = `${degradedURL}/docs/writing-documents`;
  await expect
    .poll(async () => (await page.goto(doc))?.headers()["x-cache"], { timeout: 90_000, intervals: [200, 300, 500] })
    .toBe("HIT");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const yes = page.getByTestId("helpful-yes");
  const before = Number(await yes.textContent());
  const vote = page.waitForResponse((r) => r.url().endsWith("/api/vote") && r.status() === 200);
  await page.getByTestId("vote-yes").click();
  await vote;
  await expect(yes).toHaveText(String(before + 1));
  expect(blocked, "no script or style of the kept page was refused").toEqual([]);

  // The vote was a write: the next load is rendered again and shows it.
  const res = await page.reload();
  expect(res?.headers()["x-cache"]).not.toBe("HIT");
  await expect(page.getByTestId("helpful-yes")).toHaveText(String(before + 1));
});
