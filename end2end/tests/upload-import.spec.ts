import { expect, test } from "@playwright/test";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { admin, targetDir } from "../playwright.config";

const root = path.resolve(__dirname, "../..");

/** Runs the real `folio import` binary; resolves with its exit code and output. */
function folioImport(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(`${targetDir}/release/folio`, ["import", ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

test("folio import uploads a folder tree to this host with an API token", async ({ request, browser, baseURL }, info) => {
  const signIn = await request.post("/api/session", { data: { email: admin.email, password: admin.password } });
  expect(signIn.status()).toBe(200);
  const created = await request.post("/api/tokens", { data: { name: `import-${info.project.name}` } });
  expect(created.status()).toBe(201);
  const { token } = await created.json();

  const folder = `handbook-${info.project.name}-${Date.now()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "folio-import-"));
  fs.mkdirSync(path.join(dir, folder));
  fs.writeFileSync(path.join(dir, folder, "intro.md"), `---\ntags: imported\n---\n# Intro ${folder}\n\n![map](map-${folder}.png)\n`);
  fs.copyFileSync(path.join(root, "content/samples/folio-hosts.png"), path.join(dir, folder, `map-${folder}.png`));
  fs.copyFileSync(path.join(root, "domain/tests/fixtures/report.pdf"), path.join(dir, folder, "report.pdf"));
  fs.writeFileSync(path.join(dir, "setup.md"), "MZ\x90\x00 a program, not Markdown");

  const first = await folioImport([dir, "--url", baseURL!, "--token", token, "--quiet"]);
  expect(first.stdout).toContain("3 created, 0 updated, 0 unchanged, 1 rejected, 0 failed");
  expect(first.stdout).toContain("rejected setup.md");
  expect(first.code).toBe(1); // something was refused

  // A reader finds the imported folder, its document, and the image it names.
  const reader = await (await browser.newContext()).newPage();
  await reader.goto(`/folders/${folder}`);
  await expect(reader.getByTestId("doc-card")).toHaveCount(3);
  await reader.goto(`/docs/${folder}-intro`);
  await expect(reader.getByTestId("doc-title")).toHaveText(`Intro ${folder}`);
  await expect(reader.getByTestId("doc-body").locator("img")).toHaveAttribute("src", /^\/blobs\/[0-9a-f]{64}$/);
  await reader.close();

  // Without the bad file, a second run sends the same bytes and changes nothing.
  fs.rmSync(path.join(dir, "setup.md"));
  const second = await folioImport([dir, "--url", baseURL!, "--token", token, "--quiet"]);
  expect(second.stdout).toContain("0 created, 0 updated, 3 unchanged, 0 rejected, 0 failed");
  expect(second.code).toBe(0);

  const refused = await folioImport([dir, "--url", baseURL!, "--token", "folio_not-a-token", "--quiet"]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain("the site refuses uploads");
  fs.rmSync(dir, { recursive: true });
});
