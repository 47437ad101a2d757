// A bounded soak of one host with everything on (issue #22 §5): readers, searchers, askers and
// editors at once, real and hostile uploads, the model failing and recovering midway, and
// natively one SIGKILL + restart. Afterwards it waits for ingest and embedding, checks that
// every upload answered 2xx is still there and findable by keyword and by meaning, prints a
// table and exits non-zero when a goal is missed. Started by scripts/soak.sh.
//
//   node scripts/soak.mjs --host native --folio BIN --data DIR --port P [--seconds 120]
//   node scripts/soak.mjs --host worker --url URL --standin URL [--server-pid PID] [--seconds 120]
//
// Natively this script runs the server itself (so it can kill it): at 30% of the run it is
// SIGKILLed and restarts with the model down (FOLIO_AI_FAULT=down, read at start); at 60% it
// stops (SIGTERM) and restarts healthy. On the Worker the stand-in's /__fault does the same
// (down at 30%, up at 60%) and nothing is killed.
//
// Clients are async loops in this one process, each with its own address (X-Forwarded-For,
// which the native server trusts with FOLIO_TRUST_PROXY; CF-Connecting-IP for the Worker), so
// per-client limits see 230 people. 429 is expected (counted apart), as is 400 for the hostile
// nested HTML; any 5xx, any other 4xx, and any request left unanswered outside a restart are not.

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "native" },
    folio: { type: "string" },
    data: { type: "string" },
    port: { type: "string", default: "3320" },
    url: { type: "string" },
    standin: { type: "string" },
    "server-pid": { type: "string" },
    seconds: { type: "string", default: process.env.SOAK_SECONDS ?? "120" },
    readers: { type: "string", default: "200" },
    searchers: { type: "string", default: "20" },
    askers: { type: "string", default: "5" },
    editors: { type: "string", default: "5" },
  },
});
const host = args.host;
const seconds = Number(args.seconds);
const base = args.url ?? `http://127.0.0.1:${args.port}`;
const limits = {
  maxRssMb: Number(process.env.SOAK_MAX_RSS_MB ?? 2048),
  searchP99Ms: Number(process.env.SOAK_SEARCH_P99_MS ?? 1500),
  settleSeconds: Number(process.env.SOAK_SETTLE_SECONDS ?? 300),
};
const ADMIN = { email: "soak@folio.test", password: "soak admin password" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const between = (lo, hi) => lo + Math.random() * (hi - lo);
const log = (...a) => console.error(`[soak ${host} ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
let t0 = Date.now();

// ---- the native server, run and watched from here -------------------------------------------

const server = { child: null, down: [], peakRssKb: 0, starts: 0 };

function startNative(fault) {
  const env = {
    ...process.env,
    FOLIO_ADDR: `127.0.0.1:${args.port}`,
    FOLIO_DATA_DIR: args.data,
    FOLIO_LOG: process.env.FOLIO_LOG ?? "warn",
    FOLIO_TRUST_PROXY: "true",
    FOLIO_ADMIN_EMAIL: ADMIN.email,
    FOLIO_ADMIN_PASSWORD: ADMIN.password,
    FOLIO_AI_FAULT: fault ?? "",
  };
  const out = fs.openSync(path.join(args.data, "..", "native.log"), "a");
  server.child = spawn(args.folio, [], { env, stdio: ["ignore", out, out] });
  server.starts += 1;
}

async function waitUp(timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 503) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`${base} did not come up`);
}

// Peak resident memory of the native server (each process's high-water mark, over restarts);
// on the Worker, of workerd (the processes under --server-pid).
function rssKb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  const out = [];
  const stack = [Number(pid)];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}
const rssSeries = [];
function currentKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
function sampleRss() {
  if (host === "native") {
    if (server.child) server.peakRssKb = Math.max(server.peakRssKb, rssKb(server.child.pid));
    if (server.child) server.nowKb = currentKb(server.child.pid);
  } else if (args["server-pid"]) {
    const workerd = descendants(args["server-pid"]).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/comm`, "utf8").trim() === "workerd";
      } catch {
        return false;
      }
    });
    const total = workerd.reduce((sum, p) => sum + rssKb(p), 0);
    server.peakRssKb = Math.max(server.peakRssKb, total);
    server.nowKb = workerd.reduce((sum, p) => sum + currentKb(p), 0);
  }
}

