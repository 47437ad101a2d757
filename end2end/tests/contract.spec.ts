import { expect, test } from "@playwright/test";

// The same Rust port contract suite the native adapters pass in `cargo test`, run inside
// workerd against D1, R2 and WebCrypto.
test("D1, R2 and WebCrypto adapters pass the port contract suite", async ({ request }, info) => {
  test.skip(info.project.name !== "worker", "the native adapters run it in cargo test");
  const res = await request.get("/__contract");
  const checks: { port: string; name: string; passed: boolean; detail: string }[] = await res.json();
  const failures = checks.filter((c) => !c.passed).map((c) => `${c.port}: ${c.name}: ${c.detail}`);
  expect(failures).toEqual([]);
  expect(checks.length).toBeGreaterThanOrEqual(15);
  expect(checks.filter((c) => c.port === "passwords").length).toBe(2);
  expect(res.status()).toBe(200);
});
