import { expect, test } from "@playwright/test";
import zlib from "node:zlib";
import { hydrated } from "./helpers";

// A reading page's code budget: the JavaScript and wasm it downloads, measured gzip -9
// compressed (what a compressing host sends: Cloudflare's edge and the native host both do).
// A size check, not a timing check: it fails when a change makes every reader download more.
const BUDGET_BYTES = 200 * 1024;

test("a reading page downloads at most 200 KB of JavaScript and wasm, gzipped", async ({ page, request }) => {
  test.setTimeout(180_000);
  // A page whose summary is still being written also loads the panel that follows it (a lazy
  // island, ~27 KB): the budget is for a page as readers mostly meet it, settled.
  await expect
    .poll(async () => (await (await request.get("/api/document-enrichment?slug=how-folio-is-built")).json()).settling, {
      timeout: 150_000,
      intervals: [2_000],
    })
    .toBe(false);
  const code: Promise<{ url: string; raw: number; gzip: number }>[] = [];
  page.on("response", (res) => {
    if (!/\.(js|wasm)(\?.*)?$/.test(new URL(res.url()).pathname)) return;
    code.push(res.body().then((b) => ({ url: res.url(), raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length })));
  });
  await page.goto("/docs/how-folio-is-built");
  await hydrated(page);
  // The islands are live: the vote works in place.
  await expect(page.getByTestId("vote-yes")).toBeEnabled();
  const files = await Promise.all(code);
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  console.log(`reading page code: ${files.map((f) => `${new URL(f.url).pathname} ${f.raw} B raw / ${f.gzip} B gzip`).join(", ")}; total ${total} B gzip`);
  expect(files.some((f) => f.url.endsWith(".wasm")), "the islands' wasm was loaded").toBe(true);
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});

test("pages revalidate with an ETag, and the native host compresses them", async ({ page, request, baseURL }) => {
  const first = await request.get("/");
  const etag = first.headers()["etag"];
  expect(etag).toMatch(/^W\/"[0-9a-f]{32}"$/);
  expect(first.headers()["cache-control"]).toContain("public");
  const again = await request.get("/", { headers: { "If-None-Match": etag } });
  expect(again.status()).toBe(304);
  if (test.info().project.name === "native") {
    const res = await page.goto(baseURL + "/");
    expect((await res?.allHeaders())?.["content-encoding"]).toMatch(/^(br|gzip)$/);
  }
});
