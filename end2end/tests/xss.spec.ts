import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { admin, standinURL } from "../playwright.config";
import { embedded, hydrated, unique } from "./helpers";

// The one XSS suite: every payload of end2end/xss/payloads.json through every sink it lists,
// in Chromium, on both hosts. It fails if any dialog opens or any CSP violation is reported.
const table = JSON.parse(fs.readFileSync(path.join(__dirname, "../xss/payloads.json"), "utf8")) as {
  payloads: string[];
  sinks: string[];
};
const { payloads } = table;

/** Records every dialog (a payload ran) and every CSP violation (a payload was caught late). */
async function guard(page: Page) {
  const incidents: string[] = [];
  page.on("dialog", async (dialog) => {
    incidents.push(`dialog "${dialog.message()}" on ${page.url()}`);
    await dialog.dismiss();
  });
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) incidents.push(`${msg.text()} on ${page.url()}`);
  });
  // Playwright's init scripts are exempt from the page's CSP, so this listener always runs.
  await page.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`),
    ),
  );
  return incidents;
}

/** Opens a page, lets it hydrate, and checks nothing ran. */
async function visit(page: Page, incidents: string[], url: string) {
  const res = await page.goto(url);
  expect(res, url).not.toBeNull();
  await hydrated(page);
  expect(incidents, url).toEqual([]);
  // Hostile input is a reader's mistake or an attack, never our failure.
  await expect(page.getByText("Something went wrong on our side"), url).toHaveCount(0);
}

async function signInApi(request: APIRequestContext, email = admin.email, password = admin.password) {
  const res = await request.post("/api/session", { data: { email, password } });
  expect(res.status(), email).toBe(200);
}

async function ready(request: APIRequestContext, id: number) {
  await expect
    .poll(async () => (await (await request.get(`/api/documents/${id}`)).json()).status, { timeout: 30_000 })
    .toBe("ready");
}

test("the table names its sinks and every payload", () => {
  expect(payloads.length).toBeGreaterThanOrEqual(10);
  expect(table.sinks.length).toBeGreaterThanOrEqual(18);
});

test("the guard sees a script that runs, and the CSP stops one injected into a page", async ({ page }) => {
  const incidents = await guard(page);
  await page.setContent("<script>alert('ran')</script>");
  await expect.poll(() => incidents.length).toBe(1);
  expect(incidents[0]).toContain('dialog "ran"');
  incidents.length = 0;
  await page.goto("/");
  await hydrated(page);
  // Markup that slipped past escaping would be a script without this response's nonce.
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "alert('injected')";
    document.body.append(script);
  });
  await expect.poll(() => incidents.join("\n")).toContain("Content Security Policy");
  expect(incidents.join("\n")).not.toContain("dialog");
});

test("documents: title, headings, body, links, tags, folders and converted HTML stay inert", async ({ page }, info) => {
  test.setTimeout(480_000);
  const incidents = await guard(page);
  await signInApi(page.request);
  const ids: number[] = [];
  const slugs: string[] = [];
  for (const [i, payload] of payloads.entries()) {
    const markdown = [
      "---",
      `title: ${payload}`,
      `tags: [${payload}, xss]`,
      "---",
      `# ${payload}`,
      "",
      payload,
      "",
      `## Section ${payload}`,
      "",
      `[a link](${payload}) and <${payload}>`,
    ].join("\n");
    const form = new FormData();
    form.append("folder", payload);
    form.append("file", new Blob([markdown]), `xss-${info.project.name}-${i}.md`);
    const res = await page.request.post("/api/documents", { multipart: form });
    expect(res.status(), payload).toBe(201);
    const [result] = await res.json();
    ids.push(result.id);
    slugs.push(result.slug);
  }
  const html = `<html><head><title>${payloads[0]}</title></head><body><h1>${payloads[1]}</h1>${payloads.join("<p>")}</body></html>`;
  const form = new FormData();
  form.append("file", new Blob([html]), `xss-${info.project.name}-page.html`);
  const res = await page.request.post("/api/documents", { multipart: form });
  expect(res.status()).toBe(201);
  const [converted] = await res.json();
  ids.push(converted.id);
  slugs.push(converted.slug);
  for (const id of ids) await ready(page.request, id);

  const listings = new Set<string>(["/"]);
  for (const slug of slugs) {
    await visit(page, incidents, `/docs/${slug}`);
    for (const href of await page.locator('a[href^="/folders/"], a[href^="/tags/"]').evaluateAll((links) =>
      links.map((a) => a.getAttribute("href") ?? ""),
    )) {
      listings.add(href);
    }
    await visit(page, incidents, `/docs/${slug}/edit`);
  }
  for (const listing of listings) await visit(page, incidents, listing);
  // Search results show their titles, headings and snippets: on /search and, as you type, in
  // the search dialog (snippets are the one place text becomes HTML: only <mark> may).
  for (const q of ["alert", "section alert", "img onerror", "script"]) {
    await visit(page, incidents, `/search?q=${encodeURIComponent(q)}`);
    await expect(page.getByTestId("search-result").first(), q).toBeVisible();
    expect(await page.locator(".search-result__snippet :not(mark)").count(), q).toBe(0);
  }
  await page.goto("/");
  await hydrated(page);
  // The search dialog: the same results grouped, the reader's recent searches (kept in the
  // browser: a script could have put anything there) and the Ask row that repeats the query.
  await page.evaluate((list) => localStorage.setItem("folio.recent-searches", JSON.stringify(list)), payloads.slice(0, 5));
  await page.keyboard.press("Control+k");
  await expect(page.getByTestId("search-dialog-recent")).toHaveCount(5);
  await page.getByTestId("search-dialog-input").pressSequentially("alert", { delay: 30 });
  await expect(page.getByTestId("search-dialog-group").first()).toBeVisible();
  expect(await page.locator(".search-dialog__snippet :not(mark)").count()).toBe(0);
  for (const payload of payloads.slice(0, 5)) {
    await page.getByTestId("search-dialog-input").fill(payload);
    await expect(page.getByTestId("search-dialog-ask")).toContainText(payload.trim().slice(0, 10));
  }
  await page.keyboard.press("Escape");
  expect(incidents).toEqual([]);
  // "Did this help?" on a page opened from the dialog repeats the query, which the tab's
  // sessionStorage holds (a script could have put anything there too).
  for (const payload of payloads) {
    await page.evaluate(
      (q) => sessionStorage.setItem("folio.opened-result", `${Date.now()}\n/\n${q}`),
      payload,
    );
    await page.goto("/");
    await hydrated(page);
    await expect(page.getByTestId("helped")).toContainText(payload.trim().slice(0, 10));
  }
  expect(incidents).toEqual([]);
  // Ask shows the passages (titles, headings, text), the quick answer (their own sentences) and
  // whatever the model makes of them: whole without JavaScript, then streamed in the browser.
  // Only citations may be links in an answer or a quick answer.
  const answerMarkup = [".ask-answer", ".ask-quick"]
    .flatMap((box) => [`${box} a:not(.cite)`, `${box} script`, `${box} img`, `${box} iframe`])
    .join(", ");
  await visit(page, incidents, `/ask?q=${encodeURIComponent("What does the alert section say?")}`);
  await expect(page.getByTestId("ask-source").first()).toBeVisible();
  expect(await page.locator(answerMarkup).count()).toBe(0);
  await page.getByTestId("ask-input").fill("Which section mentions alert and script?");
  await page.getByTestId("ask-submit").click();
  await expect(page.getByTestId("ask-status")).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId("ask-source").first()).toBeVisible();
  expect(await page.locator(answerMarkup).count()).toBe(0);
  for (const cite of await page.locator(".cite").all()) expect(await cite.getAttribute("href")).toMatch(/^\/docs\//);
  expect(incidents).toEqual([]);

  for (const id of ids) expect((await page.request.delete(`/api/documents/${id}`)).status()).toBe(204);
  expect(incidents).toEqual([]);
});

