//! [`domain::Tasks`] on Workers: `waitUntil` from `cloudflare:workers`, which attaches the work
//! to whichever request is running it, so one `Ports` value can serve the whole isolate.

use domain::ports::{CpuJob, Task, Tasks};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "cloudflare:workers")]
extern "C" {
    #[wasm_bindgen(js_name = waitUntil)]
    fn wait_until(promise: &js_sys::Promise);
}

pub struct WaitUntil;

impl Tasks for WaitUntil {
    fn spawn(&self, name: &'static str, task: Task) {
        let promise = wasm_bindgen_futures::future_to_promise(async move {
            task.await;
            tracing::debug!(name, "background task finished");
            Ok(JsValue::UNDEFINED)
        });
        wait_until(&promise);
    }

    fn run_cpu(&self, job: CpuJob) -> Task {
        Box::pin(async move { job() })
    }

    fn sleep(&self, duration: std::time::Duration) -> Task {
        Box::pin(worker::send::SendFuture::new(worker::Delay::from(duration)))
    }
}
