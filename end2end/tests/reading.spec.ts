import { expect, test } from "@playwright/test";

// Server-rendered HTML must be complete without JavaScript: readers, crawlers, slow phones.
test.describe("without JavaScript", { tag: "@pages" }, () => {
  test.use({ javaScriptEnabled: false });

  test("home lists the sample documents", async ({ page }) => {
    const response = await page.goto("/");
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle("Folio — documents");
    // The samples, newest first; a document another test left behind may list beside them.
    const titles = page.getByTestId("doc-card").locator(".doc-card__title");
    const samples = titles.filter({ hasText: /^(Welcome to Folio|How Folio is built|Writing documents|Searching and asking)$/ });
    await expect(samples).toHaveCount(4);
    await expect(samples.first()).toHaveText("Welcome to Folio");
  });

  test("a document renders its Markdown and image", async ({ page }) => {
    const response = await page.goto("/docs/how-folio-is-built");
    expect(response?.status()).toBe(200);
    await expect(page.getByTestId("doc-title")).toHaveText("How Folio is built");
    await expect(page).toHaveTitle("How Folio is built — Folio");
    const body = page.getByTestId("doc-body");
    await expect(body.locator("table")).toBeVisible();
    const img = body.locator("img");
    await expect(img).toHaveAttribute("src", /^\/blobs\/[0-9a-f]{64}$/);
    // The image actually loaded and decoded.
    expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(960);
    // Reading aids: time, a contents list whose links land on the headings, the attachment.
    await expect(page.getByTestId("reading-time")).toHaveText("1 min read");
    const toc = page.getByTestId("toc").getByRole("link");
    await expect(toc).toHaveText(["One codebase, two hosts", "Background work never blocks a page"]);
    await toc.first().click();
    await expect(page).toHaveURL(/#one-codebase-two-hosts$/);
    await expect(page.locator("#one-codebase-two-hosts")).toBeInViewport();
    await expect(page.getByTestId("attachments")).toContainText("folio-hosts.png");
  });

  test("folders and tags list their documents", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByTestId("folders")).toContainText("guides");
    await page.getByTestId("folders").getByRole("link", { name: /guides/ }).click();
    await expect(page).toHaveURL(/\/folders\/guides$/);
    await expect(page.getByTestId("listing-title")).toHaveText("guides");
    await expect(page.getByTestId("doc-card")).toHaveCount(2);
    await page.goto("/docs/writing-documents");
    await expect(page.getByTestId("breadcrumbs")).toContainText("guides");
    await page.getByTestId("doc-tags").getByRole("link", { name: "#markdown" }).click();
    await expect(page).toHaveURL(/\/tags\/markdown$/);
    await expect(page.getByTestId("doc-card")).toHaveCount(1);
    await expect(page.getByTestId("doc-card")).toContainText("Writing documents");
    const empty = await page.goto("/tags/no-such-tag");
    expect(empty?.status()).toBe(200);
    await expect(page.getByTestId("empty")).toBeVisible();
  });

  test("unknown routes get a styled 404 page", async ({ page }) => {
    const response = await page.goto("/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId("not-found")).toContainText("We couldn’t find that page");
    const color = await page.locator(".not-found__code").evaluate((el) => getComputedStyle(el).fontSize);
    expect(parseFloat(color)).toBeGreaterThan(40); // the stylesheet applied
  });

  test("an unknown document is a 404 too", async ({ page }) => {
    const response = await page.goto("/docs/no-such-document");
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId("not-found")).toBeVisible();
  });
});
