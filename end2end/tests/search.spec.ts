import { expect, test, type Page } from "@playwright/test";
import { admin, degradedURL, standinURL } from "../playwright.config";
import { embedded, hydrated, signIn, unique, uploadMarkdown } from "./helpers";

// Search as a reader meets it: the header box as you type, /search without JavaScript, deep
// links into sections, edits and deletes followed at once. Semantic search uses the real MiniLM
// model: natively in-process, on the Worker through Workers AI and Vectorize bindings answered
// by `folio cloudflare-standin`.

function lighthouse(word: string) {
  return [
    `# Lighthouse ${word}`,
    "",
    "A keeper's notes.",
    "",
    "## Lamps",
    "",
    "The Fresnel lens focuses the lamp into a beam that sailors see for miles.",
    "",
    "## Fog signals",
    "",
    `When fog rolls in, the keeper sounds the ${word} every thirty seconds so ships keep clear of the rocks.`,
    "",
  ].join("\n");
}

/** Types into the header box: the first key opens the search dialog, which carries on with it. */
async function typeInHeader(page: Page, text: string) {
  await page.getByTestId("search-input").focus();
  await page.keyboard.type(text, { delay: 40 });
  await expect(page.getByTestId("search-dialog-input")).toHaveValue(text);
}

test("a reader finds an upload by a word as they type, and Enter opens its section", { tag: "@pages" }, async ({ page, browser }, info) => {
  test.setTimeout(60_000);
  const word = `diaphone${unique()}`;
  await signIn(page, admin.email, admin.password);
  const doc = await uploadMarkdown(page.request, `lighthouse-${info.project.name}-${unique()}.md`, lighthouse(word));

  const reader = await (await browser.newContext()).newPage();
  await reader.goto("/");
  await hydrated(reader);
  // Typing in the header box opens the dialog with the text so far; the keys go on there.
  await typeInHeader(reader, word.slice(0, 10));
  const input = reader.getByTestId("search-dialog-input");
  await expect(input).toBeFocused();
  const hits = reader.getByTestId("search-dialog-hit");
  await expect(hits.first()).toContainText(`Lighthouse ${word}`);
  await expect(hits.first().locator("mark").first()).toBeVisible();
  await reader.screenshot({ path: `end2end/screenshots/${info.project.name}-search-as-you-type-desktop.png` });
  // ↑ from the first row wraps to the last ("Ask"), ↓ comes back to the first.
  await input.press("ArrowUp");
  await expect(reader.getByTestId("search-dialog-ask").locator("..")).toHaveAttribute("aria-selected", "true");
  await input.press("ArrowDown");
  await expect(hits.first()).toHaveAttribute("aria-selected", "true");
  const full = reader.waitForResponse((r) => r.url().includes("search-documents") && r.url().includes(word.slice(10)));
  await input.pressSequentially(word.slice(10), { delay: 40 });
  await full;
  await expect(hits.first()).toContainText(`Lighthouse ${word}`);
  await expect(hits.first()).toHaveAttribute("aria-selected", "true");
  await input.press("Enter");
  await expect(reader).toHaveURL(new RegExp(`/docs/${doc.slug}#fog-signals$`));
  await expect(reader.locator("#fog-signals")).toBeInViewport();
  await reader.close();
  await page.request.delete(`/api/documents/${doc.id}`);
});

