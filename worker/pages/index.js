// The Worker in Cloudflare Pages' advanced mode (`_worker.js/index.js`; `make pages-build` puts
// worker-build's module beside it as `folio.js`). Pages calls `fetch` on a default-exported
// handler object, while worker-build exports a WorkerEntrypoint class: this adapts one to the
// other, so both hosts run the same wasm. Pages has no cron, so there is no `scheduled` here:
// the Worker sweeps after responses instead (docs/pages.md).
import Folio from "./folio.js";

export default {
  fetch(request, env, ctx) {
    return new Folio(ctx, env).fetch(request);
  },
};
