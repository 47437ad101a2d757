import { expect, test } from "@playwright/test";

test("the helpful button works after hydration, without a reload", async ({ page }) => {
  await page.goto("/docs/writing-documents");
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
