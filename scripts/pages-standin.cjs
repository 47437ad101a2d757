// Preloaded into `wrangler pages dev` by scripts/pages-local.mjs (NODE_OPTIONS=--require): binds
// Workers AI and Vectorize to the local stand-in, which `wrangler pages dev` cannot do offline
// (AI always opens a remote session, which needs a Cloudflare login; Vectorize is "not
// supported" there). wrangler hands every worker's options to Miniflare through
// `convertV4MiniflareOptions`; this wraps it to add the two bindings with a
// `remoteProxyConnectionString`, exactly as scripts/worker-local.mjs does for the Worker, so
// workerd builds its real binding classes. Everything else is wrangler's own Pages dev: the
// `_worker.js` folder, `_routes.json`, the ASSETS binding, `_headers`.
//
// FOLIO_PAGES_STANDIN = JSON {url, worker, ai, vectorize: {BINDING: index_name}}. Internal to a
// pinned wrangler (package.json): if it stops calling through here, the runner notices (no
// worker was given the bindings) and says so, rather than serving a site without them.
"use strict";

const standin = process.env.FOLIO_PAGES_STANDIN;
if (standin && process.argv.some((arg) => arg.endsWith("wrangler-dist/cli.js"))) {
  const { url, worker, ai, vectorize } = JSON.parse(standin);
  const path = require("node:path");
  const resolved = require.resolve("miniflare", { paths: [path.dirname(require.resolve("wrangler/package.json"))] });
  const real = require(resolved);
  const patched = { ...real };
  patched.convertV4MiniflareOptions = (options) => {
    for (const w of options.workers ?? []) {
      if (w.name !== worker) continue;
      if (ai) w.ai = { binding: ai, remoteProxyConnectionString: new URL(url) };
      w.vectorize = Object.fromEntries(
        Object.entries(vectorize ?? {}).map(([binding, index_name]) => [
          binding,
          { index_name, remoteProxyConnectionString: new URL(url) },
        ]),
      );
      // Read by pages-local.mjs through the log: the bindings did reach workerd.
      if (!globalThis.__folioStandinBound) console.log(`pages-standin: bound ${[ai, ...Object.keys(vectorize ?? {})].join(", ")} to ${url}`);
      globalThis.__folioStandinBound = true;
    }
    return real.convertV4MiniflareOptions(options);
  };
  require.cache[resolved].exports = patched;
}
