import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";

test("the admin signs in, stays signed in, and signs out", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByTestId("sign-in-link").click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  await page.getByTestId("email").fill(admin.email);
  await page.getByTestId("password").fill("not the password");
  await page.getByTestId("sign-in-submit").click();
  await expect(page.getByTestId("sign-in-error")).toContainText("don’t match an account");

  await page.getByTestId("password").fill(admin.password);
  await page.getByTestId("sign-in-submit").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText(admin.email);
  const cookie = (await page.context().cookies()).find((c) => c.name === "folio_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");

  await page.reload();
  await expect(page.getByTestId("signed-in-as")).toHaveText(admin.email);

  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("sign-in-link")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("sign-in-link")).toBeVisible();
});

test("a write from another site is refused", async ({ request }) => {
  const res = await request.post("/api/vote", {
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    data: "slug=welcome-to-folio&helpful=true",
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).error.message).toContain("other sites");
});