test("the results page works without JavaScript, with filters, counts and an empty state", async ({ browser, page }, info) => {
  const word = `foghorn${unique()}`;
  await signIn(page, admin.email, admin.password);
  const doc = await uploadMarkdown(page.request, `plain-${info.project.name}-${unique()}.md`, lighthouse(word));
  const context = await browser.newContext({ javaScriptEnabled: false });
  const reader = await context.newPage();
  await reader.goto("/");
  await reader.getByTestId("search-input").fill(word);
  await reader.getByTestId("search-input").press("Enter");
  await expect(reader).toHaveURL(new RegExp(`/search\\?q=${word}`));
  // The only document with the word first; hybrid adds the nearest by meaning after it.
  const first = reader.getByTestId("search-result").first();
  await expect(first.locator("mark").first()).toHaveText(word);
  await expect(reader.getByTestId("search-summary")).toContainText(/\d+ results? · \d+ ms/);
  const keywordOnly = await (await reader.request.get(`/api/search?q=${word}&mode=keyword`)).json();
  expect(keywordOnly.results.map((r: { slug: string }) => r.slug)).toEqual([doc.slug]);
  await first.getByTestId("search-result-link").click();
  await expect(reader).toHaveURL(new RegExp(`/docs/${doc.slug}#fog-signals$`));

  await reader.goto(`/search?q=${word}&tag=no-such-tag`);
  await expect(reader.getByTestId("search-empty")).toBeVisible();
  await reader.goto("/search?q=zzqxjv+blorptang&mode=keyword");
  await expect(reader.getByTestId("search-empty")).toContainText("Try fewer words");
  for (const width of [1280, 390]) {
    await reader.setViewportSize({ width, height: 900 });
    await reader.goto("/search?q=markdown");
    await expect(reader.getByTestId("search-result").first()).toBeVisible();
    await reader.screenshot({
      path: `end2end/screenshots/${info.project.name}-search-${width > 500 ? "desktop" : "phone"}.png`,
      fullPage: true,
    });
  }
  await context.close();
  await page.request.delete(`/api/documents/${doc.id}`);
});

test("after an edit only the new text is found, after a delete nothing", async ({ page }, info) => {
  const old = `klaxon${unique()}`;
  const fresh = `sirenhorn${unique()}`;
  await signIn(page, admin.email, admin.password);
  const doc = await uploadMarkdown(page.request, `edited-${info.project.name}-${unique()}.md`, lighthouse(old));
  const search = async (q: string) =>
    (await (await page.request.get(`/api/search?q=${encodeURIComponent(q)}&mode=keyword`)).json()).results as {
      slug: string;
    }[];
  expect((await search(old)).map((r) => r.slug)).toEqual([doc.slug]);
  const saved = await page.request.post("/api/save-document", {
    form: { id: String(doc.id), base_version: "1", markdown: lighthouse(fresh) },
  });
  expect(saved.status()).toBeLessThan(400);
  await expect.poll(async () => (await search(fresh)).map((r) => r.slug), { timeout: 30_000 }).toEqual([doc.slug]);
  expect(await search(old)).toEqual([]);
  expect((await page.request.delete(`/api/documents/${doc.id}`)).status()).toBe(204);
  expect(await search(fresh)).toEqual([]);
});

test("a question in other words finds the passage by meaning", { tag: "@pages" }, async ({ page }, info) => {
  await signIn(page, admin.email, admin.password);
  const tag = unique();
  const doc = await uploadMarkdown(
    page.request,
    `copies-${tag}.md`,
    `# Keeping copies safe ${tag}\n\n## Snapshots\n\nBefore any upgrade, copy the whole data folder to another disk. Restoring it is the way back if something breaks.\n`,
  );
  await embedded(page.request, doc.id);
  await page.goto("/");
  await hydrated(page);
  // None of the question's words is in the document.
  const question = "what saves me when an update goes wrong";
  await typeInHeader(page, question);
  await expect(page.getByTestId("search-dialog-hit").filter({ hasText: `Keeping copies safe ${tag}` })).toHaveCount(1);
  await page.goto(`/search?q=${encodeURIComponent(question)}&mode=semantic`);
  await expect(page.getByTestId("search-result").first()).toContainText(`Keeping copies safe ${tag}`);
  await expect(page.getByTestId("search-degraded")).toHaveCount(0);
  await page.request.delete(`/api/documents/${doc.id}`);
});

test("with the model stopped, search answers from keywords and says so", async ({ page, request }, info) => {
  // Natively, a second server runs with FOLIO_AI_FAULT=down; for the Worker the stand-in stops.
  const worker = info.project.name === "worker";
  const base = worker ? "" : degradedURL;
  if (worker) await request.post(`${standinURL}/__fault`, { data: "down" });
  try {
    await degradedSearch(page, base);
  } finally {
    if (worker) await request.post(`${standinURL}/__fault`, { data: "up" });
  }
});

