import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { signIn } from "./helpers";

// Pictures of the pages for a person to look at (end2end/screenshots/, not committed).
for (const [name, path] of [
  ["home", "/"],
  ["document", "/docs/how-folio-is-built"],
  ["folder", "/folders/guides"],
  ["not-found", "/nope"],
  ["sign-in", "/sign-in"],
  ["ask", "/ask"],
] as const) {
  for (const [device, viewport] of [
    ["desktop", { width: 1280, height: 900 }],
    ["phone", { width: 390, height: 844 }],
  ] as const) {
    test(`screenshot ${name} ${device}`, async ({ page }, info) => {
      await page.setViewportSize(viewport);
      await page.goto(path);
      await page.screenshot({ path: `end2end/screenshots/${info.project.name}-${name}-${device}.png`, fullPage: true });
    });
  }
}

test("screenshot admin desktop", async ({ page }, info) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, admin.email, admin.password);
  await page.goto("/admin");
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-admin-desktop.png`, fullPage: true });
});
