//! The Cloudflare back ends of the domain's ports, one file each.

/// Cloudflare Access signing keys, fetched with the Workers `fetch`.
pub mod access_keys;
/// [`domain::Db`] on D1.
pub mod d1;
/// [`domain::Blobs`] on R2 (multipart over 8 MB).
pub mod r2;
/// [`domain::ports::Vectors`] on Vectorize (a hand-written `wasm_bindgen` binding).
pub mod vectorize;
/// [`domain::Tasks`] on `waitUntil`.
pub mod wait_until;
/// [`domain::Passwords`]: PBKDF2-SHA256 through WebCrypto.
pub mod webcrypto;
/// [`domain::ports::Ai`] on Workers AI (embeddings, mean pooling pinned).
pub mod workers_ai;
