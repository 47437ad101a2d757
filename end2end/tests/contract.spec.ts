import { expect, test } from "@playwright/test";

// The same Rust port contract suite the native adapters pass in `cargo test`, run inside
// workerd against D1, R2, WebCrypto, and Workers AI + Vectorize (workerd's real binding classes,
// answered by `folio cloudflare-standin`).
test("D1, R2, WebCrypto, Workers AI and Vectorize adapters pass the port contract suite", async ({ request }, info) => {
  test.skip(info.project.name !== "worker", "the native adapters run it in cargo test");
  const res = await request.get("/__contract");
  const checks: { port: string; name: string; passed: boolean; detail: string }[] = await res.json();
  const failures = checks.filter((c) => !c.passed).map((c) => `${c.port}: ${c.name}: ${c.detail}`);
  expect(failures).toEqual([]);
  expect(checks.length).toBeGreaterThanOrEqual(15);
  expect(checks.filter((c) => c.port === "passwords").length).toBe(2);
  expect(checks.filter((c) => c.port === "throttle").length).toBe(2);
  expect(checks.filter((c) => c.port === "ai").length).toBe(2);
  expect(checks.filter((c) => c.port === "vectors").length).toBe(5);
  expect(res.status()).toBe(200);
});