test("uploaded originals: HTML is a sandboxed download, pictures show inline", async ({ page }, info) => {
  const incidents = await guard(page);
  await signInApi(page.request);
  const html = `<html><body><h1>Original ${info.project.name} ${Date.now()}</h1><script>alert("original")</script></body></html>`;
  const form = new FormData();
  form.append("file", new Blob([html]), `original-${info.project.name}.html`);
  const res = await page.request.post("/api/documents", { multipart: form });
  expect(res.status()).toBe(201);
  const [result] = await res.json();
  await ready(page.request, result.id);
  // Stored files are addressed by their SHA-256, which anyone holding the bytes can compute.
  const blob = `/blobs/${createHash("sha256").update(html).digest("hex")}`;
  const served = await page.request.get(blob);
  expect(served.status()).toBe(200);
  expect(served.headers()["content-disposition"]).toBe(
    `attachment; filename="original-${info.project.name}.html"; filename*=UTF-8''original-${info.project.name}.html`,
  );
  expect(served.headers()["content-security-policy"]).toContain("sandbox");
  expect(served.headers()["x-content-type-options"]).toBe("nosniff");
  // Opened in the browser, it downloads instead of running.
  const download = page.waitForEvent("download");
  await page.goto(blob).catch(() => undefined);
  expect((await download).suggestedFilename()).toBe(`original-${info.project.name}.html`);
  expect(incidents).toEqual([]);

  const doc = await (await page.request.get("/docs/how-folio-is-built")).text();
  const picture = doc.match(/\/blobs\/[0-9a-f]{64}/)?.[0];
  expect(picture).toBeTruthy();
  const image = await page.request.get(picture!);
  expect(image.headers()["content-type"]).toBe("image/png");
  expect(image.headers()["content-disposition"]).toMatch(/^inline/);
  await page.request.delete(`/api/documents/${result.id}`);
});

