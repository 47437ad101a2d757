import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { hydrated, signIn, unique } from "./helpers";

test("an editor edits a document in the browser, sees the new version, then deletes it", async ({ page, browser }, info) => {
  const slug = `edit-me-${info.project.name}-${Date.now()}`;
  // A tag of this run only: a retry must not find the first try's document under it.
  const tag = `e2e-edited-${unique()}`;
  await signIn(page, admin.email, admin.password);
  const form = new FormData();
  form.append("file", new Blob([`# Draft ${slug}\n\nThe first version.\n`]), `${slug}.md`);
  const uploaded = await page.request.post("/api/documents", { multipart: form });
  expect(uploaded.status()).toBe(201);
  const [{ id }] = await uploaded.json();
  await expect
    .poll(async () => (await (await page.request.get(`/api/documents/${id}`)).json()).status, { timeout: 30_000 })
    .toBe("ready");

  await page.goto(`/docs/${slug}`);
  await hydrated(page);
  await expect(page.getByTestId("doc-version")).toHaveAttribute("data-version", "1");
  await page.getByTestId("edit-link").click();
  await expect(page).toHaveURL(new RegExp(`/docs/${slug}/edit$`));
  await hydrated(page);
  await expect(page.getByTestId("editor-text")).toHaveValue(/The first version\./);
  await page.getByTestId("editor-text").fill(`---\ntags: ${tag}\n---\n# Edited ${slug}\n\nThe second version.\n`);
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-edit-desktop.png`, fullPage: true });
  await page.getByTestId("editor-save").click();

  // Back on the document, which shows version 2 once ingest is done (no reload needed).
  await expect(page).toHaveURL(new RegExp(`/docs/${slug}$`));
  await expect(page.getByTestId("doc-version")).toHaveAttribute("data-version", "2", { timeout: 30_000 });
  await expect(page.getByTestId("doc-title")).toHaveText(`Edited ${slug}`);
  await expect(page.getByTestId("doc-body")).toContainText("The second version.");
  await expect(page.getByTestId("doc-tags")).toContainText(`#${tag}`);
  await page.screenshot({ path: `end2end/screenshots/${info.project.name}-edited-document-desktop.png`, fullPage: true });

  // A signed-out reader finds it by its new tag and sees no editing controls.
  const reader = await (await browser.newContext()).newPage();
  await reader.goto(`/tags/${tag}`);
  await expect(reader.getByTestId("listing-title")).toHaveText(`#${tag}`);
  await expect(reader.getByTestId("doc-list")).toContainText(`Edited ${slug}`);
  await reader.goto(`/docs/${slug}`);
  await expect(reader.getByTestId("doc-title")).toHaveText(`Edited ${slug}`);
  await expect(reader.getByTestId("editor-actions")).toHaveCount(0);

  // Delete asks once more, then the document is gone from every page.
  await page.getByTestId("delete-open").click();
  await page.getByTestId("delete-confirm").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("doc-list")).not.toContainText(`Edited ${slug}`);
  expect((await page.request.get(`/docs/${slug}`)).status()).toBe(404);
  await reader.goto(`/tags/${tag}`);
  await expect(reader.getByTestId("empty")).toBeVisible();
  await reader.close();
});

test("a stale edit is refused with a message instead of overwriting the newer version", async ({ page }, info) => {
  const slug = `contested-${info.project.name}-${Date.now()}`;
  await signIn(page, admin.email, admin.password);
  const form = new FormData();
  form.append("file", new Blob([`# Contested\n\nv1\n`]), `${slug}.md`);
  const [{ id }] = await (await page.request.post("/api/documents", { multipart: form })).json();
  await expect
    .poll(async () => (await (await page.request.get(`/api/documents/${id}`)).json()).status, { timeout: 30_000 })
    .toBe("ready");

  await page.goto(`/docs/${slug}/edit`);
  await hydrated(page);
  // Meanwhile someone else saves version 2.
  const other = await page.request.post("/api/save-document", {
    form: { id: String(id), base_version: "1", markdown: "# Contested\n\nv2 from someone else\n" },
  });
  expect(other.ok()).toBeTruthy();
  await page.getByTestId("editor-text").fill("# Contested\n\nmy v2\n");
  await page.getByTestId("editor-save").click();
  await expect(page.getByTestId("editor-error")).toContainText("Version 2 was saved while you were editing version 1");
});
