import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { embedded, hydrated, signIn, unique, uploadMarkdown } from "./helpers";

// Follow-up questions, on both hosts with the real text model. "What about in a storm?" makes
// sense only after the first question: asked alone it would find any page about storms (one is
// uploaded as a decoy). Read with the first question it finds the airship's storm page, the page
// says what it searched for, and the thread lives in the URL: a reload, and a reader without
// JavaScript, carry it on.

const docs = (word: string) => [
  {
    name: `mooring-${word}.md`,
    markdown: [
      `# Mooring the ${word} airship`,
      "",
      "## Mooring masts",
      "",
      `The ${word} airship is moored to a tall mast by its nose, so it swings with the wind.`,
      "",
    ].join("\n"),
  },
  {
    name: `storms-${word}.md`,
    markdown: [
      `# The ${word} airship in storms`,
      "",
      "## In a storm",
      "",
      `In a storm the ${word} airship is not left on its mast: the ground crew walks it into the hangar.`,
      "",
    ].join("\n"),
  },
  {
    name: `lanterns-${word}.md`,
    markdown: [
      "# Storm lanterns",
      "",
      "## In a storm",
      "",
      "In a storm the lighthouse keeper lights the storm lantern and closes the shutters.",
      "",
    ].join("\n"),
  },
];

const first = (word: string) => `How is the ${word} airship moored?`;
const followUp = "What about in a storm?";

test("a follow-up is read with the question before it, shows what it searched for, and survives a reload", async ({ page, browser }, info) => {
  test.setTimeout(480_000);
  await signIn(page, admin.email, admin.password);
  const word = `zep${unique()}`;
  const uploaded = [];
  for (const doc of docs(word)) uploaded.push(await uploadMarkdown(page.request, `${info.project.name}-${doc.name}`, doc.markdown));
  for (const doc of uploaded) await embedded(page.request, doc.id);
  const reader = await (await browser.newContext()).newPage();
  try {
    await reader.goto("/ask");
    await hydrated(reader);
    await reader.getByTestId("ask-input").fill(first(word));
    await reader.getByTestId("ask-submit").click();
    await expect(reader.getByTestId("ask-source").first()).toContainText(`Mooring the ${word} airship`, { timeout: 60_000 });
    // The reader need not wait for the model to follow up: Stop, and the box is there.
    await reader.getByTestId("ask-stop").click();
    await reader.getByTestId("ask-followup").fill(followUp);
    await reader.getByTestId("ask-followup-submit").click();

    await expect(reader.getByTestId("ask-current")).toHaveText(followUp);
    await expect(reader.getByTestId("ask-searched")).toContainText(word, { timeout: 60_000 });
    await expect(reader.getByTestId("ask-searched")).toContainText(/storm/i);
    await expect(reader.getByTestId("ask-source").first()).toContainText(`The ${word} airship in storms`);
    await expect(reader.getByTestId("ask-turn")).toHaveText([first(word)]);
    await expect(reader).toHaveURL(/[?&]prev=How/);
    await expect(reader.getByTestId("ask-status")).toBeVisible({ timeout: 240_000 });
    await expect(reader.getByTestId("ask-followup")).toBeVisible();
    await reader.screenshot({ path: `end2end/screenshots/${info.project.name}-ask-followup.png`, fullPage: true });

    // A reload keeps the thread (the answer is stored by now).
    await reader.reload();
    await expect(reader.getByTestId("ask-current")).toHaveText(followUp, { timeout: 60_000 });
    await expect(reader.getByTestId("ask-searched")).toContainText(word);
    await expect(reader.getByTestId("ask-source").first()).toContainText(`The ${word} airship in storms`);
    await expect(reader.getByTestId("ask-turn")).toHaveText([first(word)]);
    // An earlier turn asks itself again, with the turns before it.
    await expect(reader.getByTestId("ask-turn").getByRole("link")).toHaveAttribute("href", /^\/ask\?q=How\+is\+the/);
  } finally {
    await reader.close();
    for (const doc of uploaded) await page.request.delete(`/api/documents/${doc.id}`);
  }
});

test("without JavaScript a follow-up is a form that carries the thread", async ({ page, browser }, info) => {
  test.setTimeout(480_000);
  await signIn(page, admin.email, admin.password);
  const word = `zep${unique()}`;
  const uploaded = [];
  for (const doc of docs(word)) uploaded.push(await uploadMarkdown(page.request, `${info.project.name}-nojs-${doc.name}`, doc.markdown));
  for (const doc of uploaded) await embedded(page.request, doc.id);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const reader = await context.newPage();
  try {
    const res = await reader.goto(`/ask?q=${encodeURIComponent(first(word))}`, { timeout: 240_000 });
    expect(res?.status()).toBe(200);
    await expect(reader.getByTestId("ask-source").first()).toContainText(`Mooring the ${word} airship`);
    const form = reader.getByTestId("ask-followup-form");
    await expect(form.locator('input[name="prev"]')).toHaveCount(1);
    await expect(form.locator('input[name="prev"]')).toHaveValue(first(word));
    await reader.getByTestId("ask-followup").fill(followUp);
    await Promise.all([reader.waitForURL(/[?&]prev=/, { timeout: 240_000 }), reader.getByTestId("ask-followup-submit").click()]);
    await expect(reader.getByTestId("ask-current")).toHaveText(followUp);
    await expect(reader.getByTestId("ask-searched")).toContainText(word);
    await expect(reader.getByTestId("ask-source").first()).toContainText(`The ${word} airship in storms`);
    await expect(reader.getByTestId("ask-turn")).toHaveText([first(word)]);
    // The next follow-up carries both earlier questions.
    await expect(reader.getByTestId("ask-followup-form").locator('input[name="prev"]')).toHaveCount(2);
  } finally {
    await context.close();
    for (const doc of uploaded) await page.request.delete(`/api/documents/${doc.id}`);
  }
});
