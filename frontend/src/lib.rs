//! The browser entry point: hydrate the islands (the interactive parts) of the server-rendered
//! page. Everything else is plain HTML, and every link is a full page load.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate();
}
