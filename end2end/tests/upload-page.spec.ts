import { expect, test } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import { admin } from "../playwright.config";
import { signIn } from "./helpers";

const root = path.resolve(__dirname, "../..");

test("an editor drops five files, watches progress and ingest, and readers see them", { tag: "@pages" }, async ({ page, browser }, info) => {
  test.setTimeout(90_000);
  const tag = `${info.project.name}-${Date.now()}`;
  await signIn(page, admin.email, admin.password);
  await page.getByTestId("upload-link-header").click();
  await expect(page).toHaveURL(/\/upload$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  await page.getByTestId("file-input").setInputFiles([
    { name: `guide-${tag}.md`, mimeType: "text/markdown", buffer: Buffer.from(`# Guide ${tag}\n\nHello from the upload page.\n`) },
    { name: `page-${tag}.html`, mimeType: "text/html", buffer: Buffer.from(`<h1>Page ${tag}</h1><p>Converted.</p><script>bad()</script>`) },
    { name: `report-${tag}.pdf`, mimeType: "application/pdf", buffer: fs.readFileSync(path.join(root, "domain/tests/fixtures/report.pdf")) },
    { name: `picture-${tag}.png`, mimeType: "image/png", buffer: fs.readFileSync(path.join(root, "content/samples/folio-hosts.png")) },
    { name: `setup-${tag}.md`, mimeType: "text/markdown", buffer: Buffer.from("MZ\x90\x00 a program, not Markdown") },
  ]);

  const rows = page.getByTestId("upload-row");
  await expect(rows).toHaveCount(5);
  for (const n of [0, 1, 2, 3]) {
    await expect(rows.nth(n)).toHaveAttribute("data-state", "ready", { timeout: 20_000 });
    await expect(rows.nth(n).getByTestId("upload-state")).toHaveText("created · ready");
    await expect(rows.nth(n).getByTestId("upload-progress")).toHaveJSProperty("value", 1);
  }
  await expect(rows.nth(4)).toHaveAttribute("data-state", "rejected");
  await expect(rows.nth(4).getByTestId("upload-state")).toContainText("Windows program");
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-upload-desktop.png`, fullPage: true });

  // A signed-out reader sees them rendered.
  const reader = await (await browser.newContext()).newPage();
  await reader.goto(`/docs/guide-${tag}`);
  await expect(reader.getByTestId("doc-title")).toHaveText(`Guide ${tag}`);
  await reader.goto(`/docs/page-${tag}`);
  await expect(reader.getByTestId("doc-title")).toHaveText(`Page ${tag}`);
  await expect(reader.getByTestId("doc-body")).not.toContainText("bad()");
  await reader.goto(`/docs/picture-${tag}`);
  await expect(reader.getByTestId("doc-body").locator("img")).toHaveAttribute("src", /^\/blobs\//);
  await reader.screenshot({ path: `end2end/screenshots/${info.project.name}-uploaded-document-desktop.png`, fullPage: true });
});

test("signed out, the upload page asks you to sign in", async ({ page }) => {
  await page.goto("/upload");
  await expect(page.getByTestId("upload-sign-in")).toBeVisible();
});
