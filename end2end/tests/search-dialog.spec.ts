import { expect, test, type Page } from "@playwright/test";
import { hydrated } from "./helpers";

// The search dialog, by keyboard only: Ctrl-K or / opens it over any page, results come grouped
// by document, ↑/↓ and Enter open one, Esc closes and gives focus back, recent searches come
// back, and the last row asks the query.

const dialog = (page: Page) => page.getByTestId("search-dialog");
const input = (page: Page) => page.getByTestId("search-dialog-input");

/** The id of the highlighted row. */
const active = (page: Page) => input(page).getAttribute("aria-activedescendant");

test("Ctrl-K opens a modal search whose results are grouped by document, opened by keyboard", async ({ page }, info) => {
  await page.goto("/docs/writing-documents");
  await hydrated(page);
  await expect(dialog(page)).toHaveCount(0);
  await page.keyboard.press("Control+k");
  await expect(dialog(page)).toBeVisible();
  await expect(input(page)).toBeFocused();
  // Modal: the page behind is inert until it closes.
  expect(await dialog(page).evaluate((d) => d.matches(":modal"))).toBe(true);

  await page.keyboard.type("markdown", { delay: 20 });
  const groups = page.getByTestId("search-dialog-group");
  await expect(groups.first()).toBeVisible();
  expect(await groups.count()).toBeGreaterThanOrEqual(2);
  // Each group is a document: its title on the first row, at most three rows in all.
  for (const group of await groups.all()) {
    await expect(group.locator(".search-dialog__title")).toHaveCount(1);
    expect(await group.getByRole("option").count()).toBeLessThanOrEqual(3);
  }
  // Snippets are the one place text becomes HTML: only <mark> may.
  expect(await page.locator(".search-dialog__snippet :not(mark)").count()).toBe(0);
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-search-dialog.png` });

  expect(await active(page)).toBe("search-dialog-option-0");
  await page.keyboard.press("ArrowDown");
  expect(await active(page)).toBe("search-dialog-option-1");
  await page.keyboard.press("ArrowUp");
  const first = await page.locator("#search-dialog-option-0 a").getAttribute("href");
  expect(first).toMatch(/^\/docs\//);
  await page.keyboard.press("Enter");
  await page.waitForURL((url) => `${url.pathname}${url.hash}` === first);
});

test("Esc closes and gives focus back; / reopens with the recent searches; the last row asks", async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto("/");
  await hydrated(page);
  await page.evaluate(() => localStorage.removeItem("folio.recent-searches"));
  // Focus is in the header box; Ctrl-K still opens the dialog (its code loads now).
  const headerBox = page.getByTestId("search-input");
  await headerBox.focus();
  await page.keyboard.press("Control+k");
  await expect(input(page)).toBeFocused();
  await expect(dialog(page)).toContainText("Type to search");
  await page.keyboard.press("Escape");
  await expect(dialog(page)).toBeHidden();
  await expect(headerBox).toBeFocused();
  await expect(dialog(page)).toHaveCount(0);
  await headerBox.evaluate((box) => (box as HTMLElement).blur());

  // `/` opens it too, but types a slash where a reader is writing.
  await page.keyboard.press("/");
  await expect(input(page)).toBeFocused();
  // Far from every document: natively the answer is "not found" at once, not the model's.
  await page.keyboard.type("zebra migration routes", { delay: 10 });
  await expect(page.getByTestId("search-dialog-ask")).toContainText("Ask: zebra migration routes");
  // Once the search has answered, up from the first row wraps to the last: Ask.
  await expect(page.locator('[data-testid="search-dialog-group"], [data-testid="search-dialog-empty"]').first()).toBeVisible();
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
  // The page arrives with the whole answer: on the Worker (no "not found" bar there) the model
  // writes it first, which took over 30 s on a loaded CI machine.
  await page.waitForURL(/\/ask\?q=zebra\+migration\+routes$/, { timeout: 120_000 });
  await hydrated(page);
  await expect(page.getByTestId("ask-input")).toHaveValue("zebra migration routes");

  await page.getByTestId("ask-input").focus();
  await page.keyboard.press("/");
  await expect(dialog(page)).toHaveCount(0);
  await page.keyboard.press("Control+k");
  const recent = page.getByTestId("search-dialog-recent");
  await expect(recent.first()).toHaveText("zebra migration routes");
  await page.getByTestId("search-dialog-clear").click();
  await expect(recent).toHaveCount(0);
  await expect(dialog(page)).toContainText("Type to search");
  expect(await page.evaluate(() => localStorage.getItem("folio.recent-searches"))).toBeNull();
});

test("the dialog fits a 390 px screen", async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  await hydrated(page);
  await page.keyboard.press("Control+k");
  await expect(input(page)).toBeFocused();
  await page.keyboard.type("search", { delay: 20 });
  await expect(page.getByTestId("search-dialog-group").first()).toBeVisible();
  const box = await dialog(page).boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-search-dialog-390.png` });
});
