import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { signIn, unique } from "./helpers";

test("an admin adds an editor and manages API tokens; the editor sees no accounts", async ({ page }, info) => {
  const editor = { email: `editor-${info.project.name}-${Date.now()}@folio.test`, password: "editor password 42" };
  await signIn(page, admin.email, admin.password);
  await page.getByTestId("admin-link").click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  await page.getByTestId("account-email").fill(editor.email);
  await page.getByTestId("account-password").fill(editor.password);
  await page.getByTestId("create-account").click();
  await expect(page.getByTestId("account-created")).toContainText(editor.email);
  await expect(page.getByTestId("account-row").filter({ hasText: editor.email })).toContainText("editor");

  // Revoked tokens stay listed: a name of this run only, so a retry finds one row.
  const tokenName = `e2e import ${unique()}`;
  await page.getByTestId("token-name").fill(tokenName);
  await page.getByTestId("create-token").click();
  const value = await page.getByTestId("new-token-value").textContent();
  expect(value).toMatch(/^folio_[0-9a-f]{64}$/);
  const row = page.getByTestId("token-row").filter({ hasText: tokenName });
  await expect(row).toHaveCount(1);
  // The token works for scripts, then stops working once revoked.
  const ok = await page.request.post("/api/tokens", {
    headers: { authorization: `Bearer ${value}` },
    data: { name: "made by a script" },
  });
  expect(ok.status()).toBe(201);
  await row.getByTestId("revoke-token").click();
  await expect(row).toContainText("revoked");
  const dead = await page.request.post("/api/tokens", {
    headers: { authorization: `Bearer ${value}` },
    data: { name: "too late" },
  });
  expect(dead.status()).toBe(401);

  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("sign-in-link")).toBeVisible();
  await signIn(page, editor.email, editor.password);
  await page.goto("/admin");
  await expect(page.getByTestId("tokens")).toBeVisible();
  await expect(page.getByTestId("accounts")).toHaveCount(0);
});

test("signed out, the admin page asks you to sign in", async ({ page }) => {
  await page.goto("/admin");
  await expect(page.getByTestId("admin-sign-in")).toBeVisible();
});
