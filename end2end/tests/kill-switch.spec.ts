import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { signIn } from "./helpers";

test("an admin pauses all changes: votes are refused with a message, reading works", async ({ page }) => {
  await signIn(page, admin.email, admin.password);

  await page.goto("/admin");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("writes-state")).toContainText("Open");
  await page.getByTestId("toggle-writes").click();
  await expect(page.getByTestId("writes-state")).toContainText("Paused");

  try {
    await page.goto("/docs/welcome-to-folio");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await expect(page.getByTestId("doc-title")).toHaveText("Welcome to Folio");
    await page.getByTestId("vote-yes").click();
    await expect(page.getByTestId("vote").getByRole("alert")).toContainText("read-only");
  } finally {
    // Resume, so the other tests (and a retry) start from an open site.
    await page.goto("/admin");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await page.getByTestId("toggle-writes").click();
    await expect(page.getByTestId("writes-state")).toContainText("Open");
  }
});
