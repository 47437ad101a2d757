//! Links the browser bundle without merging identical constants.
//!
//! `cargo leptos build --split` cuts the bundle into lazily loaded pieces, and the splitter
//! (wasm_split_cli_support 0.2.3, inside cargo-leptos 0.3.11) lays each piece's constants out
//! again. When wasm-ld has merged identical strings used by two pieces, that layout is longer
//! than the original and the splitter falls back to keeping *all* constants in the main module:
//! 25 KB more for every reading page (measured: main bundle 146.7 → 156.3 KB gzip). With merging
//! off (`-O0`: wasm-ld's level only governs merging here; rustc has already optimised the code)
//! every piece gets its own constants: 147.5 KB. `end2end/tests/budget.spec.ts` catches a return.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-O0");
    }
}
