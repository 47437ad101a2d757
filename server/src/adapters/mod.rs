//! The native back ends of the domain's ports, one file each.

/// Cloudflare Access signing keys, fetched over https (ureq).
pub mod access_keys;
/// [`domain::Passwords`]: argon2id (and PBKDF2 hashes made on the Worker).
pub mod argon2id;
/// [`domain::Blobs`] in a content-addressed folder.
pub mod blob_folder;
/// [`domain::Converter`]: each PDF in a child process under memory and CPU limits.
pub mod child_converter;
/// [`domain::ports::Ai`]: candle models (the `models` crate) on blocking threads, plus fault injection.
pub mod local_model;
/// [`domain::Db`] on a SQLite file.
pub mod sqlite;
/// [`domain::Tasks`] on tokio, with a tracker for graceful shutdown.
pub mod tokio_tasks;
/// [`domain::ports::Vectors`]: a usearch HNSW graph over vectors kept in their own SQLite file.
pub mod vector_index;
