import { expect, test } from "@playwright/test";
import { limits } from "../playwright.config";

// Per-client limits on the Worker, counted in D1 so every isolate sees every use (natively the
// same use case counts in memory: server/tests/security.rs). The Worker takes the client's
// address from CF-Connecting-IP, which Cloudflare's edge sets; locally a test may set it, so
// this address is new to the site and the rest of the suite keeps its own count.
test("a client past its questions an hour gets 429 with Retry-After; another client does not", async ({
  request,
}, info) => {
  test.skip(info.project.name !== "worker", "natively one process counts in memory: cargo test covers it");
  test.setTimeout(120_000);
  // Addresses of this run only (IPv6's documentation range): a retry must not find the first
  // try's count.
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  const newAddress = () => `2001:db8:${hex()}:${hex()}::${hex()}`;
  const address = newAddress();
  // The count lives in a fixed hour: started just before it turns, the new hour would admit more.
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < 30_000) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
  const ask = (from: string) =>
    request.post("/api/ask", {
      headers: { "cf-connecting-ip": from, "content-type": "application/json" },
      data: { question: "How do lighthouses guide ships?" },
    });
  const limit = Number(limits.questions);
  const codes: string[] = [];
  // Six at a time (the isolate answers eight at once): racing askers still count exactly.
  for (let sent = 0; sent < limit + 3; sent += 6) {
    const batch = await Promise.all(Array.from({ length: Math.min(6, limit + 3 - sent) }, () => ask(address)));
    for (const res of batch) {
      if (res.status() === 200) {
        await res.body();
        codes.push("ok");
      } else {
        expect(res.status()).toBe(429);
        codes.push((await res.json()).error.code);
      }
    }
  }
  expect(codes.filter((c) => c === "busy")).toEqual([]);
  expect(codes.filter((c) => c === "ok").length).toBe(limit);
  expect(codes.filter((c) => c === "rate_limited").length).toBe(3);

  const over = await ask(address);
  expect(over.status()).toBe(429);
  const retry = Number(over.headers()["retry-after"]);
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(3_600);
  expect((await over.json()).error.message).toContain("You have sent many questions in a short time");

  const other = await ask(newAddress());
  expect(other.status()).toBe(200);
  await other.body();
});
