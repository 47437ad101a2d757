import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { hydrated, signIn } from "./helpers";

// Headers, the CSP and sign-in throttling, on both hosts. The payload table is xss.spec.ts.

const common = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "cross-origin-opener-policy": "same-origin",
  "x-frame-options": "DENY",
};

test("every page has the security headers and a CSP with a fresh nonce on each script", async ({ request }) => {
  const nonces = new Set<string>();
  for (const path of ["/", "/docs/welcome-to-folio", "/sign-in", "/upload", "/admin", "/folders/guides", "/nope"]) {
    const res = await request.get(path);
    const headers = res.headers();
    for (const [name, value] of Object.entries(common)) expect(headers[name], `${name} on ${path}`).toBe(value);
    expect(headers["permissions-policy"]).toContain("camera=()");
    const csp = headers["content-security-policy"];
    const nonce = csp.match(/'nonce-([^']+)'/)?.[1];
    expect(nonce, path).toBeTruthy();
    expect(csp).toContain("script-src 'self' 'nonce-");
    for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]) {
      expect(csp, path).toContain(directive);
    }
    const html = await res.text();
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length, path).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
    nonces.add(nonce!);
  }
  expect(nonces.size).toBe(7);
  // Plain http here: HSTS only goes out over https.
  expect((await request.get("/")).headers()["strict-transport-security"]).toBeUndefined();
  // API answers and static files are nosniff too.
  for (const path of ["/healthz", "/api/documents", "/pkg/folio.css"]) {
    expect((await request.get(path)).headers()["x-content-type-options"], path).toBe("nosniff");
  }
});

test("pages hydrate under the CSP with no violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  await signIn(page, admin.email, admin.password);
  for (const path of ["/", "/docs/welcome-to-folio", "/upload", "/admin", "/docs/welcome-to-folio/edit"]) {
    await page.goto(path);
    await hydrated(page);
  }
  expect(violations).toEqual([]);
});

test("sign-in is throttled: after five failures the form says to wait, and the API answers 429", async ({ page, request }, info) => {
  const person = { email: `throttled-${info.project.name}-${Date.now()}@folio.test`, password: "throttled password 1" };
  expect((await request.post("/api/session", { data: admin })).status()).toBe(200);
  const created = await request.post("/api/create-account", { form: { ...person, role: "editor" } });
  expect(created.status()).toBe(200);

  await page.goto("/sign-in");
  await hydrated(page);
  for (let i = 0; i < 5; i++) {
    await page.getByTestId("email").fill(person.email);
    await page.getByTestId("password").fill(`wrong ${i}`);
    const answer = page.waitForResponse((r) => r.url().endsWith("/api/sign-in"));
    await page.getByTestId("sign-in-submit").click();
    expect((await answer).status()).toBe(401);
    await expect(page.getByTestId("sign-in-error")).toContainText("don’t match an account");
  }
  // The right password is refused too until the window ends.
  await page.getByTestId("password").fill(person.password);
  const answer = page.waitForResponse((r) => r.url().endsWith("/api/sign-in"));
  await page.getByTestId("sign-in-submit").click();
  expect((await answer).status()).toBe(429);
  await expect(page.getByTestId("sign-in-error")).toContainText("Too many failed sign-ins. Wait 15 minutes");
  const res = await request.post("/api/session", { data: person });
  expect(res.status()).toBe(429);
  expect(Number(res.headers()["retry-after"])).toBeGreaterThan(800);
  expect((await res.json()).error.message).toContain("Too many failed sign-ins");
});