// ---- requests, counted -----------------------------------------------------------------------

const counts = {}; // role → status → n
const unexpected = []; // a few examples
const searchMs = [];
const searchByMode = {};
const pageSearchMs = [];
const askFirstMs = [];
const askDoneMs = [];
let running = true;

function count(role, status) {
  counts[role] ??= {};
  counts[role][status] = (counts[role][status] ?? 0) + 1;
}
function inRestart(at) {
  return server.down.some(([from, to]) => at >= from && at <= (to ?? Infinity) + 1000);
}
function record(role, status, expected, what) {
  if (status === 429) return count(role, "429");
  if (status >= 500) {
    count(role, `${status} (unexpected)`);
    if (unexpected.length < 20) unexpected.push(`${role} ${what}: ${status}`);
  } else if (status >= 400 && !expected.includes(status)) {
    count(role, `${status} (unexpected)`);
    if (unexpected.length < 20) unexpected.push(`${role} ${what}: ${status}`);
  } else {
    count(role, String(status));
  }
}

// One request: returns {status, body, ms} or null when nothing answered (counted either way).
async function request(role, ip, pathAndQuery, init = {}, { expected = [], timeout = 30_000, read = "text" } = {}) {
  const started = Date.now();
  const headers = { "x-forwarded-for": ip, "cf-connecting-ip": ip, ...(init.headers ?? {}) };
  try {
    const res = await fetch(`${base}${pathAndQuery}`, { ...init, headers, signal: AbortSignal.timeout(timeout) });
    if (read === "sse") {
      // Answered once the stream starts; how it ends is counted apart.
      record(role, res.status, expected, pathAndQuery.slice(0, 80));
      const body = await readSse(res, started).catch((err) => ({ events: [], cut: err }));
      if (body.cut) count(`${role} stream`, inRestart(started) || inRestart(Date.now()) ? "cut (restart)" : "cut (unexpected)");
      return { status: res.status, body, ms: Date.now() - started };
    }
    const body = read === "text" ? await res.text() : await res.arrayBuffer();
    const ms = Date.now() - started;
    record(role, res.status, expected, pathAndQuery.slice(0, 80));
    return { status: res.status, body, ms, headers: res.headers };
  } catch (err) {
    if (inRestart(started) || inRestart(Date.now())) {
      count(role, "no answer (restart)");
    } else {
      count(role, "no answer (unexpected)");
      if (unexpected.length < 20) unexpected.push(`${role} ${pathAndQuery.slice(0, 80)}: ${err.cause?.code ?? err.name}`);
    }
    return null;
  }
}

// Reads an Ask stream to its end; returns the events' names and when the first came.
async function readSse(res, started) {
  if (!res.ok) return { events: [], text: await res.text() };
  const events = [];
  let first = null;
  let buffer = "";
  let unavailable = false;
  const decoder = new TextDecoder();
  for await (const piece of res.body) {
    buffer += decoder.decode(piece, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      if (name) {
        events.push(name);
        first ??= Date.now() - started;
        if (name === "done") unavailable = /"unavailable":"/.test(block);
      }
    }
  }
  return { events, first, unavailable, ms: Date.now() - started };
}

// ---- what the clients send ---------------------------------------------------------------------

