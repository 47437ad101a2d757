import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";

/** A short name no other test run uses. */
export const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** A blob key no other row has (64 hex digits, like a SHA-256): a retry never collides. */
export const blobKey = () => randomBytes(32).toString("hex");

/** Uploads one Markdown file (signed-in `request`) and waits until its version is live. */
export async function uploadMarkdown(request: APIRequestContext, name: string, markdown: string, folder?: string) {
  const form = new FormData();
  if (folder !== undefined) form.append("folder", folder);
  form.append("file", new Blob([markdown]), name);
  const res = await request.post("/api/documents", { multipart: form });
  expect(res.status()).toBe(201);
  const [result] = await res.json();
  await expect
    .poll(async () => (await (await request.get(`/api/documents/${result.id}`)).json()).status, { timeout: 30_000 })
    .toBe("ready");
  return result as { id: number; slug: string };
}

/** Waits until the document's chunks all have vectors (the model embeds after publish). */
export async function embedded(request: APIRequestContext, id: number) {
  await expect
    .poll(async () => (await (await request.get(`/api/documents/${id}`)).json()).chunks_waiting, { timeout: 60_000 })
    .toBe(0);
}

/** Waits until the page is interactive (the frontend sets this after hydrating). */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Signs in through the real form and waits for the header to show who is signed in. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByTestId("email").fill(email);
  await page.getByTestId("password").fill(password);
  await page.getByTestId("sign-in-submit").click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(email);
}

/** Runs SQL on a Worker or Pages site's local D1 (kept under `persistTo`) with wrangler, as an
 * operator (or an evicted isolate) would leave it; the rows of its last statement. */
export function localD1(persistTo: string, sql: string): Record<string, unknown>[] {
  const root = path.resolve(__dirname, "../..");
  const result = spawnSync(
    path.join(root, "node_modules/.bin/wrangler"),
    ["d1", "execute", "DB", "--local", "--json", "--persist-to", persistTo, "--command", sql],
    { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  const outcomes = JSON.parse(result.stdout) as { results: Record<string, unknown>[] }[];
  return outcomes.at(-1)?.results ?? [];
}