test("URL paths and query strings stay inert", async ({ page }) => {
  // 143 pages, each waited on until hydrated: two minutes on the Worker, more on a retry (traced).
  test.setTimeout(480_000);
  const incidents = await guard(page);
  for (const payload of payloads) {
    const encoded = encodeURIComponent(payload);
    for (const url of [
      `/docs/${encoded}`,
      `/folders/${encoded}`,
      `/folders/${payload.replaceAll("#", "%23").replaceAll("?", "%3F")}`,
      `/tags/${encoded}`,
      `/${encoded}`,
      `/?before=${encoded}`,
      `/search?q=${encoded}`,
      `/search?q=alert&folder=${encoded}&tag=${encoded}&mode=${encoded}`,
      // A tag no document has: no passages, so no model call, and the question shown back.
      `/ask?q=${encoded}&folder=${encoded}&tag=${encoded}`,
      // A follow-up ("and …" leans on the question before): the thread, and what was searched.
      `/ask?q=and%20${encoded}&prev=${encoded}&prev=${encoded}&tag=${encoded}`,
      `/sign-in?next=${encoded}&${encoded}=1`,
    ]) {
      await visit(page, incidents, url);
    }
  }
  expect(incidents).toEqual([]);
});

test("account emails, token names, file names and error messages stay inert", async ({ page, browser }, info) => {
  test.setTimeout(240_000);
  const incidents = await guard(page);
  await signInApi(page.request);
  const password = "xss account password";
  const emails: string[] = [];
  // This run's names: a retry must not meet the first try's accounts and files.
  const run = unique();
  for (const [i, payload] of payloads.entries()) {
    // Emails hold no spaces; the payload keeps its markup.
    const email = `${payload.replace(/\s/g, "/")}${i}-${run}@xss-${info.project.name}.test`;
    const created = await page.request.post("/api/create-account", {
      form: { email, password, role: "editor" },
    });
    if (created.status() === 200) emails.push((await created.json()).email);
    const token = await page.request.post("/api/tokens", { data: { name: payload } });
    expect(token.status(), payload).toBe(201);
  }
  expect(emails.length).toBeGreaterThan(payloads.length / 2);
  await visit(page, incidents, "/admin");

  // File names (good and refused) on the upload page, as the browser sends them.
  await visit(page, incidents, "/upload");
  const files = payloads.flatMap((payload, i) => [
    { name: `${payload}-${info.project.name}-${run}-${i}.md`, mimeType: "text/markdown", buffer: Buffer.from(`# File ${i}\n`) },
    { name: `${payload}-${i}.md`, mimeType: "text/markdown", buffer: Buffer.from("MZ\x90\x00 a Windows program") },
  ]);
  await page.getByTestId("file-input").setInputFiles(files);
  await expect(page.getByTestId("upload-row")).toHaveCount(files.length);
  const row = (state: string) => page.locator(`[data-testid="upload-row"][data-state="${state}"]`);
  await expect(row("rejected")).toHaveCount(payloads.length, { timeout: 60_000 });
  await expect(row("ready")).toHaveCount(payloads.length, { timeout: 60_000 });
  expect(incidents).toEqual([]);

  // Signed in as an account whose email is a payload: the header shows it.
  for (const email of emails.slice(0, 4)) {
    const context = await browser.newContext();
    const other = await context.newPage();
    const otherIncidents = await guard(other);
    await signInApi(other.request, email, password);
    await visit(other, otherIncidents, "/");
    await expect(other.getByTestId("signed-in-as")).toHaveText(email);
    await context.close();
  }
  const uploaded = await (await page.request.get("/api/documents")).json();
  for (const doc of uploaded.documents) {
    if (doc.title.startsWith("File ") && doc.slug.includes(info.project.name)) {
      await page.request.delete(`/api/documents/${doc.id}`);
    }
  }
  expect(incidents).toEqual([]);
});