// Real text: paragraphs of the README and ARCHITECTURE, a few to a document.
function paragraphs() {
  const out = [];
  for (const file of ["README.md", "ARCHITECTURE.md"]) {
    const text = fs.readFileSync(path.join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const block of text.split(/\n\s*\n/)) {
      if (/^\||^ {4}|^<|^#/m.test(block)) continue;
      const flat = block.replace(/[`*_[\]()]/g, "").replace(/\s+/g, " ").trim();
      if (flat.split(" ").length >= 40) out.push(flat);
    }
  }
  return out;
}
const realText = paragraphs();
const SENTENCE = /^(.{40,240}?[.!?])\s/;
function probeOf(body) {
  return (SENTENCE.exec(`${body} `)?.[1] ?? body.split(" ").slice(0, 25).join(" ")).replace(/[^\p{L}\p{N} ,.'-]/gu, " ");
}

// A one-page PDF holding `lines` (Helvetica; the structure of domain/tests/fixtures/report.pdf).
function pdf(lines) {
  const esc = (s) => s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, " ");
  const wrapped = [];
  for (const line of lines) {
    let row = "";
    for (const word of line.split(" ")) {
      if ((row + word).length > 80) {
        wrapped.push(row.trim());
        row = "";
      }
      row += `${word} `;
    }
    wrapped.push(row.trim());
  }
  const text = wrapped.map((l, i) => `${i === 0 ? "" : "0 -16 Td "}(${esc(l)}) Tj`).join(" ");
  const stream = `BT /F1 11 Tf 72 740 Td ${text} ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

const NESTED_HTML = Buffer.from(`<!doctype html><html><body>${"<div>".repeat(60_000)}deep${"</div>".repeat(60_000)}</body></html>`);
const BROKEN_PDF = fs.readFileSync(path.join(root, "domain/tests/fixtures/broken.pdf"));

// Each editor owns a few documents (so "the latest version" is its own) and uploads new
// versions of them; every tenth upload is hostile. A document's token is in every version
// (the keyword probe), its first sentence is the meaning probe.
function editorDocs(e, editors) {
  const docs = [];
  const mine = realText.filter((_, i) => i % editors === e);
  for (let k = 0; k * 2 < mine.length && docs.length < 8; k++) {
    const body = mine.slice(k * 2, k * 2 + 2).join("\n\n");
    const token = `soaktok${e}x${k}`;
    const kind = k % 4 === 3 ? "pdf" : k % 4 === 2 ? "html" : "md";
    docs.push({ name: `soak-e${e}-doc${k}.${kind}`, kind, body, token, probe: probeOf(body) });
  }
  return docs;
}
function fileOf(doc, n) {
  const marker = `Soak token ${doc.token}, version marker soakver${n}.`;
  if (doc.kind === "md") return Buffer.from(`# ${doc.probe.split(" ").slice(0, 8).join(" ")}\n\n${marker}\n\n${doc.body}\n`);
  if (doc.kind === "html") {
    const paras = doc.body.split("\n\n").map((p) => `<p>${p.replace(/[<&]/g, " ")}</p>`).join("");
    return Buffer.from(`<!doctype html><html><head><title>${doc.token}</title></head><body><main><h1>${doc.probe.split(" ").slice(0, 8).join(" ")}</h1><p>${marker}</p>${paras}</main></body></html>`);
  }
  return pdf([marker, ...doc.body.split("\n\n")]);
}

const SEARCHES = [
  "how are pages rendered", "semantic search", "upload limits", "kept pages", "ask a question",
  "vector index", "sign in throttling", "markdown front matter", "summaries and topics",
  "the worker build", "embedding model", "hybrid fusion", "delete a document", "kill switch",
  "nested html", "pdf upload", "security headers", "reading time", "folders and tags", "rate limit",
];
const QUESTIONS = [
  "How are pages rendered?", "What happens when the model is down?", "How does search combine keyword and semantic results?",
  "What file types can I upload?", "How are summaries kept fresh?", "Where are uploaded files stored?",
  "How does sign-in throttling work?", "What does the Worker use for vectors?",
];
// Popular first: readers repeat queries (a rough Zipf).
const zipf = (list) => list[Math.min(list.length - 1, Math.floor(list.length * Math.random() ** 2.5))];
const ipOf = (group, n) => `10.${group}.${Math.floor(n / 250)}.${(n % 250) + 1}`;

// ---- roles -------------------------------------------------------------------------------------

const published = new Set(["welcome-to-folio", "how-folio-is-built", "searching-and-asking", "writing-documents"]);
const uploads = []; // {doc, n, status, id, version}
let token = null;

async function reader(n) {
  const ip = ipOf(1, n);
  await sleep(between(0, 3000));
  while (running) {
    const r = Math.random();
    if (r < 0.15) await request("reader", ip, "/");
    else if (r < 0.85) await request("reader", ip, `/docs/${pick([...published])}`);
    else {
      const res = await request("reader", ip, `/search?q=${encodeURIComponent(zipf(SEARCHES))}`);
      if (res?.status === 200) pageSearchMs.push(res.ms);
    }
    await sleep(between(1000, 4000));
  }
}

async function searcher(n) {
  const ip = ipOf(2, n);
  await sleep(between(0, 2000));
  while (running) {
    const mode = Math.random() < 0.7 ? "hybrid" : pick(["keyword", "semantic"]);
    // Now and then a document just uploaded: fresh words nobody searched before.
    const real = uploads.filter((u) => u.doc);
    const q = real.length > 0 && Math.random() < 0.1 ? pick(real).doc.token : zipf(SEARCHES);
    const res = await request("searcher", ip, `/api/search?q=${encodeURIComponent(q)}&mode=${mode}`);
    if (res?.status === 200) {
      searchMs.push(res.ms);
      (searchByMode[mode] ??= []).push(res.ms);
    }
    await sleep(between(300, 1500));
  }
}

async function asker(n) {
  const ip = ipOf(3, n);
  await sleep(between(0, 5000));
  while (running) {
    const res = await request(
      "asker",
      ip,
      "/api/ask",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ question: zipf(QUESTIONS) }) },
      { timeout: 180_000, read: "sse" },
    );
    if (res?.status === 200 && !res.body.cut) {
      if (!res.body.events.includes("done")) {
        count("asker stream", "ended without done (unexpected)");
        unexpected.push(`asker: a stream ended without done (${res.body.events.join(",")})`);
      } else {
        count("asker stream", res.body.unavailable ? "done, unavailable (model down or busy)" : "done, answered");
        askDoneMs.push(res.body.ms);
      }
      if (res.body.first != null) askFirstMs.push(res.body.first);
    }
    await sleep(between(5000, 15000));
  }
}

async function editor(e, editors) {
  const ip = ipOf(4, e);
  const docs = editorDocs(e, editors);
  let n = 0;
  await sleep(between(0, 2000));
  while (running) {
    n += 1;
    let name, bytes, expected = [], hostile = null;
    if (n % 10 === 5) [name, bytes, expected, hostile] = [`soak-e${e}-nested-${n}.html`, NESTED_HTML, [400], "nested"];
    else if (n % 10 === 0) [name, bytes, hostile] = [`soak-e${e}-broken-${n}.pdf`, BROKEN_PDF, "broken"];
    const doc = hostile ? null : docs[n % docs.length];
    if (doc) [name, bytes] = [doc.name, fileOf(doc, `${e}x${n}`)];
    const form = new FormData();
    form.append("file", new Blob([bytes]), name);
    const res = await request(
      "editor",
      ip,
      "/api/documents",
      { method: "POST", body: form, headers: { authorization: `Bearer ${token}` } },
      { expected: hostile ? [400, 415, 422] : [], timeout: 60_000 },
    );
    const entry = { doc, name, hostile, status: res?.status ?? null };
    if (res && res.status >= 200 && res.status < 300) {
      const [result] = JSON.parse(res.body);
      Object.assign(entry, { id: result.id, version: result.version, slug: result.slug });
    }
    uploads.push(entry);
    await sleep(between(1000, 3000));
  }
}

// Watches the listing for pages readers can visit.
async function watcher() {
  while (running) {
    const res = await request("watcher", "10.9.0.1", "/api/documents");
    if (res?.status === 200) {
      for (const d of JSON.parse(res.body).documents ?? []) published.add(d.slug);
    }
    await sleep(3000);
  }
}

// ---- the run -----------------------------------------------------------------------------------

async function signIn() {
  const session = await fetch(`${base}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": "10.9.0.2" },
    body: JSON.stringify(ADMIN),
  });
  if (!session.ok) throw new Error(`sign-in: ${session.status} ${await session.text()}`);
  const cookie = session.headers.get("set-cookie").split(";")[0];
  const made = await fetch(`${base}/api/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ name: `soak ${Date.now()}` }),
  });
  if (!made.ok) throw new Error(`token: ${made.status} ${await made.text()}`);
  return (await made.json()).token;
}