// A word no other test searches for: a query seen before keeps its embedding (search::cache), so
// it still finds by meaning with the model down, which is the point of keeping it.
async function degradedSearch(page: Page, base: string) {
  const word = "footnotes";
  await page.goto(`${base}/search?q=${word}`);
  await expect(page.getByTestId("search-degraded")).toBeVisible();
  await expect(page.getByTestId("search-result").first()).toBeVisible();
  await page.goto(`${base}/`);
  await hydrated(page);
  await typeInHeader(page, word);
  await expect(page.getByTestId("search-dialog-degraded")).toBeVisible();
  await expect(page.getByTestId("search-dialog-hit").first()).toBeVisible();
  const api = await (await page.request.get(`${base}/api/search?q=${word}`)).json();
  expect(api.degraded).toBe(true);
  expect(api.results.length).toBeGreaterThan(0);
}

test("bad queries get results or a clear 400, never a 500, on this host", async ({ request }) => {
  const long = "sqlite ".repeat(800);
  for (const q of ["", "   ", '"unbalanced', "a AND OR NEAR(b", "*", "-x", "col:value", "\u200b", "🙂", long]) {
    const res = await request.get(`/api/search?q=${encodeURIComponent(q)}`);
    expect(res.status(), q.slice(0, 20)).toBe(200);
    expect(Array.isArray((await res.json()).results), q.slice(0, 20)).toBe(true);
  }
  for (const extra of ["folder=no-such-folder", "tag=no-such-tag", "unknown=1"]) {
    const res = await request.get(`/api/search?q=markdown&${extra}`);
    expect(res.status(), extra).toBe(200);
  }
  for (const [extra, word] of [["limit=0", "limit"], ["limit=51", "limit"], ["mode=fuzzy", "mode"], ["after=soon", "after"]]) {
    const res = await request.get(`/api/search?q=x&${extra}`);
    expect(res.status(), extra).toBe(400);
    expect((await res.json()).error.message, extra).toContain(word);
  }
});

test("rerank=on puts hybrid's top results in the host's reranker's order", async ({ request }, info) => {
  // Natively the local embedder stands in for a cross-encoder; on the Worker the same model
  // answers Workers AI's bge-reranker-base through the stand-in: either way by meaning.
  expect((await request.post("/api/session", { data: admin })).status()).toBe(200);
  const folder = `rerank-${info.project.name}-${unique()}`;
  const upload = async (name: string, markdown: string) => {
    const doc = await uploadMarkdown(request, name, markdown, folder);
    await embedded(request, doc.id);
    return doc;
  };
  const care = await upload(
    "lantern-care.md",
    "# Lantern care\n\nLanterns need their glass wiped and their wicks trimmed. Lanterns, lanterns, lanterns: check every lantern's oil.\n",
  );
  const festival = await upload(
    "festival-lights.md",
    "# Festival lights\n\nAt the autumn festival, paper lanterns rise into the night sky, carried up by the warm air of a small flame.\n",
  );
  const q = `/api/search?q=${encodeURIComponent("why do paper lanterns float up at festivals")}&folder=${folder}`;
  const res = await request.get(`${q}&rerank=on`);
  expect(res.status()).toBe(200);
  const found = await res.json();
  expect(found.reranked, JSON.stringify(found)).toBe(true);
  expect(found.degraded).toBe(false);
  expect(found.results.map((r: { slug: string }) => r.slug)).toEqual([festival.slug, care.slug]);
  const scores = found.results.map((r: { score: number }) => r.score);
  expect(scores[0]).toBeGreaterThan(scores[1]);
  // Without it, no second stage (and no reranker's scores).
  const fused = await (await request.get(q)).json();
  expect(fused.reranked).toBeUndefined();
  for (const doc of [care, festival]) expect((await request.delete(`/api/documents/${doc.id}`)).status()).toBe(204);
});