test("what a model writes (summaries, topics, answers) stays inert (the stand-in says every payload)", async ({ page, request }, info) => {
  test.skip(info.project.name !== "worker", "only the Worker's stand-in can be told what to say");
  test.setTimeout(180_000);
  const incidents = await guard(page);
  await signInApi(page.request);
  const said = payloads.join(" [1] ").replaceAll("\n", " ");
  expect((await request.post(`${standinURL}/__fault`, { data: `say:${said}` })).status()).toBe(200);
  const form = new FormData();
  // The payloads are in the page too: Ask keeps only sentences a passage supports, so the
  // answer that repeats them is kept and reaches the page (where it must stay inert).
  const page_md = `# Said by the model\n\nA page whose summary is whatever the model says.\n\n~~~~\n${payloads.join("\n")}\n~~~~\n`;
  form.append("file", new Blob([page_md]), `said-${Date.now()}.md`);
  const res = await page.request.post("/api/documents", { multipart: form });
  expect(res.status()).toBe(201);
  const [doc] = await res.json();
  try {
    await ready(page.request, doc.id);
    // Ask must find this page among its four sources on a site the whole suite has filled: by
    // meaning (its vectors written: a loaded stand-in retries them) and by its title's words.
    await embedded(page.request, doc.id);
    await visit(page, incidents, `/docs/${doc.slug}`);
    await expect(page.getByTestId("summary")).toBeVisible({ timeout: 120_000 });
    await visit(page, incidents, `/docs/${doc.slug}`);
    await visit(page, incidents, `/ask?q=${encodeURIComponent("What was said by the model?")}`);
    await expect(page.getByTestId("ask-answer")).toContainText("alert(1)");
    expect(await page.locator(".ask-answer a:not(.cite), .ask-answer script, .ask-answer img").count()).toBe(0);
    expect(incidents).toEqual([]);
  } finally {
    await request.post(`${standinURL}/__fault`, { data: "up" });
    await page.request.delete(`/api/documents/${doc.id}`);
  }
});

test("what readers searched for, asked and voted on stays inert on /admin/insights", async ({ page, browser }) => {
  test.setTimeout(180_000);
  // As a reader: each payload searched, a few asked (a tag no document has: "not found" at
  // once, no model), and each 👎 with the payload as question, answer and source title.
  const reader = await browser.newContext();
  for (const [i, payload] of payloads.entries()) {
    expect((await reader.request.get(`/api/search?q=${encodeURIComponent(payload)}`)).status(), payload).toBe(200);
    if (i < 3) {
      const asked = await reader.request.post("/api/ask", { data: { question: `${payload} ${i}`, tag: "no-such-tag" } });
      expect([200, 400], payload).toContain(asked.status());
      await asked.body();
    }
    const voted = await reader.request.post("/api/vote-answer", {
      form: {
        question: `${payload} ${i}`,
        folder: "",
        tag: "",
        answer: payload,
        sources: JSON.stringify([{ n: 1, title: payload, heading: payload, url: "/docs/welcome" }]),
        helpful: "false",
        reason: "wrong",
      },
    });
    expect(voted.status(), payload).toBeLessThan(400);
  }
  await reader.close();
  const incidents = await guard(page);
  await signInApi(page.request);
  for (const url of ["/admin/insights", "/admin/insights?days=30"]) {
    await visit(page, incidents, url);
    await expect(page.getByTestId("insights-downvoted")).toContainText(payloads[1]);
    expect(await page.locator('[data-testid="insights-downvoted"] script, [data-testid="insights-downvoted"] img').count()).toBe(0);
    for (const link of await page.locator('[data-testid="insights-downvoted-row"] a').all()) {
      expect(await link.getAttribute("href")).toMatch(/^\/docs\//);
    }
  }
  expect(incidents).toEqual([]);
});