async function fault(word) {
  const res = await fetch(`${args.standin}/__fault`, { method: "POST", body: word });
  log(`stand-in fault ${word}: ${res.status}`);
}

// Natively: SIGKILL, then the model down until a clean restart brings it back.
async function chaos() {
  await sleep(seconds * 300);
  if (host === "native") {
    log("SIGKILL, restart with the model down");
    const at = Date.now();
    server.down.push([at, null]);
    const old = server.child;
    const exited = new Promise((r) => old.once("exit", r));
    old.kill("SIGKILL");
    await exited;
    startNative("down");
    await waitUp();
    server.down.at(-1)[1] = Date.now();
    log(`back after ${Date.now() - at} ms`);
  } else {
    await fault("down");
  }
  await sleep(Math.max(0, t0 + seconds * 600 - Date.now()));
  if (host === "native") {
    log("SIGTERM, restart with the model up");
    const at = Date.now();
    server.down.push([at, null]);
    const old = server.child;
    const exited = new Promise((r) => old.once("exit", r));
    old.kill("SIGTERM");
    const killer = setTimeout(() => old.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(killer);
    startNative(null);
    await waitUp();
    server.down.at(-1)[1] = Date.now();
    log(`back after ${Date.now() - at} ms`);
  } else {
    await fault("up");
  }
}

async function inventory() {
  const res = await fetch(`${base}/api/inventory`, { headers: { authorization: `Bearer ${token}` } });
  return res.ok ? res.json() : null;
}

// After the load: the sweep runs (natively every 15 s; on the Worker its cron, fired here)
// until no job and no chunk waits, or the time is up.
async function settle() {
  const until = Date.now() + limits.settleSeconds * 1000;
  let last = null;
  while (Date.now() < until) {
    if (host === "worker") await fetch(`${base}/cdn-cgi/local/scheduled`).catch(() => {});
    last = await inventory();
    if (last && last.jobs === 0 && last.chunks_waiting === 0) return { settled: true, inventory: last };
    await sleep(5000);
  }
  return { settled: false, inventory: last };
}

async function found(q, mode, id) {
  const res = await fetch(`${base}/api/search?q=${encodeURIComponent(q)}&mode=${mode}&limit=50`, {
    headers: { "x-forwarded-for": "10.9.0.3" },
  });
  if (!res.ok) return false;
  const body = await res.json();
  return !body.degraded && body.results.some((r) => r.document_id === id);
}

async function verify() {
  const byDoc = new Map(); // id → last 2xx upload
  for (const u of uploads) if (u.id != null) byDoc.set(u.id, u);
  const result = { sent: uploads.length, answered2xx: 0, kept: 0, docs: 0, lost: [], hostileRefused: 0, hostileFailed: 0,
    failedReal: [], keyword: 0, meaning: 0, notFound: [] };
  for (const u of uploads) {
    if (u.status >= 200 && u.status < 300) result.answered2xx += 1;
    if (u.hostile && u.status >= 400 && u.status < 500) result.hostileRefused += 1;
  }
  for (const [id, u] of byDoc) {
    const res = await fetch(`${base}/api/documents/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const status = res.ok ? await res.json() : null;
    // Every version answered 2xx must be there: the document at that version or a later one.
    const lost = uploads.filter((o) => o.id === id && (!status || (status.version ?? 0) < o.version));
    result.lost.push(...lost.map((o) => `${o.name} (#${id} v${o.version}): ${res.status}`));
    result.kept += uploads.filter((o) => o.id === id).length - lost.length;
    if (!status) continue;
    result.docs += 1;
    if (u.hostile) {
      if (status.status === "failed") result.hostileFailed += 1;
      continue;
    }
    if (status.status !== "ready" || !status.published) {
      result.failedReal.push(`${u.name}: ${status.status} ${status.error ?? ""}`);
      continue;
    }
    const [byKeyword, byMeaning] = [await found(u.doc.token, "keyword", id), await found(u.doc.probe, "semantic", id)];
    if (byKeyword) result.keyword += 1;
    if (byMeaning) result.meaning += 1;
    if (!byKeyword || !byMeaning) result.notFound.push(`${u.name}${byKeyword ? "" : " (keyword)"}${byMeaning ? "" : ` (meaning: ${u.doc.probe.slice(0, 60)}…)`}`);
  }
  result.realDocs = [...byDoc.values()].filter((u) => !u.hostile).length;
  return result;
}

const pct = (list, p) => {
  if (!list.length) return NaN;
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function main() {
  if (host === "native") {
    fs.mkdirSync(args.data, { recursive: true });
    startNative(null);
  }
  await waitUp(240_000);
  // The sample pages embedded before the clock starts (as `make bench` does).
  for (let i = 0; i < 480; i++) {
    const res = await fetch(`${base}/api/search?q=how+are+pages+rendered&mode=semantic`).catch(() => null);
    const body = res?.ok ? await res.json() : null;
    if (body && !body.degraded && body.results.length) break;
    await sleep(500);
  }
  token = await signIn();
  const sampler = setInterval(sampleRss, 250);
  t0 = Date.now();
  log(`load for ${seconds} s: ${args.readers} readers, ${args.searchers} searchers, ${args.askers} askers, ${args.editors} editors`);
  const clients = [];
  for (let i = 0; i < Number(args.readers); i++) clients.push(reader(i));
  for (let i = 0; i < Number(args.searchers); i++) clients.push(searcher(i));
  for (let i = 0; i < Number(args.askers); i++) clients.push(asker(i));
  for (let i = 0; i < Number(args.editors); i++) clients.push(editor(i, Number(args.editors)));
  clients.push(watcher());
  const chaosDone = chaos();
  const rssEvery = setInterval(() => rssSeries.push(Math.round((server.nowKb ?? 0) / 1024)), (seconds * 1000) / 10);
  await sleep(seconds * 1000);
  running = false;
  clearInterval(rssEvery);
  await chaosDone;
  await Promise.all(clients);
  const loadSeconds = (Date.now() - t0) / 1000;
  log("load over; waiting for ingest and embedding");
  const settled = await settle();
  log(`settled: ${settled.settled} ${JSON.stringify(settled.inventory)}`);
  const v = await verify();
  sampleRss();
  clearInterval(sampler);
  if (host === "native") {
    server.child.kill("SIGTERM");
  }

  // ---- the table ----
  const rows = [];
  const line = (k, val) => rows.push(`${k.padEnd(44)} ${val}`);
  const statuses = {};
  for (const role of Object.keys(counts)) for (const [s, n] of Object.entries(counts[role])) statuses[s] = (statuses[s] ?? 0) + n;
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  line("host", `${host} (${seconds} s load, ${args.readers} readers, ${args.searchers} searchers, ${args.askers} askers, ${args.editors} editors)`);
  line("requests", `${total} (${(total / loadSeconds).toFixed(1)}/s)`);
  for (const role of Object.keys(counts).sort()) {
    line(`  ${role}`, Object.entries(counts[role]).sort().map(([s, n]) => `${s}: ${n}`).join(", "));
  }
  const bad5xx = Object.entries(statuses).filter(([s]) => /unexpected|^5/.test(s) && !/^no answer \(restart/.test(s));
  const unexpectedTotal = bad5xx.reduce((a, [, n]) => a + n, 0);
  line("unexpected (5xx, other 4xx, unanswered)", unexpectedTotal);
  line("429 (per-client limits; expected)", statuses["429"] ?? 0);
  line("uploads sent / answered 2xx / kept / lost", `${v.sent} / ${v.answered2xx} / ${v.kept} / ${v.lost.length}`);
  line("  hostile: refused 4xx / accepted, then failed", `${v.hostileRefused} / ${v.hostileFailed}`);
  line("real documents (many versions each)", v.realDocs);
  line("  findable by keyword / by meaning", `${v.keyword} / ${v.meaning}`);
  line("  ingest settled (jobs, chunks waiting)", settled.inventory ? `${settled.settled ? "yes" : "NO"} (${settled.inventory.jobs}, ${settled.inventory.chunks_waiting})` : "unknown");
  line(`peak RSS (${host === "native" ? "native server" : "workerd"})`, `${(server.peakRssKb / 1024).toFixed(0)} MB`);
  line("  RSS every tenth of the run (MB)", `${rssSeries.join(" ")}, after the sweep ${Math.round((server.nowKb ?? 0) / 1024)}`);
  line("search /api/search p50 / p99 (n)", `${pct(searchMs, 50)} / ${pct(searchMs, 99)} ms (${searchMs.length})`);
  line("  p50 / p99 by mode", Object.entries(searchByMode).sort().map(([m, l]) => `${m} ${pct(l, 50)} / ${pct(l, 99)}`).join(", "));
  line("search page /search p50 / p99 (n)", `${pct(pageSearchMs, 50)} / ${pct(pageSearchMs, 99)} ms (${pageSearchMs.length})`);
  line("Ask, sources p50 / p99 (n)", `${pct(askFirstMs, 50)} / ${pct(askFirstMs, 99)} ms (${askFirstMs.length})`);
  line("Ask, done p50 / p99 (n)", `${pct(askDoneMs, 50)} / ${pct(askDoneMs, 99)} ms (${askDoneMs.length})`);
  if (host === "native") line("restarts (SIGKILL, then clean)", `${server.starts - 1}, down ${server.down.map(([a, b]) => `${((b - a) / 1000).toFixed(1)} s`).join(" + ")}`);
  console.log(`\n${rows.join("\n")}`);

  const failures = [];
  if (unexpectedTotal > 0) failures.push(`${unexpectedTotal} unexpected answers: ${unexpected.slice(0, 8).join("; ")}`);
  if (v.lost.length) failures.push(`uploads lost: ${v.lost.slice(0, 8).join("; ")}`);
  if (v.failedReal.length) failures.push(`real uploads not ready: ${v.failedReal.slice(0, 8).join("; ")}`);
  if (v.notFound.length) failures.push(`not findable: ${v.notFound.slice(0, 8).join("; ")}`);
  if (!settled.settled) failures.push("ingest did not settle");
  if (server.peakRssKb / 1024 > limits.maxRssMb) failures.push(`peak RSS over ${limits.maxRssMb} MB`);
  if (!(pct(searchMs, 99) <= limits.searchP99Ms)) failures.push(`search p99 over ${limits.searchP99Ms} ms`);
  if (failures.length) {
    console.log(`\nFAILED (${host}):\n- ${failures.join("\n- ")}`);
    process.exit(1);
  }
  console.log(`\npassed (${host})`);
}

process.on("exit", () => server.child?.kill("SIGKILL"));
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
