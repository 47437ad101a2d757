import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { signIn } from "./helpers";

test("an admin pauses all changes: votes and uploads are refused with a message, reading works", async ({ page }) => {
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

    // The upload page says so up front, and an upload is refused with the reason.
    await page.goto("/upload");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await expect(page.getByTestId("read-only-banner")).toBeVisible();
    await page.getByTestId("file-input").setInputFiles([
      { name: "while-paused.md", mimeType: "text/markdown", buffer: Buffer.from("# Paused\n\nShould not land.\n") },
    ]);
    const row = page.getByTestId("upload-row");
    await expect(row).toHaveAttribute("data-state", "rejected");
    await expect(row.getByTestId("upload-state")).toContainText("an administrator has paused changes");
    expect((await page.request.get("/docs/while-paused")).status()).toBe(404);

    // Resumed from the same page.
    await page.goto("/admin");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await page.getByTestId("toggle-writes").click();
    await expect(page.getByTestId("writes-state")).toContainText("Open");
  } finally {
    // Whatever failed above, the other tests (and a retry) start from an open site.
    const resumed = await page.request.post("/api/set-writes", { form: { disabled: "false" } });
    expect(resumed.status()).toBe(200);
  }
});
