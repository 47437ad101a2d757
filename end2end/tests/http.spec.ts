import { expect, test } from "@playwright/test";
import { nativeURL, workerURL } from "../playwright.config";

test("healthz reports every port", { tag: "@pages" }, async ({ request }, info) => {
  const res = await request.get("/healthz");
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.status).toBe("ok");
  expect(body.host).toBe(info.project.name);
  expect(body.ports.db.status).toBe("ok");
  expect(body.ports.blobs.status).toBe("ok");
  expect(body.ports.tasks.status).toBe("ok");
});

// One definition of the settings: the Worker searches with native's fusion, ratio and thresholds
// (locally its stand-in embeds with MiniLM, so worker-local gives it native's similarity bar).
test("both hosts search with the same tuning", async ({ request }, info) => {
  test.skip(info.project.name !== "native", "one comparison of both hosts");
  const native = (await (await request.get(`${nativeURL}/healthz`)).json()).search;
  const worker = (await (await request.get(`${workerURL}/healthz`)).json()).search;
  expect(native.fusion).toBe("rrf");
  expect(worker).toEqual(native);
});

test("images: 200 with a strong ETag, then 304", async ({ request }) => {
  const html = await (await request.get("/docs/how-folio-is-built")).text();
  const src = html.match(/src="(\/blobs\/[0-9a-f]{64})"/)?.[1];
  expect(src).toBeTruthy();
  const first = await request.get(src!);
  expect(first.status()).toBe(200);
  expect(first.headers()["content-type"]).toBe("image/png");
  const etag = first.headers()["etag"];
  expect(etag).toBe(`"${src!.slice("/blobs/".length)}"`);
  expect((await first.body()).subarray(1, 4).toString()).toBe("PNG");
  const again = await request.get(src!, { headers: { "If-None-Match": etag } });
  expect(again.status()).toBe(304);
  expect(again.headers()["etag"]).toBe(etag);
});

test("bad blob keys are 400 with a readable message", async ({ request }) => {
  for (const key of ["..%2F..%2Fetc%2Fpasswd", "a/b", "not-hex", "A".repeat(64), "a".repeat(63)]) {
    const res = await request.get(`/blobs/${key}`);
    expect(res.status(), key).toBe(400);
    expect((await res.json()).error.message).toContain("64 lowercase hexadecimal");
  }
  const missing = await request.get(`/blobs/${"0".repeat(64)}`);
  expect(missing.status()).toBe(404);
});

test("malformed server function payloads are 400, never 500", async ({ request }) => {
  const garbage = await request.post("/api/vote", {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    data: "helpful=maybe&%%%",
  });
  expect(garbage.status()).toBe(400);
  expect((await garbage.json()).message).toContain("malformed");
  const unknown = await request.post("/api/vote", {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    data: "slug=no-such-doc&helpful=true",
  });
  expect(unknown.status()).toBe(404);
  // The server is still fine afterwards.
  expect((await request.get("/healthz")).status()).toBe(200);
});
